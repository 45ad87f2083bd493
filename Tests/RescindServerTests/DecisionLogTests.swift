import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// A temp folder for log files, removed by the caller.
func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-log-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// An application writing its decision log to `path`, with the writer to close.
func loggingApp(
    _ log: DecisionLogConfiguration, beforeWrite: (@Sendable () -> Void)? = nil
) throws -> (app: some ApplicationProtocol, writer: DecisionLogWriter, metrics: ServerMetrics, store: PolicyStore) {
    let metrics = ServerMetrics()
    let writer = try DecisionLogWriter(configuration: log, metrics: metrics, logger: Fixture.logger, beforeWrite: beforeWrite)
    let configuration = ServerConfiguration(policies: [Fixture.policies], adminToken: Fixture.adminToken)
    let store = PolicyStore(paths: [Fixture.policies], logger: Fixture.logger)
    store.loadNow()
    let app = buildApplication(
        configuration: configuration, store: store, metrics: metrics, decisionLog: writer, logger: Fixture.logger)
    return (app, writer, metrics, store)
}

/// The lines of a file, each without its newline; the file must end with one.
func logLines(_ path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard !text.isEmpty else { return [] }
    #expect(text.hasSuffix("\n"), "the log ends with a newline")
    return text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// The top-level members of a JSON object as written, in order: key and raw value text.
/// Written here independently of the code under test.
func members(_ line: String) -> [(key: String, raw: String)] {
    let bytes = Array(line.utf8)
    var result: [(String, String)] = []
    var index = 1, depth = 0, inString = false, escaped = false
    var keyStart = 1, valueStart = 0
    var key = ""
    while index < bytes.count {
        let byte = bytes[index]
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
        } else {
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: ":") where depth == 0:
                key = String(decoding: bytes[keyStart + 1..<index - 1], as: UTF8.self)
                valueStart = index + 1
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 {
                    result.append((key, String(decoding: bytes[valueStart..<index], as: UTF8.self)))
                    keyStart = index + 1
                } else if byte != UInt8(ascii: ",") {
                    depth -= 1
                }
            default: break
            }
        }
        index += 1
    }
    return result
}

/// The JSON text without whitespace outside strings (what the log promises for `request`).
func withoutSpaces(_ text: String) -> String {
    var out = "", inString = false, escaped = false
    for character in text {
        if inString {
            if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            out.append(character)
        } else if character == "\"" {
            inString = true
            out.append(character)
        } else if !character.isWhitespace {
            out.append(character)
        }
    }
    return out
}

/// The decision log: one line per decision, in docs/decision-log.md's format.
@Suite struct DecisionLogTests {
    /// Every line's keys, in order, whether it holds a decision or an error.
    static let keys = [
        "seq", "boot_id", "decision_id", "logged_at", "policy", "latency_us", "request_bytes", "request_sha256", "truncated",
        "history", "request", "decision", "error",
    ]

    @Test func entriesAfterDecisions() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("decisions.jsonl").path
        let (app, writer, _, store) = try loggingApp(DecisionLogConfiguration(path: path))
        let identity = identityJSON(try #require(store.current?.policySet))

        let paid = try Fixture.request("buyer-paid-card")  // pretty-printed: whitespace to drop
        let abuse = try Fixture.request("abuse-review")
        let shiped = paid.replacingOccurrences(of: "\"status\": \"paid\"", with: "\"status\": \"shiped\"")
        let batch = "[\(abuse) ,\n {\"id\": 1}, \(paid)]"
        let responses = try await app.test(.router) { client in
            var responses: [String] = []
            for (uri, body) in [
                ("/v1/decisions", paid), ("/v1/decisions?explain=true&locale=en", abuse), ("/v1/decisions", shiped),
                ("/v1/decisions", "{not json"), ("/v1/decisions", "[1, 2]"), ("/v1/decisions:batch", batch),
            ] {
                responses.append(try await client.execute(uri: uri, method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) { $0.text })
            }
            return responses
        }
        writer.close()
        let lines = try logLines(path)
        // Two decisions, three rejected requests (one not a JSON object, one not a
        // request), then the batch's three items in order.
        try #require(lines.count == 8)
        let rejected = [2, 3, 4, 6]
        let entries = lines.map(members)
        for (index, entry) in entries.enumerated() {
            #expect(entry.map(\.key) == Self.keys, "line \(index + 1)")
            let values = Dictionary(uniqueKeysWithValues: entry)
            #expect(values["seq"] == "\(index + 1)")
            #expect(values["boot_id"] == "\"\(writer.bootID)\"")
            let id = try #require(values["decision_id"]).dropFirst().dropLast()
            #expect(UUID(uuidString: String(id)) != nil && id == id.lowercased())
            let at = try #require(values["logged_at"])
            #expect(at.wholeMatch(of: /"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/) != nil, "\(at)")
            #expect(values["policy"] == identity)
            #expect(Int(try #require(values["latency_us"])).map { $0 >= 0 } == true)
            #expect(values[rejected.contains(index) ? "decision" : "error"] == "null")
            #expect(values["truncated"] == "false")
            #expect(values["history"] == "null", "no history store: no events supplied")
            #expect((values["request_sha256"] == "null") == !rejected.contains(index))
            #expect(try JSONSerialization.jsonObject(with: Data(lines[index].utf8)) is [String: Any])
        }
        #expect(UUID(uuidString: writer.bootID) != nil)
        func value(_ line: Int, _ key: String) -> String? { entries[line].first { $0.key == key }?.raw }
        /// A rejected request's `request`: the bytes as sent, as a JSON string.
        func text(_ line: Int) throws -> String? {
            try JSONSerialization.jsonObject(with: Data(try #require(value(line, "request")).utf8), options: .fragmentsAllowed)
                as? String
        }

        // The request: the client's bytes, whitespace between tokens dropped; a rejected
        // one as sent, as a string.
        #expect(value(0, "request") == withoutSpaces(paid))
        #expect(value(0, "request")?.contains("\n") == false)
        #expect(value(0, "request_bytes") == "\(paid.utf8.count)")
        #expect(value(1, "request") == withoutSpaces(abuse))
        #expect(try text(2) == shiped)
        #expect(value(2, "request_bytes") == "\(shiped.utf8.count)")
        #expect(try text(3) == "{not json")
        #expect(try text(4) == "[1, 2]")
        #expect(value(5, "request") == withoutSpaces(abuse))
        #expect(try text(6) == "\n {\"id\": 1}")  // the item's bytes, as sent in the batch
        #expect(value(7, "request") == withoutSpaces(paid))

        // The decision: the answer's bytes, without the explanation.
        #expect(value(0, "decision").map { $0 + "\n" } == responses[0])
        #expect(responses[1].contains("\"explanation\""))
        let unexplained = try Fixture.expectedDecision(abuse, options: DecisionOptions(locale: "en"))
        #expect(value(1, "decision").map { $0 + "\n" } == unexplained)
        #expect(responses[1].hasPrefix(String(unexplained.dropLast(2))))

        // A rejected request: the answer's error object.
        for line in [2, 3, 4] {
            #expect(value(line, "error").map { "{\"error\":\($0)}\n" } == responses[line])
        }
        #expect(value(2, "error")?.contains("request-invalid-enum") == true)
        #expect(value(3, "error")?.contains("request-invalid-json") == true)

        // The batch: each item on its own line, with its own result.
        let results = members(String(responses[5].dropLast()))[0].raw
        let expected = [try Fixture.expectedDecision(abuse), try Fixture.expectedDecision(paid)].map { String($0.dropLast()) }
        #expect(value(5, "decision") == expected[0])
        #expect(value(6, "error").map { results.contains("{\"error\":\($0)}") } == true)
        #expect(value(7, "decision") == expected[1])
        #expect(writer.statistics == (8, 0))
    }

    /// `rescind replay` reads what the service wrote: the library API the command runs.
    @Test func replayReadsTheLog() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("decisions.jsonl").path
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path))
        let paid = try Fixture.request("buyer-paid-card"), abuse = try Fixture.request("abuse-review")
        let shiped = paid.replacingOccurrences(of: "\"status\": \"paid\"", with: "\"status\": \"shiped\"")
        try await app.test(.router) { client in
            for body in [paid, abuse, shiped, paid] {
                try await client.execute(uri: "/v1/decisions?explain=true", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body))
            }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[\(abuse),\(paid)]"))
        }
        writer.close()

        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let side = ReplaySide(policySet: set, source: Fixture.policies)
        let reader = try #require(LineReader(path: path))
        let report = Replay(baseline: side, candidate: side).run(reader)
        #expect(report.lines == 6)
        #expect(report.logEntries == 6)
        #expect(report.badLines == 1)  // the rejected request, rejected again
        #expect(report.badLineSamples.first?.line == 3)
        #expect(report.changed == 0)
        let counts = Dictionary(report.transitions.map { ("\($0.from)→\($0.to)", $0.count) }, uniquingKeysWith: +)
        #expect(counts["allow→allow"] == 3)
        #expect(counts["review→review"] == 2)
    }

    /// In `fsync` mode too: the old file and the folder are synced around a rotation.
    @Test(arguments: [DecisionLogDurability.async, .fsync])
    func rotationKeepsWholeLinesAndTheKeepCount(_ durability: DecisionLogDurability) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let maxBytes = 1500
        let writer = try DecisionLogWriter(
            configuration: DecisionLogConfiguration(path: path, maxBytes: maxBytes, keep: 2, durability: durability),
            metrics: ServerMetrics(),
            logger: Fixture.logger)
        for number in 0..<40 {
            writer.submit(entry(number, set))
        }
        writer.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["d.jsonl", "d.jsonl.1", "d.jsonl.2"])
        // Oldest first: .2, .1, then the file being written; together the last entries, in order.
        var numbers: [Int] = []
        for name in ["d.jsonl.2", "d.jsonl.1", "d.jsonl"] {
            let file = folder.appendingPathComponent(name).path
            let size = try #require(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            #expect(size <= maxBytes, "\(name) has \(size) bytes")
            for line in try logLines(file) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let text = try #require(object["request"] as? String)
                let request = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let number = Int(try #require((request["id"] as? String)?.dropFirst(2))) ?? -1
                numbers.append(number)
                #expect(object["seq"] as? Int == number + 1)
            }
        }
        #expect(numbers.count > 2)
        #expect(numbers == Array((40 - numbers.count)..<40))
    }

    @Test func aTornLastLineIsEndedOnOpen() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        try Data("{\"decision_id\":\"cut-sho".utf8).write(to: URL(fileURLWithPath: path))
        let writer = try DecisionLogWriter(
            configuration: DecisionLogConfiguration(path: path), metrics: ServerMetrics(), logger: Fixture.logger)
        writer.submit(entry(1, set))
        writer.close()
        let lines = try logLines(path)
        try #require(lines.count == 2)
        #expect(lines[0] == "{\"decision_id\":\"cut-sho")
        #expect(members(lines[1]).map(\.key) == Self.keys)
        // Replay counts the torn line as one bad line and reads the entry after it.
        let side = ReplaySide(policySet: set, source: Fixture.policies)
        let report = Replay(baseline: side, candidate: side).run(try #require(LineReader(path: path)))
        #expect(report.lines == 2)
        #expect(report.badLineSamples.map(\.line).contains(1))
        #expect(report.logEntries == 1)
    }

    @Test func samplingIsByRequestIDAndRoughlyTheRate() async throws {
        let sampler = DecisionLogSampler(rate: 0.1)
        let ids = (0..<20_000).map { String(format: "req-%07d", $0) }
        let kept = ids.filter(sampler.keeps)
        #expect(abs(Double(kept.count) / Double(ids.count) - 0.1) < 0.01, "\(kept.count) of \(ids.count)")
        #expect(ids.filter(DecisionLogSampler(rate: 0.1).keeps) == kept)  // the same ids every time
        #expect(Set(kept).isSubset(of: Set(ids.filter(DecisionLogSampler(rate: 0.5).keeps))))
        #expect(ids.allSatisfy(DecisionLogSampler(rate: 1).keeps))
        #expect(!ids.contains(where: DecisionLogSampler(rate: 0).keeps))
        // Pinned: the hash is part of the documented rule (docs/server.md), so a change to
        // it changes which requests a sampled log holds.
        // (Values computed independently, in Python, from the rule as documented.)
        #expect(DecisionLogSampler.hash("req-1") == 0x0a28_81c3_268a_7392)
        #expect(DecisionLogSampler.hash("") == 0xf52a_15e9_a9b5_e89b)
        #expect(kept.count == 2025)

        // Through the service: the requests logged are exactly those the sampler keeps.
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path, sampleRate: 0.3))
        let template = try Fixture.request("buyer-paid-card")
        let requestIDs = (0..<60).map { "sample-\($0)" }
        let items = requestIDs.map { template.replacingOccurrences(of: "\"id\": \"req-1\"", with: "\"id\": \"\($0)\"") }
        #expect(items[0] != template)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[" + items.joined(separator: ",") + "]")
            ) { #expect($0.status == .ok) }
        }
        writer.close()
        let logged = try logLines(path).map { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["decision"] as? [String: Any])?[
                "request_id"] as? String
        }
        let expected = requestIDs.filter(DecisionLogSampler(rate: 0.3).keeps)
        #expect(logged == expected)
        // Sampled-out decisions take no number: a sampled log has no gap.
        let numbers = try logLines(path).map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
        }
        #expect(numbers == Array(1...expected.count))
        #expect(!expected.isEmpty && expected.count < requestIDs.count)
    }

    /// A writer that cannot keep up costs entries, never requests: the buffer's bound
    /// holds, the rest are dropped and counted, and nothing waits. The writer stays
    /// stuck until every request has been answered, so a request that waited for it
    /// would never finish: the time limit turns that hang into a failure. (No wall-clock
    /// bound on the requests themselves: the suite runs in parallel with a 30-second load
    /// test, and a slow machine is not a failure. Three minutes: under ThreadSanitizer,
    /// beside the reload tests' threads, it took 80 s once; a hang never ends.)
    @Test(.timeLimit(.minutes(3))) func aFullBufferDropsAndCounts() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let gate = DispatchSemaphore(value: 0)
        let request = try Fixture.request("buyer-paid-card")
        // Room for about two entries of this request.
        let (app, writer, metrics, store) = try loggingApp(
            DecisionLogConfiguration(path: path, bufferBytes: 2 * (request.utf8.count + 900) + 600),
            beforeWrite: { gate.wait(); gate.signal() })
        try await app.test(.router) { client in
            for _ in 0..<20 {
                try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                    #expect($0.status == .ok)
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let dropped = writer.statistics.dropped
                #expect(dropped >= 17)
                #expect(response.text.contains("rescind_decision_log_dropped_total{reason=\"buffer-full\"} \(dropped)"))
            }
        }
        gate.signal()
        writer.close()
        let (written, dropped) = writer.statistics
        #expect(written + dropped == 20)
        // Every decision took a number; the dropped ones are the gaps.
        let numbers = try logLines(path).map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int ?? -1
        }
        #expect(numbers.count == written)
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
        #expect(numbers.allSatisfy { (1...20).contains($0) })
        #expect(writer.nextSequenceNumber == 21)
        #expect(metrics.exposition(store: store).containsText("rescind_decision_log_written_total \(written)"))
    }

    @Test func closeWritesEverythingQueued() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let gate = DispatchSemaphore(value: 0)
        let writer = try DecisionLogWriter(
            configuration: DecisionLogConfiguration(path: path), metrics: ServerMetrics(), logger: Fixture.logger,
            beforeWrite: { gate.wait(); gate.signal() })
        for number in 0..<100 { writer.submit(entry(number, set)) }
        gate.signal()
        writer.close()
        #expect(try logLines(path).count == 100)
        writer.submit(entry(100, set))  // after close: dropped, not written
        #expect(writer.statistics == (100, 1))
        writer.close()
    }

    @Test func anUnwritablePathFailsAtOpen() {
        #expect(throws: DecisionLogError.self) {
            try DecisionLogWriter(
                configuration: DecisionLogConfiguration(path: "/nonexistent-rescind/d.jsonl"), metrics: ServerMetrics())
        }
    }

    /// A rejected request's entry, numbered `r-N`.
    func entry(_ number: Int, _ set: PolicySet) -> DecisionLogEntry {
        let request = Array("{\"id\":\"r-\(number)\"}".utf8)
        return DecisionLogEntry(
            decisionID: nil, loggedAt: .now(), policySet: set, latencyMicroseconds: number, request: request,
            requestCompacted: false,
            outcome: .rejected(
                error: "{\"code\":\"request-missing-field\",\"message\":\"`at` is required\",\"path\":\"$.at\"}",
                bytes: request.count, sha256: String(repeating: "0", count: 64)))
    }
}

/// The helpers that shape an entry's JSON.
@Suite struct DecisionLogJSONTests {
    func compact(_ text: String) -> (String, String?)? {
        Array(text.utf8).withUnsafeBytes { compactJSONObject($0) }.map { (String(decoding: $0.bytes, as: UTF8.self), $0.id) }
    }

    @Test func compaction() {
        #expect(compact(" {\n \"id\" : \"a b\" ,\t\"n\": [1, -2.5e+3, true, null, {}], \"s\": \"x \\\" y\"}\r\n")! == (
            "{\"id\":\"a b\",\"n\":[1,-2.5e+3,true,null,{}],\"s\":\"x \\\" y\"}", "a b"))
        #expect(compact("{\"o\": {\"id\": \"inner\"}, \"id\": \"outer\"}")! == ("{\"o\":{\"id\":\"inner\"},\"id\":\"outer\"}", "outer"))
        #expect(compact("{\"o\": {\"id\": \"inner\"}}")?.1 == nil)
        #expect(compact("{\"id\": 7}")! == ("{\"id\":7}", nil))
        #expect(compact("{}")! == ("{}", nil))
        for bad in [
            "", "[]", "1", "{", "{}}", "{} {}", "{\"a\" 1}", "{\"a\":}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}",
            "{\"a\":\"\u{01}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":[1,]}", "{\"a\":1,}", "{a:1}",
            "{\"a\":\"open}",
        ] {
            #expect(compact(bad) == nil, "\(bad)")
        }
        // Deep nesting does not recurse.
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(compact(deep)?.0 == deep)
    }

    func without(_ name: String, _ text: String) -> String {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            guard let range = topLevelMember(named: name, in: raw) else { return text }
            return String(decoding: bytes[..<range.lowerBound] + bytes[range.upperBound...], as: UTF8.self)
        }
    }

    @Test func memberRemoval() {
        #expect(without("explanation", "{\"a\":1,\"explanation\":{\"rules\":[{\"x\":\"}\"}]}}") == "{\"a\":1}")
        #expect(without("explanation", "{\"explanation\":[1],\"a\":1}") == "{\"a\":1}")
        #expect(without("explanation", "{\"explanation\":\"x\"}") == "{}")
        #expect(without("explanation", "{\"a\":{\"explanation\":1},\"b\":\"\\\",\\\"explanation\\\":\"}")
            == "{\"a\":{\"explanation\":1},\"b\":\"\\\",\\\"explanation\\\":\"}")
        #expect(without("explanation", "{\"a\":[{\"explanation\":1}],\"explanation\":2,\"c\":3}")
            == "{\"a\":[{\"explanation\":1}],\"c\":3}")
    }

    @Test func timestamps() {
        #expect(WallClock(seconds: 0, nanoseconds: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(WallClock(seconds: 1_783_056_382, nanoseconds: 830_999).rfc3339 == "2026-07-03T05:26:22.000830Z")
        #expect(WallClock(seconds: 253_402_300_799, nanoseconds: 999_999_999).rfc3339 == "9999-12-31T23:59:59.999999Z")
    }
}

extension [UInt8] {
    func containsText(_ text: String) -> Bool { String(decoding: self, as: UTF8.self).contains(text) }
}
