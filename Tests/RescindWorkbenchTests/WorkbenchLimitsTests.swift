import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import Testing

@testable import RescindWorkbench

/// The workbench checks every edit within the limits it was started with
/// (`rescind workbench --max-file-size`), as `rescind check` would.
@Suite("workbench limits")
struct WorkbenchLimitsTests {
    static func app(_ folder: String, limits: PolicyLimits) -> some ApplicationProtocol {
        var configuration = WorkbenchConfiguration(policies: folder)
        configuration.port = 0
        configuration.policyLimits = limits
        return buildWorkbenchApplication(configuration: configuration)
    }

    @Test("an edit past the default file size fails the check, and passes with the limit raised")
    func editCheckedWithTheConfiguredLimits() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        var padded = try Workbench.files(folder)
        let line = "# " + String(repeating: "padding ", count: 9) + "\n"
        padded["refunds.yaml"]! += String(repeating: line, count: (3 << 19) / line.utf8.count)
        let files = padded

        try await Self.app(folder, limits: .default).test(.router) { client in
            let answer = try await client.post("/api/check", files: files)
            #expect(answer["ok"] as? Bool == false)
            let codes = (answer["diagnostics"] as? [[String: Any]])?.compactMap {
                ($0["diagnostic"] as? [String: Any])?["code"] as? String
            }
            #expect(codes == ["yaml-size-limit"])
        }
        var raised = PolicyLimits.default
        raised.yaml.maxFileSize = 4 << 20
        try await Self.app(folder, limits: raised).test(.router) { client in
            let answer = try await client.post("/api/check", files: files)
            #expect(answer["ok"] as? Bool == true, "\(answer["summary"] ?? "")")
        }
    }
}
