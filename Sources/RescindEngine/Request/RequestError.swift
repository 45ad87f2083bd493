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

    public init(code: RequestErrorCode, message: String, help: String? = nil, path: String, offset: Int) {
        self.code = code
        self.message = message
        self.help = help
        self.path = path
        self.offset = offset
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
        let (message, help) = render(problem, path: path)
        return RequestFieldError(code: problem.code, message: message, help: help, path: jsonPath(path), offset: offset)
    }
}

private func render(_ problem: RequestProblem, path: [PathComponent]) -> (message: String, help: String?) {
    let field = "`\(displayPath(path))`"
    let subject = path.isEmpty ? "the request" : field
    switch problem {
    case .invalidJSON(let detail):
        return ("invalid JSON: \(detail)", nil)
    case .missingField:
        return ("missing required field \(field)", nil)
    case .requiredNull:
        return ("\(field) is required; found `null`", nil)
    case .unknownField(let candidates):
        let name = path.last.map(componentName) ?? ""
        let parent = path.dropLast()
        let location = parent.isEmpty ? "" : " in `\(displayPath(Array(parent)))`"
        var help = Suggestions.didYouMean(name, in: candidates)?.en
        if help == nil, !candidates.isEmpty, candidates.count <= 12 {
            help = "expected one of \(quotedList(candidates))"
        }
        return ("unknown field `\(quoteUserText(name))`\(location)", help)
    case .duplicateField:
        return ("\(field) appears more than once", nil)
    case .typeMismatch(let expected, let found):
        return ("\(subject) must be \(expected); found \(found)", nil)
    case .integerOutOfRange(let found, let unsigned):
        let range = unsigned ? "between 0 and \(UInt64.max)" : "between \(Int64.min) and \(Int64.max)"
        return ("\(subject) must be an integer \(range); found `\(found)`", nil)
    case .invalidEnum(let values, let found):
        let help = Suggestions.didYouMean(found, in: values)?.en
        return ("\(subject) must be one of \(quotedList(values)); found `\(quoteUserText(found))`", help)
    case .invalidTimestamp(let found, let lacksOffset):
        let help = lacksOffset ? "add `Z` for UTC or an offset such as `+08:00`" : nil
        return (
            "\(subject) must be an RFC 3339 timestamp with an offset, such as `2026-11-27T10:00:00+08:00`; found `\(quoteUserText(found))`",
            help
        )
    case .invalidDecimal(let found):
        return (
            "\(subject) must be a decimal such as `\"129.99\"` (digits, an optional sign and point, at most 38 digits); found `\(quoteUserText(found))`",
            nil
        )
    case .invalidDuration(let found):
        return (
            "\(subject) must be a duration such as `30m`, `720h` or `1.5s`; found `\(quoteUserText(found))`",
            "units are `h`, `m`, `s`, `ms`, `us` and `ns`"
        )
    case .outOfRange(let range, let belowMinimum, let isTimestamp, let found):
        let bound = belowMinimum ? range.minimum : range.maximum
        let limit = bound.map { "`\(FieldBounds.text(of: $0))`" } ?? ""
        let relation = switch (belowMinimum, isTimestamp) {
        case (true, false): "at least"
        case (false, false): "at most"
        case (true, true): "no earlier than"
        case (false, true): "no later than"
        }
        // With both bounds, the other one helps the sender see the whole range.
        let help = range.minimum != nil && range.maximum != nil ? "the schema allows values \(range.text), inclusive" : nil
        return ("\(subject) must be \(relation) \(limit); found `\(found)`", help)
    case .unsupportedType(let type):
        return ("\(subject) has type `\(type)`, which a JSON request cannot carry", nil)
    case .tooLarge(let size, let limit):
        return ("the request is \(size) bytes; the limit is \(limit)", nil)
    case .tooDeep(let limit):
        return ("\(subject) nests objects and arrays deeper than \(limit) levels", nil)
    case .listTooLong(let limit):
        return ("\(subject) has more than \(limit) elements", nil)
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

/// "`a`, `b` or `c`".
func quotedList(_ names: [String]) -> String {
    let quoted = names.map { "`\($0)`" }
    guard quoted.count > 1 else { return quoted.first ?? "" }
    return quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
}
