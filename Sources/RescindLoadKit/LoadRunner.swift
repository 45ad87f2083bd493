#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One HTTP/1.1 request, built once and written as is every time it is sent.
package struct LoadRequest: Sendable {
    /// The request head and body.
    package let bytes: [UInt8]
    /// The decisions it asks for: 1, or the number of items of a batch.
    package let decisions: Int

    package init(
        method: String = "POST", path: String, host: String, headers: [(String, String)] = [], body: [UInt8],
        decisions: Int = 1
    ) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        self.bytes = Array((head + "\r\n").utf8) + body
        self.decisions = decisions
    }
}

/// What a load run does: `connections` keep-alive connections, each with one request
/// in flight at a time, spread over `threads` threads, for `warmup` seconds unmeasured
/// and then `duration` seconds measured. With `rate` 0 each connection sends its next
/// request as soon as the answer is in (a closed loop: the server sets the pace); with a
/// rate, requests start on a fixed schedule whatever the answers do (an open loop).
package struct LoadConfiguration: Sendable {
    package var host: String
    package var port: Int
    package var connections: Int
    package var threads: Int
    package var duration: Double
    package var warmup: Double
    /// A request not answered in this many seconds counts as a timeout, and its
    /// connection is opened again.
    package var timeout: Double
    /// Sent in turn: connection `c` starts at request `c` and moves on by one.
    package var requests: [LoadRequest]
    /// Requests per second over all connections, started on a fixed schedule (an open
    /// loop); 0 for a closed loop. A request due while every connection is busy waits for
    /// one, and its latency counts from when it was due, not from when it went out: a
    /// slow answer delays the requests behind it, as it would for independent callers.
    package var rate: Double

    package init(
        host: String = "127.0.0.1", port: Int, connections: Int = 16, threads: Int = 1, duration: Double = 10,
        warmup: Double = 1, timeout: Double = 5, requests: [LoadRequest], rate: Double = 0
    ) {
        self.host = host
        self.port = port
        self.connections = connections
        self.threads = threads
        self.duration = duration
        self.warmup = warmup
        self.timeout = timeout
        self.requests = requests
        self.rate = rate
    }
}

/// Looks at every answer (warm-up included): the index of the request in
/// `LoadConfiguration.requests`, the status and the body. False counts as a failed check.
/// Called on a load thread, between requests: keep it quick.
package typealias ResponseCheck = @Sendable (_ request: Int, _ status: Int, _ body: UnsafeRawBufferPointer) -> Bool

/// What a run measured. Requests sent during the warm-up are checked and counted in
/// `warmupRequests` only; requests still in flight when the time is up are waited for
/// (up to the timeout) and counted, so none is left unanswered.
package struct LoadResult: Sendable {
    /// Per request, from the first byte written (in an open loop: from when it was due)
    /// to the last byte of the answer read.
    package var latency = LatencyHistogram()
    /// In an open loop, per request, how long after it was due its first byte went out:
    /// waiting for a free connection (the server is behind) or for the client's own thread.
    package var sendDelay = LatencyHistogram()
    /// Answered requests sent in the measured window.
    package var requests = 0
    package var decisions = 0
    /// Answers by HTTP status.
    package var statuses: [Int: Int] = [:]
    package var failedChecks = 0
    package var connectErrors = 0
    /// Connections closed or broken mid-request, and answers that were not HTTP.
    package var ioErrors = 0
    package var timeouts = 0
    /// From the end of the warm-up to the last measured answer.
    package var seconds: Double = 0
    package var warmupRequests = 0
    /// The first few error messages, for the report.
    package var errorMessages: [String] = []

    package init() {}

    /// Answers that were not 200, failed checks, broken connections and timeouts.
    package var failures: Int {
        statuses.filter { $0.key != 200 }.values.reduce(0, +) + failedChecks + connectErrors + ioErrors + timeouts
    }

    mutating func merge(_ other: LoadResult) {
        latency.merge(other.latency)
        sendDelay.merge(other.sendDelay)
        requests += other.requests
        decisions += other.decisions
        statuses.merge(other.statuses, uniquingKeysWith: +)
        failedChecks += other.failedChecks
        connectErrors += other.connectErrors
        ioErrors += other.ioErrors
        timeouts += other.timeouts
        seconds = max(seconds, other.seconds)
        warmupRequests += other.warmupRequests
        errorMessages += other.errorMessages.prefix(max(0, 10 - errorMessages.count))
    }
}

package enum LoadError: Error, CustomStringConvertible {
    case resolve(String)

    package var description: String {
        switch self {
        case .resolve(let message): message
        }
    }
}

/// Runs the load on threads of its own (blocking sockets and `poll`, no Swift
/// concurrency, so it never competes with a server's tasks for the cooperative pool)
/// and returns when every thread is done.
package func runLoad(_ configuration: LoadConfiguration, check: ResponseCheck? = nil) throws -> LoadResult {
    precondition(!configuration.requests.isEmpty && configuration.connections > 0)
    let address = try SocketAddress(host: configuration.host, port: configuration.port)
    let threads = max(1, min(configuration.threads, configuration.connections))
    precondition(configuration.rate >= 0 && configuration.rate.isFinite)
    let start = monotonicNanoseconds()
    let warmupEnd = start + UInt64(configuration.warmup * 1e9)
    let deadline = warmupEnd + UInt64(configuration.duration * 1e9)
    let results = ResultBox()
    let done = DispatchGroup()
    for thread in 0..<threads {
        let mine = Array(stride(from: thread, to: configuration.connections, by: threads))
        done.enter()
        let worker = Thread {
            // Each thread paces its share of the rate, its schedule offset from the
            // others' so the threads' requests interleave.
            let share = configuration.rate * Double(mine.count) / Double(configuration.connections)
            let interval = share > 0 ? UInt64(1e9 / share) : 0
            var worker = Worker(
                configuration: configuration, address: address, connections: mine, warmupEnd: warmupEnd,
                deadline: deadline, check: check,
                schedule: share > 0 ? Schedule(origin: start + interval * UInt64(thread) / UInt64(threads), interval: interval) : nil)
            results.add(worker.run())
            done.leave()
        }
        worker.name = "rescind-load-\(thread)"
        worker.start()
    }
    done.wait()
    return results.result
}

/// Collects the threads' results.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var merged = LoadResult()
    func add(_ result: LoadResult) { lock.withLock { merged.merge(result) } }
    var result: LoadResult { lock.withLock { merged } }
}

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always)
package func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The server's address, resolved once (loopback names resolve to one address).
struct SocketAddress: @unchecked Sendable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    var family: Int32 = 0

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw LoadError.resolve("cannot resolve `\(host)`: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        family = first.pointee.ai_family
        length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
    }

    /// A connected, non-blocking socket with Nagle off, or an error message.
    func connect() -> Result<Int32, ConnectFailure> {
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failure(ConnectFailure(message: "socket: \(errnoText())")) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var address = storage
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemConnect(fd, $0, length) }
        }
        guard status == 0 else {
            let message = "connect: \(errnoText())"
            close(fd)
            return .failure(ConnectFailure(message: message))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return .success(fd)
    }
}

struct ConnectFailure: Error {
    let message: String
}

@inline(__always)
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// When an open loop's requests are due: the `k`th at `origin + k * interval`.
struct Schedule {
    let origin: UInt64
    let interval: UInt64
    /// Requests started so far.
    var started: UInt64 = 0

    var nextDue: UInt64 { origin + started * interval }
}

/// Wakes a worker's `poll` when the next request of its schedule is due: a thread that
/// sleeps to each due time (`clock_nanosleep`, to the nanosecond, where `poll` waits
/// whole milliseconds) and writes a byte to a pipe the worker polls.
final class Pacer: @unchecked Sendable {
    /// The pipe's ends: the worker reads (and drains) `readEnd`.
    let readEnd: Int32
    private let writeEnd: Int32
    private let done = DispatchSemaphore(value: 0)

    init?(schedule: Schedule, deadline: UInt64) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        readEnd = ends[0]
        writeEnd = ends[1]
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        let writeEnd = writeEnd, done = done
        let thread = Thread {
            var due = schedule.origin
            while due < deadline {
                var time = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
                #if canImport(Glibc)
                while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
                #else
                let now = monotonicNanoseconds()
                if due > now { usleep(UInt32((due - now) / 1000)) }
                #endif
                var byte: UInt8 = 1
                _ = write(writeEnd, &byte, 1)  // a full pipe already wakes the worker
                due += schedule.interval
            }
            done.signal()
        }
        thread.name = "rescind-load-pacer"
        thread.start()
    }

    /// Reads what the pacer wrote, so the next `poll` waits for the next due time.
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 256)
        while read(readEnd, &bytes, bytes.count) > 0 {}
    }

    /// Waits for the pacer to pass the deadline, then closes the pipe.
    func finish() {
        done.wait()
        close(readEnd)
        close(writeEnd)
    }
}

/// One keep-alive connection and the request it has in flight.
private struct Connection {
    var fd: Int32 = -1
    /// The next request to send (an index into the configuration's requests).
    var next: Int
    /// The request in flight, or -1.
    var current = -1
    var written = 0
    var sentAt: UInt64 = 0
    /// When the request was due: `sentAt` in a closed loop, its scheduled time in an open one.
    var dueAt: UInt64 = 0
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    var filled = 0
    /// Where the answer's body starts, once its head is read; its length.
    var bodyStart = -1
    var bodyLength = 0
    var status = 0
    var closeAfter = false
    /// After a failed connect, when to try again.
    var retryAt: UInt64 = 0

    init(next: Int) { self.next = next }

    mutating func resetAnswer() {
        filled = 0
        bodyStart = -1
        bodyLength = 0
        status = 0
        closeAfter = false
    }
}

private struct Worker {
    let configuration: LoadConfiguration
    let address: SocketAddress
    let warmupEnd: UInt64
    let deadline: UInt64
    let timeout: UInt64
    let check: ResponseCheck?
    var connections: [Connection]
    var result = LoadResult()
    var lastAnswer: UInt64 = 0
    /// The open loop's schedule; nil in a closed loop.
    var schedule: Schedule?

    init(
        configuration: LoadConfiguration, address: SocketAddress, connections: [Int], warmupEnd: UInt64,
        deadline: UInt64, check: ResponseCheck?, schedule: Schedule? = nil
    ) {
        self.configuration = configuration
        self.address = address
        self.warmupEnd = warmupEnd
        self.deadline = deadline
        self.timeout = UInt64(configuration.timeout * 1e9)
        self.check = check
        self.schedule = schedule
        self.connections = connections.map { Connection(next: $0 % configuration.requests.count) }
    }

    mutating func run() -> LoadResult {
        var pacer: Pacer?
        if let schedule {
            guard let made = Pacer(schedule: schedule, deadline: deadline) else {
                note("pipe: \(errnoText())")
                result.connectErrors += 1
                return result
            }
            pacer = made
        } else {
            for index in connections.indices { send(index, now: monotonicNanoseconds()) }
        }
        defer { pacer?.finish() }
        var polled: [pollfd] = []
        var owners: [Int] = []
        while true {
            if schedule != nil { startDue() }
            let now = monotonicNanoseconds()
            polled.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            // An open loop waits for its schedule until the deadline, connections busy or not.
            var waiting = schedule != nil && now < deadline
            for index in connections.indices {
                let connection = connections[index]
                if connection.current >= 0 {
                    if now > connection.sentAt, now - connection.sentAt > timeout {
                        fail(index, timedOut: true, message: "no answer in \(configuration.timeout) s")
                        proceed(index, now: now)
                        continue
                    }
                    var events = Int16(POLLIN)
                    if connection.written < configuration.requests[connection.current].bytes.count { events |= Int16(POLLOUT) }
                    polled.append(pollfd(fd: connection.fd, events: events, revents: 0))
                    owners.append(index)
                } else if connection.retryAt > 0, now < deadline {
                    waiting = true
                    // An open loop's connection takes the next due request once free again.
                    if now >= connection.retryAt, schedule == nil { send(index, now: now) }
                }
            }
            if polled.isEmpty {
                if now >= deadline || !waiting { break }
                if pacer == nil {
                    usleep(1000)
                    continue
                }
            }
            if let pacer {
                polled.append(pollfd(fd: pacer.readEnd, events: Int16(POLLIN), revents: 0))
                owners.append(-1)
            }
            let ready = poll(&polled, nfds_t(polled.count), 20)
            guard ready > 0 else { continue }
            for (slot, entry) in polled.enumerated() where entry.revents != 0 {
                let index = owners[slot]
                if index < 0 {
                    pacer?.drain()
                    continue
                }
                if entry.revents & Int16(POLLOUT) != 0 { write(index) }
                if entry.revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 { read(index) }
            }
        }
        for index in connections.indices where connections[index].fd >= 0 { close(connections[index].fd) }
        if lastAnswer > warmupEnd { result.seconds = Double(max(lastAnswer, deadline) - warmupEnd) / 1e9 }
        return result
    }

    /// In an open loop, starts every request that is due on a free connection (oldest
    /// first); the rest wait for one. Requests due after the deadline are not started.
    mutating func startDue() {
        guard var schedule else { return }
        defer { self.schedule = schedule }
        let now = monotonicNanoseconds()
        var free = 0
        while schedule.nextDue <= now, schedule.nextDue < deadline {
            while free < connections.count,
                connections[free].current >= 0 || (connections[free].retryAt > 0 && connections[free].retryAt > now)
            {
                free += 1
            }
            guard free < connections.count else { return }
            send(free, now: now, due: schedule.nextDue)
            schedule.started += 1
        }
    }

    /// After an answer (or a failure): a closed loop sends the connection's next request,
    /// an open loop leaves it free for the next due one.
    mutating func proceed(_ index: Int, now: UInt64) {
        if schedule == nil { send(index, now: now) }
    }

    /// Sends the connection's next request, connecting first when needed; after the
    /// deadline it leaves the connection idle instead. `due` is when an open loop's
    /// request was due (a closed loop's is due now).
    mutating func send(_ index: Int, now: UInt64, due: UInt64? = nil) {
        guard now < deadline else {
            connections[index].current = -1
            connections[index].retryAt = 0
            return
        }
        if connections[index].fd < 0 {
            switch address.connect() {
            case .success(let fd):
                connections[index].fd = fd
                connections[index].retryAt = 0
            case .failure(let failure):
                result.connectErrors += 1
                note(failure.message)
                connections[index].current = -1
                connections[index].retryAt = now + 10_000_000
                return
            }
        } else if connections[index].retryAt > 0 {
            connections[index].retryAt = 0
        }
        let request = connections[index].next
        connections[index].next = (request + 1) % configuration.requests.count
        connections[index].current = request
        connections[index].written = 0
        let sentAt = monotonicNanoseconds()
        connections[index].sentAt = sentAt
        connections[index].dueAt = min(due ?? sentAt, sentAt)
        connections[index].resetAnswer()
        write(index)
    }

    mutating func write(_ index: Int) {
        let bytes = configuration.requests[connections[index].current].bytes
        let fd = connections[index].fd
        while connections[index].written < bytes.count {
            let offset = connections[index].written
            let sent = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                Darwin.send(fd, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
            }
            if sent > 0 {
                connections[index].written += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                return  // the rest goes when poll says the socket is writable
            } else {
                fail(index, timedOut: false, message: "send: \(errnoText())")
                proceed(index, now: monotonicNanoseconds())
                return
            }
        }
    }

    mutating func read(_ index: Int) {
        while true {
            if connections[index].filled == connections[index].buffer.count {
                connections[index].buffer += [UInt8](repeating: 0, count: connections[index].buffer.count)
            }
            let fd = connections[index].fd
            let filled = connections[index].filled
            let count = connections[index].buffer.withUnsafeMutableBytes { raw in
                systemRead(fd, raw.baseAddress! + filled, raw.count - filled)
            }
            if count > 0 {
                connections[index].filled += count
                if parse(index) { return }
                continue
            }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            fail(index, timedOut: false, message: count == 0 ? "the server closed the connection" : "read: \(errnoText())")
            proceed(index, now: monotonicNanoseconds())
            return
        }
    }

    /// Reads the answer's head once it is all there; when the whole answer is, records
    /// it and sends the next request. True when the answer was complete (or broken).
    mutating func parse(_ index: Int) -> Bool {
        if connections[index].bodyStart < 0 {
            guard let head = connections[index].buffer.withUnsafeBytes({ parseHead($0.prefix(connections[index].filled)) })
            else { return false }
            guard let length = head.contentLength, head.status > 0 else {
                fail(index, timedOut: false, message: "an answer without a status or Content-Length")
                proceed(index, now: monotonicNanoseconds())
                return true
            }
            connections[index].bodyStart = head.bodyStart
            connections[index].bodyLength = length
            connections[index].status = head.status
            connections[index].closeAfter = head.close
        }
        let end = connections[index].bodyStart + connections[index].bodyLength
        guard connections[index].filled >= end else { return false }
        let now = monotonicNanoseconds()
        let connection = connections[index]
        guard connection.filled == end else {
            fail(index, timedOut: false, message: "bytes after the answer (no request was pipelined)")
            proceed(index, now: now)
            return true
        }
        let measured = connection.dueAt >= warmupEnd
        if let check {
            let passed = connection.buffer.withUnsafeBytes { raw in
                check(connection.current, connection.status, UnsafeRawBufferPointer(rebasing: raw[connection.bodyStart..<end]))
            }
            if !passed {
                result.failedChecks += 1
                note("request \(connection.current): the answer failed the check (status \(connection.status))")
            }
        }
        if measured {
            result.latency.record(now - connection.dueAt)
            if schedule != nil { result.sendDelay.record(connection.sentAt - connection.dueAt) }
            result.requests += 1
            result.decisions += configuration.requests[connection.current].decisions
            result.statuses[connection.status, default: 0] += 1
            lastAnswer = now
        } else {
            result.warmupRequests += 1
            if connection.status != 200 { result.statuses[connection.status, default: 0] += 1 }
        }
        connections[index].current = -1
        if connection.closeAfter {
            close(connection.fd)
            connections[index].fd = -1
        }
        proceed(index, now: now)
        return true
    }

    /// Counts a failed request and drops its connection (the next send reconnects).
    mutating func fail(_ index: Int, timedOut: Bool, message: String) {
        if timedOut { result.timeouts += 1 } else { result.ioErrors += 1 }
        note(message)
        if connections[index].fd >= 0 { close(connections[index].fd) }
        connections[index].fd = -1
        connections[index].current = -1
        connections[index].resetAnswer()
    }

    mutating func note(_ message: String) {
        if result.errorMessages.count < 10 { result.errorMessages.append(message) }
    }
}

@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// An answer's head: the status, where the body starts, its Content-Length, and
/// whether the server closes the connection after it.
struct ResponseHead {
    var status = 0
    var bodyStart = 0
    var contentLength: Int?
    var close = false
}

/// Parses the head once `\r\n\r\n` has arrived; nil before. Only what a load client
/// needs: chunked answers are not expected from this server and have no length here.
func parseHead(_ bytes: Slice<UnsafeRawBufferPointer>) -> ResponseHead? {
    let base = bytes.startIndex
    var end = -1
    var index = base
    while index + 3 < bytes.endIndex {
        if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
            end = index
            break
        }
        index += 1
    }
    guard end >= 0 else { return nil }
    var head = ResponseHead(bodyStart: end + 4 - base)
    // "HTTP/1.1 200 OK"
    if end - base >= 12, bytes[base] == UInt8(ascii: "H"), bytes[base + 8] == UInt8(ascii: " ") {
        var status = 0
        for offset in 9..<12 where (48...57).contains(bytes[base + offset]) {
            status = status * 10 + Int(bytes[base + offset] - 48)
        }
        head.status = status
    }
    // Header lines: name (case-insensitive) and value.
    var lineStart = base
    while lineStart < end, !(bytes[lineStart] == 13 && bytes[lineStart + 1] == 10) { lineStart += 1 }
    lineStart += 2
    while lineStart < end {
        var lineEnd = lineStart
        while lineEnd < end, !(bytes[lineEnd] == 13 && bytes[lineEnd + 1] == 10) { lineEnd += 1 }
        // Compared as bytes: this runs for every answer, on the client's share of the CPU.
        if let colon = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) {
            var valueStart = colon + 1
            while valueStart < lineEnd, bytes[valueStart] == 32 { valueStart += 1 }
            if asciiLowercaseEquals(bytes[lineStart..<colon], "content-length") {
                var length = 0, digits = 0
                for byte in bytes[valueStart..<lineEnd] {
                    guard (48...57).contains(byte), digits < 12 else { digits = 0; break }
                    length = length * 10 + Int(byte - 48)
                    digits += 1
                }
                head.contentLength = digits > 0 ? length : nil
            } else if asciiLowercaseEquals(bytes[lineStart..<colon], "connection") {
                head.close = asciiLowercaseEquals(bytes[valueStart..<lineEnd], "close")
            }
        }
        lineStart = lineEnd + 2
    }
    return head
}

private func asciiLowercaseEquals(_ bytes: Slice<UnsafeRawBufferPointer>, _ text: StaticString) -> Bool {
    guard bytes.count == text.utf8CodeUnitCount else { return false }
    let expected = text.utf8Start
    for (offset, byte) in bytes.enumerated() where (byte | 0x20) != expected[offset] { return false }
    return true
}
