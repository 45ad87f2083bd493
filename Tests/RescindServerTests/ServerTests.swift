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

/// The endpoints through Hummingbird's router test client (no socket).
@Suite struct EndpointTests {
    @Test func healthAndReadiness() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == "{\"status\":\"ok\"}\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("\"name\":\"marketplace-cancellations\""))
            }
        }
    }

    @Test func notReadyWithoutPolicies() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try await Fixture.app(policies: empty.path).app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == "not-ready")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: try Fixture.request("buyer-paid-card"))
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == "not-ready")
            }
        }
    }

    @Test func decisionIsTheBytesEvalPrints() async throws {
        let request = try Fixture.request("buyer-paid-card")
        let expected = try Fixture.expectedDecision(request)
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.text == expected)
            }
        }
    }

    @Test func explainAddsTheExplanation() async throws {
        let request = try Fixture.request("abuse-review")
        let expected = try Fixture.expectedDecision(request, options: DecisionOptions(explain: true))
        #expect(expected.contains("\"explanation\""))
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions?explain=true", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .ok)
                #expect($0.text == expected)
            }
            try await client.execute(uri: "/v1/decisions?explain=maybe", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid-query")
            }
        }
    }

    @Test func localeFromQueryOrAcceptLanguage() async throws {
        let request = try Fixture.request("buyer-paid-card")  // the request asks for zh-CN
        let english = try Fixture.expectedDecision(request, options: DecisionOptions(locale: "en"))
        let chinese = try Fixture.expectedDecision(request)
        #expect(english != chinese)
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions?locale=en", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.text == english)
            }
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders([.acceptLanguage: "fr;q=1, en-US;q=0.8, zh;q=0.5"]),
                body: ByteBuffer(string: request)
            ) { #expect($0.text == english) }
            // A query locale beats the header; a header nothing matches leaves the request's.
            try await client.execute(
                uri: "/v1/decisions?locale=zh-CN", method: .post, headers: jsonHeaders([.acceptLanguage: "en"]),
                body: ByteBuffer(string: request)
            ) { #expect($0.text == chinese) }
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders([.acceptLanguage: "fr, de"]), body: ByteBuffer(string: request)
            ) { #expect($0.text == chinese) }
            // An explicit `?locale=` the set has no texts in is refused, never answered in
            // another language in silence; a known one is matched as a BCP 47 tag.
            try await client.execute(uri: "/v1/decisions?locale=fr", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "invalid-query")
                #expect($0.text.contains("`fr`"))
            }
            for tag in ["en-GB", "EN", "en_US"] {
                try await client.execute(uri: "/v1/decisions?locale=\(tag)", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                    #expect($0.text == english, "?locale=\(tag)")
                }
            }
            for tag in ["zh", "zh-Hans", "zh_CN", "zh-cn", "zh-Hans-CN"] {
                try await client.execute(uri: "/v1/decisions?locale=\(tag)", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                    #expect($0.text == chinese, "?locale=\(tag)")
                }
            }
        }
    }

    /// The request's own `locale` is matched by the same rule, and the answer's `locale`
    /// is the one whose texts it carries.
    @Test func requestLocaleIsMatchedAndTheAnswerSaysWhichWasUsed() async throws {
        let request = try Fixture.request("buyer-paid-card")
        let chinese = try Fixture.expectedDecision(request)
        #expect(chinese.contains("\"locale\":\"zh-CN\""))
        try await Fixture.app().app.test(.router) { client in
            for tag in ["zh", "zh-Hans", "zh_CN", "zh-cn"] {
                let asked = request.replacingOccurrences(of: "\"locale\": \"zh-CN\"", with: "\"locale\": \"\(tag)\"")
                #expect(asked != request)
                try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: asked)) {
                    #expect($0.text == chinese, "locale \(tag)")
                }
            }
            // No texts in French: the set's fallback, and the answer says `en`, not `fr`.
            let french = request.replacingOccurrences(of: "\"locale\": \"zh-CN\"", with: "\"locale\": \"fr\"")
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: french)) {
                #expect($0.status == .ok)
                #expect($0.text.contains("\"locale\":\"en\""))
                #expect(!$0.text.contains("\"fr\""))
            }
        }
    }

    /// A known path asked with a method it does not take: 405 with `Allow`, as
    /// docs/server.md says, not a 404 that reads as "no such endpoint".
    @Test func wrongMethodIs405WithAllow() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .get) {
                #expect($0.status == .methodNotAllowed)
                #expect($0.errorCode == "method-not-allowed")
                #expect($0.headers[.allow] == "POST")
            }
            for method: HTTPRequest.Method in [.put, .delete, .patch] {
                try await client.execute(uri: "/v1/policies:reload", method: method) {
                    #expect($0.status == .methodNotAllowed)
                    #expect($0.headers[.allow] == "POST")
                }
            }
            try await client.execute(uri: "/healthz", method: .post) {
                #expect($0.status == .methodNotAllowed)
                #expect($0.headers[.allow] == "GET, HEAD")
            }
            try await client.execute(uri: "/v1/nothing", method: .post) { #expect($0.status == .notFound) }
            // `Allow` names HEAD for GET routes, so HEAD must really be served there.
            try await client.execute(uri: "/healthz", method: .head) { #expect($0.status == .ok) }
            try await client.execute(uri: "/openapi.json", method: .head) { #expect($0.status == .ok) }
        }
    }

    @Test func invalidRequestIs400WithItsPath() async throws {
        let request = try Fixture.request("buyer-paid-card").replacingOccurrences(
            of: "\"status\": \"paid\"", with: "\"status\": \"shiped\"")
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) { response in
                #expect(response.status == .badRequest)
                let error = try #require(response.object["error"] as? [String: Any])
                #expect(error["code"] as? String == "request-invalid-enum")
                #expect(error["path"] as? String == "$.order.status")
                #expect((error["message"] as? String)?.contains("shiped") == true)
            }
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "{not json")) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "request-invalid-json")
            }
        }
    }

    @Test func batchDecidesEveryGoodItemInOrder() async throws {
        let good = try Fixture.request("buyer-paid-card"), other = try Fixture.request("abuse-review")
        let bad = good.replacingOccurrences(of: "\"role\": \"buyer\"", with: "\"role\": \"pirate\"")
        let body = "[\(good), \(bad) ,\n\(other)]"
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let expected = try "{\"results\":["
                    + Fixture.expectedDecision(good).dropLast() + ","
                    + #"{"error":{"code":"request-invalid-enum","#
                #expect(response.text.hasPrefix(expected))
                let results = try #require(response.object["results"] as? [[String: Any]])
                #expect(results.count == 3)
                #expect(results[0]["effect"] != nil)
                #expect((results[1]["error"] as? [String: Any])?["path"] as? String == "$.actor.role")
                #expect(try response.text.hasSuffix(Fixture.expectedDecision(other).dropLast() + "]}\n"))
            }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[]")) {
                #expect($0.text == "{\"results\":[]}\n")
            }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: good)) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "batch-not-array")
            }
        }
    }

    @Test func limits() async throws {
        let request = try Fixture.request("buyer-paid-card")
        try await Fixture.app(maxBodyBytes: 200, maxBatch: 2).app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .contentTooLarge)
                #expect($0.errorCode == "body-too-large")
            }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[{},{},{}]")) {
                #expect($0.status == .contentTooLarge)
                #expect($0.errorCode == "batch-too-large")
            }
        }
    }

    /// The served document is the bundled one with the request generated from the
    /// loaded schema: a client generated from it knows the real fields and enums.
    @Test func servesTheOpenAPIDocumentOfTheLoadedSchema() async throws {
        let file = try Data(contentsOf: Fixture.packageRoot.appendingPathComponent("docs/openapi.json"))
        var bundled = try #require(try JSONSerialization.jsonObject(with: file) as? [String: Any])
        let text = try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                return response.text
            }
        }
        var served = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(served["openapi"] as? String == "3.1.0")
        let info = try #require(served["info"] as? [String: Any])
        #expect((info["x-policy"] as? [String: Any])?["name"] as? String == "marketplace-cancellations")
        let schemas = try #require((served["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let request = try #require(schemas["Request"] as? [String: Any])
        #expect(request["additionalProperties"] as? Bool == false)
        #expect((request["required"] as? [String])?.contains("order") == true)
        #expect((request["required"] as? [String])?.contains("buyer_history") == false)
        let properties = try #require(request["properties"] as? [String: Any])
        let order = try #require((properties["order"] as? [String: Any])?["properties"] as? [String: Any])
        let status = try #require(order["status"] as? [String: Any])
        #expect(status["enum"] as? [String] == ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"])
        #expect((order["placed_at"] as? [String: Any])?["format"] as? String == "date-time")
        #expect((order["total"] as? [String: Any])?["x-maximum"] as? String == "10000000")
        #expect((properties["locale"] as? [String: Any])?["default"] as? String == "en")
        let stats = try #require((properties["seller_stats"] as? [String: Any])?["properties"] as? [String: Any])
        #expect((stats["orders_30d"] as? [String: Any])?["minimum"] as? Int == 0)
        let history = try #require((properties["buyer_history"] as? [String: Any])?["properties"] as? [String: Any])
        let item = try #require((history["cancellations"] as? [String: Any])?["items"] as? [String: Any])
        #expect(((item["properties"] as? [String: Any])?["initiator"] as? [String: Any])?["enum"] as? [String]
            == ["buyer", "seller", "support", "system"])
        // Obligations: only the types this set produces, each with the fields it writes.
        let obligation = try #require(schemas["Obligation"] as? [String: Any])
        let types = (obligation["oneOf"] as? [[String: Any]] ?? []).compactMap {
            (($0["properties"] as? [String: Any])?["type"] as? [String: Any])?["const"] as? String
        }
        #expect(Set(types) == ["refund", "notify", "voucher", "seller_penalty", "warn_account", "restrict_account"])
        // Everything else is the bundled document as written.
        for key in ["paths", "openapi", "servers"] {
            #expect(NSDictionary(dictionary: ["v": served[key] as Any]) == NSDictionary(dictionary: ["v": bundled[key] as Any]), "\(key)")
        }
        for key in ["components", "info"] {
            served[key] = nil
            bundled[key] = nil
        }
        #expect(NSDictionary(dictionary: served) == NSDictionary(dictionary: bundled))
    }

    /// The same set gives the same bytes (the document is sorted, not hash-ordered).
    @Test func openAPIDocumentIsDeterministic() throws {
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let bundled = try #require(bundledOpenAPIDocument)
        let first = try #require(openAPIDocument(for: set, bundled: bundled))
        #expect(openAPIDocument(for: set, bundled: bundled) == first)
        #expect(openAPIDocument(for: nil, bundled: bundled) == bundled)
    }

    @Test func unknownRouteIsAJSONError() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v2/nothing", method: .get) {
                #expect($0.status == .notFound)
                #expect($0.errorCode == "not-found")
            }
        }
    }

    @Test func policiesShowsTheLoadedSet() async throws {
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/policies", method: .get, headers: bearer(Fixture.adminToken)) { response in
                #expect(response.status == .ok)
                let object = response.object
                let policy = try #require(object["policy"] as? [String: Any])
                #expect(policy["name"] as? String == set.name)
                #expect(policy["version"] as? String == set.version)
                #expect(policy["digest"] as? String == set.digest)
                #expect(object["files"] as? [String] == set.files)
                #expect(object["locales"] as? [String] == ["en", "zh-CN"])
                #expect(object["loaded_at"] is String)
                #expect((object["last_reload"] as? [String: Any])?["ok"] as? Bool == true)
            }
        }
    }

    @Test func metricsCountDecisions() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: try Fixture.request("buyer-paid-card")))
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("rescind_decisions_total{effect=\"allow\"} 1"))
                #expect(response.text.contains("rescind_decision_duration_seconds_bucket"))
                #expect(response.text.contains("rescind_policy_reloads_total{result=\"error\"} 0"))
                #expect(response.text.contains("rescind_policy_loaded 1"))
            }
        }
    }
}

/// Tokens: admin endpoints need the admin token; decisions need one only when set.
@Suite struct AuthorizationTests {
    @Test func adminEndpointsNeedTheToken() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/policies:reload", method: .post) {
                #expect($0.status == .unauthorized)
                #expect($0.errorCode == "unauthorized")
                #expect($0.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/v1/policies:reload", method: .post, headers: bearer("wrong")) {
                #expect($0.status == .forbidden)
                #expect($0.errorCode == "forbidden")
            }
            try await client.execute(uri: "/v1/policies:check", method: .post, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .unauthorized)
            }
        }
        try await Fixture.app(adminToken: nil).app.test(.router) { client in
            try await client.execute(uri: "/v1/policies:reload", method: .post, headers: bearer("anything")) {
                #expect($0.status == .forbidden)
                #expect($0.errorCode == "admin-disabled")
            }
        }
    }

    @Test func decisionTokenWhenConfigured() async throws {
        let request = try Fixture.request("buyer-paid-card")
        try await Fixture.app(decisionToken: "d-token").app.test(.router) { client in
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(bearer("d-token")), body: ByteBuffer(string: request)
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/decisions:batch", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: "[]")) {
                #expect($0.status == .unauthorized)
            }
        }
    }
}

/// Reloading: a good edit is served; a broken one never is.
@Suite struct ReloadTests {
    @Test func goodEditIsServedAfterReload() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let request = try Fixture.request("buyer-paid-card")
        try await Fixture.app(policies: folder.path).app.test(.router) { client in
            let setFile = folder.appendingPathComponent("policy-set.yaml")
            let text = try String(contentsOf: setFile, encoding: .utf8)
            try text.replacingOccurrences(of: "version: \"2026.12\"", with: "version: \"2027.01\"")
                .write(to: setFile, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/v1/policies:reload", method: .post, headers: bearer(Fixture.adminToken)) {
                #expect($0.status == .ok)
                #expect(($0.object["policy"] as? [String: Any])?["version"] as? String == "2027.01")
            }
            let after = try Fixture.expectedDecision(request, policies: folder.path)
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.text.contains("\"version\":\"2027.01\""))
                #expect($0.text == after)
            }
            try await client.execute(uri: "/v1/policies", method: .get) {
                #expect(($0.object["reloads"] as? [String: Int]) == ["total": 1, "failed": 0])
            }
        }
    }

    @Test func brokenEditKeepsTheOldSet() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let request = try Fixture.request("buyer-paid-card")
        let before = try Fixture.expectedDecision(request, policies: folder.path)
        try await Fixture.app(policies: folder.path).app.test(.router) { client in
            let file = folder.appendingPathComponent("refunds.yaml")
            let text = try String(contentsOf: file, encoding: .utf8)
            try (text + "\n  this: [is not: valid\n").write(to: file, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/v1/policies:reload", method: .post, headers: bearer(Fixture.adminToken)) {
                #expect($0.status == .unprocessableContent)
                #expect($0.errorCode == "policies-invalid")
            }
            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                #expect($0.status == .ok)
                #expect($0.text == before)
            }
            try await client.execute(uri: "/v1/policies", method: .get, headers: bearer(Fixture.adminToken)) { response in
                let object = response.object
                #expect((object["reloads"] as? [String: Int]) == ["total": 1, "failed": 1])
                let last = try #require(object["last_reload"] as? [String: Any])
                #expect(last["ok"] as? Bool == false)
                #expect(((last["diagnostics"] as? [Any])?.count ?? 0) > 0)
            }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) {
                #expect($0.text.contains("rescind_policy_reloads_total{result=\"error\"} 1"))
            }
        }
    }

    /// Decisions keep succeeding, never an error and always the set's decision, while
    /// reloads swap (equal) sets underneath them; `ReloadUnderLoadTests` does this over
    /// a socket with sets that differ.
    @Test func reloadUnderLoad() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let request = try Fixture.request("buyer-paid-card")
        let expected = try Fixture.expectedDecision(request, policies: folder.path)
        let (app, store) = Fixture.app(policies: folder.path)
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<5 { await store.reload() }
                }
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<25 {
                            try await client.execute(uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)) {
                                #expect($0.status == .ok)
                                #expect($0.text == expected)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(store.reloadCounts == (5, 0))
    }
}

/// `POST /v1/policies:check`: a candidate set's diagnostics, without serving it.
@Suite struct CheckTests {
    static func candidate(_ edit: (inout [String: String]) -> Void = { _ in }) throws -> String {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: Fixture.policies) where !name.hasSuffix(".tests.yaml") {
            files[name] = try String(contentsOfFile: Fixture.policies + "/" + name, encoding: .utf8)
        }
        edit(&files)
        return String(decoding: try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func cleanAndBrokenCandidates() async throws {
        let (app, store) = Fixture.app()
        let digest = store.current?.policySet.digest
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken),
                body: ByteBuffer(string: try Self.candidate())
            ) { response in
                #expect(response.status == .ok)
                #expect(response.object["ok"] as? Bool == true)
                #expect((response.object["policy"] as? [String: Any])?["name"] as? String == "marketplace-cancellations")
            }
            let broken = try Self.candidate { $0["refunds.yaml"] = "kind: refunds\nnot valid: [" }
            try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken), body: ByteBuffer(string: broken)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.object["ok"] as? Bool == false)
                let diagnostics = try #require(response.object["diagnostics"] as? [[String: Any]])
                #expect(!diagnostics.isEmpty)
            }
            try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken),
                body: ByteBuffer(string: "[1]")
            ) { #expect($0.errorCode == "check-invalid-body") }
        }
        // Checking never changes what is served.
        #expect(store.current?.policySet.digest == digest)
        #expect(store.reloadCounts == (0, 0))
    }
}

@Suite struct HelperTests {
    func items(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            jsonArrayItems(raw).map { $0.map { String(decoding: bytes[$0], as: UTF8.self) } }
        }
    }

    @Test func arraySplitting() {
        #expect(items(" [ ] ") == [])
        #expect(items("[{\"a\":\"x,]}\\\"\"}, [1,2] ,3]") == ["{\"a\":\"x,]}\\\"\"}", " [1,2] ", "3"])
        #expect(items("{}") == nil)
        #expect(items("[1,]") == nil)
        #expect(items("[1] x") == nil)
        #expect(items("[1") == nil)
    }

    @Test func acceptLanguage() {
        let matcher = LocaleMatcher(supported: ["en", "zh-CN"])
        #expect(negotiateLocale("zh-CN,zh;q=0.9,en;q=0.8", matcher: matcher) == "zh-CN")
        #expect(negotiateLocale("en-GB", matcher: matcher) == "en")
        #expect(negotiateLocale("zh-TW;q=0.5, en;q=0.4", matcher: matcher) == "zh-CN")
        #expect(negotiateLocale("fr;q=1, zh_cn;q=0.2", matcher: matcher) == "zh-CN")
        #expect(negotiateLocale("en;q=0, fr", matcher: matcher) == nil)
        #expect(negotiateLocale("*", matcher: matcher) == nil)
    }
}
