/// The decision log's line format (docs/decision-log.md), written by the server and read
/// by replay: the keys, their order and the bytes between them are fixed here, once, for
/// both sides (replay's quick scan relies on `request` being followed by `,"decision":`).
///
/// One JSON object per line: `seq`, `boot_id`, `decision_id`, `logged_at`, `policy`,
/// `latency_us`, `request_bytes`, `request_sha256`, `truncated`, `history`, `request`,
/// `decision`, `error`, the same keys on every line, `null` where there is nothing.
/// Older logs lack `history` (before issue 14), or also the first two and the
/// `request_`/`truncated` members and have `decision` or `error` only; readers take all.
@usableFromInline package enum DecisionLogFormat {
    /// The members of a line, in the order they are written.
    package static let keys = [
        "seq", "boot_id", "decision_id", "logged_at", "policy", "latency_us", "request_bytes", "request_sha256",
        "truncated", "history", "request", "decision", "error",
    ]

    /// One line's contents.
    package struct Entry: Equatable, Sendable {
        /// The entry's place in its process's log, from 1.
        package var seq: Int
        /// The process that wrote it.
        package var bootID: String
        package var decisionID: String
        /// RFC 3339 in UTC with microseconds (`RFC3339.Fraction.microseconds`).
        package var loggedAt: String
        /// The deciding set's `{"name","version","digest"}` object, JSON.
        package var policy: [UInt8]
        package var latencyMicroseconds: Int
        package var outcome: Outcome
        /// The events the history store supplied into the request before it was decided,
        /// a JSON array of `{"order_id","at","initiator","reason"}` objects (the server
        /// writes it); nil (`null`) when the store supplied none, and for a rejected request.
        package var history: [UInt8]?

        package init(
            seq: Int, bootID: String, decisionID: String, loggedAt: String, policy: [UInt8], latencyMicroseconds: Int,
            outcome: Outcome, history: [UInt8]? = nil
        ) {
            self.seq = seq
            self.bootID = bootID
            self.decisionID = decisionID
            self.loggedAt = loggedAt
            self.policy = policy
            self.latencyMicroseconds = latencyMicroseconds
            self.outcome = outcome
            self.history = history
        }
    }

    /// What a line records.
    package enum Outcome: Equatable, Sendable {
        /// A decision: its request, one compact JSON object (`requestBytes` is the size
        /// the client sent), and the decision's JSON without `explanation`.
        case decision(request: [UInt8], requestBytes: Int, decision: [UInt8])
        /// A rejected request: its first bytes as text (a JSON string in the line, never
        /// parsed), the whole body's size and SHA-256, whether the text is cut, and the
        /// error object (`{"code","message","path"…}`, JSON).
        case rejected(requestPrefix: [UInt8], requestBytes: Int, sha256: String, truncated: Bool, error: [UInt8])
    }

    /// The line for `entry`, ending in `\n`. Fixed keys are literals, as the decision
    /// writer writes them.
    package static func line(_ entry: Entry) -> [UInt8] {
        var line: [UInt8] = []
        let size = switch entry.outcome {
        case .decision(let request, _, let decision): request.count + decision.count
        case .rejected(let prefix, _, _, _, let error): prefix.count * 2 + error.count
        }
        line.reserveCapacity(size + (entry.history?.count ?? 0) + 512)
        JSONWriter.write(appendingTo: &line, stackCapacity: 64) { out in
            out.literal(#"{"seq":"#)
            out.integer(entry.seq)
            out.literal(#","boot_id":"#)
            out.string(entry.bootID)
            out.literal(#","decision_id":"#)
            out.string(entry.decisionID)
            out.literal(#","logged_at":"#)
            out.string(entry.loggedAt)
            out.literal(#","policy":"#)
            out.append(entry.policy)
            out.literal(#","latency_us":"#)
            out.integer(entry.latencyMicroseconds)
            switch entry.outcome {
            case .decision(let request, let requestBytes, let decision):
                out.literal(#","request_bytes":"#)
                out.integer(requestBytes)
                // `history` before `request`: replay's scan stops after `decision`, and
                // finds it on the way (a line without one costs the same bytes as ever).
                if let history = entry.history {
                    out.literal(#","request_sha256":null,"truncated":false,"history":"#)
                    out.append(history)
                    out.literal(#","request":"#)
                } else {
                    out.literal(#","request_sha256":null,"truncated":false,"history":null,"request":"#)
                }
                out.append(request)
                // `request` then `,"decision":`: replay's quick scan looks for this.
                out.literal(#","decision":"#)
                out.append(decision)
                out.literal(#","error":null}"#)
            case .rejected(let prefix, let requestBytes, let sha256, let truncated, let error):
                out.literal(#","request_bytes":"#)
                out.integer(requestBytes)
                out.literal(#","request_sha256":"#)
                out.string(sha256)
                out.literal(#","truncated":"#)
                out.bool(truncated)
                out.literal(#","history":"#)
                if let history = entry.history { out.append(history) } else { out.literal("null") }
                out.literal(#","request":"#)
                // Invalid UTF-8 becomes U+FFFD (`request_sha256` is of the bytes as sent).
                out.string(String(decoding: prefix, as: UTF8.self))
                out.literal(#","decision":null,"error":"#)
                out.append(error)
                out.byte(UInt8(ascii: "}"))
            }
            out.byte(UInt8(ascii: "\n"))
        }
        return line
    }

    // MARK: Reading

    /// What readers need of a line besides the request, found in one pass.
    @usableFromInline package struct Envelope: Sendable {
        /// The request object's bytes, or the request string's (quotes included); nil
        /// when the line is not a log entry.
        @usableFromInline package var request: Range<Int>?
        @usableFromInline package var requestIsString = false
        @usableFromInline package var truncated = false
        @usableFromInline package var seq: Int?
        /// The `boot_id` string's contents.
        @usableFromInline package var bootID: Range<Int>?
        /// The `history` member's value unless it is `null` (the store's events, an
        /// array when the line is well formed; the reader checks it); nil without one.
        @usableFromInline package var history: Range<Int>?
        /// Whether the line has a `history` member (any value): lines written since
        /// issue 14 all do, before `request`, so the scan can stop after `decision`.
        @usableFromInline package var hasHistoryMember = false

        @usableFromInline package init() {}
    }

    /// What follows a request in an entry as written: its closing brace, then the decision.
    @usableFromInline static let requestEnd = Array(#"},"decision":"#.utf8)

    /// The envelope of `line`: a line is a log entry when its object has a `request`
    /// object (a rejected request's: a string) and a `decision` or `error` member.
    /// Only the envelope is scanned; other values are skipped by structure, and the
    /// rest of the line after `request`, `decision`/`error` and `history` is not read.
    /// `line(_:)` writes `history` before `request`, so a line it wrote is read up to
    /// its `decision` only; a line without `history` there (older logs, or members in
    /// another order) is read to its end for one, and, once it is known to be an entry,
    /// kept as one even when its tail does not scan (a line cut after `decision`).
    ///
    /// `quick` takes the request to end where `},"decision":` first follows its start,
    /// as `line(_:)` writes entries, instead of reading through it: right whenever the
    /// request decodes (then it is one whole object, which ends at one place only).
    @inlinable
    package static func envelope<Bytes: RandomAccessCollection>(of line: Bytes, quick: Bool = false) -> Envelope
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var scanner = JSONScanner(line)
        var envelope = Envelope()
        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "{")) else { return Envelope() }
        var request: Range<Int>?
        var decided = false
        /// The request found by the quick guess: returned whatever follows it, as before
        /// `history` (the rest of the line is only read for that member).
        var guessed = false
        /// What the line is, so far, when the scan stops: an entry once its request and
        /// `decision`/`error` are seen (or its request guessed), else not one.
        func found() -> Envelope {
            guard let request, decided || guessed else { return Envelope() }
            var envelope = envelope
            envelope.request = request
            return envelope
        }
        scanner.skipSpace()
        if scanner.consume(UInt8(ascii: "}")) { return Envelope() }
        while true {
            scanner.skipSpace()
            guard let key = scanner.string(.structural) else { return found() }
            scanner.skipSpace()
            guard scanner.consume(UInt8(ascii: ":")) else { return found() }
            scanner.skipSpace()
            let start = scanner.index
            guard let first = scanner.current else { return found() }
            let isObject = first == UInt8(ascii: "{")
            let isRequest = scanner.matches(key, "request")
            if quick, isObject, isRequest, request == nil, let end = scanner.find(requestEnd, from: start) {
                envelope.request = start..<end + 1
                if envelope.hasHistoryMember { return envelope }
                // No `history` before the request: read on for one, past `decision`.
                request = start..<end + 1
                guessed = true
                scanner.index = end + 1
                scanner.skipSpace()
                if scanner.consume(UInt8(ascii: ",")) { continue }
                return found()
            }
            guard scanner.skipValue() else { return found() }
            let end = scanner.index
            if isRequest {
                if isObject {
                    request = start..<end
                } else if first == UInt8(ascii: "\"") {
                    request = start..<end
                    envelope.requestIsString = true
                }
            } else if scanner.matches(key, "seq") {
                envelope.seq = integer(line[start..<end])
            } else if scanner.matches(key, "boot_id"), first == UInt8(ascii: "\"") {
                envelope.bootID = start + 1..<end - 1
            } else if scanner.matches(key, "truncated") {
                envelope.truncated = end - start == 4 && first == UInt8(ascii: "t")
            } else if scanner.matches(key, "decision") || scanner.matches(key, "error") {
                decided = true
            } else if scanner.matches(key, "history") {
                envelope.hasHistoryMember = true
                envelope.history = end - start == 4 && first == UInt8(ascii: "n") ? nil : start..<end
            }
            // The rest of an entry (usually the decision) need not be read.
            if decided || guessed, request != nil, envelope.hasHistoryMember { return found() }
            scanner.skipSpace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            return found()
        }
    }

    /// The bytes a JSON string token (quotes included) stands for: a rejected request's
    /// text. Nil when `string` is not exactly one valid JSON string.
    @inlinable
    package static func unquote<Bytes: RandomAccessCollection>(_ string: Bytes) -> [UInt8]?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var scanner = JSONScanner(string)
        scanner.skipSpace()
        guard let contents = scanner.string(.strict) else { return nil }
        scanner.skipSpace()
        guard scanner.atEnd, let text = scanner.unescaped(contents) else { return nil }
        return Array(text.utf8)
    }

    /// A whole entry as `line(_:)` writes it, members in any order (tests, tools); nil
    /// for anything else, old-format lines included.
    package static func entry<Bytes: RandomAccessCollection>(from line: Bytes) -> Entry?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var scanner = JSONScanner(line)
        var values: [String: Range<Int>] = [:]
        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        repeat {
            scanner.skipSpace()
            guard let key = scanner.string(.strict), let name = scanner.unescaped(key) else { return nil }
            scanner.skipSpace()
            guard scanner.consume(UInt8(ascii: ":")) else { return nil }
            scanner.skipSpace()
            let start = scanner.index
            guard scanner.skipValue() else { return nil }
            values[name] = start..<scanner.index
            scanner.skipSpace()
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        scanner.skipSpace()
        _ = scanner.consume(UInt8(ascii: "\n"))
        guard scanner.atEnd else { return nil }

        func raw(_ key: String) -> [UInt8]? { values[key].map { Array(line[$0]) } }
        func text(_ key: String) -> String? {
            guard let range = values[key], range.count >= 2, line[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
            return scanner.unescaped(range.lowerBound + 1..<range.upperBound - 1)
        }
        func int(_ key: String) -> Int? { values[key].flatMap { integer(line[$0]) } }
        // `null` and absent alike: no events were supplied (or the line is older).
        let history = raw("history").flatMap { $0 == Array("null".utf8) ? nil : $0 }
        guard let seq = int("seq"), let bootID = text("boot_id"), let decisionID = text("decision_id"),
            let loggedAt = text("logged_at"), let policy = raw("policy"), let latency = int("latency_us"),
            let requestBytes = int("request_bytes"), let request = raw("request"), let decision = raw("decision"),
            let error = raw("error"), let truncated = raw("truncated")
        else { return nil }
        let outcome: Outcome
        if error == Array("null".utf8) {
            outcome = .decision(request: request, requestBytes: requestBytes, decision: decision)
        } else {
            guard decision == Array("null".utf8), let sha256 = text("request_sha256"),
                let prefix = unquote(request)
            else { return nil }
            outcome = .rejected(
                requestPrefix: prefix, requestBytes: requestBytes, sha256: sha256, truncated: truncated == Array("true".utf8),
                error: error)
        }
        return Entry(
            seq: seq, bootID: bootID, decisionID: decisionID, loggedAt: loggedAt, policy: policy,
            latencyMicroseconds: latency, outcome: outcome, history: history)
    }

    /// A non-negative integer written in digits, or nil.
    @inlinable
    static func integer<Digits: Collection>(_ digits: Digits) -> Int? where Digits.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
