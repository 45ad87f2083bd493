import ArgumentParser
import Foundation
import RescindServer

#if canImport(Glibc)
import Glibc
#endif

/// `rescind serve`'s connection and shutdown limits, and the token files. Each flag has
/// an environment variable, read when the flag is not given (docs/server.md).
struct ServeConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Close a keep-alive connection idle this long (default 60).", valueName: "SECONDS"))
    var idleTimeout: Double?

    @Option(help: ArgumentHelp(
        "The time from a request's first byte to the end of its head; 408 beyond (default 10).", valueName: "SECONDS"))
    var requestHeaderTimeout: Double?

    @Option(help: ArgumentHelp(
        "The time from a request's head to the end of its body; 408 beyond (default 30).", valueName: "SECONDS"))
    var requestBodyTimeout: Double?

    @Option(help: ArgumentHelp(
        "Connections open at once; more wait in the listen backlog (default 1024).", valueName: "N"))
    var maxConnections: Int?

    @Option(help: ArgumentHelp(
        "After SIGTERM or SIGINT, how long requests in flight may take before connections are closed (default 10).",
        valueName: "SECONDS"))
    var shutdownTimeout: Double?

    @Option(
        help: ArgumentHelp("Read the admin token from this file (not visible in the process list).", valueName: "PATH"),
        completion: .file())
    var adminTokenFile: String?

    @Option(
        help: ArgumentHelp("Read the decision token from this file.", valueName: "PATH"), completion: .file())
    var decisionTokenFile: String?

    /// Sets the limits of `configuration`, and its tokens from files: flags first, then
    /// `environment`, then the defaults.
    func apply(to configuration: inout ServerConfiguration, environment: [String: String]) throws {
        let settings = FlagOrVariable(environment: environment)
        func duration(_ flag: Double?, _ option: String, _ name: String, allowZero: Bool = false) throws -> Duration? {
            guard let value: Double = try settings.value(flag, name, "a number of seconds") else { return nil }
            guard value.isFinite, allowZero ? value >= 0 : value > 0, value <= 86_400 else {
                throw ValidationError(
                    "\(option) (\(name)) must be \(allowZero ? "0" : "more than 0") … 86400 seconds; found `\(value)`")
            }
            // Nanoseconds: a small positive value must not round to zero (a deadline passed at once).
            return .nanoseconds(Int64((value * 1e9).rounded(.up)))
        }
        var limits = configuration.connections
        limits.idleTimeout =
            try duration(idleTimeout, "--idle-timeout", "RESCIND_IDLE_TIMEOUT") ?? limits.idleTimeout
        limits.headerTimeout =
            try duration(requestHeaderTimeout, "--request-header-timeout", "RESCIND_REQUEST_HEADER_TIMEOUT")
            ?? limits.headerTimeout
        limits.bodyTimeout =
            try duration(requestBodyTimeout, "--request-body-timeout", "RESCIND_REQUEST_BODY_TIMEOUT")
            ?? limits.bodyTimeout
        if let count: Int = try settings.value(maxConnections, "RESCIND_MAX_CONNECTIONS", "a number") {
            guard count > 0 else {
                throw ValidationError("--max-connections (RESCIND_MAX_CONNECTIONS) must be positive; found `\(count)`")
            }
            limits.maxConnections = count
        }
        configuration.connections = limits
        configuration.shutdownTimeout =
            try duration(shutdownTimeout, "--shutdown-timeout", "RESCIND_SHUTDOWN_TIMEOUT", allowZero: true)
            ?? configuration.shutdownTimeout

        configuration.adminToken = try token(
            configuration.adminToken, file: settings.text(adminTokenFile, "RESCIND_ADMIN_TOKEN_FILE"),
            names: ("--admin-token", "--admin-token-file"))
        configuration.decisionToken = try token(
            configuration.decisionToken, file: settings.text(decisionTokenFile, "RESCIND_DECISION_TOKEN_FILE"),
            names: ("--decision-token", "--decision-token-file"))
    }

    /// The token given directly or read from `file` (one of them); an empty token is
    /// refused, as `Bearer ` with nothing after it must never be the secret.
    private func token(_ given: String?, file: String?, names: (flag: String, file: String)) throws -> String? {
        if let given, given.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("\(names.flag) must not be empty")
        }
        guard let file else { return given }
        guard given == nil else {
            throw ValidationError("give \(names.flag) or \(names.file), not both")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("\(names.file): cannot read `\(file)`")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(names.file): `\(file)` is not UTF-8 text")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ValidationError("\(names.file): `\(file)` is empty; a token must not be") }
        guard !token.contains(where: \.isWhitespace) else {
            throw ValidationError("\(names.file): the token in `\(file)` has whitespace inside it")
        }
        return token
    }
}

/// Raises the soft limit on open files to the hard limit (as Go's runtime and nginx's
/// `worker_rlimit_nofile` do), so `--max-connections` is not cut short by a low default.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
