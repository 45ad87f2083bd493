import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// A decision with problems is visible to operators: counted by kind in /metrics and
/// logged as one warning line (bounded per second), besides `problems` in the answer.
@Suite struct ProblemReportingTests {
    static func app(logs: LogCapture, metrics: ServerMetrics = ServerMetrics()) -> some ApplicationProtocol {
        let policies = Fixture.packageRoot.appendingPathComponent("Policies").path
        let store = PolicyStore(paths: [policies], logger: Fixture.logger)
        store.loadNow()
        return buildApplication(
            configuration: ServerConfiguration(policies: [policies]), store: store, metrics: metrics, logger: logs.logger)
    }

    /// The abuse-block request without `buyer_history`: a `missing-list` problem.
    static func requestWithoutHistory() throws -> String {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(Fixture.request("abuse-block").utf8)) as? [String: Any])
        object["buyer_history"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func problemsAreAnsweredCountedAndLogged() async throws {
        let logs = LogCapture()
        let body = try Self.requestWithoutHistory()
        try await Self.app(logs: logs).test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(response.object["effect"] as? String == "review")
                let problems = response.object["problems"] as? [[String: Any]] ?? []
                #expect(problems.map { $0["kind"] as? String } == ["missing-list"])
            }
            // A decision without problems is neither counted as one nor logged.
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(),
                body: ByteBuffer(string: try Fixture.request("abuse-block"))
            ) { response in
                #expect(response.object["problems"] == nil)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains(#"rescind_decision_problems_total{kind="missing-list"} 1"#))
                #expect(!response.text.contains(#"kind="evaluation-error""#))
            }
        }
        let warnings = logs.lines.filter { $0.contains("decision with problems") }
        #expect(warnings.count == 1)
        let first = try #require(warnings.first)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(line["level"] as? String == "warning")
        #expect(line["request_id"] as? String == "req-abuse-block")
        #expect(line["kind"] as? String == "missing-list")
        #expect(line["rule"] as? String == "repeat-canceller")
        #expect((line["location"] as? String)?.hasSuffix("abuse-thresholds.yaml:29") == true)
        #expect(line["effect"] as? String == "review")
    }

    @Test func aFloodOfProblemsIsCountedInFullButLoggedBounded() throws {
        let logs = LogCapture()
        let metrics = ServerMetrics()
        metrics.logger = logs.logger
        let policies = Fixture.packageRoot.appendingPathComponent("Policies").path
        let store = PolicyStore(paths: [policies], logger: Fixture.logger)
        store.loadNow()
        let snapshot = try #require(store.current)
        let request = try snapshot.decoder.decode(Array(try Self.requestWithoutHistory().utf8)).get().root
        let decision = snapshot.policySet.decide(request)
        let count = 200
        for _ in 0..<count { metrics.record(decision, nanoseconds: 1000) }
        let exposition = String(decoding: metrics.exposition(store: store), as: UTF8.self)
        #expect(exposition.contains(#"rescind_decision_problems_total{kind="missing-list"} \#(count)"#))
        let warnings = logs.lines.filter { $0.contains("decision with problems") }
        // The loop takes far less than a second, so it spans at most two.
        #expect(warnings.count >= 1)
        #expect(warnings.count <= 2 * ServerMetrics.maxProblemLinesPerSecond)
    }
}
