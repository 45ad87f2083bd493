import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// The connection layer on a real loopback socket (Hummingbird's `.live` mode runs the
/// application from `buildApplication` on a free port): deadlines, HTTP/1.0, malformed
/// HTTP, the body limit, the connection cap. Raw sockets, because these requests are
/// ones no HTTP client library would send.
@Suite(.serialized) struct ConnectionTests {
    static let request = (try? Fixture.request("buyer-paid-card")) ?? ""

    /// A live application with `limits`, logging into `logs`.
    /// `body` runs on a thread of its own: its sockets block, and on the concurrency pool
    /// (two threads on a 2-core machine) they would starve the server they talk to.
    func live(
        _ limits: ConnectionLimits = ConnectionLimits(), maxBodyBytes: Int = 1 << 20, logs: LogCapture = LogCapture(),
        _ body: @escaping @Sendable (Int, ServerMetrics) throws -> Void
    ) async throws {
        var configuration = ServerConfiguration(
            policies: [Fixture.policies], port: 0, adminToken: Fixture.adminToken, maxBodyBytes: maxBodyBytes)
        configuration.connections = limits
        let store = PolicyStore(paths: [Fixture.policies], logger: Fixture.logger)
        store.loadNow()
        let metrics = ServerMetrics()
        let app = buildApplication(configuration: configuration, store: store, metrics: metrics, logger: logs.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                Thread.detachNewThread {
                    continuation.resume(with: Result { try body(port, metrics) })
                }
            }
        }
    }

    func head(_ method: String = "POST", _ path: String = "/v1/decisions", contentLength: Int? = nil, extra: String = "")
        -> String
    {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        return text + extra + "\r\n"
    }

    @Test func idleConnectionIsClosed() async throws {
        try await live(ConnectionLimits(idleTimeout: .milliseconds(300))) { port, metrics in
            let connection = try TestSocket(port: port)
            let started = ContinuousClock.now
            #expect(try connection.readToEnd().isEmpty, "closed without an answer")
            #expect(ContinuousClock.now - started < .seconds(5))
            // (The test client's own connection may idle out too.)
            #expect(metric(metrics, "rescind_connections_closed_total{reason=\"idle\"}") >= 1)
        }
    }

    @Test func keepAliveServesSeveralRequestsThenIdlesOut() async throws {
        try await live(ConnectionLimits(idleTimeout: .milliseconds(500))) { port, _ in
            let connection = try TestSocket(port: port)
            let body = Array(Self.request.utf8)
            for _ in 0..<3 {
                try connection.send(Array(head(contentLength: body.count).utf8) + body)
                let answer = try connection.readResponse()
                #expect(answer.status == 200)
                #expect(answer.body.contains("\"effect\":\"allow\""))
            }
            #expect(try connection.readToEnd().isEmpty)
        }
    }

    /// Slowloris: a head sent a few bytes at a time never completes; the deadline
    /// answers 408 in the JSON shape and closes.
    @Test func slowHeadGets408AndIsClosed() async throws {
        try await live(ConnectionLimits(headerTimeout: .milliseconds(400))) { port, metrics in
            let connection = try TestSocket(port: port)
            try connection.send(Array("POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            Thread.sleep(forTimeInterval: 0.2)
            try connection.send(Array("X-Slow: 1\r\n".utf8))
            let answer = try connection.readResponse()
            #expect(answer.status == 408)
            #expect(answer.errorCode == "request-timeout")
            #expect(answer.headers["connection"] == "close")
            #expect(try connection.readToEnd().isEmpty)
            #expect(metric(metrics, "rescind_connections_closed_total{reason=\"header-timeout\"}") == 1)
        }
    }

    @Test func slowBodyGets408AndIsClosed() async throws {
        try await live(ConnectionLimits(bodyTimeout: .milliseconds(400))) { port, metrics in
            let connection = try TestSocket(port: port)
            try connection.send(Array((head(contentLength: 100) + "{\"id\":").utf8))
            let answer = try connection.readResponse()
            #expect(answer.status == 408)
            #expect(answer.errorCode == "request-timeout")
            #expect(answer.body.contains("body"))
            #expect(try connection.readToEnd().isEmpty)
            #expect(metric(metrics, "rescind_connections_closed_total{reason=\"body-timeout\"}") == 1)
        }
    }

    /// HTTP/1.0 without keep-alive is closed after its answer; `Connection: close` too.
    @Test func http10AndConnectionCloseAreClosedAfterTheAnswer() async throws {
        try await live { port, _ in
            for (version, extra) in [("HTTP/1.0", ""), ("HTTP/1.1", "Connection: close\r\n")] {
                let connection = try TestSocket(port: port)
                try connection.send(Array("GET /healthz \(version)\r\nHost: 127.0.0.1\r\n\(extra)\r\n".utf8))
                let text = String(decoding: try connection.readToEnd(), as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 200"), "\(version): \(text)")
                #expect(text.lowercased().contains("connection: close"))
            }
            // HTTP/1.0 asking for keep-alive keeps it.
            let connection = try TestSocket(port: port)
            try connection.send(Array("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".utf8))
            #expect(try connection.readResponse().status == 200)
            try connection.send(Array("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".utf8))
            #expect(try connection.readResponse().status == 200)
        }
    }

    /// Broken framing is the client's mistake: 400 in the JSON shape, never 500, never
    /// an error-level log line, and the connection is closed.
    @Test func malformedHTTPIs400InJSON() async throws {
        let logs = LogCapture()
        try await live(logs: logs) { port, _ in
            let chunked = "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            let cases: [(String, [UInt8], Bool)] = [
                ("a bad chunk size", Array((chunked + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").utf8), false),
                (
                    "an overflowing chunk size",
                    Array((chunked + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n").utf8), false
                ),
                ("an unknown transfer coding", Array((chunked + "Transfer-Encoding: xchunked\r\n\r\n{}").utf8), false),
                ("a body shorter than its length", Array((head(contentLength: 50) + "{\"id\":\"x\"}").utf8), true),
                ("a broken request line", Array("POST /v1/decisions HTTP/9.9 extra\r\n\r\n".utf8), false),
            ]
            for (name, bytes, halfClose) in cases {
                let connection = try TestSocket(port: port)
                try connection.send(bytes)
                if halfClose { connection.shutdownWrite() }
                let answer = try connection.readResponse()
                #expect(answer.status == 400, "\(name): \(answer.status) \(answer.body)")
                #expect(answer.errorCode == "malformed-http", "\(name): \(answer.body)")
                #expect(answer.headers["content-type"] == "application/json", "\(name)")
                #expect(try connection.readToEnd().isEmpty, "\(name): closed")
            }
        }
        // Logged, at debug: the capture sees them, so the check above it is not vacuous.
        #expect(logs.levels.contains(.debug), "\(logs.lines)")
        #expect(logs.levels.allSatisfy { $0 < .warning }, "\(logs.lines)")
    }

    /// A 413 on Content-Length is answered before the body is read, and the connection is
    /// closed rather than drained.
    @Test func oversizedBodyIsRefusedAndTheConnectionClosed() async throws {
        try await live(maxBodyBytes: 1000) { port, _ in
            let connection = try TestSocket(port: port)
            try connection.send(Array(head(contentLength: 50_000_000).utf8) + Array(repeating: UInt8(ascii: " "), count: 4096))
            let answer = try connection.readResponse()
            #expect(answer.status == 413)
            #expect(answer.errorCode == "body-too-large")
            #expect(answer.headers["connection"] == "close")
            #expect(try connection.readToEnd().isEmpty)
        }
    }
}

/// A value of the connection metrics' exposition; -1 when the series is missing.
func metric(_ metrics: ServerMetrics, _ series: String) -> Int {
    let line = metrics.connections.exposition().split(separator: "\n").first { $0.hasPrefix(series + " ") }
    return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
}

/// The service's own JSON log lines, through `JSONLogHandler`'s output hook, for tests
/// that check what was logged and at which level.
final class LogCapture: Sendable {
    private let collected = JSONLogHandlerTests.Lines()

    var lines: [String] { collected.all }
    /// Each line's `level`.
    var levels: [Logger.Level] {
        lines.compactMap {
            let object = try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return (object?["level"] as? String).flatMap(Logger.Level.init(rawValue:))
        }
    }

    var logger: Logger {
        var logger = Logger(label: "rescind.test") { [collected] in JSONLogHandler(label: $0, output: collected.append) }
        logger.logLevel = .trace
        return logger
    }
}

/// A TCP connection to 127.0.0.1 with HTTP/1.1 written and read by hand.
final class TestSocket {
    let fd: Int32
    /// Seconds a read may wait.
    var timeout: Int {
        didSet { setTimeout() }
    }
    private var pending: [UInt8] = []

    init(port: Int, timeout: Int = 10) throws {
        self.timeout = timeout
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket: \(errno)") }
        setTimeout()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw SocketError("connect: \(errno)")
        }
    }

    deinit { close(fd) }

    private func setTimeout() {
        var value = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw SocketError("send: \(errno)") }
            offset += sent
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; false at the end of the stream. Throws on a timeout or an error.
    private func fill() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 {
            if errno == ECONNRESET { return false }
            throw SocketError("recv: \(errno)")
        }
        pending += buffer[..<count]
        return count > 0
    }

    /// Everything until the server closes (what is already buffered included).
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending = [] }
        return pending
    }

    /// One response with a Content-Length body.
    func readResponse() throws -> TestResponseText {
        while true {
            if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                var headers: [String: String] = [:]
                for line in head.split(separator: "\r\n").dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while pending.count < end.upperBound + length {
                    guard try fill() else { throw SocketError("closed in a body") }
                }
                let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                let body = String(decoding: pending[end.upperBound..<(end.upperBound + length)], as: UTF8.self)
                pending.removeFirst(end.upperBound + length)
                return TestResponseText(status: status, headers: headers, body: body)
            }
            guard try fill() else { throw SocketError("closed before a response: \(pending.count) bytes") }
        }
    }
}

struct TestResponseText {
    let status: Int
    let headers: [String: String]
    let body: String

    var errorCode: String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }
}

struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
