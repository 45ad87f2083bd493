import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Rescind

/// The service's metrics, recorded through swift-metrics into a registry of its own
/// (not the process-wide bootstrap), so every application (and every test) has its
/// own counts and `/metrics` shows exactly them.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Internal: the decision log records its counts here too.
    let factory: PrometheusMetricsFactory
    private let latency: Metrics.Timer

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        latency = Metrics.Timer(label: "rescind_decision_duration_seconds", dimensions: [], factory: factory)
    }

    /// One decision: counted by effect, and by each deciding rule with the effect.
    func record(_ decision: Decision, nanoseconds: UInt64) {
        latency.recordNanoseconds(Int64(clamping: nanoseconds))
        Counter(label: "rescind_decisions_total", dimensions: [("effect", decision.effect.rawValue)], factory: factory)
            .increment()
        if decision.problems.contains(where: \.spentCostBudget) {
            Counter(label: "rescind_decisions_cost_budget_spent_total", dimensions: [], factory: factory).increment()
        }
        for rule in decision.decidingRules {
            Counter(
                label: "rescind_rule_decisions_total", dimensions: [("rule", rule), ("effect", decision.effect.rawValue)],
                factory: factory
            ).increment()
        }
    }

    /// A rejected request, by its error code.
    func recordRejected(code: String) {
        Counter(label: "rescind_rejected_requests_total", dimensions: [("code", code)], factory: factory).increment()
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
        return buffer
    }
}
