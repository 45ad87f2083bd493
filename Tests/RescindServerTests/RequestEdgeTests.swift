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

/// What the routes ask of a request before deciding: its media type, the bearer token's
/// spelling, and what `/v1/policies` shows without the admin token.
@Suite struct RequestEdgeTests {
    @Test func decisionBodiesMustBeJSON() async throws {
        let request = try Fixture.request("buyer-paid-card")
        try await Fixture.app().app.test(.router) { client in
            for type in [nil, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                var headers: HTTPFields = [:]
                if let type { headers[.contentType] = type }
                for uri in ["/v1/decisions", "/v1/decisions:batch"] {
                    try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: request)) {
                        #expect($0.status == .unsupportedMediaType, "\(uri) \(type ?? "none")")
                        #expect($0.errorCode == "unsupported-media-type")
                    }
                }
            }
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/cloudevents+json"] {
                try await client.execute(
                    uri: "/v1/decisions", method: .post, headers: [.contentType: type], body: ByteBuffer(string: request)
                ) { #expect($0.status == .ok, "\(type)") }
            }
            // `:check` takes JSON or a tar; anything else is refused too.
            try await client.execute(
                uri: "/v1/policies:check", method: .post,
                headers: [.authorization: "Bearer \(Fixture.adminToken)", .contentType: "text/plain"],
                body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .unsupportedMediaType)
            }
        }
    }

    @Test func bearerSchemeInAnyCase() async throws {
        try await Fixture.app().app.test(.router) { client in
            for header in ["bearer \(Fixture.adminToken)", "BEARER \(Fixture.adminToken)", "Bearer   \(Fixture.adminToken) "] {
                try await client.execute(uri: "/v1/policies:reload", method: .post, headers: [.authorization: header]) {
                    #expect($0.status == .ok, "\(header)")
                }
            }
            for header in ["Basic \(Fixture.adminToken)", "Bearer", "Bearer ", Fixture.adminToken] {
                try await client.execute(uri: "/v1/policies:reload", method: .post, headers: [.authorization: header]) {
                    #expect($0.status == .unauthorized, "\(header)")
                }
            }
        }
        #expect(bearerToken("bearer abc") == "abc")
        #expect(bearerToken("Bearer") == nil)
        #expect(bearerToken("Token abc") == nil)
    }

    /// Paths and diagnostics tell an outsider where the service keeps what: only the
    /// admin token shows them.
    @Test func policiesDocumentHidesPathsWithoutTheAdminToken() async throws {
        try await Fixture.app().app.test(.router) { client in
            try await client.execute(uri: "/v1/policies", method: .get) { response in
                let object = response.object
                #expect(object["policy"] is [String: Any])
                #expect(object["source"] == nil && object["files"] == nil, "\(response.text)")
                #expect(!response.text.contains(Fixture.policies))
            }
            try await client.execute(uri: "/v1/policies", method: .get, headers: bearer("wrong")) { response in
                #expect(response.object["source"] == nil)
            }
            try await client.execute(uri: "/v1/policies", method: .get, headers: bearer(Fixture.adminToken)) { response in
                #expect(response.object["source"] as? [String] == [Fixture.policies])
                #expect((response.object["files"] as? [String])?.isEmpty == false)
            }
        }
    }
}
