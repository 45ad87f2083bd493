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

/// A decision log you can trust: bounded rejected entries, an error rate that cannot
/// crowd decisions out, sequence numbers whose gaps replay reports, and durability.
@Suite struct DecisionLogTrustTests {
    /// The SHA-256 of `bytes` by `sha256sum`, independent of the code under test.
    func sha256sum(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-digest-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }

    func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// The request ids of the decisions in the log at `path`, in order.
    static func loggedIDs(_ path: String) throws -> [String] {
        try logLines(path).compactMap { line in
            let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (entry?["decision"] as? [String: Any])?["request_id"] as? String
        }
    }

    @Test func aHugeNestedBadRequestIsLoggedBounded() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path))
        // 500 KiB, nested far deeper than JSON tools read (jq 1.6 stops past 256 levels, 1.7 past 10,000).
        let depth = 250_000
        let body = Array(("{\"id\":\"deep\",\"order\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(bytes: body)) {
                #expect($0.status == .badRequest)
            }
        }
        writer.close()
        let lines = try logLines(path)
        try #require(lines.count == 1)
        #expect(lines[0].utf8.count < 2048, "\(lines[0].utf8.count) bytes")
        #expect(members(lines[0]).map(\.key) == DecisionLogTests.keys)
        let entry = try object(lines[0])
        #expect(entry["truncated"] as? Bool == true)
        #expect(entry["request_bytes"] as? Int == body.count)
        #expect(entry["request_sha256"] as? String == (try sha256sum(body)))
        #expect(entry["decision"] is NSNull)
        #expect((entry["error"] as? [String: Any])?["code"] is String)
        let prefix = try #require(entry["request"] as? String)
        // 1 KiB once escaped: the body's six quotes take two bytes each.
        #expect(prefix.utf8.count == DecisionLogEntry.rejectedPrefixBytes - 6)
        #expect(body.starts(with: Array(prefix.utf8)))
    }

    @Test func thePrefixIsCutBetweenCharactersAndEscapesCount() {
        func prefix(_ text: String) -> [UInt8] { Array(text.utf8).withUnsafeBytes { DecisionLogEntry.prefix(of: $0) } }
        let short = "{\"a\":\"é\"}"
        #expect(prefix(short) == Array(short.utf8))
        // 1023 ASCII bytes, then a 3-byte character: cut before it, not in it.
        let cut = prefix(String(repeating: "a", count: 1023) + "中文")
        #expect(cut.count == 1023 && String(validating: cut, as: UTF8.self) != nil)
        // Quotes take two bytes escaped: half as many fit.
        #expect(prefix(String(repeating: "\"", count: 2000)).count == 512)
        #expect(prefix(String(repeating: "\u{01}", count: 2000)).count == 170)
    }

    /// Bad requests beyond the error rate are counted, not logged; decisions all are.
    @Test func errorsBeyondTheRateAreDroppedAndCountedDecisionsKept() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let (app, writer, metrics, store) = try loggingApp(DecisionLogConfiguration(path: path, errorRate: 5))
        let paid = try Fixture.request("buyer-paid-card")
        let items = (0..<70).map { index in
            index % 7 == 0
                ? paid.replacingOccurrences(of: "\"id\": \"req-1\"", with: "\"id\": \"ok-\(index)\"") : "{\"bad\": \(index)}"
        }
        let started = ContinuousClock.now
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[" + items.joined(separator: ",") + "]")
            ) { #expect($0.status == .ok) }
        }
        let elapsed = ContinuousClock.now - started
        writer.close()
        let entries = try logLines(path).map(object)
        let decided = entries.filter { $0["decision"] is [String: Any] }
        let rejected = entries.filter { $0["error"] is [String: Any] }
        #expect(decided.count == 10)
        // The bucket holds a second's worth (5) and earns 5 more a second: a slow run (a
        // sanitizer, a busy machine) may earn a few while the batch is decided.
        let earned = Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 5)
        #expect((5...(6 + earned)).contains(rejected.count), "\(rejected.count) in \(elapsed)")
        #expect(writer.errorRateDropped == 60 - rejected.count)
        #expect(writer.statistics == (entries.count, 0))
        #expect(metrics.exposition(store: store).containsText(
            "rescind_decision_log_dropped_total{reason=\"error-rate\"} \(60 - rejected.count)"))
        // Rate-limited errors take no number: the log has no gap.
        #expect(entries.map { $0["seq"] as? Int } == Array(1...entries.count))
    }

    /// In `write` mode the line is in the file before the answer leaves, for single
    /// decisions and batches alike; in `fsync` mode too (synced, which a test cannot see).
    @Test(arguments: [DecisionLogDurability.write, .fsync])
    func theEntryIsInTheFileWhenTheAnswerArrives(_ durability: DecisionLogDurability) async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path, durability: durability))
        let paid = try Fixture.request("buyer-paid-card")
        let singles = (0..<5).map { paid.replacingOccurrences(of: "\"id\": \"req-1\"", with: "\"id\": \"one-\($0)\"") }
        let batch = (0..<30).map { paid.replacingOccurrences(of: "\"id\": \"req-1\"", with: "\"id\": \"batch-\($0)\"") }
        try await app.test(.router) { client in
            for (number, body) in singles.enumerated() {
                try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) {
                    #expect($0.status == .ok)
                    #expect((try? Self.loggedIDs(path))?.last == "one-\(number)")
                }
            }
            try await client.execute(
                uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[" + batch.joined(separator: ",") + "]")
            ) {
                #expect($0.status == .ok)
                #expect((try? Self.loggedIDs(path))?.suffix(30) == (0..<30).map { "batch-\($0)" }[...])
            }
        }
        writer.close()
        #expect(writer.statistics == (35, 0))
    }

    /// In `write` mode a decision whose entry cannot be kept is not answered: 503.
    @Test func aDecisionWithoutItsRecordIsRefusedInWriteMode() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        // A buffer too small for any entry: every one is dropped.
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path, bufferBytes: 10, durability: .write))
        let paid = try Fixture.request("buyer-paid-card")
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: paid)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text.contains("\"code\":\"decision-log-unavailable\""))
            }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[\(paid),\(paid)]")) {
                #expect($0.status == .serviceUnavailable)
            }
        }
        writer.close()
        #expect(writer.statistics == (0, 3))
    }

    /// Replay reads `seq` and `boot_id` and reports the numbers missing per boot, from
    /// lines in any order and several boots; numbers before a boot's first and after its
    /// last are not gaps.
    @Test func replayReportsGaps() throws {
        let template = try #require(
            String(contentsOf: Fixture.packageRoot.appendingPathComponent("Examples/ci/sample-requests.jsonl"), encoding: .utf8)
                .split(separator: "\n").first)
        let bootA = "aaaaaaaa-0000-4000-8000-000000000001", bootB = "bbbbbbbb-0000-4000-8000-000000000002"
        let numbered: [(String, Int)] =
            [(bootA, 1), (bootA, 2), (bootA, 3), (bootB, 5), (bootA, 7), (bootB, 6), (bootA, 8), (bootA, 12), (bootA, 2)]
            + [(bootB, 7), (bootA, 9)]
        var text = numbered.map { boot, seq in "{\"seq\":\(seq),\"boot_id\":\"\(boot)\"," + template.dropFirst() }
        text.append(String(template))  // an entry of an older log, without numbers
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("gappy.jsonl").path
        try (text.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let side = ReplaySide(policySet: set, source: Fixture.policies)
        for jobs in [1, 2] {
            let report = Replay(baseline: side, candidate: side).run(try #require(LineReader(path: path)), jobs: jobs)
            #expect(report.logEntries == 12)
            #expect(report.badLines == 0)
            #expect(report.sequencedBoots == 2)
            #expect(report.gaps == [
                SequenceGap(bootID: bootA, missing: 4...6), SequenceGap(bootID: bootA, missing: 10...11),
            ])
            #expect(report.missingEntries == 5)
            #expect(report.text.contains(
                "gaps: 2 in 2 boots, 5 entries missing (seq 4–6 missing in boot \(bootA); seq 10–11 missing in boot \(bootA))\n"))
            #expect(report.markdown.contains("seq 4–6 missing in boot"))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
            let gaps = try #require(json["gaps"] as? [String: Any])
            #expect(gaps["count"] as? Int == 2 && gaps["missing"] as? Int == 5 && gaps["boots"] as? Int == 2)
            let first = try #require((gaps["first"] as? [[String: Any]])?.first)
            #expect(first["boot_id"] as? String == bootA && first["from"] as? Int == 4 && first["to"] as? Int == 6)
        }
    }

    /// What the service writes replays with no gap, rejected entries included (a whole
    /// one is replayed from its text; it is rejected again, a bad line).
    @Test func aServiceLogReplaysWithoutGaps() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.jsonl").path
        let (app, writer, _, _) = try loggingApp(DecisionLogConfiguration(path: path))
        let paid = try Fixture.request("buyer-paid-card")
        try await app.test(.router) { client in
            for body in [paid, "{\"id\": 1}", paid] {
                try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body))
            }
        }
        writer.close()
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let side = ReplaySide(policySet: set, source: Fixture.policies)
        let report = Replay(baseline: side, candidate: side).run(try #require(LineReader(path: path)))
        #expect(report.logEntries == 3)
        #expect(report.badLines == 1)
        #expect(report.badLineSamples.first?.line == 2)
        #expect(report.gaps.isEmpty && report.sequencedBoots == 1)
        #expect(report.text.contains("gaps: 0 (1 boot)\n"))
    }
}
