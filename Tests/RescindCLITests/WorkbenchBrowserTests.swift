import Foundation
import Testing

/// `rescind workbench` in a real browser: Tests/Browser/workbench_browser_test.py drives
/// headless Chromium through Selenium (Debian's `chromium`, `chromium-driver` and
/// `python3-selenium`, which .ci/run installs) against the real binary. Without them the
/// test is skipped, saying what is missing; with `RESCIND_REQUIRE_BROWSER=1` (set by
/// .ci/run) it fails instead, so CI can never pass by skipping it.
@Suite("workbench in a browser")
struct WorkbenchBrowserTests {
    /// Debian's Python: the one its `python3-selenium` is installed for (a `python3`
    /// earlier on PATH, e.g. pyenv's, may not have it).
    static let python = "/usr/bin/python3"

    /// What is missing to run the browser test; empty when it can run.
    static let missing: [String] = {
        var missing: [String] = []
        let manager = FileManager.default
        if !manager.isExecutableFile(atPath: python) {
            missing.append("python3 (\(python))")
        } else if (try? CLI.runProcess(python, ["-c", "import selenium"]))?.status != 0 {
            missing.append("python3-selenium")
        }
        if !["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains(where: manager.isExecutableFile) {
            missing.append("chromium")
        }
        if !manager.isExecutableFile(atPath: "/usr/bin/chromedriver") { missing.append("chromium-driver") }
        return missing
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["RESCIND_REQUIRE_BROWSER"] == "1" }

    @Test(
        "edit a threshold, see a typo's diagnostic at its line, fix it, try a request, see the flips, save",
        .enabled(if: missing.isEmpty || required, "needs \(missing.joined(separator: ", ")) (apt-get install chromium chromium-driver python3-selenium)"),
        .timeLimit(.minutes(5)))
    func analystSession() throws {
        try #require(Self.missing.isEmpty, "RESCIND_REQUIRE_BROWSER=1 but missing: \(Self.missing.joined(separator: ", "))")
        let script = CLI.packageRoot.appendingPathComponent("Tests/Browser/workbench_browser_test.py").path
        let run = try CLI.runProcess(Self.python, [script, "--binary", CLI.executable.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("every step passed"))
    }
}
