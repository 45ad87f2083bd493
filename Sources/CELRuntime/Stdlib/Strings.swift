import Foundation

/// String functions: `contains`, `startsWith`, `endsWith`, `matches` and `size`.
enum Strings {
    static func contains(_ s: Value, _ sub: Value) -> Value {
        guard case .string(let s) = s, case .string(let sub) = sub else {
            return .error(.noMatchingOverload("contains", s, sub))
        }
        // Byte-wise search: CEL compares code points, never canonical equivalents.
        return .bool(sub.isEmpty || s.utf8.firstRange(of: sub.utf8) != nil)
    }

    static func startsWith(_ s: Value, _ prefix: Value) -> Value {
        guard case .string(let s) = s, case .string(let prefix) = prefix else {
            return .error(.noMatchingOverload("startsWith", s, prefix))
        }
        return .bool(s.utf8.starts(with: prefix.utf8))
    }

    static func endsWith(_ s: Value, _ suffix: Value) -> Value {
        guard case .string(let s) = s, case .string(let suffix) = suffix else {
            return .error(.noMatchingOverload("endsWith", s, suffix))
        }
        return .bool(s.utf8.reversed().starts(with: suffix.utf8.reversed()))
    }

    /// `matches` outside a planned program (the planner runs it in `MatchesNode`, which
    /// charges the matcher's work to the evaluation): bounded by the default cost limit.
    static func matches(_ s: Value, _ pattern: Value) -> Value {
        guard case .string(let text) = s, case .string(let pattern) = pattern else {
            return .error(.noMatchingOverload("matches", s, pattern))
        }
        switch CompiledRegex.compile(pattern) {
        case .success(let regex):
            let limit = EvaluationLimits().costLimit
            guard let matched = regex.matches(text, budget: limit).matched else {
                return .error(CompiledRegex.tooExpensive(pattern: pattern, limit: limit))
            }
            return .bool(matched)
        case .failure(let error): return .error(error)
        }
    }

    static func size(_ v: Value) -> Value {
        switch v {
        case .string(let s): .int(Int64(s.unicodeScalars.count))
        case .bytes(let b): .int(Int64(b.count))
        case .list(let l): .int(Int64(l.count))
        case .map(let m): .int(Int64(m.count))
        default: .error(.noMatchingOverload("size", v))
        }
    }
}

/// A compiled regular expression for `matches`. CEL specifies RE2 syntax; Foundation's
/// ICU engine accepts the same syntax for everything RE2 supports except a few
/// rarely used forms, and additionally accepts backreferences, lookaround and the `x`
/// flag, which are rejected here as RE2 rejects them.
///
/// RE2 also guarantees linear-time matching; ICU backtracks, and some patterns take
/// exponential time on some texts (`(a+)+$` against 40 `a`s and a `!` runs for hours).
/// So the matcher's work is metered: ICU reports progress every 10,000 backtracking
/// state saves, and each report costs 10,000 units of the evaluation's cost budget.
/// For that count to be exact, the search is one anchored match of `(?s:.*?)(?:pattern)`
/// (what RE2 itself does for an unanchored search): an unanchored ICU search would
/// also report once per start position, which cannot be told apart.
final class CompiledRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as safe to share across threads.
    // ICU rejects the empty pattern, which RE2 accepts (matching everywhere): nil here.
    private let search: NSRegularExpression?

    /// Cost units per progress report: one per backtracking state save.
    static let costPerProgressReport = 10_000

    private init(_ search: NSRegularExpression?) { self.search = search }

    static func compile(_ pattern: String) -> Result<CompiledRegex, EvalError> {
        let scan = scan(pattern)
        if let construct = scan.unsupported {
            return .failure(EvalError(.invalidArgument, "invalid regular expression '\(pattern)': \(construct) is not supported"))
        }
        if pattern.isEmpty { return .success(CompiledRegex(nil)) }
        // The pattern alone first: wrapped, an unbalanced `)` could pair with the wrapper's.
        // An unterminated `\Q` quotes to the end of the pattern, so it is closed before
        // the wrapper's `)`.
        let searchPattern = "(?s:.*?)(?:" + pattern + (scan.endsQuoted ? "\\E" : "") + ")"
        guard (try? NSRegularExpression(pattern: pattern)) != nil,
            let search = try? NSRegularExpression(pattern: searchPattern)
        else {
            return .failure(EvalError(.invalidArgument, "invalid regular expression '\(pattern)'"))
        }
        return .success(CompiledRegex(search))
    }

    /// Whether the pattern matches anywhere in `text` (RE2's partial match), and the
    /// matcher's work in cost units. `matched` is nil when the work exceeded `budget`:
    /// the matcher stopped there.
    func matches(_ text: String, budget: Int) -> (matched: Bool?, cost: Int) {
        guard let search else { return (true, 0) }  // the empty pattern matches everything
        var matched = false
        var cost = 0
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        search.enumerateMatches(in: text, options: [.anchored, .reportProgress], range: range) { result, _, stop in
            if result != nil {
                matched = true
                stop.pointee = true
            } else {
                cost += Self.costPerProgressReport
                if cost > budget { stop.pointee = true }
            }
        }
        return (cost > budget ? nil : matched, cost)
    }

    /// The error for a match stopped by the budget.
    static func tooExpensive(pattern: String, limit: Int) -> EvalError {
        EvalError(
            .costLimitExceeded,
            "evaluation cost exceeded the limit of \(limit) while matching the regular expression '\(pattern)'")
    }

    /// Constructs ICU accepts but RE2 rejects (backreferences, lookaround, the `x` flag),
    /// and whether the pattern ends inside a `\Q…` quote.
    private static func scan(_ pattern: String) -> (unsupported: String?, endsQuoted: Bool) {
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        var inClass = false
        var inQuote = false
        while i < scalars.count {
            let c = scalars[i]
            if inQuote {
                // `\Q…\E`: everything up to `\E` is literal.
                if c == "\\", i + 1 < scalars.count, scalars[i + 1] == "E" {
                    inQuote = false
                    i += 2
                } else {
                    i += 1
                }
                continue
            }
            if c == "\\", i + 1 < scalars.count {
                let next = scalars[i + 1]
                if next == "Q" { inQuote = true }
                if !inClass, ("1"..."9").contains(next) { return ("a backreference", false) }
                i += 2
                continue
            }
            if c == "[" { inClass = true } else if c == "]" { inClass = false }
            if !inClass, c == "(", i + 2 < scalars.count, scalars[i + 1] == "?" {
                let kind = scalars[i + 2]
                if kind == "=" || kind == "!" { return ("lookahead", false) }
                if kind == "<", i + 3 < scalars.count, scalars[i + 3] == "=" || scalars[i + 3] == "!" {
                    return ("lookbehind", false)
                }
                // Flags `(?flags)` or `(?flags:…)`; `x` (comments to the end of the line)
                // is ICU's, not RE2's.
                var j = i + 2
                while j < scalars.count, scalars[j].properties.isAlphabetic, scalars[j].isASCII {
                    if scalars[j] == "x" { return ("the `x` flag", false) }
                    j += 1
                }
            }
            i += 1
        }
        return (nil, inQuote)
    }
}
