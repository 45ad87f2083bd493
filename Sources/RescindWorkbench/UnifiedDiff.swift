/// A unified diff of two texts by lines (the format `git apply` and `patch -p1` read),
/// found with Myers' algorithm after trimming the common head and tail, so an edit of a
/// few lines in a large file costs little.
enum UnifiedDiff {
    /// Lines of context around each change, as `diff -u`.
    static let context = 3

    enum Edit: Equatable {
        case keep(String)
        case delete(String)
        case insert(String)
    }

    /// The patch turning `before` into `after`, for the file at `path`; empty when equal.
    /// Lines are compared without their line breaks: a change of the final newline alone
    /// is not a change here (the editor keeps what the file had).
    static func patch(from before: String, to after: String, path: String) -> String {
        let edits = self.edits(from: lines(before), to: lines(after))
        guard edits.contains(where: { if case .keep = $0 { false } else { true } }) else { return "" }
        var out = "--- a/\(path)\n+++ b/\(path)\n"
        for hunk in hunks(edits) { out += hunk }
        return out
    }

    static func lines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }

    /// The shortest edit script from `a` to `b`.
    static func edits(from a: [String], to b: [String]) -> [Edit] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let middle = myers(Array(a[head..<(a.count - tail)]), Array(b[head..<(b.count - tail)]))
        return a[..<head].map(Edit.keep) + middle + a[(a.count - tail)...].map(Edit.keep)
    }

    /// Myers' O((N+M)·D) greedy search, keeping each round's frontier to walk back.
    private static func myers(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count, max = n + m
        guard max > 0 else { return [] }
        var frontier = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        search: for d in 0...max {
            trace.append(frontier)
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && frontier[k - 1 + max] < frontier[k + 1 + max]))
                    ? frontier[k + 1 + max] : frontier[k - 1 + max] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                frontier[k + max] = x
                if x >= n, y >= m { break search }
            }
        }
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let previous = trace[d]
            let k = x - y
            let down = k == -d || (k != d && previous[k - 1 + max] < previous[k + 1 + max])
            let previousK = down ? k + 1 : k - 1
            let previousX = previous[previousK + max], previousY = previousX - previousK
            while x > previousX, y > previousY {
                edits.append(.keep(a[x - 1]))
                x -= 1
                y -= 1
            }
            if d > 0 {
                if down { edits.append(.insert(b[y - 1])); y -= 1 } else { edits.append(.delete(a[x - 1])); x -= 1 }
            }
        }
        return edits.reversed()
    }

    /// The edits grouped into `@@` hunks with `context` lines around each change.
    private static func hunks(_ edits: [Edit]) -> [String] {
        var changed: [Int] = []
        for (index, edit) in edits.enumerated() { if case .keep = edit {} else { changed.append(index) } }
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let range = Swift.max(0, index - context)...Swift.min(edits.count - 1, index + context)
            if let last = ranges.last, range.lowerBound <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...Swift.max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        // Line numbers at each edit: old and new counters before it.
        var oldLine = [Int](repeating: 0, count: edits.count + 1), newLine = oldLine
        for (index, edit) in edits.enumerated() {
            oldLine[index + 1] = oldLine[index] + (isInsert(edit) ? 0 : 1)
            newLine[index + 1] = newLine[index] + (isDelete(edit) ? 0 : 1)
        }
        return ranges.map { range in
            var body = "", oldCount = 0, newCount = 0
            for edit in edits[range] {
                switch edit {
                case .keep(let line): body += " \(line)\n"; oldCount += 1; newCount += 1
                case .delete(let line): body += "-\(line)\n"; oldCount += 1
                case .insert(let line): body += "+\(line)\n"; newCount += 1
                }
            }
            let oldStart = oldCount == 0 ? oldLine[range.lowerBound] : oldLine[range.lowerBound] + 1
            let newStart = newCount == 0 ? newLine[range.lowerBound] : newLine[range.lowerBound] + 1
            return "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n" + body
        }
    }

    private static func isInsert(_ edit: Edit) -> Bool { if case .insert = edit { true } else { false } }
    private static func isDelete(_ edit: Edit) -> Bool { if case .delete = edit { true } else { false } }
}
