import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Rescind
import RescindWorkbench

/// `rescind workbench`: the policy folder in a page on this machine — the policy book,
/// an editor checked as one types, "try a request", the policy tests, the impact of the
/// edit on recorded requests, and save (docs/workbench.md).
struct WorkbenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbench",
        abstract: "Edit, check, try, test and replay policies in a page in the browser, then save.",
        discussion: """
            Serves a page on this machine (127.0.0.1:8081 by default; no network, no CDN): open the \
            address it logs. Saving writes the policy files back only when the edited set loads \
            without an error and the folder has not changed on disk since the page read it; \
            otherwise the page offers the edit as a patch. --requests names a decision log or a \
            file of sample requests to replay the edit against ("impact"), as `rescind replay` does \
            with the saved folder as baseline. Stops on SIGINT or SIGTERM.

            Exit codes: 0 stopped, 3 the folder cannot be read, 64 usage error.

            Examples:
              rescind workbench --policies Policies
              rescind workbench --policies Policies --requests Examples/ci/sample-requests.jsonl
              rescind workbench --policies Policies --port 0    # a free port, logged
            """)

    @Option(help: ArgumentHelp("The policy folder to edit.", valueName: "DIR"), completion: .directory)
    var policies: String = "Policies"

    @Option(
        help: ArgumentHelp("A decision log or sample requests (JSON lines) to replay edits against.", valueName: "FILE"),
        completion: .file(extensions: ["jsonl", "json"]))
    var requests: String?

    @Option(help: "The address to listen on; keep it on loopback: the page can write the policy files.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one, logged).")
    var port: Int = 8081

    @Option(help: ArgumentHelp("Serve the page's files from this folder (for working on the page).", valueName: "DIR"))
    var assets: String?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    /// The day calendars' coverage is measured against, for tests (also `RESCIND_TODAY`).
    @Option(help: .hidden)
    var today: String?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: policies, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--policies `\(policies)` is not a folder")
        }
        if let requests, !FileManager.default.isReadableFile(atPath: requests) {
            throw ValidationError("--requests: cannot read `\(requests)`")
        }
    }

    /// What the page runs with; the policy limits are the ones every load of the
    /// folder and of each edit applies.
    func workbenchConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> WorkbenchConfiguration
    {
        var configuration = WorkbenchConfiguration(policies: policies, requests: requests)
        configuration.host = host
        configuration.port = port
        configuration.assets = assets
        configuration.policyLimits = try limitOptions.limits(environment: environment)
        configuration.today = try CheckCommand.today(option: today, environment: environment["RESCIND_TODAY"])
        return configuration
    }

    func run() async throws {
        let configuration = try workbenchConfiguration()
        var logger = Logger(label: "rescind.workbench")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let app = buildWorkbenchApplication(configuration: configuration, logger: logger)
        try await app.runService()
    }
}
