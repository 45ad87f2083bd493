import CELRuntime
import Foundation
import Rescind

/// How `rescind workbench` runs: which folder it edits, what it replays, where it listens.
package struct WorkbenchConfiguration: Sendable {
    /// The policy folder the page edits and saves into (with its `*.tests.yaml`).
    package var policies: String
    /// A decision log or sample requests file replayed for "impact before saving"; nil
    /// leaves that part of the page off.
    package var requests: String?
    /// Loopback by default: the page can write the policy files.
    package var host: String = "127.0.0.1"
    package var port: Int = 8081
    /// The largest request body the page may send (every file of the set, as JSON).
    package var maxBodyBytes: Int = 8 << 20
    /// Serve the page's files from this folder instead of the bundled copies (for
    /// working on the page itself without rebuilding).
    package var assets: String?
    /// "Today" for the load-time checks that look at the calendar's coverage (tests pin it).
    package var today: CivilDate?
    /// The limits on loading the policies, for the saved folder and every edit alike
    /// (`--max-file-size` and the rest).
    package var policyLimits: PolicyLimits = .default

    package init(policies: String, requests: String? = nil) {
        self.policies = policies
        self.requests = requests
    }
}
