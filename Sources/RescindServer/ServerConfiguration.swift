import Rescind
import RescindEngine
import RescindHistory
/// Everything `rescind serve` can be told, by flag or environment variable. Defaults
/// are safe for a loopback deployment: no tokens means admin endpoints are refused.
package struct ServerConfiguration: Sendable {
    /// The policy folder (or files) served and reloaded.
    package var policies: [String]
    /// The address to listen on.
    package var host: String
    package var port: Int
    /// The bearer token `POST /v1/policies:reload` and `POST /v1/policies:check`
    /// require; nil refuses them (403), so an operator must opt in.
    package var adminToken: String?
    /// When set, the bearer token the decision endpoints require.
    package var decisionToken: String?
    /// The largest request body accepted, in bytes, on every endpoint (413 beyond).
    package var maxBodyBytes: Int
    /// The most requests one `POST /v1/decisions:batch` may carry.
    package var maxBatch: Int
    /// How often the policy folder is polled for changes (seconds); 0 turns watching off.
    package var watchInterval: Double
    /// How long the policy files must stay unchanged before the watcher reloads them
    /// (seconds), so a change of several files is read whole; 0 reloads at once.
    package var reloadSettle: Double = 1
    /// The CEL work one decision may do across all its expressions
    /// (`DecisionOptions.costBudget`): a policy whose comprehensions meet a huge request
    /// list cannot hold a worker. A decision that runs out reports a problem and, as for
    /// any failed condition, the condition does not hold.
    package var maxEvaluationCost: Int = 100_000
    /// The limits on loading the policies (`--max-file-size` and the rest), for the
    /// start-up load and every reload, check and deployment.
    package var policyLimits: PolicyLimits = .default
    /// The bounds on a decoded request other than its size (`--max-request-depth` and
    /// the rest); the size is `maxBodyBytes`.
    package var requestShape: RequestLimits = .default
    /// What each request is decoded within: `requestShape` with `maxBodyBytes` as the size.
    package var requestLimits: RequestLimits {
        var limits = requestShape
        limits.maxBytes = maxBodyBytes
        return limits
    }
    /// The decision log; nil (the default) logs no decisions.
    package var decisionLog: DecisionLogConfiguration? = nil
    /// Rescind's history store (`--history`); nil (the default) keeps none.
    package var history: HistoryConfiguration? = nil
    /// How the service's own logs are written.
    package var logFormat: LogFormat = .text
    /// Idle, head and body deadlines and the most connections open at once.
    package var connections = ConnectionLimits()
    /// After SIGTERM or SIGINT, how long the requests in flight may take before the
    /// remaining connections are closed (a second signal closes them at once).
    package var shutdownTimeout: Duration = .seconds(10)

    package init(
        policies: [String] = ["Policies"], host: String = "127.0.0.1", port: Int = 8080, adminToken: String? = nil,
        decisionToken: String? = nil, maxBodyBytes: Int = 1 << 20, maxBatch: Int = 100, watchInterval: Double = 2
    ) {
        self.policies = policies
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.decisionToken = decisionToken
        self.maxBodyBytes = maxBodyBytes
        self.maxBatch = maxBatch
        self.watchInterval = watchInterval
    }
}

/// Where `rescind serve` keeps the cancellation history, and its schedule.
package struct HistoryConfiguration: Sendable {
    /// `sqlite:PATH` or `postgres://…` (`HistoryLocation`).
    package var location: HistoryLocation
    /// The most a store call may take; a lookup that takes longer makes the decision
    /// `history-unavailable` (`on_history_unavailable`).
    package var timeout: Duration = .milliseconds(500)
    /// Events are kept this long past the longest window a threshold counts.
    package var retentionMargin: Duration = .seconds(7 * 86_400)
    /// How often old events are purged; nil never.
    package var purgeInterval: Duration? = .seconds(3600)

    package init(location: HistoryLocation) { self.location = location }
}
