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

/// The exact bytes of the server's JSON that no other test pins: a log line, an error
/// body, the deploy, check and readiness answers, a shortened error object of the
/// decision log. Each is written by `RescindJSON`'s writer; these tests hold it to the
/// bytes the hand-built strings wrote before.
@Suite struct ServerJSONBytesTests {
    struct Failure: Error, CustomStringConvertible { var description: String { "disk \"full\"" } }

    @Test func aLogLineEscapesQuotesControlsAndKeepsNonASCII() {
        var handler = JSONLogHandler(label: "rescind.test", output: { _ in })
        handler.metadata = ["instance": "a"]
        let event = LogEvent(
            level: .warning, message: "say \"hi\"\n\té ✓ \u{1}\u{7F}", error: Failure(),
            metadata: [
                "timestamp": "shadow", "files": .array([.string("a \"b\""), .stringConvertible(3)]),
                "reload": .dictionary(["trigger": "sig\nhup"]),
            ],
            source: "RescindServer", file: #fileID, function: #function, line: #line)
        let line = handler.line(for: event, at: WallClock(seconds: 1_783_056_382, nanoseconds: 830_999))
        #expect(String(decoding: line, as: UTF8.self) == #"""
            {"timestamp":"2026-07-03T05:26:22.000830Z","level":"warning","label":"rescind.test","message":"say \"hi\"\n\té ✓ \u0001\u007f","files":["a \"b\"","3"],"instance":"a","reload.trigger":"sig\nhup","metadata.timestamp":"shadow","error":"disk \"full\"","source":"RescindServer"}

            """#)
    }

    @Test func aLogLineWithoutMetadataOrError() {
        let handler = JSONLogHandler(label: "l", output: { _ in })
        let event = LogEvent(
            level: .info, message: "", metadata: nil, source: "S", file: #fileID, function: #function, line: #line)
        let line = handler.line(for: event, at: WallClock(seconds: 0, nanoseconds: 999_999_999))
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"timestamp":"1970-01-01T00:00:00.999999Z","level":"info","label":"l","message":"","source":"S"}"# + "\n")
    }

    @Test func anAPIErrorBody() {
        let error = APIError(.badRequest, code: "bad-\"code\"", message: "line 1\nline \"2\" — é\u{0}")
        #expect(error.object == #"{"error":{"code":"bad-\"code\"","message":"line 1\nline \"2\" — é\u0000"}}"#)
    }

    @Test func aShortenedDecisionLogErrorObject() {
        let error = RequestError(errors: [
            RequestFieldError(
                code: .unknownField, message: String(repeating: "é\"", count: 600), help: "drop it",
                path: "$." + String(repeating: "k", count: 300), offset: 0)
        ])
        let expected = #"{"code":"request-unknown-field","message":""# + String(repeating: #"é\""#, count: 200)
            + #"…","path":"$."# + String(repeating: "k", count: 198) + #"…"}"#
        #expect(DecisionLogEntry.errorObject(error) == expected)
        // Short enough: the whole object, help included.
        let short = RequestError(errors: [
            RequestFieldError(code: .unknownField, message: "m", help: "h", path: "$.x", offset: 0)
        ])
        #expect(DecisionLogEntry.errorObject(short)
            == #"{"code":"request-unknown-field","message":"m","path":"$.x","help":"h"}"#)
    }

    @Test func readinessAndCheckAnswers() async throws {
        let (app, store) = Fixture.app()
        let identity = identityJSON(try #require(store.current).policySet)
        let files = try Fixture.policyFiles()
        let broken = files.merging(["refunds.yaml": (files["refunds.yaml"] ?? "") + "\n  this: [is not: valid\n"]) { $1 }
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) {
                #expect($0.text == #"{"status":"ready","policy":"# + identity + "}\n")
            }
            try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(broken)
            ) {
                #expect($0.text.hasPrefix(#"{"ok":false,"policy":null,"diagnostics":[{"severity":"error","code":"#))
                #expect($0.text.hasSuffix("}]}\n"))
            }
            try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(files)
            ) { response in
                let policy = try #require(response.object["policy"] as? [String: Any])
                #expect(response.text.hasPrefix(#"{"ok":true,"policy":{"name":"# + "\"\(policy["name"] as? String ?? "")\""))
                #expect(response.text.hasSuffix("]}\n"))
            }
        }
    }

    @Test func deployAnswers() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let (app, store) = Fixture.app(policies: layout.link)
        let previous = identityJSON(try #require(store.current).policySet)
        let broken = try layout.files { name, text in name == "refunds.yaml" ? text + "\n  this: [is not: valid\n" : text }
        let candidate = LoadedPolicies.load(folder: layout.link, files: broken.map { ($0.key, $0.key, $0.value) })
        let diagnostics = candidate.diagnostics.map(JSONDiagnosticRenderer().object).joined(separator: ",")
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/policies:deploy", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(broken)
            ) {
                #expect($0.text == #"{"error":{"code":"policies-invalid","message":"the candidate has errors; nothing was deployed and the previous set is still served"},"ok":false,"policy":"#
                    + previous + #","diagnostics":["# + diagnostics + "]}\n")
            }
            var deployed = ""
            try await client.execute(
                uri: "/v1/policies:deploy", method: .post, headers: bearer(Fixture.adminToken),
                body: try jsonBody(try layout.files(bumpVersion))
            ) { response in
                #expect(response.status == .ok)
                deployed = response.text
            }
            let folder = try #require(
                (try JSONSerialization.jsonObject(with: Data(deployed.utf8)) as? [String: Any])
                    .flatMap { $0["deployed"] as? [String: Any] }?["folder"] as? String)
            try await client.execute(uri: "/v1/policies", method: .get, headers: bearer(Fixture.adminToken)) {
                // `deployed`, then the members of the policies document as it is served now.
                #expect(deployed == #"{"deployed":{"folder":"# + jsonString(folder) + #","previous":"# + previous + "},"
                    + $0.text.dropFirst())
            }
        }
    }
}

extension Fixture {
    /// The shipped policy files by name (tests excluded), for `:check` bodies.
    static func policyFiles() throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: policies) where !name.hasSuffix(".tests.yaml") {
            files[name] = try String(contentsOfFile: policies + "/" + name, encoding: .utf8)
        }
        return files
    }
}
