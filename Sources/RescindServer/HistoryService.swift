import Foundation
import Logging
import CELRuntime
import RescindEngine
import RescindHistory
import RescindJSON

/// The history store as `rescind serve --history` uses it: every lookup and write timed
/// and counted in the metrics, and the last failure kept, so `/readyz` and `/metrics`
/// show a store that does not answer instead of the decisions silently reviewing.
package final class HistoryService: @unchecked Sendable {
    package let store: any HistoryStore
    /// Where the store is, as shown to operators (a password is never repeated).
    package let location: String
    let lookup: HistoryLookup
    let metrics: ServerMetrics
    let logger: Logger
    /// The last lookup or write that failed, and the last that succeeded; guarded by `lock`.
    private var lastFailure: (at: WallClock, message: String)?
    private var lastSuccess: WallClock?
    private let lock = NSLock()

    package init(store: any HistoryStore, location: String, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.location = location
        self.lookup = HistoryLookup(store: store)
        self.metrics = metrics
        self.logger = logger
    }

    /// Settles one request's history (`HistoryLookup.settle`), counted.
    func settle(_ request: ObjectValue, for set: PolicySet) async -> HistoryLookup.Settled {
        let started = ContinuousClock.now
        let settled = await lookup.settle(request, for: set)
        note(settled, started: started)
        return settled
    }

    /// Settles a batch with one store query, counted once.
    func settle(batch requests: [ObjectValue], for set: PolicySet) async -> [HistoryLookup.Settled] {
        let started = ContinuousClock.now
        let settled = await lookup.settle(batch: requests, for: set)
        if let asked = settled.first(where: \.askedTheStore) { note(asked, started: started) }
        return settled
    }

    private func note(_ settled: HistoryLookup.Settled, started: ContinuousClock.Instant) {
        guard settled.askedTheStore, case .decide(let request) = settled else { return }
        let elapsed = UInt64(max(0, (ContinuousClock.now - started).nanoseconds))
        if let error = request.error {
            metrics.recordHistoryLookup(outcome: error.kind.rawValue, nanoseconds: elapsed)
            failed(error, doing: "lookup")
        } else {
            metrics.recordHistoryLookup(outcome: "ok", nanoseconds: elapsed)
            succeeded()
        }
    }

    /// Records `events`; counted by what happened to each. Throws when the store did not
    /// answer: nothing the caller is told was recorded is missing.
    func record(_ events: [CancellationEvent]) async throws(HistoryError) -> RecordOutcome {
        do {
            let outcome = try await store.record(events)
            metrics.recordHistoryWrite("recorded", count: outcome.recorded.count)
            metrics.recordHistoryWrite("duplicate", count: outcome.duplicates.count)
            metrics.recordHistoryWrite("conflict", count: outcome.conflicts.count)
            for conflict in outcome.conflicts {
                logger.warning("cancellation refused by the history store", metadata: ["error": "\(conflict.message)"])
            }
            succeeded()
            return outcome
        } catch {
            metrics.recordHistoryWrite("failed", count: events.count)
            failed(error, doing: "record")
            throw error
        }
    }

    /// Retracts `orderID`'s cancellation; counted.
    func retract(orderID: String) async throws(HistoryError) -> RetractOutcome {
        do {
            let outcome = try await store.retract(orderID: orderID)
            metrics.recordHistoryWrite(outcome.rawValue)
            succeeded()
            return outcome
        } catch {
            metrics.recordHistoryWrite("failed")
            failed(error, doing: "retract")
            throw error
        }
    }

    /// Asks the store something cheap (an empty window), for `/readyz`: nil when it
    /// answered, else why not.
    func probe() async -> String? {
        do {
            let zero = HistoryInstant(microseconds: 0)
            _ = try await store.events(buyerID: "", from: zero, through: zero)
            succeeded()
            return nil
        } catch {
            failed(error, doing: "probe")
            return error.message
        }
    }

    /// Deletes the events no threshold can count any more: older than the longest
    /// window `set` counts, plus `margin`, before `now` (the wall clock: purging is an
    /// operation, not a decision). Counted and logged; nil when it failed.
    @discardableResult
    func purge(for set: PolicySet, now: Date, margin: Duration) async -> Int? {
        guard let history = set.history else { return 0 }
        let cut = HistoryInstant(flooring: Int64(now.timeIntervalSince1970))
            .adding(microseconds: -(history.window.seconds * 1_000_000 + Int64(history.window.nanos / 1_000)))
            .adding(microseconds: -(margin.components.seconds * 1_000_000))
        do {
            let purged = try await store.purge(before: cut)
            metrics.recordHistoryPurge(purged: purged)
            logger.info("history purged", metadata: ["events": "\(purged)", "before": "\(cut.rfc3339)"])
            return purged
        } catch {
            metrics.recordHistoryPurge(purged: nil)
            failed(error, doing: "purge")
            return nil
        }
    }

    /// Purges every `interval` until cancelled (the retention schedule).
    package func runRetention(policies: PolicyStore, every interval: Duration, margin: Duration) async {
        while !Task.isCancelled {
            if let set = policies.current?.policySet { await purge(for: set, now: Date(), margin: margin) }
            try? await Task.sleep(for: interval)
        }
    }

    private func succeeded() {
        let now = WallClock.now()
        lock.withLock { lastSuccess = now }
    }

    private func failed(_ error: HistoryError, doing operation: String) {
        let now = WallClock.now()
        lock.withLock { lastFailure = (now, error.message) }
        logger.warning(
            "history store \(operation) failed",
            metadata: ["kind": "\(error.kind.rawValue)", "error": "\(error.message)", "store": "\(location)"])
    }

    /// `/readyz`'s `history` member: the store, whether it answered the probe, and the
    /// last failure seen.
    func readinessJSON(probeFailure: String?) -> String {
        let (failure, success) = lock.withLock { (lastFailure, lastSuccess) }
        return JSONWriter.text(capacity: 256) { out in
            out.object { out in
                out.member("status", string: probeFailure == nil ? "ok" : "unavailable")
                out.member("store", string: location)
                if let probeFailure { out.member("error", string: probeFailure) }
                if let success { out.member("last_success", string: success.rfc3339) }
                if let failure {
                    out.member("last_failure") { out in
                        out.member("at", string: failure.at.rfc3339)
                        out.member("error", string: failure.message)
                    }
                }
            }
        }
    }

    /// `rescind_history_up`: 1 when the last store call succeeded, 0 when it failed.
    var exposition: String {
        let (failure, success) = lock.withLock { (lastFailure, lastSuccess) }
        var up = true
        if let failure {
            up = success.map { ($0.seconds, $0.nanoseconds) > (failure.at.seconds, failure.at.nanoseconds) } ?? false
        }
        return "# TYPE rescind_history_up gauge\nrescind_history_up \(up ? 1 : 0)\n"
    }
}

extension HistoryLookup.Settled {
    /// Whether settling asked the store (the set has `history:`, the request names a
    /// buyer and carries no list of its own).
    var askedTheStore: Bool {
        guard case .decide(let request) = self, let source = request.source else { return false }
        switch source {
        case .store, .unavailable: return true
        case .request: return false
        }
    }
}
