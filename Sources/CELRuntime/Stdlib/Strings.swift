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

    static func matches(_ s: Value, _ pattern: Value) -> Value {
        guard case .string(let text) = s, case .string(let pattern) = pattern else {
            return .error(.noMatchingOverload("matches", s, pattern))
        }
        switch CompiledRegex.compile(pattern) {
        case .success(let regex): return .bool(regex.matches(text))
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
/// rarely used forms, and additionally accepts backreferences and lookaround, which
/// are rejected here to keep RE2's guarantee of linear-time matching.
final class CompiledRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as safe to share across threads.
    // ICU rejects the empty pattern, which RE2 accepts (matching everywhere): nil here.
    private let regex: NSRegularExpression?

    private init(_ regex: NSRegularExpression?) { self.regex = regex }

    static func compile(_ pattern: String) -> Result<CompiledRegex, EvalError> {
        if let construct = unsupportedConstruct(in: pattern) {
            return .failure(EvalError(.invalidArgument, "invalid regular expression '\(pattern)': \(construct) is not supported"))
        }
        if pattern.isEmpty { return .success(CompiledRegex(nil)) }
        do {
            return .success(CompiledRegex(try NSRegularExpression(pattern: pattern)))
        } catch {
            return .failure(EvalError(.invalidArgument, "invalid regular expression '\(pattern)'"))
        }
    }

    /// Whether the pattern matches anywhere in `text` (RE2's partial match).
    func matches(_ text: String) -> Bool {
        guard let regex else { return true }  // the empty pattern matches everything
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }

    /// Constructs ICU accepts but RE2 rejects: backreferences and lookaround.
    private static func unsupportedConstruct(in pattern: String) -> String? {
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        var inClass = false
        while i < scalars.count {
            let c = scalars[i]
            if c == "\\", i + 1 < scalars.count {
                let next = scalars[i + 1]
                if !inClass, ("1"..."9").contains(next) { return "a backreference" }
                i += 2
                continue
            }
            if c == "[" { inClass = true } else if c == "]" { inClass = false }
            if !inClass, c == "(", i + 2 < scalars.count, scalars[i + 1] == "?" {
                let kind = scalars[i + 2]
                if kind == "=" || kind == "!" { return "lookahead" }
                if kind == "<", i + 3 < scalars.count, scalars[i + 3] == "=" || scalars[i + 3] == "!" { return "lookbehind" }
            }
            i += 1
        }
        return nil
    }
}
