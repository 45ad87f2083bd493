import Foundation
import Logging
import Metrics
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// Where and how the service writes its decision log (docs/decision-log.md); nil in
/// `ServerConfiguration.decisionLog` turns the log off.
package struct DecisionLogConfiguration: Sendable, Equatable {
    /// The log file; rotated files are `PATH.1` (newest) … `PATH.N`.
    package var path: String
    /// Rotate before a line would take the file past this many bytes; 0 never rotates.
    package var maxBytes: Int
    /// Rotated files kept; 0 keeps none (the full file is deleted).
    package var keep: Int
    /// The fraction of decisions logged, chosen by request id (`DecisionLogSampler`).
    package var sampleRate: Double
    /// The most bytes of entries waiting for the writer; an entry that does not fit is
    /// dropped (and counted), never waited for: with `durability` `write` or `fsync` its
    /// request is answered 503 `decision-log-unavailable` instead.
    package var bufferBytes: Int
    /// Rejected requests logged per second at most (a token bucket holding a second's
    /// worth); the rest are counted, not logged, so bad requests cannot push decisions
    /// out of a rotated log. 0 logs none.
    package var errorRate: Double
    /// When a decision's answer may be sent, relative to its line reaching the file.
    package var durability: DecisionLogDurability

    /// 100 MiB per file.
    package static let defaultMaxBytes = 100 << 20
    /// Five rotated files.
    package static let defaultKeep = 5
    /// 16 MiB: thousands of typical entries, and several of the largest requests.
    package static let defaultBufferBytes = 16 << 20
    /// 100 rejected requests a second: plenty to see what goes wrong, a few hundred KiB
    /// of log a second at most.
    package static let defaultErrorRate: Double = 100

    /// A log at `path`; the defaults are `--decision-log`'s.

    package init(
        path: String, maxBytes: Int = defaultMaxBytes, keep: Int = defaultKeep, sampleRate: Double = 1,
        bufferBytes: Int = defaultBufferBytes, errorRate: Double = defaultErrorRate,
        durability: DecisionLogDurability = .async
    ) {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        self.sampleRate = sampleRate
        self.bufferBytes = bufferBytes
        self.errorRate = errorRate
        self.durability = durability
    }
}

/// When `rescind serve` answers a decision, relative to its log line
/// (`--decision-log-durability`; docs/decision-log.md says what each mode can lose).
package enum DecisionLogDurability: String, Sendable, CaseIterable, LosslessStringConvertible {
    /// Answer at once; the line is written soon after, off the request path. A crash or
    /// `kill -9` loses the lines still in the buffer.
    case async
    /// Answer once `write(2)` has put the line in the file (the kernel's page cache): a
    /// killed process loses nothing it answered; a power loss may.
    case write
    /// Answer once the line is written and `fdatasync`ed (one sync for every line
    /// written together): survives a power loss.
    case fsync

    /// The mode named `description` (`async`, `write`, `fsync`).
    package init?(_ description: String) { self.init(rawValue: description) }
    /// The mode's name.
    package var description: String { rawValue }
}

/// What a request's handler awaits in `write` and `fsync` mode: the entries it logged
/// (one, or a batch's), counted down by the writer thread as they are written. Its
/// fields are guarded by the writer's lock.
final class DecisionLogWaiter: @unchecked Sendable {
    /// Entries accepted and not yet written (or failed).
    fileprivate var outstanding = 0
    /// Some entry was not written: dropped (buffer full, log closed) or refused by the file.
    fileprivate var failed = false
    fileprivate var continuation: CheckedContinuation<Bool, Never>?
}

/// The decision log could not be opened.
package struct DecisionLogError: Error, CustomStringConvertible {
    /// What failed, for the user: `cannot open the decision log `PATH`: …`.
    package let description: String
}

/// Appends decision-log entries to a file, off the request path.
///
/// Handlers only capture an entry (a few copies, no I/O) and put it in a buffer bounded
/// in bytes; one thread of the writer's own encodes the lines and appends them. Each
/// entry accepted gets the next `seq` (1, 2, 3… per process; `boot_id` names the
/// process), under the same lock that queues it, so the file's order is `seq` order and
/// an accepted entry that never reaches the file (buffer full, write error) leaves a gap
/// a reader can see. Sampled-out decisions and rejected requests beyond the error rate
/// are never accepted: they take no `seq`.
///
/// In `async` mode (the default) a full buffer drops the entry and counts it
/// (`rescind_decision_log_dropped_total{reason="buffer-full"}`, and a warning at most
/// once a second): a slow disk must not slow decisions down. In `write` and `fsync` mode
/// the handler awaits its entries (`wait(_:)`): the writer resumes it once the lines
/// are written (and synced), one `fdatasync` for all the lines written together; a
/// dropped or unwritten entry makes the request fail with 503 rather than answer a
/// decision that has no record. Everything accepted into the buffer is written by
/// `close()`.
///
/// The lines of a round go to the file in as few `write(2)` calls as fit (the file is
/// opened `O_APPEND`, and this thread is its only writer); rotation happens between
/// lines, so no line is split between files. A log whose last line lacks its newline (a
/// crash mid-write) gets one when it is opened, so new entries start on their own line.
package final class DecisionLogWriter: @unchecked Sendable {
    package let configuration: DecisionLogConfiguration
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
    private var counts = (written: 0, dropped: 0, droppedUnreported: 0, errorDropped: 0, errorUnreported: 0)
    /// The `seq` of the next entry accepted.
    private var nextSeq = 1
    /// The error rate's token bucket: tokens left, and when it was last filled.
    private var errorTokens: Double
    private var errorRefilled = ContinuousClock.now

    /// This process's run of the log: every line it writes carries it, with `seq`.
    package let bootID = UUID().uuidString.lowercased()

    // The file, touched by the writer thread only (and by `init`, before it starts).
    private var fd: Int32 = -1
    private var size = 0
    /// The last write stopped partway through a line: start the next with a newline.
    private var tornLine = false
    private var lastDropReport = ContinuousClock.now - .seconds(60)
    private var lastErrorRateReport = ContinuousClock.now - .seconds(60)
    private var lastWriteErrorReport = ContinuousClock.now - .seconds(60)

    private let writtenCounter: Counter
    private let droppedFull: Counter
    private let droppedWriteError: Counter
    private let droppedErrorRate: Counter
    /// Runs before each batch is written; tests hold the writer up with it.
    private let beforeWrite: (@Sendable () -> Void)?

    /// Opens (or creates) the log and starts the writer thread; throws when the file
    /// cannot be opened, so a bad path stops start-up instead of losing every entry.
    package convenience init(
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
        errorTokens = max(1, configuration.errorRate)
        writtenCounter = Counter(label: "rescind_decision_log_written_total", dimensions: [], factory: metrics.factory)
        droppedFull = Counter(
            label: "rescind_decision_log_dropped_total", dimensions: [("reason", "buffer-full")], factory: metrics.factory)
        droppedWriteError = Counter(
            label: "rescind_decision_log_dropped_total", dimensions: [("reason", "write-error")], factory: metrics.factory)
        droppedErrorRate = Counter(
            label: "rescind_decision_log_dropped_total", dimensions: [("reason", "error-rate")], factory: metrics.factory)
        if let error = openFile() {
            throw DecisionLogError(description: "cannot open the decision log `\(configuration.path)`: \(error)")
        }
        if configuration.durability == .fsync { syncFolder(of: configuration.path) }
        // The thread keeps the writer alive until `close()` lets it finish.
        let thread = Thread { self.run() }
        thread.name = "rescind.decision-log"
        thread.start()
    }

    /// Entries written, and entries dropped (buffer full, or the file refused them);
    /// rejected requests over the error rate are not among them (`errorRateDropped`).
    package var statistics: (written: Int, dropped: Int) {
        condition.withLock { (counts.written, counts.dropped) }
    }

    /// Rejected requests not logged because they came faster than `errorRate`.
    package var errorRateDropped: Int { condition.withLock { counts.errorDropped } }

    /// The `seq` the next accepted entry will get.
    var nextSequenceNumber: Int { condition.withLock { nextSeq } }

    /// A waiter for one request's entries, in `write` and `fsync` mode; nil in `async`
    /// mode, where nothing waits.
    func makeWaiter() -> DecisionLogWaiter? {
        configuration.durability == .async ? nil : DecisionLogWaiter()
    }

    /// Whether a rejected request may be logged: a token from the error rate's bucket,
    /// or the drop counted (`reason="error-rate"`, summarized in a warning once a second).
    func admitRejected() -> Bool {
        condition.lock()
        if takeErrorToken() {
            condition.unlock()
            return true
        }
        counts.errorDropped += 1
        counts.errorUnreported += 1
        condition.unlock()
        droppedErrorRate.increment()
        return false
    }

    /// Queues `entry` for the writer with the next `seq`, or drops it (buffer full, log
    /// closed); never waits. Whether it was queued.
    @discardableResult
    func submit(_ entry: DecisionLogEntry) -> Bool {
        var entry = entry
        let cost = entry.cost
        condition.lock()
        guard !closing, bufferedBytes + cost <= configuration.bufferBytes else {
            // After `close()` (nothing answers requests then) the entry is only counted.
            let full = !closing
            counts.dropped += 1
            if full {
                counts.droppedUnreported += 1
                // Taken though not written: the gap tells readers an entry is missing.
                nextSeq += 1
            }
            entry.waiter?.failed = true
            condition.unlock()
            if full { droppedFull.increment() }
            return false
        }
        entry.seq = nextSeq
        nextSeq += 1
        entry.waiter?.outstanding += 1
        pending.append(entry)
        bufferedBytes += cost
        // Only the writer thread can be waiting: `close()` waits after setting `closing`,
        // and then no entry gets this far.
        condition.signal()
        condition.unlock()
        return true
    }

    /// A token from the error rate's bucket (the lock is held): the bucket fills at
    /// `errorRate` a second up to one second's worth, so a burst passes, a flood does not.
    private func takeErrorToken() -> Bool {
        let rate = configuration.errorRate
        guard rate > 0 else { return false }
        let now = ContinuousClock.now
        let elapsed = now - errorRefilled
        errorRefilled = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        errorTokens = min(max(1, rate), errorTokens + seconds * rate)
        guard errorTokens >= 1 else { return false }
        errorTokens -= 1
        return true
    }

    /// Waits (without blocking a thread) until every entry `waiter` was given is written,
    /// and synced in `fsync` mode; false when one was not (dropped, or refused by the file).
    func wait(_ waiter: DecisionLogWaiter) async -> Bool {
        await withCheckedContinuation { continuation in
            condition.lock()
            guard waiter.outstanding > 0 else {
                let written = !waiter.failed
                condition.unlock()
                continuation.resume(returning: written)
                return
            }
            waiter.continuation = continuation
            condition.unlock()
        }
    }

    /// Writes what is queued, closes the file and stops the thread; later entries are
    /// dropped. Call it after the server has stopped (graceful shutdown), so no accepted
    /// decision is missing from the log. Safe to call more than once.
    package func close() {
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
            let written = writeAll(batch)
            // Group commit: one sync for every line of the round, before anyone is answered.
            var synced = true
            if configuration.durability == .fsync, fd >= 0, written.contains(true), !syncFile(fd) {
                reportWriteError("fdatasync: \(String(cString: strerror(errno)))")
                // Written (and counted so: the lines are in the file, no gap), but maybe
                // not durable: their decisions are not acknowledged.
                synced = false
            }
            var bytes = 0, writtenCount = 0, failed = 0
            var resume: [(CheckedContinuation<Bool, Never>, Bool)] = []
            condition.lock()
            for (entry, ok) in zip(batch, written) {
                bytes += entry.cost
                if ok { writtenCount += 1 } else { failed += 1 }
                guard let waiter = entry.waiter else { continue }
                if !ok || !synced { waiter.failed = true }
                waiter.outstanding -= 1
                if waiter.outstanding == 0, let continuation = waiter.continuation {
                    waiter.continuation = nil
                    resume.append((continuation, !waiter.failed))
                }
            }
            bufferedBytes -= bytes
            counts.written += writtenCount
            counts.dropped += failed
            let unreported = counts.droppedUnreported, total = counts.dropped
            let errorUnreported = counts.errorUnreported, errorTotal = counts.errorDropped
            condition.unlock()
            for (continuation, ok) in resume { continuation.resume(returning: ok) }
            writtenCounter.increment(by: Int64(writtenCount))
            if failed > 0 { droppedWriteError.increment(by: Int64(failed)) }
            reportDrops(unreported: unreported, total: total, force: false)
            reportErrorRate(unreported: errorUnreported, total: errorTotal, force: false)
        }
        if fd >= 0 {
            fsync(fd)
            closeFile(fd)
            fd = -1
        }
        let (written, dropped, unreported, errorDropped, errorUnreported) = condition.withLock { counts }
        reportDrops(unreported: unreported, total: dropped, force: true)
        reportErrorRate(unreported: errorUnreported, total: errorDropped, force: true)
        logger.info(
            "decision log closed",
            metadata: [
                "path": "\(configuration.path)", "written": "\(written)", "dropped": "\(dropped)",
                "error_rate_dropped": "\(errorDropped)", "boot_id": "\(bootID)",
                "last_seq": "\(condition.withLock { nextSeq } - 1)",
            ])
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

    /// The summary of rejected requests not logged for the error rate, at most once a second.
    private func reportErrorRate(unreported: Int, total: Int, force: Bool) {
        guard unreported > 0, force || ContinuousClock.now - lastErrorRateReport >= .seconds(1) else { return }
        lastErrorRateReport = .now
        condition.withLock { counts.errorUnreported -= unreported }
        logger.warning(
            "decision log: rejected requests over the error rate not logged",
            metadata: [
                "dropped": "\(unreported)", "dropped_total": "\(total)",
                "error_rate": "\(configuration.errorRate)", "path": "\(configuration.path)",
            ])
    }

    /// Writes a round's entries in order; whether each line reached the file whole.
    /// Consecutive lines go out together, in one `write(2)` of up to a mebibyte, cut
    /// where a rotation falls.
    private func writeAll(_ batch: [DecisionLogEntry]) -> [Bool] {
        var written = [Bool](repeating: false, count: batch.count)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(min(1 << 20, batch.count * 2048))
        // The entries in `chunk`, each with the offset its line ends at.
        var lineEnds: [(entry: Int, end: Int)] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            defer {
                chunk.removeAll(keepingCapacity: true)
                lineEnds.removeAll(keepingCapacity: true)
            }
            if fd < 0, let error = openFile() {
                reportWriteError("cannot open the decision log: \(error)")
                return
            }
            // A short write (a full disk) is finished with another, still in place:
            // this thread is the file's only writer.
            let count = writeFully(fd, chunk)
            size += count
            for (entry, end) in lineEnds where end <= count { written[entry] = true }
            if count == chunk.count {
                tornLine = false
                return
            }
            // Stopped inside a line: the next line starts with a newline, so only the
            // lines from this one on are lost.
            if count > 0, !lineEnds.contains(where: { $0.end == count }) { tornLine = true }
            reportWriteError(String(cString: strerror(errno)))
        }
        for (index, entry) in batch.enumerated() {
            guard let line = entry.line(bootID: bootID) else {
                logger.warning("decision log: request is not one JSON object; not logged", metadata: ["seq": "\(entry.seq)"])
                continue
            }
            let lead = chunk.isEmpty && tornLine ? 1 : 0
            if configuration.maxBytes > 0, size + chunk.count > 0, size + chunk.count + lead + line.count > configuration.maxBytes {
                flush()
                rotate()
            }
            if chunk.isEmpty && tornLine { chunk.append(0x0A) }
            chunk.append(contentsOf: line)
            lineEnds.append((index, chunk.count))
            if chunk.count >= 1 << 20 { flush() }
        }
        flush()
        return written
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
            // The old file's last lines are answered only after the round's sync, which
            // goes to the new file: sync the old one now.
            if configuration.durability == .fsync { _ = syncFile(fd) }
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
        // The new file's name must survive a power loss too.
        if configuration.durability == .fsync { syncFolder(of: path) }
        logger.debug("decision log rotated", metadata: ["path": "\(path)", "keep": "\(configuration.keep)"])
    }
}

// MARK: What handlers call

extension DecisionLogWriter {
    /// A decision, as answered: `response` holds the decision's JSON (with the
    /// explanation when one was asked for; the writer drops it), read only when the
    /// decision is sampled; `history`, the events the history store supplied. With a `waiter` (`write`, `fsync`), the caller then awaits
    /// `wait(waiter)` before answering.
    func record(
        _ decision: Decision, request: UnsafeRawBufferPointer, response: @autoclosure () -> [UInt8], policySet: PolicySet,
        nanoseconds: UInt64, waiter: DecisionLogWaiter? = nil, history: [HistoryItem]? = nil
    ) {
        let (key, decisionID) = Self.samplingKey(requestID: decision.requestID)
        guard sampler.keeps(key) else { return }
        var entry = DecisionLogEntry(
            decisionID: decisionID, loggedAt: WallClock.now(), policySet: policySet, latencyMicroseconds: Int(nanoseconds / 1000),
            request: Array(request), requestCompacted: false, outcome: .decision(response()))
        entry.waiter = waiter
        entry.history = history
        submit(entry)
    }

    /// What sampling decides on: the request's `id`, or, for a request without one, the
    /// decision id made for it here (and then kept for the entry).
    private static func samplingKey(requestID: String?) -> (key: String, decisionID: UUID?) {
        if let requestID { return (requestID, nil) }
        let id = UUID()
        return (id.uuidString.lowercased(), id)
    }

    /// A request the decoder rejected, any body at all (not JSON, nested past any
    /// limit, a megabyte): logged bounded, its first bytes as a string with its size
    /// and SHA-256, within the error rate. Not sampled by request id (a body that is
    /// not JSON has none), and never waited for: it is no decision.
    func record(rejected error: RequestError, request: UnsafeRawBufferPointer, policySet: PolicySet, nanoseconds: UInt64) {
        // The rate first: a flood beyond it costs a lock and a count, not a digest.
        guard admitRejected() else { return }
        var hash = SHA256()
        hash.update(request)
        submit(DecisionLogEntry(
            decisionID: nil, loggedAt: WallClock.now(), policySet: policySet, latencyMicroseconds: Int(nanoseconds / 1000),
            request: DecisionLogEntry.prefix(of: request), requestCompacted: false,
            outcome: .rejected(error: DecisionLogEntry.errorObject(error), bytes: request.count, sha256: hash.finalize())))
    }
}

// The system calls by other names: inside the writer, `close` and `write` are its own.
private func closeFile(_ fd: Int32) { _ = close(fd) }

/// `fdatasync`: the data and what is needed to read it back (the size), not the times.
private func syncFile(_ fd: Int32) -> Bool {
    #if os(Linux)
    fdatasync(fd) == 0
    #else
    fsync(fd) == 0
    #endif
}

/// Syncs the folder holding `path`, so a file created or renamed there stays after a
/// power loss.
private func syncFolder(of path: String) {
    let folder = (path as NSString).deletingLastPathComponent
    let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    closeFile(fd)
}
