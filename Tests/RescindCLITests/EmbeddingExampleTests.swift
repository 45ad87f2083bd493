import Foundation
import Testing

/// `Examples/embedding` (the `rescind-embedding-example` product) is what README points
/// embedders to: it must build against the curated API and print what it says it does.
@Suite("Embedding example")
struct EmbeddingExampleTests {
    static var executable: URL { CLI.productsDirectory.appendingPathComponent("rescind-embedding-example") }

    /// Runs the example from the package root (where its default paths resolve).
    static func run(_ arguments: [String] = []) throws -> CLIRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = CLI.packageRoot
        // The example stops with `fatalError` on policies that do not load: no backtrace.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderrReader = PipeReader(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = stderrReader.wait()
        process.waitUntilExit()
        return CLIRun(
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            status: process.terminationStatus)
    }

    @Test("loads Policies, decides two requests, explains them in zh-CN and prints the JSON")
    func runsWithDefaults() throws {
        let run = try Self.run()
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout
        #expect(out.hasPrefix("loaded marketplace-cancellations "), "\(out)")
        // The first request: a buyer's paid order, allowed with a refund.
        #expect(out.contains("== Examples/requests/buyer-paid-card.json\neffect: allow (buyer-before-shipment)\n"), "\(out)")
        #expect(out.contains("→ the service cancels the order and refunds 129.99 CNY by "), "\(out)")
        // The second: a seller's stock-out, with the obligations the rule gives.
        #expect(out.contains("== Examples/requests/seller-stock-out-card-capped-voucher.json\n"), "\(out)")
        #expect(out.contains("  - notify: to buyer, within 24h, due_by 2026-12-04T16:00:00+08:00, reason "), "\(out)")
        // Each explained in Chinese, whatever the request's locale.
        #expect(out.components(separatedBy: "-- explanation (zh-CN)\n决策说明：\n").count == 3, "\(out)")
        // And each decision's JSON, one line.
        let json = out.split(separator: "\n").filter { $0.hasPrefix("{\"request_id\":") }
        #expect(json.map { $0.prefix(30) } == [#"{"request_id":"req-1","effect""#, #"{"request_id":"req-seller-stoc"#])
    }

    @Test("the example's JSON is the decision `rescind eval --json` prints, byte for byte")
    func jsonMatchesTheCLI() throws {
        let example = try Self.run(["Policies", "Examples/requests/abuse-review.json"])
        let cli = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/abuse-review.json"])
        let line = example.stdout.split(separator: "\n").first { $0.hasPrefix("{\"request_id\":") }
        #expect(line.map { String($0) + "\n" } == cli.stdout)
    }

    @Test("a policy folder with errors is reported at its place, and the example stops")
    func reportsPolicyErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("embedding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("kind: rules\nrules:\n  - id: x\n    when: order.totl > 1\n".utf8)
            .write(to: folder.appendingPathComponent("rules.yaml"))
        let run = try Self.run([folder.path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("do not load:\nerror[policy-missing-document]: "), "\(run.stderr)")
        #expect(run.stderr.contains("\(folder.path)/rules.yaml:3:5: error[yaml-missing-key]: "), "\(run.stderr)")
        #expect(!run.stdout.contains("\n== "), "nothing is decided: \(run.stdout)")
    }
}
