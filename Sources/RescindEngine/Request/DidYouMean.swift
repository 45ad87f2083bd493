// A local copy of RescindDiagnostics' `Suggestions.closest` rule, so the runtime module
// does not depend on the diagnostics module for one function. Keep the two in step: a
// candidate within a third of the word's length (at least one edit), ties broken by name.

/// The candidate closest to `word`, if close enough to be a plausible typo.
func closestName(to word: String, in candidates: [String]) -> String? {
    // No typo is that long; and a hostile key must not cost quadratic time.
    guard word.utf8.count <= 128 else { return nil }
    let limit = max(1, word.count / 3)
    let lowered = Array(word.lowercased())
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(lowered, Array(candidate.lowercased()))
        guard distance <= limit else { continue }
        if let current = best, distance > current.distance || (distance == current.distance && candidate >= current.name) {
            continue
        }
        best = (candidate, distance)
    }
    return best?.name
}

/// Levenshtein distance with adjacent transpositions (optimal string alignment).
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
