import Rescind
import RescindJSON
import CEL
import CELRuntime
import RescindEngine

/// A decision-log entry's `history` (docs/decision-log.md): the events Rescind's history
/// store supplied into the request before it was decided, which replay supplies again so
/// that it decides without the store, exactly as the service did.
///
/// Read strictly: a member that is not exactly an array of `{"order_id", "at",
/// "initiator", "reason"}` objects (strings; `at` an RFC 3339 timestamp) makes the line a
/// bad line, located by its line number and the member's JSON path in the line
/// (`$.history[2].at`): a log that cannot be replayed as it was decided must not be
/// replayed another way.
enum LoggedHistory {
    /// The members of a history item, in the order the service writes them.
    static let fields = ["order_id", "at", "initiator", "reason"]

    /// The events in `member`, the `history` member's value (not `null`) in `line`.
    static func items(in line: UnsafeRawBufferPointer, member: Range<Int>) -> Result<[HistoryItem], RequestError> {
        var scanner = JSONScanner(line, at: member.lowerBound)
        func failure(_ code: RequestErrorCode, _ message: String, path: String, at offset: Int, help: String? = nil)
            -> Result<[HistoryItem], RequestError>
        {
            let error = RequestFieldError(code: code, message: message, help: help, path: path, offset: offset)
            return .failure(RequestError(errors: [error]))
        }
        guard scanner.consume(UInt8(ascii: "[")) else {
            let found = kind(line, at: member.lowerBound)
            return failure(
                .typeMismatch, "`history` must be an array of the events the history store supplied, or null; found \(found)",
                path: "$.history", at: member.lowerBound)
        }
        var items: [HistoryItem] = []
        scanner.skipSpace()
        if scanner.consume(UInt8(ascii: "]")) { return .success(items) }
        while true {
            let index = items.count
            let path = "$.history[\(index)]"
            scanner.skipSpace()
            guard index < RequestLimits.default.maxListLength else {
                return failure(
                    .listTooLong, "`history` has more than \(RequestLimits.default.maxListLength) events", path: "$.history",
                    at: member.lowerBound)
            }
            let itemStart = scanner.index
            guard scanner.consume(UInt8(ascii: "{")) else {
                return failure(
                    .typeMismatch, "a history event must be an object; found \(kind(line, at: itemStart))", path: path,
                    at: itemStart)
            }
            var values: [String?] = [nil, nil, nil, nil]
            var offsets = [Int](repeating: itemStart, count: 4)
            scanner.skipSpace()
            if !scanner.consume(UInt8(ascii: "}")) {
                while true {
                    scanner.skipSpace()
                    let keyStart = scanner.index
                    guard let keyRange = scanner.string(.strict), let key = scanner.unescaped(keyRange) else {
                        return failure(.invalidJSON, "invalid JSON: expected a member name", path: path, at: keyStart)
                    }
                    guard let field = fields.firstIndex(of: key) else {
                        return failure(
                            .unknownField, "unknown field `\(key)` in a history event", path: "\(path).\(key)", at: keyStart,
                            help: "a history event has `order_id`, `at`, `initiator` and `reason`")
                    }
                    guard values[field] == nil else {
                        return failure(.duplicateField, "`\(key)` appears twice", path: "\(path).\(key)", at: keyStart)
                    }
                    scanner.skipSpace()
                    guard scanner.consume(UInt8(ascii: ":")) else {
                        return failure(.invalidJSON, "invalid JSON: expected `:`", path: "\(path).\(key)", at: scanner.index)
                    }
                    scanner.skipSpace()
                    let valueStart = scanner.index
                    guard let valueRange = scanner.string(.strict), let value = scanner.unescaped(valueRange) else {
                        return failure(
                            .typeMismatch, "`\(key)` must be a string; found \(kind(line, at: valueStart))",
                            path: "\(path).\(key)", at: valueStart)
                    }
                    values[field] = value
                    offsets[field] = valueStart
                    scanner.skipSpace()
                    if scanner.consume(UInt8(ascii: ",")) { continue }
                    guard scanner.consume(UInt8(ascii: "}")) else {
                        return failure(.invalidJSON, "invalid JSON: expected `,` or `}`", path: path, at: scanner.index)
                    }
                    break
                }
            }
            for (field, name) in fields.enumerated() where values[field] == nil {
                return failure(.missingField, "a history event needs `\(name)`", path: "\(path).\(name)", at: itemStart)
            }
            guard let at = CELTimestamp(rfc3339: values[1]!) else {
                return failure(
                    .invalidTimestamp, "`at` must be an RFC 3339 timestamp; found `\(values[1]!)`", path: "\(path).at",
                    at: offsets[1], help: "as the service writes it: `2026-11-25T04:00:00Z`")
            }
            items.append(HistoryItem(orderID: values[0]!, at: at, initiator: values[2]!, reason: values[3]!))
            scanner.skipSpace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            guard scanner.consume(UInt8(ascii: "]")) else {
                return failure(.invalidJSON, "invalid JSON: expected `,` or `]`", path: "$.history", at: scanner.index)
            }
            return .success(items)
        }
    }

    /// What kind of JSON value starts at `offset`, for messages: "`42`", "an object".
    private static func kind(_ line: UnsafeRawBufferPointer, at offset: Int) -> String {
        guard offset < line.count else { return "the end of the line" }
        switch line[offset] {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        default:
            var end = offset
            let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")]
            while end < line.count, end - offset < 24, !delimiters.contains(line[end]) { end += 1 }
            return "`\(String(decoding: line[offset..<end], as: UTF8.self))`"
        }
    }
}

/// Which side of a replay takes a logged `history`, and why not.
///
/// The events went into the list of the set that decided (the baseline, when the log is
/// replayed against the policies in force): the baseline takes them when it has a
/// `history:` section. The candidate takes them when its `history:` names the same list
/// (or the baseline has none, and it has one): then the events go where they went when
/// the service decided. A candidate without `history:`, or with another list, decides
/// the request as logged, without them, and the report counts the entries for which
/// that happened (`history.not_supplied`): its decisions may differ for that reason
/// alone.
struct HistoryTaking: Sendable {
    let baseline: Bool
    let candidate: Bool

    init(baseline: PolicySet, candidate: PolicySet) {
        let list = baseline.history?.list
        self.baseline = list != nil
        if let theirs = candidate.history?.list {
            self.candidate = list == nil || theirs == list
        } else {
            self.candidate = false
        }
    }
}

extension PolicySet {
    /// Decides a decoded request as the service did: with the logged `history` supplied
    /// into its list (`.store(events:)`) when this side takes it, else as it is.
    func decide(_ request: ObjectValue, history: [HistoryItem]?, takes: Bool, options: DecisionOptions) -> Decision {
        guard let history, takes else { return decide(request, options: options) }
        return decide(
            supplying(history, to: request), history: .store(events: history.count), locale: options.locale,
            explain: options.explain, costBudget: options.costBudget)
    }
}
