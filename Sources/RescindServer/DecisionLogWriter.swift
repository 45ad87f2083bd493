import Foundation
import Logging
import Metrics
import Rescind

/// Where and how the service writes its decision log (docs/decision-log.md); nil in
/// `ServerConfiguration.decisionLog` turns the log off.
public struct DecisionLogConfiguration: Sendable, Equatable {
    /// The log file; rotated files are `PATH.1` (newest) … `PATH.N`.
    public var path: String
    /// Rotate before a line would take the file past this many bytes; 0 never rotates.
    public var maxBytes: Int
    /// Rotated files kept; 0 keeps none (the full file is deleted).
    public var keep: Int
    /// The fraction of decisions logged, chosen by request id (`DecisionLogSampler`).
    public var sampleRate: Double
    /// The most bytes of entries waiting for the writer; an entry that does not fit is
    /// dropped (and counted), never waited for.
    public var bufferBytes: Int

    /// 100 MiB per file.
    public static let defaultMaxBytes = 100 << 20
    /// Five rotated files.
    public static let defaultKeep = 5
    /// 16 MiB: thousands of typical entries, and several of the largest requests.
    public static let defaultBufferBytes = 16 << 20

    /// A log at `path`; the defaults are `--decision-log`'s.

    public init(
        path: String, maxBytes: Int = defaultMaxBytes, keep: Int = defaultKeep, sampleRate: Double = 1,
        bufferBytes: Int = defaultBufferBytes
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        self.sampleRate = sampleRate
        self.bufferBytes = bufferBytes
    }
}

/// The decision log could not be opened.
public struct DecisionLogError: Error, CustomStringConvertible {
    /// What failed, for the user: `cannot open the decision log `PATH`: …`.
    public let description: String
}

/// Appends decision-log entries to a file, off the request path.
///
/// Handlers only capture an entry (a few copies, no I/O) and put it in a buffer bounded
/// in bytes; one thread of the writer's own encodes the lines and appends them. When the
/// buffer is full the entry is dropped and counted (`rescind_decision_log_dropped_total
/// {reason="buffer-full"}`, and a warning at most once a second): a slow disk must not
/// slow decisions down, and a request must never wait for a log line. Everything
/// accepted into the buffer is written by `close()`.
///
/// Each line goes to the file in one `write(2)` (the file is opened `O_APPEND`), so a
/// line is never split between writes; rotation happens between lines, so no line is
/// split between files. A log whose last line lacks its newline (a crash mid-write) gets
/// one when it is opened, so new entries start on their own line.
public final class DecisionLogWriter: @unchecked Sendable {
    public let configuration: DecisionLogConfiguration
    let sampler: DecisionLogSampler
    private let logger: Logger
    /// Guards the fields down to `counts`; the writer thread waits on it for entries,
    /// `close()` for the thread to finish.
    private let condition = NSCondition()
    private var pending: [DecisionLogEntry] = []
    /// Bytes of the entries pending or being written (freed once written).
    private var bufferedBytes = 0
    private var closing = false
    private var finished = false
    private var counts = (written: 0, dropped: 0, droppedUnreported: 0)

    // The file, touched by the writer thread only (and by `init`, before it starts).
    private var fd: Int32 = -1
    private var size = 0
    /// The last write stopped partway through a line: start the next with a newline.
    private var tornLine = false
    private var lastDropReport = ContinuousClock.now - .seconds(60)
    private var lastWriteErrorReport = ContinuousClock.now - .seconds(60)

    private let writtenCounter: Counter
    private let droppedFull: Counter
    private let droppedWriteError: Counter
    /// Runs before each batch is written; tests hold the writer up with it.
    private let beforeWrite: (@Sendable () -> Void)?

    /// Opens (or creates) the log and starts the writer thread; throws when the file
    /// cannot be opened, so a bad path stops start-up instead of losing every entry.
    public convenience init(
        configuration: DecisionLogConfiguration, metrics: ServerMetrics, logger: Logger = Logger(label: "rescind.server")
    ) throws {
        try self.init(configuration: configuration, metrics: metrics, logger: logger, beforeWrite: nil)
    }

    init(
        configuration: DecisionLogConfiguration, metrics: ServerMetrics, logger: Logger,
        beforeWrite: (@Sendable () -> Void)?
    ) throws {
        self.configuration = configuration
        self.sampler = DecisionLogSampler(rate: configuration.sampleRate)
        self.logger = logger
        self.beforeWrite = beforeWrite
        writtenCounter = Counter(label: "rescind_decision_log_written_total", dimensions: [], factory: metrics.factory)
        droppedFull = Counter(
            label: "rescind_decision_log_dropped_total", dimensions: [("reason", "buffer-full")], factory: metrics.factory)
        droppedWriteError = Counter(
            label: "rescind_decision_log_dropped_total", dimensions: [("reason", "write-error")], factory: metrics.factory)
        if let error = openFile() {
            throw DecisionLogError(description: "cannot open the decision log `\(configuration.path)`: \(error)")
        }
        // The thread keeps the writer alive until `close()` lets it finish.
        let thread = Thread { self.run() }
        thread.name = "rescind.decision-log"
        thread.start()
    }

    /// Entries written, and entries dropped (buffer full, or the file refused them).
    public var statistics: (written: Int, dropped: Int) {
        condition.withLock { (counts.written, counts.dropped) }
    }

    /// Queues `entry` for the writer, or drops it when the buffer is full; never waits.
    func submit(_ entry: DecisionLogEntry) {
        let cost = entry.cost
        condition.lock()
        guard !closing, bufferedBytes + cost <= configuration.bufferBytes else {
            // After `close()` (nothing answers requests then) the entry is only counted.
            let full = !closing
            counts.dropped += 1
            if full { counts.droppedUnreported += 1 }
            condition.unlock()
            if full { droppedFull.increment() }
            return
        }
        pending.append(entry)
        bufferedBytes += cost
        // Only the writer thread can be waiting: `close()` waits after setting `closing`,
        // and then no entry gets this far.
        condition.signal()
        condition.unlock()
    }

    /// Writes what is queued, closes the file and stops the thread; later entries are
    /// dropped. Call it after the server has stopped (graceful shutdown), so no accepted
    /// decision is missing from the log. Safe to call more than once.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    // MARK: The writer thread

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                break
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()

            beforeWrite?()
            var written = 0, failed = 0, bytes = 0
            for entry in batch {
                bytes += entry.cost
                switch write(entry) {
                case .written: written += 1
                case .failed: failed += 1
                case .skipped: break
                }
            }
            condition.lock()
            bufferedBytes -= bytes
            counts.written += written
            counts.dropped += failed
            let unreported = counts.droppedUnreported
            let total = counts.dropped
            condition.unlock()
            writtenCounter.increment(by: Int64(written))
            if failed > 0 { droppedWriteError.increment(by: Int64(failed)) }
            reportDrops(unreported: unreported, total: total, force: false)
        }
        if fd >= 0 {
            fsync(fd)
            closeFile(fd)
            fd = -1
        }
        let (written, dropped, unreported) = condition.withLock { counts }
        reportDrops(unreported: unreported, total: dropped, force: true)
        logger.info(
            "decision log closed",
            metadata: ["path": "\(configuration.path)", "written": "\(written)", "dropped": "\(dropped)"])
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// A warning for entries dropped because the buffer was full, at most once a second
    /// (a flood of warnings would only add to the load that filled it).
    private func reportDrops(unreported: Int, total: Int, force: Bool) {
        guard unreported > 0, force || ContinuousClock.now - lastDropReport >= .seconds(1) else { return }
        lastDropReport = .now
        condition.withLock { counts.droppedUnreported -= unreported }
        logger.warning(
            "decision log buffer full; entries dropped",
            metadata: [
                "dropped": "\(unreported)", "dropped_total": "\(total)",
                "buffer_bytes": "\(configuration.bufferBytes)", "path": "\(configuration.path)",
            ])
    }

    private enum WriteResult { case written, failed, skipped }

    private func write(_ entry: DecisionLogEntry) -> WriteResult {
        guard var line = entry.line() else {
            logger.warning("decision log: request is not one JSON object; not logged", metadata: ["policy": "\(entry.policySet.digest)"])
            return .skipped
        }
        if tornLine { line.insert(0x0A, at: 0) }
        if configuration.maxBytes > 0, size > 0, size + line.count > configuration.maxBytes { rotate() }
        if fd < 0, let error = openFile() {
            reportWriteError("cannot open the decision log: \(error)")
            return .failed
        }
        // One write for the whole line; a short write (a full disk) is finished with
        // another, still in place: this thread is the file's only writer.
        let written = writeFully(fd, line)
        if written == line.count {
            size += written
            tornLine = false
            return .written
        }
        let partial = written
        size += partial
        // A partial line: the next entry starts with a newline, so only this one is lost.
        if partial > 0 { tornLine = true }
        reportWriteError(String(cString: strerror(errno)))
        return .failed
    }

    private func reportWriteError(_ message: String) {
        guard ContinuousClock.now - lastWriteErrorReport >= .seconds(1) else { return }
        lastWriteErrorReport = .now
        logger.error("decision log write failed; entry dropped", metadata: ["path": "\(configuration.path)", "error": "\(message)"])
    }

    /// Opens the log for appending; an error message, or nil.
    private func openFile() -> String? {
        let path = configuration.path
        // Read and write: the last byte is read back to find a torn line.
        let opened = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard opened >= 0 else { return String(cString: strerror(errno)) }
        fd = opened
        var status = stat()
        size = fstat(opened, &status) == 0 ? Int(status.st_size) : 0
        if size > 0 {
            var last: UInt8 = 0
            if pread(opened, &last, 1, off_t(size - 1)) == 1, last != 0x0A {
                // A line torn by a crash. End it here rather than cut it off: the bytes
                // stay for whoever investigates, `rescind replay` counts the line as one
                // bad line, and the entries after it read as they should.
                tornLine = true
                logger.warning(
                    "decision log ended without a newline (a line cut short by a crash?); ending it",
                    metadata: ["path": "\(path)", "bytes": "\(size)"])
            }
        }
        return nil
    }

    /// PATH → PATH.1 → … → PATH.keep (the oldest goes), then a new PATH.
    private func rotate() {
        let path = configuration.path
        if fd >= 0 {
            closeFile(fd)
            fd = -1
        }
        if configuration.keep == 0 {
            unlink(path)
        } else {
            for index in stride(from: configuration.keep - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")  // a missing one is fine
            }
            if rename(path, "\(path).1") != 0 {
                logger.error(
                    "decision log rotation failed; appending to the current file",
                    metadata: ["path": "\(path)", "error": "\(String(cString: strerror(errno)))"])
            }
        }
        tornLine = false
        if let error = openFile() { reportWriteError("cannot open the decision log: \(error)") }
        logger.debug("decision log rotated", metadata: ["path": "\(path)", "keep": "\(configuration.keep)"])
    }
}

// MARK: What handlers call

extension DecisionLogWriter {
    /// A decision, as answered: `response` holds the decision's JSON (with the
    /// explanation when one was asked for; the writer drops it), read only when the
    /// decision is sampled.
    func record(
        _ decision: Decision, request: UnsafeRawBufferPointer, response: @autoclosure () -> [UInt8], policySet: PolicySet,
        nanoseconds: UInt64
    ) {
        let (key, decisionID) = Self.samplingKey(requestID: decision.requestID)
        guard sampler.keeps(key) else { return }
        submit(DecisionLogEntry(
            decisionID: decisionID, loggedAt: WallClock.now(), policySet: policySet, latencyMicroseconds: Int(nanoseconds / 1000),
            request: Array(request), requestCompacted: false, outcome: .decision(response())))
    }

    /// What sampling decides on: the request's `id`, or, for a request without one, the
    /// decision id made for it here (and then kept for the entry).
    private static func samplingKey(requestID: String?) -> (key: String, decisionID: UUID?) {
        if let requestID { return (requestID, nil) }
        let id = UUID()
        return (id.uuidString.lowercased(), id)
    }

    /// A request the decoder rejected: logged with its error when the body is a JSON
    /// object, as docs/decision-log.md says; a body that is not is not logged.
    func record(rejected error: RequestError, request: UnsafeRawBufferPointer, policySet: PolicySet, nanoseconds: UInt64) {
        // Compacted here, not by the writer: sampling needs the request's `id`, and the
        // log must not hold a line that is not JSON.
        guard error.code != .invalidJSON, let compacted = compactJSONObject(request),
            String(decoding: compacted.bytes, as: UTF8.self).utf8.elementsEqual(compacted.bytes)
        else { return }
        let (key, decisionID) = Self.samplingKey(requestID: compacted.id)
        guard sampler.keeps(key) else { return }
        submit(DecisionLogEntry(
            decisionID: decisionID, loggedAt: WallClock.now(), policySet: policySet, latencyMicroseconds: Int(nanoseconds / 1000),
            request: compacted.bytes, requestCompacted: true, outcome: .error(error.errorObject(line: nil))))
    }
}

// The system calls by other names: inside the writer, `close` and `write` are its own.
private func closeFile(_ fd: Int32) { _ = close(fd) }
