import ArgumentParser
import RescindHistory
import Dispatch
import Foundation
import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindServer

/// `rescind serve`: decide requests over HTTP (docs/server.md).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve decisions over HTTP, reloading the policies when they change.",
        discussion: """
            Every flag has an environment variable, used when the flag is not given: \
            RESCIND_POLICIES, RESCIND_HOST, RESCIND_PORT, RESCIND_ADMIN_TOKEN, \
            RESCIND_DECISION_TOKEN, RESCIND_MAX_BODY_BYTES, RESCIND_MAX_BATCH, RESCIND_MAX_EVALUATION_COST, \
            RESCIND_WATCH_INTERVAL, RESCIND_RELOAD_SETTLE, RESCIND_DECISION_LOG, RESCIND_DECISION_LOG_MAX_BYTES, \
            RESCIND_DECISION_LOG_KEEP, RESCIND_DECISION_LOG_SAMPLE, \
            RESCIND_DECISION_LOG_BUFFER_BYTES, RESCIND_DECISION_LOG_ERROR_RATE, \
            RESCIND_DECISION_LOG_DURABILITY, RESCIND_LOG_FORMAT, RESCIND_IDLE_TIMEOUT, \
            RESCIND_REQUEST_HEADER_TIMEOUT, RESCIND_REQUEST_BODY_TIMEOUT, RESCIND_MAX_CONNECTIONS, \
            RESCIND_SHUTDOWN_TIMEOUT, RESCIND_ADMIN_TOKEN_FILE, RESCIND_DECISION_TOKEN_FILE, RESCIND_LOCALE, and \
            the limits' RESCIND_MAX_FILE_SIZE, RESCIND_MAX_YAML_DEPTH, RESCIND_MAX_ALIAS_EXPANSION, RESCIND_MAX_ERRORS, \
            RESCIND_MAX_EXPRESSION_LENGTH, RESCIND_MAX_EXPRESSION_DEPTH (docs/limits.md; every reload, check and \
            deployment loads within them), and RESCIND_MAX_REQUEST_DEPTH, RESCIND_MAX_REQUEST_LIST_LENGTH, \
            RESCIND_MAX_REQUEST_ERRORS; LOG_LEVEL sets the log level (info). The address bound is logged (`listening`, with `address`): --port 0 picks a \
            free port. SIGHUP reloads the policies; SIGTERM and SIGINT stop after the requests \
            in flight (at most --shutdown-timeout; a second signal closes connections at once), \
            write out the decision log and exit 0. Exits 3 when the policies do not \
            load at start-up.

            Examples:
              rescind serve --policies Policies
              RESCIND_ADMIN_TOKEN=secret rescind serve --policies Policies --port 9000
              curl -s localhost:8080/v1/decisions -d @Examples/requests/buyer-paid-card.json
              rescind serve --policies Policies --log-format json \\
                  --decision-log /var/log/rescind/decisions.jsonl --decision-log-keep 10
              rescind serve --port 0 --decision-log decisions.jsonl \\
                  --decision-log-sample 0.1 --decision-log-max-bytes 10485760
              rescind replay --requests decisions.jsonl \\
                  --baseline Policies --candidate Candidate
            """)

    @Option(help: ArgumentHelp("The policy folder.", valueName: "DIR"), completion: .directory)
    var policies: String?

    @Option(
        help: ArgumentHelp(
            "The language of the diagnostics printed when the policies fail to load (also RESCIND_LOCALE; default en).",
            valueName: "en|zh-CN"),
        completion: .list(DiagnosticLanguage.tags))
    var locale: String?

    @Option(help: "The address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on (default 8080).")
    var port: Int?

    @Option(help: ArgumentHelp("The bearer token for reload, check and deploy (and the full /v1/policies); without one they are refused.", valueName: "TOKEN"))
    var adminToken: String?

    @Option(help: ArgumentHelp("A bearer token the decision endpoints require.", valueName: "TOKEN"))
    var decisionToken: String?

    @Option(help: ArgumentHelp("The largest request body, in bytes (default 1048576).", valueName: "BYTES"))
    var maxBodyBytes: Int?

    @Option(help: ArgumentHelp("The most requests in one batch (default 100).", valueName: "N"))
    var maxBatch: Int?

    @Option(help: ArgumentHelp(
        "The CEL work one decision may do, across its expressions (default 100000); see docs/server.md.",
        valueName: "COST"))
    var maxEvaluationCost: Int?

    @Option(help: ArgumentHelp("Seconds between checks of the policy files for changes; 0 turns it off (default 2).", valueName: "SECONDS"))
    var watchInterval: Double?

    @Option(help: ArgumentHelp(
        "Seconds the policy files must stay unchanged before the watcher reloads them (default 1).",
        valueName: "SECONDS"))
    var reloadSettle: Double?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @OptionGroup(title: "Request limits")
    var requestShapeOptions: RequestShapeOptions

    @OptionGroup(title: "Operations")
    var operations: ServeOperationOptions

    @OptionGroup(title: "Connections")
    var connectionOptions: ServeConnectionOptions

    @OptionGroup(title: "History")
    var historyOptions: ServeHistoryOptions

    /// Flags first, then environment variables, then the defaults.
    func serverConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ServerConfiguration
    {
        let settings = FlagOrVariable(environment: environment)
        func number<T: LosslessStringConvertible>(_ flag: T?, _ name: String) throws -> T? {
            try settings.value(flag, name, "a number")
        }
        let defaults = ServerConfiguration()
        var configuration = ServerConfiguration(
            policies: [settings.text(policies, "RESCIND_POLICIES") ?? "Policies"],
            host: settings.text(host, "RESCIND_HOST") ?? defaults.host,
            port: try number(port, "RESCIND_PORT") ?? defaults.port,
            adminToken: settings.text(adminToken, "RESCIND_ADMIN_TOKEN"),
            decisionToken: settings.text(decisionToken, "RESCIND_DECISION_TOKEN"),
            maxBodyBytes: try number(maxBodyBytes, "RESCIND_MAX_BODY_BYTES") ?? defaults.maxBodyBytes,
            maxBatch: try number(maxBatch, "RESCIND_MAX_BATCH") ?? defaults.maxBatch,
            watchInterval: try number(watchInterval, "RESCIND_WATCH_INTERVAL") ?? defaults.watchInterval)
        configuration.maxEvaluationCost =
            try number(maxEvaluationCost, "RESCIND_MAX_EVALUATION_COST") ?? configuration.maxEvaluationCost
        configuration.reloadSettle = try number(reloadSettle, "RESCIND_RELOAD_SETTLE") ?? configuration.reloadSettle
        guard configuration.reloadSettle >= 0, configuration.reloadSettle.isFinite else {
            throw ValidationError("--reload-settle must be 0 or more seconds; found `\(configuration.reloadSettle)`")
        }
        guard configuration.maxEvaluationCost >= 0 else {
            throw ValidationError("--max-evaluation-cost must be 0 or more; found `\(configuration.maxEvaluationCost)`")
        }
        guard (0...65535).contains(configuration.port) else { throw ValidationError("the port must be 0…65535") }
        guard configuration.maxBodyBytes > 0, configuration.maxBatch > 0 else {
            throw ValidationError("--max-body-bytes and --max-batch must be positive")
        }
        configuration.policyLimits = try limitOptions.limits(environment: environment)
        configuration.requestShape = try requestShapeOptions.limits(environment: environment)
        try operations.apply(to: &configuration, environment: environment)
        try connectionOptions.apply(to: &configuration, environment: environment)
        try historyOptions.apply(to: &configuration, environment: environment)
        return configuration
    }

    func run() throws {
        let configuration = try serverConfiguration()
        let language = try DiagnosticLanguage.required(locale)
        bootstrapLogging(configuration.logFormat)
        var logger = Logger(label: "rescind.server")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let store = PolicyStore(
            paths: configuration.policies, limits: configuration.requestLimits,
            policyLimits: configuration.policyLimits, logger: logger)
        // A service that starts without policies would only answer 503: refuse to start,
        // with the diagnostics `rescind check` prints.
        let loaded = store.loadNow()
        if loaded.policySet == nil {
            FileHandle.standardError.write(Data(render(
                loaded.diagnostics, sources: loaded.sources, format: .human,
                locale: language).utf8))
            throw RescindExit.invalidInput
        }
        let triggers = ReloadTriggers(store: store, settle: configuration.reloadSettle)
        triggers.reloadOnHangup()
        triggers.watch(every: configuration.watchInterval)
        let metrics = ServerMetrics()
        let decisionLog: DecisionLogWriter?
        do {
            decisionLog = try configuration.decisionLog.map {
                try DecisionLogWriter(configuration: $0, metrics: metrics, logger: logger)
            }
        } catch let error as DecisionLogError {
            throw ValidationError(error.description)
        }
        let history = try configuration.history.map { try openHistory($0, policies: store, metrics: metrics, logger: logger) }
        if history == nil, let set = store.current?.policySet, set.history?.refusesRequestLists == true {
            throw ValidationError(
                "the policy set takes `\(set.history!.list)` only from a history store (`request_lists: refuse`): give --history LOCATION (or RESCIND_HISTORY)")
        }
        // Before the application is built: it sizes the connection cap by this limit.
        raiseOpenFileLimit()
        let app = buildApplication(
            configuration: configuration, store: store, metrics: metrics, decisionLog: decisionLog, history: history,
            logger: logger)
        let retention = configuration.history?.purgeInterval.flatMap { interval in
            history.map { history in
                Task {
                    await history.runRetention(
                        policies: store, every: interval, margin: configuration.history!.retentionMargin)
                }
            }
        }
        // The root command is synchronous; the server runs on the concurrency pool while
        // this thread waits. It stops on SIGTERM and SIGINT: the listener closes, the
        // requests in flight get until --shutdown-timeout, then it returns.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        let limits = (shutdown: configuration.shutdownTimeout, connections: metrics.connections, logger: logger)
        Task {
            do {
                _ = try await runUntilSignalled(
                    app, shutdownTimeout: limits.shutdown, connections: limits.connections, logger: limits.logger)
            } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        triggers.cancel()
        retention?.cancel()
        if let history { waitFor { await history.store.close() } }
        // Only now: every request has been answered, so every entry is in the buffer.
        decisionLog?.close()
        logger.info("stopped", metadata: failure.error.map { ["error": "\($0)"] } ?? [:])
        if let error = failure.error { throw error }
    }
}

/// Opens the history store before the service starts (creating the SQLite file, or
/// bringing the PostgreSQL schema up to date under its advisory lock): a store that
/// cannot be opened stops the start with its error, as invalid policies do.
private func openHistory(
    _ configuration: HistoryConfiguration, policies: PolicyStore, metrics: ServerMetrics, logger: Logger
) throws -> HistoryService {
    let box = ResultBox<any HistoryStore>()
    waitFor {
        do throws(HistoryError) {
            box.result = .success(try await configuration.location.open(queryTimeout: configuration.timeout))
        } catch {
            box.result = .failure(error)
        }
    }
    switch box.result! {
    case .success(let store):
        logger.info("history store open", metadata: ["store": "\(configuration.location)"])
        return HistoryService(store: store, location: "\(configuration.location)", metrics: metrics, logger: logger)
    case .failure(let error):
        throw ValidationError("--history \(configuration.location): \(error.message)")
    }
}

/// Runs `body` on the concurrency pool while this (synchronous) thread waits.
private func waitFor(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

private final class ResultBox<Value>: @unchecked Sendable {
    var result: Result<Value, HistoryError>?
}

/// Carries the server's error from its task to the waiting thread; the semaphore
/// orders the write before the read.
private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
