import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Rescind
import RescindEngine
import RescindHistory
import RescindPolicy
@testable import RescindServer
import Testing

/// `rescind serve --history` in process (issue 14): a real SQLite file, the policies with
/// a `history:` section, decisions whose buyer history the store supplies, recording,
/// retraction, and a store that stops answering.
@Suite("serving with a history store")
struct HistoryServerTests {
    /// A copy of Policies/ whose policy set declares the history, a SQLite store in a
    /// temp folder, and an application over both.
    final class Setup: @unchecked Sendable {
        let folder: URL
        let store: SQLiteHistoryStore
        let service: HistoryService
        let policies: PolicyStore
        let metrics = ServerMetrics()

        init(
            requestLists: String = "accept", onUnavailable: String? = nil,
            buyer: String = "'actor.role == \"buyer\" ? actor.id : order.buyer_id'"
        ) throws {
            folder = try Fixture.policyCopy()
            let setFile = folder.appendingPathComponent("policy-set.yaml")
            var text = try String(contentsOf: setFile, encoding: .utf8)
            var section = "history:\n  list: buyer_history.cancellations\n"
                + "  buyer: \(buyer)\n  request_lists: \(requestLists)\n"
            if let onUnavailable { section += "on_history_unavailable: \(onUnavailable)\n" }
            // The pack's own section, replaced.
            let start = try #require(text.range(of: "history:\n"))
            let end = try #require(text.range(of: "on_history_unavailable: review\n"))
            text.replaceSubrange(start.lowerBound..<end.upperBound, with: section)
            try text.write(to: setFile, atomically: true, encoding: .utf8)
            store = try SQLiteHistoryStore(path: folder.appendingPathComponent("history.db").path)
            service = HistoryService(
                store: store, location: "sqlite:history.db", metrics: metrics, logger: Fixture.logger)
            policies = PolicyStore(paths: [folder.path], logger: Fixture.logger)
            let loaded = policies.loadNow()
            #expect(loaded.policySet?.history != nil, "\(loaded.diagnostics)")
        }

        func app() -> some ApplicationProtocol {
            buildApplication(
                configuration: ServerConfiguration(policies: [folder.path]), store: policies, metrics: metrics,
                history: service, logger: Fixture.logger)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    /// The example request `name` without its `buyer_history`, and its cancellations as
    /// events of its buyer.
    static func bare(_ name: String) throws -> (request: String, events: String, carried: String) {
        let carried = try Fixture.request(name)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(carried.utf8)) as? [String: Any])
        let buyer = try #require((object["actor"] as? [String: Any])?["id"] as? String)
        let history = (object["buyer_history"] as? [String: Any])?["cancellations"] as? [[String: Any]] ?? []
        object["buyer_history"] = nil
        let events = history.map { item -> [String: Any] in
            var event = item
            event["buyer_id"] = buyer
            event["seller_id"] = "s-history"
            event["request_id"] = "import-\(item["order_id"] ?? "")"
            return event
        }
        func json(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        return (try json(object), try json(events), carried)
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body))
    }

    @Test(arguments: ["abuse-warn", "abuse-review", "abuse-block", "buyer-paid-card"])
    func recordedEventsDecideAsTheSameEventsCarried(_ name: String) async throws {
        let setup = try Setup()
        let (bare, events, carried) = try Self.bare(name)
        try await setup.app().test(.router) { client in
            let recorded = try await Self.post(client, "/v1/cancellations", events)
            #expect(recorded.status == .ok, "\(recorded.text)")
            for uri in ["/v1/decisions", "/v1/decisions?explain=true&locale=en"] {
                let fromStore = try await Self.post(client, uri, bare)
                let fromRequest = try await Self.post(client, uri, carried)
                #expect(fromStore.status == .ok)
                if uri.contains("explain") {
                    // The same decision; only the explanation's source words differ.
                    let store = fromStore.text.replacingOccurrences(of: " (from the history store)", with: "")
                    let request = fromRequest.text.replacingOccurrences(of: " (as the request carried it)", with: "")
                    #expect(store == request)
                    if name != "buyer-paid-card" { #expect(fromStore.text.contains("(from the history store)")) }
                } else {
                    #expect(fromStore.text == fromRequest.text)
                }
            }
        }
    }

    @Test func recordTrueRecordsAnAllowedCancellationOnceAndARetryDecidesTheSame() async throws {
        let setup = try Setup()
        let (bare, events, _) = try Self.bare("abuse-warn")
        try await setup.app().test(.router) { client in
            _ = try await Self.post(client, "/v1/cancellations", events)
            let first = try await Self.post(client, "/v1/decisions?record=true", bare)
            #expect(first.status == .ok)
            let recorded = try #require(first.object["recorded"] as? [String: Any])
            #expect(first.object["effect"] as? String == "allow")
            #expect(recorded["status"] as? String == "recorded")
            #expect(recorded["order_id"] as? String == "o-20")
            let retry = try await Self.post(client, "/v1/decisions?record=true", bare)
            // The order's own cancellation is not part of its history: the retry decides the same.
            let retryRecorded = try #require(retry.object["recorded"] as? [String: Any])
            #expect(retryRecorded["status"] as? String == "duplicate")
            #expect(
                first.text.replacingOccurrences(of: #""status":"recorded""#, with: "")
                    == retry.text.replacingOccurrences(of: #""status":"duplicate""#, with: ""))
        }
        let imported = try #require(try JSONSerialization.jsonObject(with: Data(events.utf8)) as? [Any]).count
        #expect(try await setup.store.stats().events == imported + 1)  // and o-20, once
    }

    @Test func recordTrueReportsAConflictForAnOrderRecordedDifferently() async throws {
        let setup = try Setup()
        let (bare, _, _) = try Self.bare("abuse-warn")
        try await setup.app().test(.router) { client in
            let other = #"{"order_id":"o-20","buyer_id":"u-other","seller_id":"s-1","at":"2026-11-01T10:00:00Z","initiator":"buyer","reason":"changed_mind","request_id":"r-x"}"#
            #expect(try await Self.post(client, "/v1/cancellations", other).status == .ok)
            let answer = try await Self.post(client, "/v1/decisions?record=true", bare)
            let recorded = try #require(answer.object["recorded"] as? [String: Any])
            #expect(recorded["status"] as? String == "conflict")
            #expect(recorded["order_id"] as? String == "o-20")
            #expect((recorded["message"] as? String)?.contains("already recorded with a different `buyer_id`") == true)
        }
    }

    @Test func aBuyerExpressionThatFailsIsAProblemNotANoBuyer() async throws {
        // A map without the request's currency as a key: it type-checks, and fails at run time.
        let setup = try Setup(onUnavailable: "deny", buyer: "'{\"EUR\": actor.id}[order.currency]'")
        let (bare, _, _) = try Self.bare("buyer-paid-card")
        try await setup.app().test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions?locale=en", bare)
            #expect(answer.object["effect"] as? String == "deny", "\(answer.text)")
            let problems = try #require(answer.object["problems"] as? [[String: Any]])
            #expect(problems.first?["kind"] as? String == "history-unavailable")
            #expect((problems.first?["message"] as? String)?.hasPrefix(
                "the policy set's `history.buyer` could not be evaluated for this request: ") == true)
        }
    }

    @Test func aDecisionThatDoesNotAllowIsNotRecorded() async throws {
        let setup = try Setup()
        let (bare, events, _) = try Self.bare("abuse-review")
        try await setup.app().test(.router) { client in
            _ = try await Self.post(client, "/v1/cancellations", events)
            let answer = try await Self.post(client, "/v1/decisions?record=true", bare)
            #expect(answer.object["effect"] as? String == "review")
            let recorded = try #require(answer.object["recorded"] as? [String: Any])
            #expect(recorded["status"] as? String == "not-recorded")
            #expect(recorded["message"] as? String == "the decision is `review`, not `allow`")
        }
    }

    @Test func aRetractedCancellationNoLongerCounts() async throws {
        let setup = try Setup()
        let (bare, events, _) = try Self.bare("abuse-review")
        try await setup.app().test(.router) { client in
            _ = try await Self.post(client, "/v1/cancellations", events)
            #expect(try await Self.post(client, "/v1/decisions", bare).object["effect"] as? String == "review")
            let retracted = try await client.execute(uri: "/v1/cancellations/o-21-a", method: .delete)
            #expect(retracted.status == .ok)
            #expect(retracted.text == #"{"order_id":"o-21-a","status":"retracted"}"# + "\n")
            let again = try await client.execute(uri: "/v1/cancellations/o-21-a", method: .delete)
            #expect(again.object["status"] as? String == "already-retracted")
            let unknown = try await client.execute(uri: "/v1/cancellations/o-nope", method: .delete)
            #expect(unknown.status == .notFound)
            // Four counted now: the warning tier, not review.
            let after = try await Self.post(client, "/v1/decisions", bare)
            #expect(after.object["effect"] as? String == "allow")
            #expect((after.object["deciding_rules"] as? [String])?.contains("abuse-warn") == true)
            #expect((after.object["deciding_rules"] as? [String])?.contains("abuse-review") == false)
        }
    }

    @Test func badEventsAreLocatedAndConflictsRefused() async throws {
        let setup = try Setup()
        try await setup.app().test(.router) { client in
            let event = #"{"order_id":"o-1","buyer_id":"u-1","seller_id":"s-1","at":"2026-11-01T10:00:00Z","initiator":"buyer","reason":"changed_mind","request_id":"r-1"}"#
            let bad = #"{"order_id":"o-2","buyer_id":"u-1","seller_id":"s-1","at":"yesterday","initiator":"buyer","reason":"changed_mind","request_id":"r-2"}"#
            let located = try await Self.post(client, "/v1/cancellations", "[\(event),\(bad)]")
            #expect(located.status == .badRequest)
            #expect(located.errorCode == "invalid-event")
            let message = try #require((located.object["error"] as? [String: Any])?["message"] as? String)
            #expect(message.hasPrefix("$[1].at: "), "\(message)")
            // Nothing of a bad batch is recorded.
            #expect(try await setup.store.stats().events == 0)
            #expect(try await Self.post(client, "/v1/cancellations", event).status == .ok)
            let moved = event.replacingOccurrences(of: "u-1", with: "u-2")
            let conflict = try await Self.post(client, "/v1/cancellations", moved)
            #expect(conflict.status == .conflict)
            #expect(conflict.text.contains("already recorded with a different `buyer_id`"))
        }
    }

    @Test func aStoreThatDoesNotAnswerDecidesByOnHistoryUnavailableAndShows() async throws {
        let setup = try Setup(onUnavailable: "deny")
        let (bare, _, carried) = try Self.bare("buyer-paid-card")
        await setup.store.close()
        try await setup.app().test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions?locale=en", bare)
            #expect(answer.status == .ok)
            #expect(answer.object["effect"] as? String == "deny")
            let problems = try #require(answer.object["problems"] as? [[String: Any]])
            #expect(problems.first?["kind"] as? String == "history-unavailable")
            #expect(answer.text.contains("We cannot check your recent cancellations right now"))
            // A request that carries its list does not need the store.
            #expect(try await Self.post(client, "/v1/decisions", carried).object["effect"] as? String == "allow")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let history = try #require(ready.object["history"] as? [String: Any])
            #expect(history["status"] as? String == "unavailable")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains("rescind_history_up 0"))
            #expect(metrics.contains(#"rescind_history_lookups_total{outcome="closed"} 1"#))
            #expect(metrics.contains(#"rescind_decision_problems_total{kind="history-unavailable"} 1"#))
        }
    }

    @Test func aRecordThatCannotBeWrittenIsNotAcknowledged() async throws {
        let setup = try Setup()
        let (_, _, carried) = try Self.bare("buyer-paid-card")
        await setup.store.close()
        try await setup.app().test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions?record=true", carried)
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.errorCode == "history-unavailable")
        }
    }

    @Test func aSetThatRefusesRequestListsAnswersWithTheListsPath() async throws {
        let setup = try Setup(requestLists: "refuse")
        let (_, _, carried) = try Self.bare("abuse-review")
        try await setup.app().test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions", carried)
            #expect(answer.status == .badRequest)
            let error = try #require(answer.object["error"] as? [String: Any])
            #expect(error["code"] as? String == "request-history-refused")
            #expect(error["path"] as? String == "$.buyer_history.cancellations")
        }
    }

    @Test func aSetThatDemandsTheStoreIsNotServedWithoutOne() async throws {
        let setup = try Setup(requestLists: "refuse")
        let app = buildApplication(
            configuration: ServerConfiguration(policies: [setup.folder.path]), store: setup.policies,
            logger: Fixture.logger)
        try await app.test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions", try Fixture.request("abuse-review"))
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.errorCode == "history-not-configured")
        }
    }

    @Test func aBatchFetchesItsHistoriesAndDecidesAsSingles() async throws {
        let setup = try Setup()
        try await setup.app().test(.router) { client in
            var requests: [String] = []
            var singles: [String] = []
            for name in ["abuse-warn", "abuse-review", "abuse-block"] {
                let (bare, events, _) = try Self.bare(name)
                _ = try await Self.post(client, "/v1/cancellations", events)
                requests.append(bare)
            }
            for request in requests { singles.append(try await Self.post(client, "/v1/decisions", request).text) }
            let batch = try await Self.post(client, "/v1/decisions:batch", "[\(requests.joined(separator: ","))]")
            let expected = "{\"results\":[" + singles.map { String($0.dropLast()) }.joined(separator: ",") + "]}\n"
            #expect(batch.text == expected)
        }
        let metrics = String(decoding: setup.metrics.exposition(store: setup.policies), as: UTF8.self)
        // Three single lookups, then one for the batch.
        #expect(metrics.contains(#"rescind_history_lookups_total{outcome="ok"} 4"#))
    }

    @Test func recordingWithoutAStoreIsRefused() async throws {
        try await Fixture.app().app.test(.router) { client in
            let answer = try await Self.post(client, "/v1/decisions?record=true", try Fixture.request("buyer-paid-card"))
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "history-not-configured")
            let cancellations = try await Self.post(client, "/v1/cancellations", "{}")
            #expect(cancellations.status == .notFound)
            #expect(cancellations.errorCode == "history-not-configured")
        }
    }
}
