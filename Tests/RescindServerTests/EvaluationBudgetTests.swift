import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// `--max-evaluation-cost`: a decision whose CEL work runs past the budget answers with
/// the problem (the condition did not hold) and is counted; a generous budget changes
/// nothing.
@Suite struct EvaluationBudgetTests {
    /// The shipped pack plus a review rule that scans the buyer's history in CEL.
    static func policiesWithScan() throws -> URL {
        let folder = try Fixture.policyCopy()
        try """
            kind: rules
            rules:
              - id: scan-history
                when: buyer_history.cancellations.exists(c, c.reason == "fraud_suspected")
                effect: review
                reason:
                  en: A past cancellation was for suspected fraud.
                  zh-CN: 曾因疑似欺诈取消订单。

            """.write(to: folder.appendingPathComponent("scan.yaml"), atomically: true, encoding: .utf8)
        // The pack lists its files (`files:` ends policy-set.yaml): the new one joins the list.
        let setFile = folder.appendingPathComponent("policy-set.yaml")
        try (String(contentsOf: setFile, encoding: .utf8) + "  - scan.yaml\n").write(to: setFile, atomically: true, encoding: .utf8)
        return folder
    }

    static func app(_ policies: URL, budget: Int) -> some ApplicationProtocol {
        var configuration = ServerConfiguration(policies: [policies.path])
        configuration.maxEvaluationCost = budget
        let store = PolicyStore(paths: [policies.path], logger: Fixture.logger)
        store.loadNow()
        return buildApplication(configuration: configuration, store: store, logger: Fixture.logger)
    }

    @Test func aSpentBudgetIsReportedAndCounted() async throws {
        let folder = try Self.policiesWithScan()
        defer { try? FileManager.default.removeItem(at: folder) }
        let body = try Fixture.request("abuse-review")
        try await Self.app(folder, budget: 0).test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let problems = response.object["problems"] as? [[String: Any]] ?? []
                #expect(problems.map { $0["rule"] as? String } == ["scan-history"])
                #expect(problems.first?["message"] as? String == EvaluationProblem.costBudgetSpent)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains("rescind_decisions_cost_budget_spent_total 1"))
            }
        }
        try await Self.app(folder, budget: 100_000).test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(response.object["problems"] == nil)
                let expected = try Fixture.expectedDecision(body, policies: folder.path)
                #expect(response.text == expected)
            }
        }
    }
}
