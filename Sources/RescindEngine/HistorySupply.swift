import CELCommon
import CELRuntime

/// A request list that Rescind's history store supplies (the policy set's `history:`):
/// the service asks the store for the events of `buyer(of:)` within `window` before the
/// request's `at`, and the engine counts them as it counts a request's own list.
package struct HistorySupply: Sendable {
    /// The list's path from the request, as written (`buyer_history.cancellations`).
    package let list: String
    /// The list's fields from the request root, in order.
    package let path: [String]
    /// The type of the list's items: they carry `order_id`, `at`, `initiator` and `reason`.
    package let itemType: ObjectType
    /// Whose history: a `string` expression over the request.
    package let buyer: CompiledExpression
    /// The longest window a threshold counts the list over: the store is asked for no more.
    package let window: CELDuration
    /// What a decision decides at least when the store does not answer (`on_unavailable`).
    package let onUnavailable: ProblemEffect
    /// Whether a request that carries its own list is refused (`request_lists: refuse`);
    /// otherwise its list is used as given, and the explanation says so.
    package let refusesRequestLists: Bool
    package let location: SourceReference

    package init(
        list: String, path: [String], itemType: ObjectType, buyer: CompiledExpression, window: CELDuration,
        onUnavailable: ProblemEffect, refusesRequestLists: Bool, location: SourceReference
    ) {
        self.list = list
        self.path = path
        self.itemType = itemType
        self.buyer = buyer
        self.window = window
        self.onUnavailable = onUnavailable
        self.refusesRequestLists = refusesRequestLists
        self.location = location
    }

    /// The fields every history item has, with the type each must be declared with.
    package static let itemFields: [(name: String, kind: String)] = [
        ("order_id", "string"), ("at", "timestamp"), ("initiator", "enum"), ("reason", "enum"),
    ]
}

extension PolicySet {
    /// Whose history a request needs: the `history.buyer` expression's value; nil when
    /// the set has no `history:` or the expression does not give a non-empty string
    /// (absent fields, say), and the store is then not asked.
    package func historyBuyer(of request: ObjectValue) -> String? {
        guard let history else { return nil }
        let result = history.buyer.program.evaluate(activation(for: request))
        guard case .success(.string(let buyer)) = result, !buyer.isEmpty else { return nil }
        return buyer
    }
}
