import RescindDiagnostics
/// Why a request was rejected: a stable, machine-readable code. The raw value is the
/// code as services and logs show it (`request-invalid-enum`).
public enum RequestErrorCode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The bytes are not JSON (RFC 8259), or a string is not valid UTF-8.
    case invalidJSON = "request-invalid-json"
    /// A required field is absent or `null`.
    case missingField = "request-missing-field"
    /// A field the schema does not declare (requests are strict).
    case unknownField = "request-unknown-field"
    /// The same field appears twice in one object.
    case duplicateField = "request-duplicate-field"
    /// A value of the wrong JSON kind (a string where a boolean belongs, `1.5` for an
    /// int, an int outside 64 bits, …).
    case typeMismatch = "request-type-mismatch"
    /// A string outside its enum's values.
    case invalidEnum = "request-invalid-enum"
    /// Not an RFC 3339 timestamp with an offset, or outside 0001-01-01 … 9999-12-31.
    case invalidTimestamp = "request-invalid-timestamp"
    /// Not a plain decimal numeral (`"129.99"`), or more than 38 digits.
    case invalidDecimal = "request-invalid-decimal"
    /// Not a CEL duration (`"30m"`, `"720h"`, `"1.5s"`).
    case invalidDuration = "request-invalid-duration"
    /// An int, decimal or timestamp outside the range its schema field declares
    /// (`minimum` / `maximum`): a negative `order.total`, a timestamp in year 9999.
    case outOfRange = "request-out-of-range"
    /// The request has more bytes than `RequestLimits.maxBytes`.
    case tooLarge = "request-too-large"
    /// Objects and arrays nest deeper than `RequestLimits.maxDepth`.
    case tooDeep = "request-too-deep"
    /// An array has more elements than `RequestLimits.maxListLength`.
    case listTooLong = "request-list-too-long"
    /// The request carries a list the policy set takes from Rescind's history store
    /// (`history.request_lists: refuse`).
    case historyRefused = "request-history-refused"

    public var description: String { rawValue }
}

/// One problem with a request: where it is and what is wrong.
///
/// `message` and `help` are English; `message(in:)` and `help(in:)` give them in another
/// of `Diagnostic.Locale`'s languages. The decoder's own errors are written in each,
/// rendered only when asked for (a rejected request pays for the English alone); an
/// error made with `init` is English in every locale.
public struct RequestFieldError: Sendable, Hashable, CustomStringConvertible {
    public let code: RequestErrorCode
    /// Lowercase, with user input and field paths in backticks:
    /// "`order.status` must be one of `pending_payment`, `paid`, … or `cancelled`; found `shiped`".
    public let message: String
    /// A did-you-mean or a hint on the expected form, when there is one.
    public let help: String?
    /// The JSONPath of the offending field: `$.order.status`,
    /// `$.buyer_history.cancellations[2].at`; `$` for the request as a whole.
    public let path: String
    /// The byte offset in the request where the problem was found: the offending value
    /// or key, the enclosing object's `{` for a missing field, the bad byte for invalid JSON.
    public let offset: Int
    /// What the decoder found, to word it in another language; nil for an error made
    /// with `init`.
    private let origin: RequestErrorOrigin?

    public init(code: RequestErrorCode, message: String, help: String? = nil, path: String, offset: Int) {
        self.init(code: code, message: message, help: help, path: path, offset: offset, origin: nil)
    }

    init(code: RequestErrorCode, message: String, help: String?, path: String, offset: Int, origin: RequestErrorOrigin?) {
        self.code = code
        self.message = message
        self.help = help
        self.path = path
        self.offset = offset
        self.origin = origin
    }

    /// The message in `locale`.
    public func message(in locale: Diagnostic.Locale) -> String {
        guard locale != .en, let origin else { return message }
        return render(origin.problem, path: origin.path, in: locale).message
    }

    /// The help in `locale`, when there is one.
    public func help(in locale: Diagnostic.Locale) -> String? {
        guard locale != .en, let origin else { return help }
        return render(origin.problem, path: origin.path, in: locale).help
    }

    // Equal when they say the same thing at the same place, as before they could be
    // worded in other languages.
    public static func == (lhs: RequestFieldError, rhs: RequestFieldError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.help == rhs.help && lhs.path == rhs.path
            && lhs.offset == rhs.offset
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(help)
        hasher.combine(path)
        hasher.combine(offset)
    }

    /// `error[request-invalid-enum] at $.order.status (byte 42): … (help: …)`.
    public var description: String {
        var text = "error[\(code)] at \(path) (byte \(offset)): \(message)"
        if let help { text += " (help: \(help))" }
        return text
    }
}

/// A rejected request: every problem found, in the order the decoder met them (at most
/// `RequestLimits.maxErrors`). The first one's properties are forwarded for callers that
/// report a single error.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, never empty.
    public let errors: [RequestFieldError]
    /// Whether decoding stopped at `RequestLimits.maxErrors` with more input unread.
    public let truncated: Bool

    public init(errors: [RequestFieldError], truncated: Bool = false) {
        precondition(!errors.isEmpty, "a RequestError needs at least one error")
        self.errors = errors
        self.truncated = truncated
    }

    public var first: RequestFieldError { errors[0] }
    public var code: RequestErrorCode { first.code }
    public var message: String { first.message }
    public var help: String? { first.help }
    public var path: String { first.path }
    public var offset: Int { first.offset }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

// MARK: - Building errors

/// One step of a path into the request.
enum PathComponent: Sendable, Equatable {
    case field(String)
    case index(Int)
}

/// What went wrong, without the path: the message is rendered once the decoder has
/// unwound to the root and the full path is known (the decoder records errors where they
/// happen and each enclosing level appends its component, so the happy path never builds
/// paths at all).
enum RequestProblem: Sendable {
    case invalidJSON(String)
    case missingField
    case requiredNull
    case unknownField(candidates: [String])
    case duplicateField
    case typeMismatch(expected: String, found: String)
    case integerOutOfRange(found: String, unsigned: Bool)
    case invalidEnum(values: [String], found: String)
    case invalidTimestamp(found: String, lacksOffset: Bool)
    case invalidDecimal(found: String)
    case invalidDuration(found: String)
    /// `found` is already quoted for display (`quoteUserText`).
    case outOfRange(range: FieldBounds, belowMinimum: Bool, isTimestamp: Bool, found: String)
    case unsupportedType(String)
    case tooLarge(size: Int, limit: Int)
    case tooDeep(limit: Int)
    case listTooLong(limit: Int)

    var code: RequestErrorCode {
        switch self {
        case .invalidJSON: .invalidJSON
        case .missingField, .requiredNull: .missingField
        case .unknownField: .unknownField
        case .duplicateField: .duplicateField
        case .typeMismatch, .integerOutOfRange, .unsupportedType: .typeMismatch
        case .invalidEnum: .invalidEnum
        case .invalidTimestamp: .invalidTimestamp
        case .invalidDecimal: .invalidDecimal
        case .invalidDuration: .invalidDuration
        case .outOfRange: .outOfRange
        case .tooLarge: .tooLarge
        case .tooDeep: .tooDeep
        case .listTooLong: .listTooLong
        }
    }
}

/// An error recorded during decoding whose path is still being completed.
struct PendingError {
    var problem: RequestProblem
    /// Innermost component first; reversed when rendering.
    var reversedPath: [PathComponent]
    var offset: Int

    func rendered() -> RequestFieldError {
        let path = Array(reversedPath.reversed())
        let (message, help) = render(problem, path: path, in: .en)
        return RequestFieldError(
            code: problem.code, message: message, help: help, path: jsonPath(path), offset: offset,
            origin: RequestErrorOrigin(problem: problem, path: path))
    }
}

/// What a decoder error was made from, to word it in any locale.
struct RequestErrorOrigin: Sendable {
    let problem: RequestProblem
    let path: [PathComponent]
}

/// The message and help of a problem in `locale`; only the asked-for one is built.
private func render(
    _ problem: RequestProblem, path: [PathComponent], in locale: Diagnostic.Locale
) -> (message: String, help: String?) {
    let (message, help) = words(problem, path: path, in: locale)
    guard locale == .zhCN else { return (message, help) }
    // Chinese is written without spaces; inline code gets them, as everywhere.
    return (DiagnosticText.en(message, zh: message).zh, help.map { DiagnosticText.en($0, zh: $0).zh })
}

/// Each problem's English and Chinese side by side, so they say the same thing.
private func words(
    _ problem: RequestProblem, path: [PathComponent], in locale: Diagnostic.Locale
) -> (message: String, help: String?) {
    let zh = locale == .zhCN
    let field = "`\(displayPath(path))`"
    let subject = path.isEmpty ? (zh ? "请求" : "the request") : field
    switch problem {
    case .invalidJSON(let detail):
        return zh ? ("JSON 无效：\(RequestWords.chinese(detail: detail))", nil) : ("invalid JSON: \(detail)", nil)
    case .missingField:
        return zh ? ("缺少必填字段\(field)", nil) : ("missing required field \(field)", nil)
    case .requiredNull:
        return zh ? ("\(field)为必填；实际是 `null`", nil) : ("\(field) is required; found `null`", nil)
    case .unknownField(let candidates):
        let name = path.last.map(componentName) ?? ""
        let parent = path.dropLast()
        let parentText = displayPath(Array(parent))
        var help = Suggestions.didYouMean(name, in: candidates)?.text(in: locale)
        if help == nil, !candidates.isEmpty, candidates.count <= 12 {
            help = zh ? "应为 \(quotedList(candidates, zh: true)) 之一" : "expected one of \(quotedList(candidates))"
        }
        if zh {
            return ((parent.isEmpty ? "" : "`\(parentText)`中") + "有未知字段`\(quoteUserText(name))`", help)
        }
        return ("unknown field `\(quoteUserText(name))`" + (parent.isEmpty ? "" : " in `\(parentText)`"), help)
    case .duplicateField:
        return zh ? ("\(field)出现了不止一次", nil) : ("\(field) appears more than once", nil)
    case .typeMismatch(let expected, let found):
        return zh
            ? ("\(subject)应为\(RequestWords.chinese(expected: expected))；实际是\(RequestWords.chinese(found: found))", nil)
            : ("\(subject) must be \(expected); found \(found)", nil)
    case .integerOutOfRange(let found, let unsigned):
        let (low, high) = unsigned ? ("0", "\(UInt64.max)") : ("\(Int64.min)", "\(Int64.max)")
        return zh
            ? ("\(subject)应为 \(low) 到 \(high) 之间的整数；实际是 `\(found)`", nil)
            : ("\(subject) must be an integer between \(low) and \(high); found `\(found)`", nil)
    case .invalidEnum(let values, let found):
        let help = Suggestions.didYouMean(found, in: values)?.text(in: locale)
        return zh
            ? ("\(subject)应为 \(quotedList(values, zh: true)) 之一；实际是 `\(quoteUserText(found))`", help)
            : ("\(subject) must be one of \(quotedList(values)); found `\(quoteUserText(found))`", help)
    case .invalidTimestamp(let found, let lacksOffset):
        if zh {
            return (
                "\(subject)应为带时区偏移的 RFC 3339 时间戳，例如 `2026-11-27T10:00:00+08:00`；实际是 `\(quoteUserText(found))`",
                lacksOffset ? "请加上 `Z` 表示 UTC，或加上 `+08:00` 这样的偏移" : nil
            )
        }
        return (
            "\(subject) must be an RFC 3339 timestamp with an offset, such as `2026-11-27T10:00:00+08:00`; found `\(quoteUserText(found))`",
            lacksOffset ? "add `Z` for UTC or an offset such as `+08:00`" : nil
        )
    case .invalidDecimal(let found):
        if zh {
            return (
                "\(subject)应为十进制数，例如 `\"129.99\"`（数字，可带正负号和小数点，最多 38 位数字）；实际是 `\(quoteUserText(found))`",
                nil
            )
        }
        return (
            "\(subject) must be a decimal such as `\"129.99\"` (digits, an optional sign and point, at most 38 digits); found `\(quoteUserText(found))`",
            nil
        )
    case .invalidDuration(let found):
        if zh {
            return (
                "\(subject)应为时长，例如 `30m`、`720h` 或 `1.5s`；实际是 `\(quoteUserText(found))`",
                "单位有 `h`、`m`、`s`、`ms`、`us` 和 `ns`"
            )
        }
        return (
            "\(subject) must be a duration such as `30m`, `720h` or `1.5s`; found `\(quoteUserText(found))`",
            "units are `h`, `m`, `s`, `ms`, `us` and `ns`"
        )
    case .outOfRange(let range, let belowMinimum, let isTimestamp, let found):
        let bound = belowMinimum ? range.minimum : range.maximum
        let limit = bound.map { "`\(FieldBounds.text(of: $0))`" } ?? ""
        // With both bounds, the other one helps the sender see the whole range.
        let bothBounds = range.minimum != nil && range.maximum != nil
        if zh {
            let relation = switch (belowMinimum, isTimestamp) {
            case (true, false): "不小于"
            case (false, false): "不大于"
            case (true, true): "不早于"
            case (false, true): "不晚于"
            }
            return ("\(subject)应\(relation) \(limit)；实际是 `\(found)`", bothBounds ? "schema 允许的取值为 \(range.chineseText)（含边界）" : nil)
        }
        let relation = switch (belowMinimum, isTimestamp) {
        case (true, false): "at least"
        case (false, false): "at most"
        case (true, true): "no earlier than"
        case (false, true): "no later than"
        }
        return (
            "\(subject) must be \(relation) \(limit); found `\(found)`",
            bothBounds ? "the schema allows values \(range.text), inclusive" : nil
        )
    case .unsupportedType(let type):
        return zh
            ? ("\(subject)的类型为 `\(type)`，JSON 请求无法携带这种类型", nil)
            : ("\(subject) has type `\(type)`, which a JSON request cannot carry", nil)
    case .tooLarge(let size, let limit):
        return zh
            ? ("请求大小为 \(size) 字节，上限为 \(limit) 字节", nil) : ("the request is \(size) bytes; the limit is \(limit)", nil)
    case .tooDeep(let limit):
        return zh
            ? ("\(subject)中对象和数组的嵌套超过 \(limit) 层", nil)
            : ("\(subject) nests objects and arrays deeper than \(limit) levels", nil)
    case .listTooLong(let limit):
        return zh ? ("\(subject)的元素超过 \(limit) 个", nil) : ("\(subject) has more than \(limit) elements", nil)
    }
}

/// The decoder's English phrases (what a value should be, what was found, why the JSON
/// is not JSON) in Chinese, for `render`. The parser words them once, in English, on the
/// path that rejects a request; these are looked up only when Chinese is asked for. A
/// phrase not listed here is shown as written, in parentheses after a Chinese lead-in.
enum RequestWords {
    static func chinese(expected: String) -> String {
        switch expected {
        case "a string": return "字符串"
        case "a boolean": return "布尔值"
        case "an integer": return "整数"
        case "a non-negative integer": return "非负整数"
        case "a number": return "数字"
        case "a decimal such as `\"129.99\"`": return "十进制数，例如 `\"129.99\"`"
        case "an RFC 3339 timestamp string such as `\"2026-11-27T10:00:00+08:00\"`":
            return "RFC 3339 时间戳字符串，例如 `\"2026-11-27T10:00:00+08:00\"`"
        case "a duration string such as `\"30m\"`": return "时长字符串，例如 `\"30m\"`"
        case "a JSON value": return "JSON 值"
        case "an object": return "对象"
        case "an array": return "数组"
        case "a JSON object": return "JSON 对象"
        default:
            if expected.hasPrefix("one of ") {
                return String(expected.dropFirst("one of ".count)).replacingOccurrences(", ", with: "、")
                    .replacingOccurrences(" or ", with: " 或 ") + " 之一"
            }
            if expected.hasPrefix("a `"), expected.hasSuffix("`") { return "\(expected.dropFirst(2)) 类型的值" }
            return "（\(expected)）"
        }
    }

    static func chinese(found: String) -> String {
        switch found {
        case "an object": "对象"
        case "an array": "数组"
        default: found
        }
    }

    static func chinese(detail: String) -> String {
        switch detail {
        case "the request is empty": return "请求是空的"
        case "unterminated string": return "字符串没有结束"
        case "invalid UTF-8": return "不是有效的 UTF-8"
        case "a number must not have leading zeros": return "数字不能以 0 开头"
        case "a `\\u` escape needs four hex digits": return "`\\u` 转义需要四位十六进制数字"
        default: break
        }
        if detail.hasPrefix("expected "), let comma = detail.range(of: ", found ") {
            let expected = String(detail[detail.index(detail.startIndex, offsetBy: 9)..<comma.lowerBound])
            return "此处应为\(chinese(syntax: expected))，实际是\(chinese(byte: String(detail[comma.upperBound...])))"
        }
        if detail.hasPrefix("unexpected "), detail.hasSuffix(" after the request object") {
            let byte = detail.dropFirst("unexpected ".count).dropLast(" after the request object".count)
            return "请求对象之后出现了意外的\(chinese(byte: String(byte)))"
        }
        if detail.hasPrefix("unexpected ") { return "意外的\(chinese(byte: String(detail.dropFirst("unexpected ".count))))" }
        if detail.hasPrefix("control character "), let end = detail.range(of: " in a string") {
            let code = detail[detail.index(detail.startIndex, offsetBy: 18)..<end.lowerBound]
            return "字符串中有控制字符 \(code)；请用转义写出"
        }
        if detail.hasPrefix("unpaired surrogate "), let end = detail.range(of: " in a string") {
            return "字符串中有未配对的代理项 " + detail[detail.index(detail.startIndex, offsetBy: 19)..<end.lowerBound]
        }
        if detail.hasPrefix("invalid escape "), let end = detail.range(of: " in a string") {
            return "字符串中有无效的转义 " + detail[detail.index(detail.startIndex, offsetBy: 15)..<end.lowerBound]
        }
        return "（\(detail)）"
    }

    private static func chinese(syntax expected: String) -> String {
        switch expected {
        case "`,` or `}`": "`,` 或 `}`"
        case "`,` or `]`": "`,` 或 `]`"
        case "a field name in double quotes": "用双引号括起的字段名"
        case "`:` after the field name": "字段名之后的 `:`"
        case "a value": "一个值"
        case "a digit": "数字"
        case "a digit after the decimal point": "小数点后的数字"
        case "a digit in the exponent": "指数部分的数字"
        default: "（\(expected)）"
        }
    }

    private static func chinese(byte: String) -> String {
        if byte == "end of input" { return "输入的结尾" }
        if byte.hasPrefix("byte ") { return "字节 " + byte.dropFirst(5) }
        return byte
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

private func componentName(_ component: PathComponent) -> String {
    switch component {
    case .field(let name): name
    case .index(let index): "[\(index)]"
    }
}

/// Whether a key can be written after a dot in a path (`order.status`) rather than in
/// brackets (`['first name']`).
private func isPlainIdentifier(_ name: String) -> Bool {
    guard let first = name.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
    return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
}

private func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

private func bracketed(_ name: String) -> String {
    var out = "['"
    for scalar in name.unicodeScalars {
        switch scalar {
        case "'": out += "\\'"
        case "\\": out += "\\\\"
        default: out += quoteUserText(String(scalar))
        }
    }
    return out + "']"
}

/// `$.order.status`, `$.buyer_history.cancellations[2].at`, `$['odd key']`.
func jsonPath(_ path: [PathComponent]) -> String {
    var out = "$"
    for component in path {
        switch component {
        case .field(let name): out += isPlainIdentifier(name) ? ".\(name)" : bracketed(name)
        case .index(let index): out += "[\(index)]"
        }
    }
    return out
}

/// The path as messages show it, without the `$.`: `buyer_history.cancellations[0].initiator`.
func displayPath(_ path: [PathComponent]) -> String {
    var out = ""
    for component in path {
        switch component {
        case .field(let name):
            if isPlainIdentifier(name) {
                if !out.isEmpty { out += "." }
                out += name
            } else {
                out += bracketed(name)
            }
        case .index(let index): out += "[\(index)]"
        }
    }
    return out
}

/// User text made safe to show inside backticks on one line: control characters are
/// escaped and long text is cut (a hostile request must not flood logs).
func quoteUserText(_ text: String, limit: Int = 64) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out += "…"
            break
        }
        count += 1
        switch scalar.value {
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x09: out += "\\t"
        case 0..<0x20, 0x7F, 0x2028, 0x2029:
            out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// "`a`, `b` or `c`"; in Chinese "`a`、`b` 或 `c`".
func quotedList(_ names: [String], zh: Bool = false) -> String {
    let quoted = names.map { "`\($0)`" }
    guard quoted.count > 1 else { return quoted.first ?? "" }
    return zh
        ? quoted.dropLast().joined(separator: "、") + " 或 " + quoted.last!
        : quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
}
