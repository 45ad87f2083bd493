import Foundation
import Rescind
import RescindJSON
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
    /// The events Rescind's history store supplied into the request before it was
    /// decided (issue 14); nil when the store supplied none (no `history:`, no store, or
    /// the request carried its own list). Logged so replay decides without the store.
    var history: [HistoryItem]? = nil
    /// The entry's place in the log, given by the writer when it accepts the entry.
    var seq = 0
    /// The request whose answer waits for this entry to be written (durability `write`
    /// or `fsync`); nil in `async` mode and for rejected requests.
    var waiter: DecisionLogWaiter?

    enum Outcome: Sendable {
        /// The decision's JSON as answered (a trailing newline and `explanation` are
        /// dropped when the line is encoded).
        case decision([UInt8])
        /// A rejected request: its error, `{"code","message","path"…}` (the object
        /// inside `RequestError.errorObject`, as `errorObject(_:)` writes it), and the
        /// whole body's size and SHA-256; `request` holds its prefix.
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
    /// `policy`, `latency_us`, `request_bytes`, `request_sha256`, `truncated`, `history`,
    /// `request`, `decision`, `error`: the same keys on every line, null where there is
    /// nothing (`history` is null unless the store supplied events).
    func line(bootID: String) -> [UInt8]? {
        let outcome: DecisionLogFormat.Outcome
        switch self.outcome {
        case .decision(let bytes):
            var request = self.request
            if !requestCompacted {
                guard let compacted = compactJSONObject(self.request) else { return nil }
                request = compacted.bytes
            }
            var decision = bytes
            if let member = JSONCompaction.topLevelMember(named: "explanation", in: bytes) {
                decision.removeSubrange(member)
            }
            outcome = .decision(request: request, requestBytes: self.request.count, decision: decision)
        case .rejected(let error, let size, let digest):
            outcome = .rejected(
                requestPrefix: request, requestBytes: size, sha256: digest, truncated: size > request.count,
                error: Array(error.utf8))
        }
        let entry = DecisionLogFormat.Entry(
            seq: seq, bootID: bootID, decisionID: (decisionID ?? UUID()).uuidString.lowercased(), loggedAt: loggedAt.rfc3339,
            policy: Array(identityJSON(policySet).utf8), latencyMicroseconds: latencyMicroseconds, outcome: outcome,
            history: history.map(Self.historyJSON))
        return DecisionLogFormat.line(entry)
    }

    /// A line's `history`: the store's events as the request's list held them, in their
    /// order, `[{"order_id","at","initiator","reason"}…]`, `at` in RFC 3339 in UTC with
    /// the timestamp's own precision (0, 3, 6 or 9 fraction digits, as CEL shows it), so
    /// replay supplies the very same list (docs/decision-log.md).
    static func historyJSON(_ items: [HistoryItem]) -> [UInt8] {
        JSONWriter.bytes(capacity: 16 + items.count * 128) { out in
            out.array { out in
                for item in items {
                    out.element()
                    out.object { out in
                        out.member("order_id", string: item.orderID)
                        out.key("at")
                        out.time(seconds: item.at.seconds, nanoseconds: item.at.nanos, fraction: .shortest)
                        out.member("initiator", string: item.initiator)
                        out.member("reason", string: item.reason)
                    }
                }
            }
        }
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

    /// A line's `error`: the object inside `RequestError.errorObject`, shortened when a
    /// message or path quotes much of the request (a long unknown key): the entry must
    /// stay small whatever was sent.
    static func errorObject(_ error: RequestError) -> String {
        let object = JSONWriter.text { error.writeError(line: nil, into: &$0) }
        // The bound is on the whole `{"error":…}` object, as it was first written.
        guard object.utf8.count + #"{"error":}"#.utf8.count > maxErrorBytes else { return object }
        func cut(_ text: String, _ characters: Int) -> String {
            text.count > characters ? String(text.prefix(characters)) + "…" : text
        }
        return JSONWriter.text(capacity: 2048) { out in
            out.object { out in
                out.member("code", string: error.code.rawValue)
                out.member("message", string: cut(error.message, 400))
                out.member("path", string: cut(error.path, 200))
            }
        }
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
package struct DecisionLogSampler: Sendable, Equatable {
    /// The fraction kept, 0…1.
    package let rate: Double

    /// A sampler keeping `rate` of the keys (all from 1, none at 0).
    package init(rate: Double) { self.rate = rate }

    /// Whether the entry keyed `key` is logged.
    package func keeps(_ key: String) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        return Double(Self.hash(key) >> 11) * 0x1p-53 < rate
    }

    /// FNV-1a 64, then SplitMix64's finalizer; stable across processes and platforms
    /// (unlike `Hasher`, which is seeded per process).
    package static func hash(_ key: String) -> UInt64 {
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

/// `JSONCompaction.compactObject`: one JSON object without the whitespace between its
/// tokens, and its top-level string `id`.
func compactJSONObject(_ bytes: UnsafeRawBufferPointer) -> (bytes: [UInt8], id: String?)? {
    JSONCompaction.compactObject(bytes)
}

/// `JSONCompaction.compactObject` over an array.
func compactJSONObject(_ bytes: [UInt8]) -> (bytes: [UInt8], id: String?)? {
    JSONCompaction.compactObject(bytes)
}

/// `JSONCompaction.topLevelMember`: the bytes of a top-level member with its comma.
func topLevelMember(named name: String, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
    JSONCompaction.topLevelMember(named: name, in: bytes)
}
