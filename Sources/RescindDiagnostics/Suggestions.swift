/// "Did you mean …?" suggestions shared by every stage.
package enum Suggestions {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a
    /// plausible typo (at most a third of the word's length, and at least one edit).
    package static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // No typo is that long, and a hostile name (a request key, a YAML key) must not
        // cost quadratic time.
        guard word.utf8.count <= 128 else { return nil }
        let limit = max(1, word.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            guard distance <= limit else { continue }
            if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// A `help:` text of the form "did you mean `x`?", or nil when nothing is close.
    package static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> DiagnosticText? {
        closest(to: word, in: candidates).map(didYouMean)
    }

    /// "did you mean `name`?" for a name already chosen.
    package static func didYouMean(_ name: String) -> DiagnosticText {
        .en("did you mean `\(name)`?", zh: "是否想写 `\(name)`？")
    }

    /// Levenshtein distance with adjacent transpositions (optimal string alignment).
    package static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
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

    /// How the last two names of a quoted list are joined.
    package enum Conjunction: Sendable {
        case or
        case and
    }

    /// Quotes a list of names for a message in every locale: "`a`, `b` or `c`",
    /// "`a`、`b` 或 `c`".
    package static func quoted(_ names: [String], _ conjunction: Conjunction = .or) -> DiagnosticText {
        let quoted = names.map { "`\($0)`" }
        guard quoted.count > 1 else { return .en(quoted.first ?? "", zh: quoted.first ?? "") }
        let (en, zh) = conjunction == .or ? ("or", "或") : ("and", "和")
        return .en(
            quoted.dropLast().joined(separator: ", ") + " \(en) " + quoted.last!,
            zh: quoted.dropLast().joined(separator: "、") + " \(zh) " + quoted.last!)
    }

    /// Quotes a list of names for a message: "`a`, `b` or `c`".
    package static func quotedList(_ names: [String], conjunction: String = "or") -> String {
        let quoted = names.map { "`\($0)`" }
        guard quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
    }
}
