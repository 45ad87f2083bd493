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

/// Builds applications over the shipped policies (or a temp copy of them) and
/// computes the decisions `rescind eval --json` would print, to compare bytes.
enum Fixture {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let policies = packageRoot.appendingPathComponent("Policies").path
    static let adminToken = "admin-secret"

    static func request(_ name: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent("Examples/requests/\(name).json"), encoding: .utf8)
    }

    /// A quiet logger: tests check responses, not log lines.
    static var logger: Logger {
        var logger = Logger(label: "rescind.test")
        logger.logLevel = .critical
        return logger
    }

    /// A loaded store and an application over it.
    static func app(
        policies: String = Fixture.policies, adminToken: String? = Fixture.adminToken, decisionToken: String? = nil,
        maxBodyBytes: Int = 1 << 20, maxBatch: Int = 100
    ) -> (app: some ApplicationProtocol, store: PolicyStore) {
        let configuration = ServerConfiguration(
            policies: [policies], adminToken: adminToken, decisionToken: decisionToken, maxBodyBytes: maxBodyBytes,
            maxBatch: maxBatch)
        let store = PolicyStore(paths: [policies], logger: logger)
        store.loadNow()
        return (buildApplication(configuration: configuration, store: store, logger: logger), store)
    }

    /// What `rescind eval --json` prints for `request` against `policies`.
    static func expectedDecision(_ request: String, policies: String = Fixture.policies, options: DecisionOptions = .init())
        throws -> String
    {
        let set = try #require(LoadedPolicies.load(paths: [policies]).policySet)
        let decoded = try RequestDecoder(schema: set.schema).decode(request).get()
        return set.decide(decoded.root, options: options).json + "\n"
    }

    /// A temp copy of Policies/ (policy files only), removed by the caller.
    static func policyCopy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: policies) where !name.hasSuffix(".tests.yaml") {
            try FileManager.default.copyItem(
                atPath: policies + "/" + name, toPath: folder.appendingPathComponent(name).path)
        }
        return folder
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object; empty (and a recorded issue) when it is not one.
    var object: [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("not a JSON object: \(text)")
            return [:]
        }
        return object
    }

    /// `error.code` of a JSON error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}


func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

/// `Content-Type: application/json`, which the decision endpoints require (415 without
/// it), added to `fields`.
func jsonHeaders(_ fields: HTTPFields = [:]) -> HTTPFields {
    var fields = fields
    fields[.contentType] = "application/json"
    return fields
}
