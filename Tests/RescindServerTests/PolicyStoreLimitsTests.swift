import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import RescindEngine
import Testing

@testable import RescindServer

/// The store loads with the limits it was given, at start-up, on reload and for a
/// checked candidate alike (`rescind serve --max-file-size`).
@Suite struct PolicyStoreLimitsTests {
    /// `text` padded with comment lines to about 1.5 MiB.
    static func padded(_ text: String) -> String {
        let line = "# " + String(repeating: "padding ", count: 9) + "\n"
        return text + String(repeating: line, count: (3 << 19) / line.utf8.count)
    }

    static var raised: PolicyLimits {
        var limits = PolicyLimits.default
        limits.yaml.maxFileSize = 4 << 20
        return limits
    }

    @Test func loadsReloadsAndChecksWithinTheConfiguredLimits() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("refunds.yaml")
        let original = try String(contentsOf: file, encoding: .utf8)
        let defaults = PolicyStore(paths: [folder.path], logger: Fixture.logger)
        let raised = PolicyStore(paths: [folder.path], policyLimits: Self.raised, logger: Fixture.logger)
        #expect(defaults.loadNow().policySet != nil)
        #expect(raised.loadNow().policySet != nil)

        try Data(Self.padded(original).utf8).write(to: file)
        let refused = await defaults.reload()
        #expect(refused.firstError?.hasPrefix("yaml-size-limit: ") == true, "\(String(describing: refused.firstError))")
        let accepted = await raised.reload()
        #expect(accepted.firstError == nil)
        #expect(raised.reloadCounts == (total: 1, failed: 0))

        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            (path: $0, text: try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
        }
        #expect(await defaults.check(sources).policySet == nil)
        #expect(await raised.check(sources).policySet != nil)
    }

    /// The application `serve` builds decodes requests within the configured shape
    /// limits, with `--max-body-bytes` as their size.
    @Test func decisionsDecodeWithinTheConfiguredRequestLimits() async throws {
        var configuration = ServerConfiguration(policies: [Fixture.policies])
        configuration.watchInterval = 0
        #expect(configuration.requestLimits == RequestLimitsProbe.defaults(maxBytes: configuration.maxBodyBytes))
        configuration.requestShape.maxDepth = 1
        let request = try Fixture.request("buyer-paid-card")
        try await buildApplication(configuration: configuration, logger: Fixture.logger).test(.router) { client in
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)
            ) { response in
                #expect(response.status == .badRequest)
            }
        }
        configuration.requestShape.maxDepth = 32
        try await buildApplication(configuration: configuration, logger: Fixture.logger).test(.router) { client in
            try await client.execute(
                uri: "/v1/decisions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

/// The request limits `serve` had before they were settings.
enum RequestLimitsProbe {
    static func defaults(maxBytes: Int) -> RescindEngine.RequestLimits {
        var limits = RescindEngine.RequestLimits.default
        limits.maxBytes = maxBytes
        return limits
    }
}
