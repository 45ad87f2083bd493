import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// How long a connection may sit in each phase, and how many may be open: the limits
/// that keep idle, slow or half-sent connections from holding the service
/// (docs/server.md, "Connections").
package struct ConnectionLimits: Sendable, Equatable {
    /// A keep-alive connection with no request in progress is closed after this.
    package var idleTimeout: Duration
    /// From the first byte of a request to the end of its head; 408 and close beyond.
    package var headerTimeout: Duration
    /// From the end of a request's head to the end of its body; 408 and close beyond.
    package var bodyTimeout: Duration
    /// Connections open at once; beyond, new ones wait in the listen backlog.
    package var maxConnections: Int

    /// 60 s idle, 10 s for a head, 30 s for a body, 1024 connections.
    package init(
        idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        maxConnections: Int = 1024
    ) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
    }
}

/// The open connections and what ended them: read by `/metrics`, and closed all at once
/// when a shutdown runs out of time (`closeAll`).
package final class ConnectionTracker: @unchecked Sendable {
    /// Why the service closed a connection itself.
    enum CloseReason: String, CaseIterable {
        case idle, headerTimeout = "header-timeout", bodyTimeout = "body-timeout", shutdown
    }

    private let lock = NSLock()
    private var open: [ObjectIdentifier: any Channel] = [:]
    private var accepted = 0
    private var closedBy: [CloseReason: Int] = [:]
    private var acceptErrors: [String: Int] = [:]
    private var limitReached = 0
    private var lastAcceptWarning: ContinuousClock.Instant?
    private var acceptErrorsSinceWarning = 0
    var logger = Logger(label: "rescind.server")
    /// Accept failures are logged at most once per this interval (and always counted).
    let warningInterval: Duration

    package init(warningInterval: Duration = .seconds(5)) { self.warningInterval = warningInterval }

    func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock {
            open[id] = channel
            accepted += 1
        }
        channel.closeFuture.whenComplete { [self] _ in
            lock.withLock { open[id] = nil }
        }
    }

    func closed(_ reason: CloseReason) { lock.withLock { closedBy[reason, default: 0] += 1 } }

    func reachedLimit(_ limit: Int) {
        let log = lock.withLock { () -> Bool in
            limitReached += 1
            return shouldWarn()
        }
        if log {
            logger.warning(
                "connection limit reached; new connections wait in the backlog", metadata: ["max_connections": "\(limit)"])
        }
    }

    /// Counts an accept that failed (EMFILE and the like) and logs it once per interval.
    func acceptFailed(_ error: IOError) {
        let name = errnoName(error.errnoCode)
        let report = lock.withLock { () -> (Int, Int)? in
            acceptErrors[name, default: 0] += 1
            acceptErrorsSinceWarning += 1
            guard shouldWarn() else { return nil }
            defer { acceptErrorsSinceWarning = 0 }
            return (acceptErrorsSinceWarning, open.count)
        }
        if let (failures, openNow) = report {
            logger.warning(
                "cannot accept connections; backing off",
                metadata: ["errno": "\(name)", "failures": "\(failures)", "open_connections": "\(openNow)"])
        }
    }

    /// Called with the lock held.
    private func shouldWarn() -> Bool {
        let now = ContinuousClock.now
        if let last = lastAcceptWarning, now - last < warningInterval { return false }
        lastAcceptWarning = now
        return true
    }

    /// Closes every open connection (a shutdown past its deadline); returns how many.
    @discardableResult
    package func closeAll() -> Int {
        let channels = lock.withLock { Array(open.values) }
        for channel in channels {
            closed(.shutdown)
            channel.close(promise: nil)
        }
        return channels.count
    }

    /// Prometheus text for the connection counts.
    func exposition() -> String {
        lock.withLock {
            var text = """
                # TYPE rescind_connections_open gauge
                rescind_connections_open \(open.count)
                # TYPE rescind_connections_accepted_total counter
                rescind_connections_accepted_total \(accepted)
                # TYPE rescind_connections_closed_total counter

                """
            for reason in CloseReason.allCases {
                text += "rescind_connections_closed_total{reason=\"\(reason.rawValue)\"} \(closedBy[reason, default: 0])\n"
            }
            text += "# TYPE rescind_connection_limit_reached_total counter\n"
            text += "rescind_connection_limit_reached_total \(limitReached)\n"
            text += "# TYPE rescind_accept_errors_total counter\n"
            for name in Set(["EMFILE"]).union(acceptErrors.keys).sorted() {
                text += "rescind_accept_errors_total{errno=\"\(name)\"} \(acceptErrors[name, default: 0])\n"
            }
            return text
        }
    }
}

private func errnoName(_ code: CInt) -> String {
    switch code {
    case EMFILE: "EMFILE"
    case ENFILE: "ENFILE"
    case ENOBUFS: "ENOBUFS"
    case ENOMEM: "ENOMEM"
    default: "errno-\(code)"
    }
}

// MARK: The child channel

/// HTTP/1.1 connections with Rescind's limits: Hummingbird's HTTP/1 pipeline plus a
/// clock for the idle, head and body deadlines, JSON answers for malformed requests,
/// and closing after an answer when the client (or HTTP/1.0) or the answer says so.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let tracker: ConnectionTracker

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            tracker.opened(channel)
            let clock = ConnectionClock(limits: limits, tracker: tracker, logger: logger)
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(ByteArrivalHandler(clock: clock))
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false)
            try operations.addHandler(KeepAliveHandler())
            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try operations.addHandler(RequestProgressHandler(clock: clock))
            // Hummingbird's own handler: it closes idle connections when the server quiesces.
            try operations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// The body did not arrive within `--request-body-timeout`; readBody answers 408.
struct RequestBodyTimeout: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the request body was not received within \(seconds(limit))" }
}

func seconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
}

/// Where a connection is, and the one deadline that phase has. Shared by the handler at
/// the front of the pipeline (bytes) and the one after the HTTP codec (request parts);
/// used on the connection's event loop only.
final class ConnectionClock {
    enum Phase { case idle, readingHead, readingBody, answering }

    let limits: ConnectionLimits
    let tracker: ConnectionTracker
    let logger: Logger
    private(set) var phase = Phase.idle
    private var deadline: Scheduled<Void>?
    /// The front handler's context: a timed-out head is answered there, below the codec.
    var byteContext: ChannelHandlerContext?
    /// The progress handler's context: a timed-out body is raised there as an error.
    var partContext: ChannelHandlerContext?

    init(limits: ConnectionLimits, tracker: ConnectionTracker, logger: Logger) {
        self.limits = limits
        self.tracker = tracker
        self.logger = logger
    }

    func start() { enter(.idle) }

    func bytesArrived() {
        if phase == .idle { enter(.readingHead) }
    }

    func headRead() { enter(.readingBody) }
    func requestRead() { enter(.answering) }
    func answerWritten() { enter(.idle) }

    func stop() {
        deadline?.cancel()
        deadline = nil
    }

    private func enter(_ next: Phase) {
        phase = next
        deadline?.cancel()
        deadline = nil
        let limit: Duration
        switch next {
        case .idle: limit = limits.idleTimeout
        case .readingHead: limit = limits.headerTimeout
        case .readingBody: limit = limits.bodyTimeout
        case .answering: return  // the handler's own work; the cost budget bounds a decision
        }
        guard let loop = (byteContext ?? partContext)?.eventLoop else { return }
        deadline = loop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: TimeAmount(limit)) { [self] in
            self.deadline = nil
            self.expired(next, limit: limit)
        }
    }

    private func expired(_ phase: Phase, limit: Duration) {
        switch phase {
        case .idle:
            tracker.closed(.idle)
            logger.debug("closing an idle connection", metadata: ["idle_timeout": "\(seconds(limit))"])
            byteContext?.close(promise: nil)
        case .readingHead:
            tracker.closed(.headerTimeout)
            logger.debug("request head timed out", metadata: ["header_timeout": "\(seconds(limit))"])
            // No request reached the application, so nothing else answers: write the 408
            // as bytes under the codec and close.
            guard let context = byteContext else { return }
            let body = APIError.requestTimeout("the request head was not received within \(seconds(limit))").object + "\n"
            let head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nServer: rescind\r\n\r\n"
            context.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).whenComplete { _ in context.close(promise: nil) }
        case .readingBody:
            tracker.closed(.bodyTimeout)
            logger.debug("request body timed out", metadata: ["body_timeout": "\(seconds(limit))"])
            // The application is reading the body: the error ends its read, and it answers
            // 408 (APIError.requestTimeout) and closes. If it answers nothing, close anyway.
            guard let context = partContext else { return }
            context.fireErrorCaught(RequestBodyTimeout(limit: limit))
            self.phase = .answering
            deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .seconds(5)) {
                context.close(promise: nil)
            }
        case .answering:
            break
        }
    }
}

/// First in the pipeline: notices a request's first byte (the head deadline starts) and
/// answers a timed-out head.
final class ByteArrivalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let clock: ConnectionClock

    init(clock: ConnectionClock) { self.clock = clock }

    func handlerAdded(context: ChannelHandlerContext) {
        clock.byteContext = context
        if context.channel.isActive { clock.start() }
    }

    func channelActive(context: ChannelHandlerContext) {
        clock.start()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.bytesArrived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        clock.stop()
        clock.byteContext = nil
    }
}

/// Before the HTTP-types codec, which drops the version: a request that does not keep
/// the connection alive (HTTP/1.0 without `Connection: keep-alive`, or `Connection:
/// close`) is marked `Connection: close`, so the connection closes after its answer.
final class KeepAliveHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), !head.isKeepAlive else {
            context.fireChannelRead(data)
            return
        }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}

/// After the codec: moves the clock through a request's phases, answers a malformed
/// request that never reached the application with the JSON error shape, and closes
/// the connection after an answer when the request or the answer says `close`.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let clock: ConnectionClock
    /// A request head reached the application and its answer is not finished.
    private var requestInFlight = false
    private var closeAfterAnswer = false

    init(clock: ConnectionClock) { self.clock = clock }

    func handlerAdded(context: ChannelHandlerContext) { clock.partContext = context }
    func handlerRemoved(context: ChannelHandlerContext) { clock.partContext = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestInFlight = true
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
            clock.headRead()
            // From here a shutdown answers the request instead of closing an idle
            // connection: the state the process tests wait for before they signal.
            clock.logger.debug("request head read", metadata: ["method": "\(head.method)", "path": "\(head.path ?? "")"])
        case .body: break
        case .end: clock.requestRead()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, !requestInFlight else {
            // A request in flight: its body read fails and the route answers 400.
            context.fireErrorCaught(error)
            return
        }
        // No request reached the application (a malformed head): Hummingbird would answer
        // 400 with an empty body; answer with the JSON error shape instead, and close.
        clock.stop()
        clock.tracker.logger.debug("malformed request head", metadata: ["error": "\(parseError)"])
        let body = APIError.malformedRequest(parseError).object + "\n"
        let head = HTTPResponse(
            status: .badRequest,
            headerFields: [
                .contentType: "application/json", .contentLength: "\(body.utf8.count)", .connection: "close",
                .server: "rescind",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterAnswer = true }
            if closeAfterAnswer, head.headerFields[.connection] == nil {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            requestInFlight = false
            guard closeAfterAnswer else {
                clock.answerWritten()
                context.write(data, promise: promise)
                return
            }
            // The rest of the request (an oversized body, a broken stream) is not read.
            clock.stop()
            context.writeAndFlush(data).whenComplete { result in
                promise?.completeWith(result)
                context.close(promise: nil)
            }
        }
    }
}

// MARK: The listener

/// First on the listening socket's pipeline: keeps at most `--max-connections` open (the
/// listener stops accepting; new connections wait in the kernel's backlog), and survives
/// running out of file descriptors.
///
/// Running out is worse than refusing clients: libdispatch (under Swift concurrency and
/// every timer here) opens `/proc/self/task/TID/stat` to watch its thread pool and traps
/// (SIGILL) when that open fails, and NIO retries a failed accept in a busy loop. So the
/// guard holds a reserve of descriptors (`/dev/null`, opened at start). When accept fails
/// for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) it gives the
/// reserve back to the process, stops accepting, counts and logs the failure (once per
/// interval), and starts again once connections have closed and the reserve is whole:
/// at once when a connection closes, else after a back-off that doubles from 10 ms to 1 s.
final class ListenerGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    /// Descriptors kept in reserve for the rest of the process.
    static let reserveSize = 16

    let tracker: ConnectionTracker
    let maxConnections: Int
    private var open = 0
    private var reserve: [CInt] = []
    /// Set by a failed accept: no accepts until the reserve is whole again.
    private var starved = false
    private var delay: TimeAmount?
    private var scheduled: Scheduled<Void>?
    /// A read was asked for while at the cap or starved.
    private var readHeld = false

    init(tracker: ConnectionTracker, maxConnections: Int) {
        self.tracker = tracker
        self.maxConnections = maxConnections
        refillReserve()
    }

    deinit {
        for fd in reserve { Glibc.close(fd) }
    }

    func read(context: ChannelHandlerContext) {
        if starved {
            readHeld = true
            return
        }
        if open >= maxConnections {
            if !readHeld { tracker.reachedLimit(maxConnections) }
            readHeld = true
            return
        }
        readHeld = false
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delay = nil
        open += 1
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        unwrapInboundIn(data).closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.open -= 1
            // A descriptor and a slot are free: try now rather than when a back-off ends.
            handler.retry(context)
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        tracker.acceptFailed(error)
        starved = true
        for fd in reserve { Glibc.close(fd) }
        reserve.removeAll()
        // NIO leaves a read pending after a failed accept, so the listener stays
        // registered and epoll reports it again at once: holding `read()` (as NIO's own
        // AcceptBackoffHandler does) is not enough. Turning auto-read off unregisters it.
        setAutoRead(false, context)
        scheduleRetry(context)
        // Not passed on: NIO's back-off behind this handler would hold accepts a whole second.
    }

    private func scheduleRetry(_ context: ChannelHandlerContext) {
        let next = min((delay ?? .milliseconds(5)) * 2, .seconds(1))
        delay = next
        scheduled?.cancel()
        scheduled = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: next) {
            self.scheduled = nil
            self.retry(context)
        }
    }

    /// Accepts again if the reserve can be made whole; else waits for the next close or
    /// the next back-off.
    private func retry(_ context: ChannelHandlerContext) {
        if starved {
            refillReserve()
            guard reserve.count == Self.reserveSize else {
                if scheduled == nil { scheduleRetry(context) }
                return
            }
            starved = false
            scheduled?.cancel()
            scheduled = nil
            // Registers the listener again.
            setAutoRead(true, context)
        }
        if readHeld { read(context: context) }
    }

    /// Without auto-read off the listener spins; without it back on it never accepts
    /// again: either failing is logged, not swallowed.
    private func setAutoRead(_ on: Bool, _ context: ChannelHandlerContext) {
        do {
            try context.channel.syncOptions?.setOption(.autoRead, value: on)
        } catch {
            tracker.logger.error(
                "cannot switch accepting on the listener", metadata: ["auto_read": "\(on)", "error": "\(error)"])
        }
    }

    private func refillReserve() {
        while reserve.count < Self.reserveSize {
            let fd = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            reserve.append(fd)
        }
    }

    /// Installs the guard first on `listener`'s pipeline. One accept per wake-up, so the
    /// cap is checked before each (NIO would otherwise accept several in a row).
    static func install(on listener: any Channel, tracker: ConnectionTracker, maxConnections: Int) async throws {
        try await listener.eventLoop.submit {
            try listener.syncOptions?.setOption(.maxMessagesPerRead, value: 1)
            try listener.pipeline.syncOperations.addHandler(
                ListenerGuard(tracker: tracker, maxConnections: maxConnections), name: "RescindListenerGuard",
                position: .first)
        }.get()
    }
}

/// How many connections the process can hold: `configured`, or fewer when the open-file
/// limit would run out first (the descriptors open now, the guard's reserve and a margin
/// for log files, policy reloads and the runtime are kept back).
package func connectionCapacity(configured: Int) -> (capacity: Int, openFileLimit: Int?) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else {
        return (configured, nil)
    }
    let openNow = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 32
    let available = Int(limit.rlim_cur) - openNow - ListenerGuard.reserveSize - 32
    return (max(1, min(configured, available)), Int(limit.rlim_cur))
}
