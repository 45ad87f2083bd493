import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// One decision (or rejected request) on its way to the decision log: what the request
/// path captured, cheaply; the line (docs/decision-log.md) is encoded by the writer, off
/// the request path.
struct DecisionLogEntry: Sendable {
    /// Nil until the line is encoded (a UUID is drawn then), unless sampling needed it.
    let decisionID: UUID?
    let loggedAt: WallClock
    /// The set that decided (or whose schema rejected the request).
    let policySet: PolicySet
    let latencyMicroseconds: Int
    /// A decision's request as the client sent it (or already compacted); a rejected
    /// request's first bytes only (`Outcome.rejected` has its size and digest).
    let request: [UInt8]
    let requestCompacted: Bool
    let outcome: Outcome
    /// The entry's place in the log, given by the writer when it accepts the entry.
    var seq = 0
    /// The request whose answer waits for this entry to be written (durability `write`
    /// or `fsync`); nil in `async` mode and for rejected requests.
    var waiter: DecisionLogWaiter?

    enum Outcome: Sendable {
        /// The decision's JSON as answered (a trailing newline and `explanation` are
        /// dropped when the line is encoded).
        case decision([UInt8])
        /// A rejected request: `{"error":{…}}` (the object `RequestError.errorObject`
        /// writes), and the whole body's size and SHA-256; `request` holds its prefix.
        case rejected(error: String, bytes: Int, sha256: String)
    }

    /// The most bytes of a rejected request the log keeps: enough to see what was sent,
    /// too few for a flood of large bad requests to push decisions out of a rotated log.
    static let rejectedPrefixBytes = 1024
    /// An error object longer than this is shortened (its message and path cut).
    static let maxErrorBytes = 1024

    /// What the entry holds in the buffer, for its byte bound.
    var cost: Int {
        let outcomeBytes = switch outcome {
        case .decision(let bytes): bytes.count
        case .rejected(let error, _, _): error.utf8.count + 64
        }
        return request.count + outcomeBytes + 256
    }

    /// The log line, ending in `\n`; nil when a decision's request is not one JSON object
    /// (it decoded, so it is; the check costs nothing, as compaction reads it anyway).
    /// Members in the documented order: `seq`, `boot_id`, `decision_id`, `logged_at`,
    /// `policy`, `latency_us`, `request_bytes`, `request_sha256`, `truncated`, `request`,
    /// `decision`, `error`: the same keys on every line, null where there is nothing.
    func line(bootID: String) -> [UInt8]? {
        var request = self.request
        if case .decision = outcome, !requestCompacted {
            guard let compacted = self.request.withUnsafeBytes({ compactJSONObject($0) }) else { return nil }
            request = compacted.bytes
        }
        var line: [UInt8] = []
        line.reserveCapacity(request.count + 1024)
        let id = (decisionID ?? UUID()).uuidString.lowercased()
        line.append(contentsOf: "{\"seq\":\(seq),\"boot_id\":\"\(bootID)\",\"decision_id\":\"\(id)\",".utf8)
        line.append(contentsOf: "\"logged_at\":\"\(loggedAt.rfc3339)\",\"policy\":".utf8)
        line.append(contentsOf: identityJSON(policySet).utf8)
        line.append(contentsOf: ",\"latency_us\":\(latencyMicroseconds),".utf8)
        switch outcome {
        case .decision(let bytes):
            line.append(contentsOf: "\"request_bytes\":\(self.request.count),\"request_sha256\":null,\"truncated\":false,".utf8)
            line.append(contentsOf: "\"request\":".utf8)
            line.append(contentsOf: request)
            line.append(contentsOf: ",\"decision\":".utf8)
            bytes.withUnsafeBytes { raw in
                if let member = topLevelMember(named: "explanation", in: raw) {
                    line.append(contentsOf: raw[..<member.lowerBound])
                    line.append(contentsOf: raw[member.upperBound...])
                } else {
                    line.append(contentsOf: raw)
                }
            }
            line.append(contentsOf: ",\"error\":null}\n".utf8)
        case .rejected(let error, let size, let digest):
            line.append(contentsOf: "\"request_bytes\":\(size),\"request_sha256\":\"\(digest)\",".utf8)
            line.append(contentsOf: "\"truncated\":\(size > request.count),\"request\":".utf8)
            // A string, never parsed: the body may not be JSON, or be nested past what
            // JSON tools read (jq 1.6 stops past 256 levels). Invalid UTF-8 becomes U+FFFD;
            // `request_sha256` is of the bytes as sent.
            line.append(contentsOf: jsonString(String(decoding: request, as: UTF8.self)).utf8)
            // `{"error":{…}}` → `,"error":{…}`: the member without the braces around it.
            line.append(contentsOf: ",\"decision\":null,".utf8)
            line.append(contentsOf: error.utf8.dropFirst().dropLast())
            line.append(contentsOf: "}\n".utf8)
        }
        return line
    }

    /// The first bytes of `body` whose JSON string takes at most `rejectedPrefixBytes`
    /// (a quote or a control character takes 2 to 6 bytes escaped, so a body of them
    /// keeps fewer), cut before a character rather than in one, so the prefix is valid
    /// UTF-8 whenever the body is. (Invalid UTF-8 becomes U+FFFD, 3 bytes: such a body
    /// can take 3 KiB.)
    static func prefix(of body: UnsafeRawBufferPointer) -> [UInt8] {
        var end = 0, escaped = 0
        while end < body.count {
            let byte = body[end]
            let cost = switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: 2
            case 0..<0x20, 0x7F: 6
            default: 1
            }
            guard escaped + cost <= rejectedPrefixBytes else { break }
            escaped += cost
            end += 1
        }
        guard end < body.count else { return Array(body) }
        // Back over continuation bytes (10xxxxxx) to the start of the character cut.
        let cut = end
        while end > 0, cut - end < 3, body[end] & 0xC0 == 0x80 { end -= 1 }
        if body[end] & 0xC0 == 0x80 { end = cut }  // not UTF-8 there: cut where it was
        return Array(body[..<end])
    }

    /// `RequestError.errorObject`, shortened when a message or path quotes much of the
    /// request (a long unknown key): the entry must stay small whatever was sent.
    static func errorObject(_ error: RequestError) -> String {
        let object = error.errorObject(line: nil)
        guard object.utf8.count > maxErrorBytes else { return object }
        func cut(_ text: String, _ characters: Int) -> String {
            text.count > characters ? String(text.prefix(characters)) + "…" : text
        }
        return "{\"error\":{\"code\":\(jsonString(error.code.rawValue)),\"message\":\(jsonString(cut(error.message, 400))),"
            + "\"path\":\(jsonString(cut(error.path, 200)))}}"
    }
}

// MARK: Sampling

/// Which decisions are logged, when only a fraction are (`--decision-log-sample`).
///
/// The choice is a function of the request's `id`, not a coin toss: a request id is kept
/// or not the same way on every replica, after every restart and on every retry, so a
/// sampled log can be reproduced, compared across instances and joined with other logs
/// that sample by the same rule. The key is hashed (FNV-1a 64 over its UTF-8 bytes, then
/// the SplitMix64 finalizer, since raw FNV leaves sequential ids such as `req-0000001`,
/// `req-0000002` clustered in the high bits) and the entry is kept when
/// `hash / 2^64 < rate`. A request without a usable id is keyed by its decision id.
public struct DecisionLogSampler: Sendable, Equatable {
    /// The fraction kept, 0…1.
    public let rate: Double

    /// A sampler keeping `rate` of the keys (all from 1, none at 0).
    public init(rate: Double) { self.rate = rate }

    /// Whether the entry keyed `key` is logged.
    public func keeps(_ key: String) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        return Double(Self.hash(key) >> 11) * 0x1p-53 < rate
    }

    /// FNV-1a 64, then SplitMix64's finalizer; stable across processes and platforms
    /// (unlike `Hasher`, which is seeded per process).
    public static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}

// MARK: JSON helpers

/// One JSON object (RFC 8259; strings are checked for escapes and control characters,
/// the caller checks UTF-8) copied without the whitespace between its tokens, and its
/// top-level `id` when that is a string without escapes. Nil when the bytes are not
/// exactly one object (surrounding whitespace aside). Iterative, so a deeply nested body
/// cannot exhaust the stack.
func compactJSONObject(_ bytes: UnsafeRawBufferPointer) -> (bytes: [UInt8], id: String?)? {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = 0
    var stack: [UInt8] = []  // `{` or `[` per open container
    var id: String?
    let count = bytes.count

    func skipSpace() {
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }
    /// A string at `index`, copied; its contents' range in `bytes`.
    func string() -> Range<Int>? {
        guard index < count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index
        index += 1
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                output.append(contentsOf: bytes[start..<index])
                return start + 1..<index - 1
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < count else { return nil }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 5 < count, bytes[index + 2...index + 5].allSatisfy(isHexDigit) else { return nil }
                    index += 6
                default: return nil
                }
            } else {
                index += 1
            }
        }
        return nil
    }
    func digits() -> Bool {
        let start = index
        while index < count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }
    func number() -> Bool {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if !digits() {
            return false
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
        }
        output.append(contentsOf: bytes[start..<index])
        return true
    }
    func literal(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard index + length <= count else { return false }
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: length)
        guard expected.elementsEqual(bytes[index..<index + length]) else { return false }
        output.append(contentsOf: expected)
        index += length
        return true
    }
    /// A key and its colon, inside an object; whether it is the top-level `id`.
    func key() -> Bool? {
        skipSpace()
        guard let range = string() else { return nil }
        skipSpace()
        guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
        output.append(UInt8(ascii: ":"))
        index += 1
        return stack.count == 1 && range.count == 2 && bytes[range.lowerBound] == UInt8(ascii: "i")
            && bytes[range.lowerBound + 1] == UInt8(ascii: "d")
    }

    skipSpace()
    guard index < count, bytes[index] == UInt8(ascii: "{") else { return nil }
    var valueIsID = false
    // Alternates between reading a value and what follows one (`,`, or a closing bracket).
    value: while true {
        skipSpace()
        guard index < count else { return nil }
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            output.append(byte)
            stack.append(byte)
            index += 1
            skipSpace()
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            if index < count, bytes[index] == close {
                output.append(close)
                index += 1
                stack.removeLast()
            } else {
                if byte == UInt8(ascii: "{") {
                    guard let isID = key() else { return nil }
                    valueIsID = isID
                }
                continue value
            }
        case UInt8(ascii: "\""):
            guard let range = string() else { return nil }
            if valueIsID, !bytes[range].contains(UInt8(ascii: "\\")) {
                id = String(decoding: bytes[range], as: UTF8.self)
            }
        case UInt8(ascii: "t"): guard literal("true") else { return nil }
        case UInt8(ascii: "f"): guard literal("false") else { return nil }
        case UInt8(ascii: "n"): guard literal("null") else { return nil }
        default: guard byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")), number() else {
            return nil
        }
        }
        valueIsID = false
        // After a value: close containers, or go on to the next member or element.
        while true {
            skipSpace()
            guard let open = stack.last else {
                return index == count ? (output, id) : nil
            }
            guard index < count else { return nil }
            let next = bytes[index]
            index += 1
            if next == UInt8(ascii: ",") {
                output.append(next)
                if open == UInt8(ascii: "{") {
                    guard let isID = key() else { return nil }
                    valueIsID = isID
                }
                continue value
            }
            guard next == (open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
            output.append(next)
            stack.removeLast()
        }
    }
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
}

/// The bytes of the top-level member `name` of a compact JSON object, with the comma
/// before it (or after it, when it is the first), so removing them leaves valid JSON.
/// Only depth-1 keys count: an obligation field or a request value named `explanation`
/// deeper in the decision is left alone. Nil when there is no such member.
func topLevelMember(named name: String, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
    let key = Array("\"\(name)\":".utf8)
    var depth = 0, index = 0, inString = false
    // The member being read at depth 1: where it starts, and the comma before it.
    var memberStart = 0
    var commaBefore: Int?
    while index < bytes.count {
        let byte = bytes[index]
        if inString {
            if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            index += 1
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            if depth == 1 { memberStart = index + 1 }
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"):
            if depth == 1 {
                // The member from `memberStart` ends here.
                if memberStart + key.count <= index, bytes[memberStart..<memberStart + key.count].elementsEqual(key) {
                    if let commaBefore { return commaBefore..<index }
                    return byte == UInt8(ascii: ",") ? memberStart..<index + 1 : memberStart..<index
                }
                commaBefore = index
                memberStart = index + 1
            }
            if byte != UInt8(ascii: ",") { depth -= 1 }
        default: break
        }
        index += 1
    }
    return nil
}
