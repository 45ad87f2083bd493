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
    /// The decision log; nil (the default) logs no decisions.
    package var decisionLog: DecisionLogConfiguration? = nil
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
