import Foundation
import Testing

@testable import rescind
import RescindServer

/// `rescind serve`'s connection and shutdown settings, and token files.
@Suite struct ServeLimitsConfigurationTests {
    func configuration(_ arguments: [String], _ environment: [String: String] = [:]) throws -> ServerConfiguration {
        try ServeCommand.parse(arguments).serverConfiguration(environment: environment)
    }

    @Test func limitsFromFlagsVariablesAndDefaults() throws {
        let defaults = try configuration([])
        #expect(defaults.connections == ConnectionLimits())
        #expect(defaults.connections.idleTimeout == .seconds(60) && defaults.connections.headerTimeout == .seconds(10))
        #expect(defaults.connections.bodyTimeout == .seconds(30) && defaults.connections.maxConnections == 1024)
        #expect(defaults.shutdownTimeout == .seconds(10))

        let environment = [
            "RESCIND_IDLE_TIMEOUT": "5", "RESCIND_REQUEST_HEADER_TIMEOUT": "2.5", "RESCIND_REQUEST_BODY_TIMEOUT": "7",
            "RESCIND_MAX_CONNECTIONS": "300", "RESCIND_SHUTDOWN_TIMEOUT": "0",
        ]
        let fromEnvironment = try configuration([], environment)
        #expect(
            fromEnvironment.connections
                == ConnectionLimits(
                    idleTimeout: .seconds(5), headerTimeout: .milliseconds(2500), bodyTimeout: .seconds(7),
                    maxConnections: 300))
        #expect(fromEnvironment.shutdownTimeout == .zero)
        let fromFlags = try configuration(["--idle-timeout", "1", "--max-connections", "9", "--shutdown-timeout", "3"], environment)
        #expect(fromFlags.connections.idleTimeout == .seconds(1) && fromFlags.connections.maxConnections == 9)
        #expect(fromFlags.connections.headerTimeout == .milliseconds(2500))
        #expect(fromFlags.shutdownTimeout == .seconds(3))
    }

    @Test func badLimitsAreUsageErrors() throws {
        for (arguments, environment, mention) in [
            (["--idle-timeout", "0"], [:], "--idle-timeout"), (["--request-body-timeout=-1"], [:], "`-1.0`"),
            ([], ["RESCIND_REQUEST_HEADER_TIMEOUT": "soon"], "`soon`"), (["--max-connections", "0"], [:], "`0`"),
            (["--shutdown-timeout", "100000"], [:], "--shutdown-timeout"),
        ] as [([String], [String: String], String)] {
            let error = #expect(throws: (any Error).self) { try configuration(arguments, environment) }
            #expect(error.map { "\($0)".contains(mention) } == true, "\(arguments): \(String(describing: error))")
        }
    }

    @Test func tokensFromFilesAndEmptyTokensRefused() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("admin-token")
        try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try configuration(["--admin-token-file", file.path]).adminToken == "s3cret")
        #expect(try configuration([], ["RESCIND_DECISION_TOKEN_FILE": file.path]).decisionToken == "s3cret")

        let empty = folder.appendingPathComponent("empty")
        try "\n".write(to: empty, atomically: true, encoding: .utf8)
        for (arguments, environment, mention) in [
            (["--admin-token", ""], [:], "--admin-token must not be empty"),
            (["--admin-token", "  "], [:], "--admin-token must not be empty"),
            (["--admin-token-file", empty.path], [:], "is empty"),
            (["--admin-token-file", folder.appendingPathComponent("missing").path], [:], "cannot read"),
            (["--admin-token", "a", "--admin-token-file", file.path], [:], "not both"),
            ([], ["RESCIND_ADMIN_TOKEN": "a", "RESCIND_ADMIN_TOKEN_FILE": file.path], "not both"),
        ] as [([String], [String: String], String)] {
            let error = #expect(throws: (any Error).self) { try configuration(arguments, environment) }
            #expect(error.map { "\($0)".contains(mention) } == true, "\(arguments): \(String(describing: error))")
        }
    }

    /// Through the binary: an empty admin token stops the start with exit 64.
    @Test func emptyAdminTokenExits64() throws {
        let result = try CLI.run(["serve", "--port", "0", "--admin-token", ""])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--admin-token must not be empty"))
    }
}

/// The real binary: a shutdown that a stalled client cannot hold up, and a listener
/// that survives running out of file descriptors.
@Suite(.serialized) struct ServeLifecycleTests {
    static let request = (try? String(
        contentsOf: CLI.packageRoot.appendingPathComponent("Examples/requests/buyer-paid-card.json"), encoding: .utf8)) ?? ""

    /// Half a request that never finishes: SIGTERM waits `--shutdown-timeout`, then
    /// closes it, writes out the decision log and exits 0.
    @Test func stalledClientCannotHoldShutdown() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("decisions.jsonl")
        let server = try ServeProcess(
            [
                "--policies", "Policies", "--decision-log", log.path, "--shutdown-timeout", "1",
                "--request-body-timeout", "120",
            ], folder: folder, logLevel: "debug")
        defer { server.kill() }
        #expect(try server.http("POST", "/v1/decisions", body: Self.request).status == 200)
        let stalled = try RawConnection(port: server.port)
        try stalled.send(Array(
            "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{".utf8))
        // A request in flight, not an idle connection a shutdown closes at once.
        try server.waitForLog("request head read", count: 2)
        let signalled = Date()
        server.signal(SIGTERM)
        let status = try #require(server.waitForExit(seconds: 15), "the server did not stop")
        let took = Date().timeIntervalSince(signalled)
        #expect(status == 0)
        #expect(took >= 0.9 && took < 8, "stopped after \(took) s")
        let messages = server.logObjects().compactMap { $0["message"] as? String }
        #expect(messages.contains("shutdown deadline passed; closing the remaining connections"))
        #expect(messages.contains("decision log closed"))
        #expect(messages.last == "stopped")
        #expect(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count == 1)
    }

    /// A second SIGTERM (or SIGINT) closes the connections at once, without waiting for
    /// the deadline, and the exit is still clean.
    @Test func secondSignalClosesAtOnce() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(
            ["--policies", "Policies", "--shutdown-timeout", "60"], folder: folder, logLevel: "debug")
        defer { server.kill() }
        let stalled = try RawConnection(port: server.port)
        try stalled.send(Array(
            "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{".utf8))
        try server.waitForLog("request head read")
        server.signal(SIGTERM)
        // The first signal is handled (the next one is a second) and the shutdown is under way.
        try server.waitForLog("shutting down: no new connections; finishing the requests in flight")
        try server.waitForLog("listener closed")
        #expect(server.isRunning, "the first signal waits for the request in flight")
        server.signal(SIGINT)
        let status = try #require(server.waitForExit(seconds: 10), "the second signal did not stop the server")
        #expect(status == 0)
        let messages = server.logObjects().compactMap { $0["message"] as? String }
        #expect(messages.contains("second signal: closing every connection now"))
    }

    /// A low open-file limit caps the connections (with a warning) instead of letting
    /// accepts run the process out of descriptors.
    @Test func lowOpenFileLimitCapsConnections() throws {
        let prlimit = try #require(prlimitPath(), "prlimit (util-linux) is needed for this test")
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(
            ["--policies", "Policies", "--max-connections", "1000", "--watch-interval", "0"], folder: folder,
            launcher: [prlimit, "--nofile=128:128"])
        defer { server.kill() }
        let capped = try #require(server.logObjects().first {
            $0["message"] as? String == "fewer connections than --max-connections: the open-file limit would run out first"
        })
        let capacity = try #require((capped["serving_at_most"] as? String).flatMap(Int.init))
        #expect(capacity > 10 && capacity < 128)
        var held: [RawConnection] = []
        for _ in 0..<(capacity + 40) { held.append(try RawConnection(port: server.port)) }
        try server.waitForLog("connection limit reached; new connections wait in the backlog")
        #expect(server.isRunning)
        held.removeAll()
        #expect(try server.http("GET", "/healthz").status == 200)
        let metrics = try server.http("GET", "/metrics").body
        #expect(metrics.contains("rescind_accept_errors_total{errno=\"EMFILE\"} 0"), "\(metrics)")
        #expect(!metrics.contains("rescind_connection_limit_reached_total 0"))
    }

    /// Descriptors that run out anyway (here the limit is lowered under the running
    /// server, as other files could take them): accepts fail with EMFILE, and the server
    /// backs off (no busy loop), gives its reserve of descriptors to the rest of the
    /// process (libdispatch traps when it cannot open /proc), logs it once per interval,
    /// counts it in /metrics, and serves again as soon as descriptors are free.
    @Test func runningOutOfDescriptorsBacksOffAndRecovers() throws {
        let prlimit = try #require(prlimitPath(), "prlimit (util-linux) is needed for this test")
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(["--policies", "Policies", "--watch-interval", "0"], folder: folder)
        defer { server.kill() }
        let pid = server.process.processIdentifier
        var held: [RawConnection] = []
        for _ in 0..<10 {
            let connection = try RawConnection(port: server.port)
            try connection.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            _ = try connection.readSome()
            held.append(connection)
        }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        let lowered = Process()
        lowered.executableURL = URL(fileURLWithPath: prlimit)
        lowered.arguments = ["--pid", "\(pid)", "--nofile=\(open):\(open)"]
        try lowered.run()
        lowered.waitUntilExit()
        #expect(lowered.terminationStatus == 0)
        for _ in 0..<30 { held.append(try RawConnection(port: server.port)) }
        try server.waitForLog("cannot accept connections; backing off")
        // Not a wait: the window the CPU time is measured over.
        let cpuBefore = try processCPUSeconds(pid)
        Thread.sleep(forTimeInterval: 2)
        let cpuUsed = try processCPUSeconds(pid) - cpuBefore
        #expect(cpuUsed < 0.5, "the server used \(cpuUsed) s of CPU in 2 s while out of descriptors")
        #expect(server.isRunning)

        held.removeAll()
        let recovered = Date()
        #expect(try server.http("GET", "/healthz").status == 200)
        #expect(Date().timeIntervalSince(recovered) < 3)
        let metrics = try server.http("GET", "/metrics").body
        let failures = metrics.split(separator: "\n").first { $0.hasPrefix("rescind_accept_errors_total{errno=\"EMFILE\"}") }
        #expect((failures.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0) > 0, "\(metrics)")
        let warnings = server.logObjects().filter { $0["message"] as? String == "cannot accept connections; backing off" }
        #expect(!warnings.isEmpty && warnings.count <= 2, "\(warnings.count) warnings")
    }
}

/// util-linux's `prlimit`, which sets a process's limits (Debian has it in every image).
func prlimitPath() -> String? {
    ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// User plus system CPU seconds of a process, from /proc.
func processCPUSeconds(_ pid: Int32) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}

extension ServeLifecycleTests {
    /// At `--max-connections`, a new connection waits in the backlog (the handshake
    /// completes, nothing answers) until one of the others closes.
    @Test func connectionCapHoldsNewConnectionsUntilOneCloses() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(["--policies", "Policies", "--max-connections", "2"], folder: folder)
        defer { server.kill() }
        let get = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        var held = [try RawConnection(port: server.port), try RawConnection(port: server.port)]
        for connection in held {
            try connection.send(get)
            #expect(try connection.readSome().hasPrefix("HTTP/1.1 200"))
        }
        let waiting = try RawConnection(port: server.port)
        try waiting.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        waiting.setReadTimeout(seconds: 1)
        #expect(throws: (any Error).self) { try waiting.readSome() }  // not accepted: nothing comes
        held.removeFirst()  // closes one
        waiting.setReadTimeout(seconds: 10)
        #expect(try waiting.response().status == 200)
        _ = held
        let metrics = try server.http("GET", "/metrics").body
        #expect(metrics.contains("rescind_connection_limit_reached_total "))
        #expect(!metrics.contains("rescind_connection_limit_reached_total 0"))
        let warnings = server.logObjects().filter {
            $0["message"] as? String == "connection limit reached; new connections wait in the backlog"
        }
        #expect(!warnings.isEmpty)
    }
}

extension RawConnection {
    func setReadTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Whatever one read returns (an answer on a kept-alive connection has no end).
    func readSome() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw ServeTestError("recv: \(count < 0 ? errno : 0)") }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
