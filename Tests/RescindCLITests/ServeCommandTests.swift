import Foundation
import Testing

@testable import rescind
import RescindServer

/// `rescind serve`'s configuration: flags, then environment variables, then defaults.
@Suite struct ServeConfigurationTests {
    func configuration(_ arguments: [String], _ environment: [String: String]) throws -> ServerConfiguration {
        try ServeCommand.parse(arguments).serverConfiguration(environment: environment)
    }

    @Test func flagBeatsEnvironmentBeatsDefault() throws {
        let defaults = try configuration([], [:])
        #expect(defaults.port == 8080)
        #expect(defaults.decisionLog == nil)
        #expect(defaults.logFormat == .text)
        #expect(defaults.maxEvaluationCost == 100_000)
        // An empty variable counts as unset, for every setting.
        let empty = try configuration([], ["RESCIND_PORT": "", "RESCIND_HOST": "", "RESCIND_POLICIES": "", "RESCIND_LOG_FORMAT": ""])
        #expect(empty.port == 8080 && empty.host == "127.0.0.1" && empty.policies == ["Policies"] && empty.logFormat == .text)
        #expect(try configuration([], ["RESCIND_MAX_EVALUATION_COST": "500"]).maxEvaluationCost == 500)
        #expect(
            try configuration(["--max-evaluation-cost", "0"], ["RESCIND_MAX_EVALUATION_COST": "500"]).maxEvaluationCost
                == 0)

        let environment = [
            "RESCIND_PORT": "9001", "RESCIND_LOG_FORMAT": "json", "RESCIND_DECISION_LOG": "/var/log/d.jsonl",
            "RESCIND_DECISION_LOG_MAX_BYTES": "1000", "RESCIND_DECISION_LOG_KEEP": "3",
            "RESCIND_DECISION_LOG_SAMPLE": "0.25", "RESCIND_DECISION_LOG_BUFFER_BYTES": "4096",
            "RESCIND_DECISION_LOG_ERROR_RATE": "7.5", "RESCIND_DECISION_LOG_DURABILITY": "fsync",
        ]
        let fromEnvironment = try configuration([], environment)
        #expect(fromEnvironment.port == 9001)
        #expect(fromEnvironment.logFormat == .json)
        #expect(fromEnvironment.decisionLog == DecisionLogConfiguration(
            path: "/var/log/d.jsonl", maxBytes: 1000, keep: 3, sampleRate: 0.25, bufferBytes: 4096, errorRate: 7.5,
            durability: .fsync))

        let fromFlags = try configuration(
            [
                "--port", "0", "--log-format", "text", "--decision-log", "here.jsonl", "--decision-log-max-bytes", "0",
                "--decision-log-keep", "0", "--decision-log-sample", "1", "--decision-log-buffer-bytes", "1",
                "--decision-log-error-rate", "0", "--decision-log-durability", "write",
            ], environment)
        #expect(fromFlags.port == 0)
        #expect(fromFlags.logFormat == .text)
        #expect(fromFlags.decisionLog == DecisionLogConfiguration(
            path: "here.jsonl", maxBytes: 0, keep: 0, sampleRate: 1, bufferBytes: 1, errorRate: 0, durability: .write))

        // Without a path there is no log; the other variables alone change nothing.
        let withoutPath = try configuration([], environment.filter { $0.key != "RESCIND_DECISION_LOG" })
        #expect(withoutPath.decisionLog == nil)
        let partial = try configuration(["--decision-log", "d.jsonl"], [:])
        #expect(partial.decisionLog == DecisionLogConfiguration(path: "d.jsonl"))
    }

    @Test func badValuesAreUsageErrors() throws {
        for (environment, mention) in [
            (["RESCIND_PORT": "eighty"], "`eighty`"), (["RESCIND_LOG_FORMAT": "xml"], "`xml`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_SAMPLE": "some"], "`some`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_SAMPLE": "1.5"], "`1.5`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_KEEP": "-1"], "`-1`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_BUFFER_BYTES": "0"], "`0`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_ERROR_RATE": "-1"], "`-1.0`"),
            (["RESCIND_DECISION_LOG": "d", "RESCIND_DECISION_LOG_DURABILITY": "sync"], "`sync`"),
            (["RESCIND_MAX_EVALUATION_COST": "-5"], "`-5`"), (["RESCIND_MAX_EVALUATION_COST": "lots"], "`lots`"),
        ] {
            let error = #expect(throws: (any Error).self) { try configuration([], environment) }
            #expect(error.map { "\($0)".contains(mention) } == true, "\(environment): \(String(describing: error))")
        }
        #expect(throws: (any Error).self) { try configuration(["--decision-log-sample", "0.1"], [:]) }
        #expect(throws: (any Error).self) { try configuration(["--decision-log-durability", "write"], [:]) }
    }

    /// Through the binary: a usage error exits 64 before anything listens.
    @Test func badEnvironmentExits64() throws {
        let bad = try CLI.run(["serve", "--port", "0"], environment: ["RESCIND_LOG_FORMAT": "xml"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("RESCIND_LOG_FORMAT must be `text` or `json`; found `xml`"))
        let orphan = try CLI.run(["serve", "--port", "0", "--decision-log-keep", "3"])
        #expect(orphan.status == 64)
        #expect(orphan.stderr.contains("--decision-log-keep needs a decision log"))
        let unwritable = try CLI.run(["serve", "--port", "0", "--decision-log", "/nonexistent-rescind/d.jsonl"])
        #expect(unwritable.status == 64)
        #expect(unwritable.stderr.contains("cannot open the decision log `/nonexistent-rescind/d.jsonl`"))
    }
}

/// `rescind serve` as deployed: the real binary on a loopback port the system picks.
/// Every test kills its server in a `defer`, so a failure never leaves one running.
@Suite struct ServeProcessTests {
    @Test func decisionOverARealSocketAndJSONLogs() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServeProcess(["--policies", "Policies"], folder: folder)
        defer { server.kill() }
        let request = try String(
            contentsOf: CLI.packageRoot.appendingPathComponent("Examples/requests/buyer-paid-card.json"), encoding: .utf8)
        let response = try server.http("POST", "/v1/decisions", body: request)
        #expect(response.status == 200)
        let expected = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/buyer-paid-card.json"])
        #expect(response.body == expected.stdout)

        // The log's start-up line: the bound address and the policy digest.
        let listening = try #require(server.logObjects().first { $0["message"] as? String == "listening" })
        #expect(listening["address"] as? String == "http://127.0.0.1:\(server.port)")
        #expect((listening["digest"] as? String)?.count == 64)
        #expect(listening["label"] as? String == "rescind.server")
    }

    @Test func sighupReloadsAnEditedPolicy() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try policyCopy(in: folder)
        let server = try ServeProcess(["--policies", policies.path, "--watch-interval", "0"], folder: folder)
        defer { server.kill() }
        func served() throws -> [String: Any] {
            let response = try server.http("GET", "/v1/policies")
            let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            return try #require(object?["policy"] as? [String: Any])
        }
        let before = try served()
        let setFile = policies.appendingPathComponent("policy-set.yaml")
        try String(contentsOf: setFile, encoding: .utf8)
            .replacingOccurrences(of: "version: \"2026.12\"", with: "version: \"2027.01\"")
            .write(to: setFile, atomically: true, encoding: .utf8)
        #expect(try served()["digest"] as? String == before["digest"] as? String)  // watching is off
        server.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        var after = before
        while Date() < deadline, after["digest"] as? String == before["digest"] as? String {
            Thread.sleep(forTimeInterval: 0.05)
            after = try served()
        }
        #expect(after["digest"] as? String != before["digest"] as? String)
        #expect(after["version"] as? String == "2027.01")
        #expect(server.isRunning)
    }

    /// SIGTERM: the listener stops, a request already being received is still answered,
    /// the decision log is written out whole, and the process exits 0.
    @Test func sigtermFinishesInFlightWritesTheLogAndExits0() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("decisions.jsonl")
        let server = try ServeProcess(["--policies", "Policies", "--decision-log", log.path], folder: folder, logLevel: "debug")
        defer { server.kill() }
        let request = try String(
            contentsOf: CLI.packageRoot.appendingPathComponent("Examples/requests/buyer-paid-card.json"), encoding: .utf8)
        for _ in 0..<5 {
            #expect(try server.http("POST", "/v1/decisions", body: request).status == 200)
        }
        // Half a request, then SIGTERM, then the other half.
        let body = Array(request.utf8)
        let headsRead = server.logCount("request head read")
        let connection = try RawConnection(port: server.port)
        try connection.send(Array(
            "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            + body[..<(body.count / 2)])
        // The server must have read the head: a connection with no request yet would be
        // closed at once, as it should be.
        try server.waitForLog("request head read", count: headsRead + 1)
        server.signal(SIGTERM)
        try server.waitForLog("listener closed")
        #expect(server.isRunning, "the server waits for the request in flight")
        #expect((try? RawConnection(port: server.port)) == nil, "no new connections")
        try connection.send(Array(body[(body.count / 2)...]))
        let response = try connection.response()
        #expect(response.status == 200)
        #expect(response.body.contains("\"effect\":\"allow\""))

        let status = try #require(server.waitForExit(seconds: 10))
        #expect(status == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 6)
        for line in lines {
            let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(entry?["decision"] is [String: Any])
        }
        let messages = server.logObjects().compactMap { $0["message"] as? String }
        #expect(messages.contains("shutting down: no new connections; finishing the requests in flight"))
        #expect(messages.contains("decision log closed"))
        #expect(messages.last == "stopped")
    }
}

/// `--decision-log-durability write` keeps its promise when the process is killed: every
/// decision answered is in the log, whatever was in flight when `kill -9` came.
@Suite struct DecisionLogKillTests {
    @Test(.timeLimit(.minutes(2))) func everyAcknowledgedDecisionSurvivesKill9() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("decisions.jsonl")
        let server = try ServeProcess(
            ["--policies", "Policies", "--decision-log", log.path, "--decision-log-durability", "write"], folder: folder)
        defer { server.kill() }
        let template = try String(
            contentsOf: CLI.packageRoot.appendingPathComponent("Examples/requests/buyer-paid-card.json"), encoding: .utf8)
        @Sendable func request(_ id: String) -> String {
            template.replacingOccurrences(of: "\"id\": \"req-1\"", with: "\"id\": \"\(id)\"")
        }
        #expect(request("x") != template)
        let acknowledged = AcknowledgedIDs()
        let port = server.port
        // Clients on threads of their own: single decisions, and batches of 20, until the
        // server dies under them.
        let group = DispatchGroup()
        for client in 0..<6 {
            DispatchQueue.global().async(group: group) {
                var number = 0
                while true {
                    number += 1
                    let batch = client % 3 == 0
                    let ids = batch ? (0..<20).map { "c\(client)-\(number)-\($0)" } : ["c\(client)-\(number)"]
                    let body = batch ? "[" + ids.map(request).joined(separator: ",") + "]" : request(ids[0])
                    let path = batch ? "/v1/decisions:batch" : "/v1/decisions"
                    guard let connection = try? RawConnection(port: port) else { return }
                    let bytes = Array(body.utf8)
                    let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
                    guard (try? connection.send(Array(head.utf8) + bytes)) != nil,
                        let response = try? connection.response(), response.status == 200
                    else { return }
                    acknowledged.add(ids)
                }
            }
        }
        // Load for a while, then the kill, with requests in flight.
        let deadline = Date().addingTimeInterval(20)
        while acknowledged.count < 600, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        server.kill()
        group.wait()
        let ids = acknowledged.all
        #expect(ids.count >= 100, "too few decisions acknowledged before the kill: \(ids.count)")

        // Every acknowledged id is in the log. The last line may be cut by the kill (a
        // line written but not answered): it is skipped.
        let text = try String(contentsOf: log, encoding: .utf8)
        var logged = Set<String>()
        var numbers: [Int] = []
        for line in text.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let id = (entry["decision"] as? [String: Any])?["request_id"] as? String { logged.insert(id) }
            if let seq = entry["seq"] as? Int { numbers.append(seq) }
        }
        let missing = ids.subtracting(logged)
        #expect(missing.isEmpty, "\(missing.count) of \(ids.count) acknowledged decisions are not in the log: \(missing.prefix(5))")
        // One process, nothing dropped: 1, 2, 3… with no gap.
        #expect(numbers == Array(1...max(1, numbers.count)))
    }
}

/// The request ids answered 200, from the client threads.
private final class AcknowledgedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()

    func add(_ new: [String]) { lock.withLock { ids.formUnion(new) } }
    var count: Int { lock.withLock { ids.count } }
    var all: Set<String> { lock.withLock { ids } }
}

// MARK: Support

func scratchFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-serve-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// The reference policies (without their tests), copied into `folder`.
func policyCopy(in folder: URL) throws -> URL {
    let source = CLI.packageRoot.appendingPathComponent("Policies")
    let copy = folder.appendingPathComponent("Policies")
    try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
    for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where !name.hasSuffix(".tests.yaml") {
        try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: copy.appendingPathComponent(name))
    }
    return copy
}

/// `rescind serve --port 0 --log-format json …` running in the background; its logs go
/// to a file, read for the port it bound.
final class ServeProcess {
    let process = Process()
    let logFile: URL
    private(set) var port = 0

    /// `launcher` runs the binary through another program (e.g. `prlimit --nofile=64`);
    /// `logLevel` is its `LOG_LEVEL` (`debug` logs the states tests wait for).
    init(_ arguments: [String], folder: URL, launcher: [String] = [], logLevel: String? = nil) throws {
        logFile = folder.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let serve = ["serve", "--port", "0", "--log-format", "json"] + arguments
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [CLI.executable.path] + serve
        } else {
            process.executableURL = CLI.executable
            process.arguments = serve
        }
        process.currentDirectoryURL = CLI.packageRoot
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("RESCIND_") { environment[key] = nil }
        environment["LOG_LEVEL"] = logLevel
        process.environment = environment
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if let listening = logObjects().first(where: { $0["message"] as? String == "listening" }),
                let port = (listening["port"] as? String).flatMap(Int.init)
            {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill()
        throw ServeTestError("the server did not log `listening`:\n" + ((try? String(contentsOf: logFile, encoding: .utf8)) ?? ""))
    }

    var isRunning: Bool { process.isRunning }

    /// Every log line, parsed (lines that are not JSON objects are left out).
    func logObjects() -> [[String: Any]] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// How many log lines say `message`.
    func logCount(_ message: String) -> Int {
        logObjects().count(where: { $0["message"] as? String == message })
    }

    /// Waits until `count` log lines say `message`: the server is in the state the line
    /// reports. Throws, with the log, when `seconds` pass first or the process ends.
    func waitForLog(_ message: String, count: Int = 1, seconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while logCount(message) < count {
            guard Date() < deadline, process.isRunning else {
                throw ServeTestError(
                    "the server did not log `\(message)` \(count) times:\n"
                        + ((try? String(contentsOf: logFile, encoding: .utf8)) ?? ""))
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    func signal(_ number: Int32) { Foundation.kill(process.processIdentifier, number) }

    /// The exit status, or nil when the process is still running after `seconds`.
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Ends the server for good (tests call it in a `defer`).
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// One request on its own connection.
    func http(_ method: String, _ path: String, body: String = "") throws -> (status: Int, body: String) {
        let connection = try RawConnection(port: port)
        let bytes = Array(body.utf8)
        try connection.send(Array(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n".utf8)
            + bytes)
        return try connection.response()
    }
}

struct ServeTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A TCP connection to 127.0.0.1, for HTTP/1.1 written by hand: tests need to send half
/// a request, which no client library does.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeTestError("socket: \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ServeTestError("connect: \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ServeTestError("send: \(errno)") }
            offset += sent
        }
    }

    /// Reads to the end (the request asked for `Connection: close`): status and body.
    func response() throws -> (status: Int, body: String) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 { throw ServeTestError("recv: \(errno)") }
            if count == 0 { break }
            data += buffer[..<count]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { throw ServeTestError("not an HTTP response: \(text)") }
        return (status, String(text[split.upperBound...]))
    }
}
