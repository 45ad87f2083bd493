import Foundation
import Logging
import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// The service's metrics, recorded through swift-metrics into a registry of its own
/// (not the process-wide bootstrap), so every application (and every test) has its
/// own counts and `/metrics` shows exactly them.
package final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Internal: the decision log records its counts here too.
    let factory: PrometheusMetricsFactory
    private let latency: Metrics.Timer
    /// How long history store lookups take (`--history`).
    private let historyLatency: Metrics.Timer
    /// Decisions with an expression stopped by the cost budget (`--max-evaluation-cost`).
    private let budgetSpent: Counter
    /// Counters made once per label set and kept: making one per decision validated
    /// the names and looked the counter up in the registry each time (2% of a single
    /// decision's CPU, more per batch item). Guarded by `lock`.
    private var counters: [CounterKey: Counter] = [:]
    private let lock = NSLock()
    /// The open connections, and the ones the service closed itself or could not accept.
    package let connections = ConnectionTracker()
    /// Where decisions with problems are logged (one warning line each, at most
    /// `maxProblemLinesPerSecond`); set by `buildApplication`. Guarded by `lock`.
    var logger = Logger(label: "rescind.server")
    /// Problem lines logged in the current second, and those left out since the last one.
    private var problemLines = (second: Int64(0), logged: 0, suppressed: 0)
    /// A flood of failing decisions (a broken policy under load) must not flood the log:
    /// the counter counts each, the log shows the first few each second.
    static let maxProblemLinesPerSecond = 10

    private struct CounterKey: Hashable {
        let label: String
        let first: String
        let second: String
    }

    package init() {
        factory = PrometheusMetricsFactory(registry: registry)
        latency = Metrics.Timer(label: "rescind_decision_duration_seconds", dimensions: [], factory: factory)
        historyLatency = Metrics.Timer(label: "rescind_history_lookup_duration_seconds", dimensions: [], factory: factory)
        budgetSpent = Counter(label: "rescind_decisions_cost_budget_spent_total", dimensions: [], factory: factory)
    }

    /// One decision: counted by effect, and by each deciding rule with the effect.
    func record(_ decision: Decision, nanoseconds: UInt64) {
        latency.recordNanoseconds(Int64(clamping: nanoseconds))
        let effect = decision.effect.rawValue
        let problems = decision.problems
        if !problems.isEmpty, problems.contains(where: \.spentCostBudget) { budgetSpent.increment() }
        lock.withLock {
            counter("rescind_decisions_total", ("effect", effect)).increment()
            for rule in decision.decidingRules {
                counter("rescind_rule_decisions_total", ("rule", rule), ("effect", effect)).increment()
            }
        }
        if !problems.isEmpty { recordProblems(problems, of: decision) }
    }

    /// Counts each problem by kind (`rescind_decision_problems_total{kind=…}`) and logs
    /// one warning line for the decision, unless this second's lines are used up.
    private func recordProblems(_ problems: [EvaluationProblem], of decision: Decision) {
        let now = Int64(Date().timeIntervalSince1970)
        let (log, suppressed): (Logger?, Int) = lock.withLock {
            for problem in problems {
                counter("rescind_decision_problems_total", ("kind", problem.kind.rawValue)).increment()
            }
            if problemLines.second != now { problemLines = (now, 0, problemLines.suppressed) }
            guard problemLines.logged < Self.maxProblemLinesPerSecond else {
                problemLines.suppressed += 1
                return (nil, 0)
            }
            problemLines.logged += 1
            let suppressed = problemLines.suppressed
            problemLines.suppressed = 0
            return (logger, suppressed)
        }
        guard let log else { return }
        func joined(_ part: (EvaluationProblem) -> String) -> Logger.MetadataValue {
            .string(problems.map(part).joined(separator: ","))
        }
        var metadata: Logger.Metadata = [
            "request_id": .string(decision.requestID ?? ""),
            "effect": .string(decision.effect.rawValue),
            "problems": .stringConvertible(problems.count),
            "kind": joined { $0.kind.rawValue },
            "rule": joined(\.rule),
            "location": joined { $0.location.description },
            "detail": .string(problems[0].message),
        ]
        if suppressed > 0 { metadata["suppressed_before"] = .stringConvertible(suppressed) }
        log.warning("decision with problems", metadata: metadata)
    }

    /// A rejected request, by its error code.
    func recordRejected(code: String) {
        lock.withLock { counter("rescind_rejected_requests_total", ("code", code)).increment() }
    }

    /// One history store lookup, by how it ended (`ok`, `timeout`, `unavailable`, …) and
    /// how long it took.
    func recordHistoryLookup(outcome: String, nanoseconds: UInt64) {
        historyLatency.recordNanoseconds(Int64(clamping: nanoseconds))
        lock.withLock { counter("rescind_history_lookups_total", ("outcome", outcome)).increment() }
    }

    /// Cancellations the service recorded (`recorded`, `duplicate`, `conflict`) or could
    /// not record (`failed`), and retractions (`retracted`, `already-retracted`, `not-found`).
    func recordHistoryWrite(_ outcome: String, count: Int = 1) {
        guard count > 0 else { return }
        lock.withLock { counter("rescind_history_writes_total", ("outcome", outcome)).increment(by: count) }
    }

    /// Events the retention schedule purged, or a purge that failed.
    func recordHistoryPurge(purged: Int?) {
        lock.withLock {
            if let purged {
                counter("rescind_history_purged_events_total", ("result", "ok")).increment(by: purged)
            } else {
                counter("rescind_history_purge_failures_total", ("result", "error")).increment()
            }
        }
    }

    /// One `POST /v1/policies:deploy`, by how it ended (`ok`, `invalid`, `conflict`, …).
    func recordDeploy(result: String) {
        lock.withLock { counter("rescind_policy_deploys_total", ("result", result)).increment() }
    }

    /// The counter for a label set, made on first use. Called with `lock` held.
    private func counter(_ label: String, _ first: (String, String), _ second: (String, String)? = nil) -> Counter {
        let key = CounterKey(label: label, first: first.1, second: second?.1 ?? "")
        if let counter = counters[key] { return counter }
        let counter = Counter(label: label, dimensions: [first] + (second.map { [$0] } ?? []), factory: factory)
        counters[key] = counter
        return counter
    }

    /// The Prometheus text exposition of everything recorded, and the store's reload
    /// counts (the store keeps them, as `/v1/policies` shows them too).
    func exposition(store: PolicyStore) -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let counts = store.reloadCounts
        buffer.append(contentsOf: """
            # TYPE rescind_policy_reloads_total counter
            rescind_policy_reloads_total{result="ok"} \(counts.total - counts.failed)
            rescind_policy_reloads_total{result="error"} \(counts.failed)
            # TYPE rescind_policy_loaded gauge
            rescind_policy_loaded \(store.current == nil ? 0 : 1)

            """.utf8)
        buffer.append(contentsOf: connections.exposition().utf8)
        return buffer
    }
}
