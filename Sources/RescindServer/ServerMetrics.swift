import Foundation
import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Rescind

/// The service's metrics, recorded through swift-metrics into a registry of its own
/// (not the process-wide bootstrap), so every application (and every test) has its
/// own counts and `/metrics` shows exactly them.
public final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Internal: the decision log records its counts here too.
    let factory: PrometheusMetricsFactory
    private let latency: Metrics.Timer
    /// Decisions with an expression stopped by the cost budget (`--max-evaluation-cost`).
    private let budgetSpent: Counter
    /// Counters made once per label set and kept: making one per decision validated
    /// the names and looked the counter up in the registry each time (2% of a single
    /// decision's CPU, more per batch item). Guarded by `lock`.
    private var counters: [CounterKey: Counter] = [:]
    private let lock = NSLock()
    /// The open connections, and the ones the service closed itself or could not accept.
    public let connections = ConnectionTracker()

    private struct CounterKey: Hashable {
        let label: String
        let first: String
        let second: String
    }

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        latency = Metrics.Timer(label: "rescind_decision_duration_seconds", dimensions: [], factory: factory)
        budgetSpent = Counter(label: "rescind_decisions_cost_budget_spent_total", dimensions: [], factory: factory)
    }

    /// One decision: counted by effect, and by each deciding rule with the effect.
    func record(_ decision: Decision, nanoseconds: UInt64) {
        latency.recordNanoseconds(Int64(clamping: nanoseconds))
        let effect = decision.effect.rawValue
        if decision.problems.contains(where: \.spentCostBudget) { budgetSpent.increment() }
        lock.withLock {
            counter("rescind_decisions_total", ("effect", effect)).increment()
            for rule in decision.decidingRules {
                counter("rescind_rule_decisions_total", ("rule", rule), ("effect", effect)).increment()
            }
        }
    }

    /// A rejected request, by its error code.
    func recordRejected(code: String) {
        lock.withLock { counter("rescind_rejected_requests_total", ("code", code)).increment() }
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
