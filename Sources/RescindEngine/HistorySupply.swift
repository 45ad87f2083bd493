import CELCommon
import RescindUnsafe
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
    /// What a decision decides at least when the store does not answer
    /// (`on_history_unavailable`).
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
    /// the set has no `history:`, the expression gives an empty string (no buyer named),
    /// or it fails (`historyBuyerFailure(of:)` says why), and the store is then not asked.
    package func historyBuyer(of request: ObjectValue) -> String? {
        guard case .success(.string(let buyer))? = evaluateHistoryBuyer(request), !buyer.isEmpty else { return nil }
        return buyer
    }

    /// Why `history.buyer` could not be evaluated for `request` (an evaluation error);
    /// nil when it gave a value or the set has no `history:`.
    package func historyBuyerFailure(of request: ObjectValue) -> String? {
        switch evaluateHistoryBuyer(request) {
        case .failure(let error)?: error.message
        case .success(.error(let error))?: error.message
        default: nil
        }
    }

    private func evaluateHistoryBuyer(_ request: ObjectValue) -> Result<Value, EvalError>? {
        guard let history else { return nil }
        return history.buyer.program.evaluate(activation(for: request))
    }
}

/// One cancellation from the history store, as a request's history list holds it.
package struct HistoryItem: Sendable, Equatable {
    package let orderID: String
    package let at: CELTimestamp
    /// Who cancelled, and why: values of the schema's enums.
    package let initiator: String
    package let reason: String

    package init(orderID: String, at: CELTimestamp, initiator: String, reason: String) {
        self.orderID = orderID
        self.at = at
        self.initiator = initiator
        self.reason = reason
    }
}

extension PolicySet {
    /// The history list the request carries itself; nil when it carries none (the list
    /// or an object on its path absent or zero-filled), or the set has no `history:`.
    package func requestHistoryList(of request: ObjectValue) -> [Value]? {
        guard let history else { return nil }
        var object = request
        for (index, name) in history.path.enumerated() {
            guard !object.isZeroFilled, let value = object[name] else { return nil }
            if index == history.path.count - 1 {
                guard case .list(let items) = value else { return nil }
                return items
            }
            guard case .object(let next) = value else { return nil }
            object = next
        }
        return nil
    }

    /// `request` with its history list set to `items`, as if the request had carried
    /// them: the objects on the list's path are copied with the list replaced (from
    /// their zero values where the request left them out), so the engine counts the
    /// store's events exactly as it counts a request's own list.
    package func supplying(_ items: [HistoryItem], to request: ObjectValue) -> ObjectValue {
        guard let history else { return request }
        let itemType = history.itemType
        let slots = HistorySupply.itemFields.map { itemType.slot(of: $0.name) }
        let list = Value.list(items.map { item in
            .object(ObjectValue.make(type: itemType) { fields in
                if let slot = slots[0] { fields[slot] = .string(item.orderID) }
                if let slot = slots[1] { fields[slot] = .timestamp(item.at) }
                if let slot = slots[2] { fields[slot] = .string(item.initiator) }
                if let slot = slots[3] { fields[slot] = .string(item.reason) }
                return true
            }!)
        })
        return replacing(history.path[...], in: request, with: list)
    }

    /// `object` with the field at `path` set to `value`, the objects on the way copied.
    private func replacing(_ path: ArraySlice<String>, in object: ObjectValue, with value: Value) -> ObjectValue {
        let type = object.type
        guard let name = path.first, let slot = type.slot(of: name) else { return object }
        let replaced: Value
        if path.count == 1 {
            replaced = value
        } else {
            guard case .object(let childType) = type.fields[slot].type else { return object }
            // A zero-filled object keeps its zero values; the copy is a real object, so
            // the request no longer reads as having left it out.
            let child: ObjectValue
            if case .object(let present)? = object.field(slot) {
                child = present
            } else {
                child = ObjectValue.make(type: childType, fields: [])
            }
            replaced = .object(replacing(path.dropFirst(), in: child, with: value))
        }
        return ObjectValue.make(type: type) { fields in
            object.withFields { current in
                for index in current.indices { fields[index] = current[index] }
            }
            fields[slot] = replaced
            return true
        }!
    }
}

/// Where a threshold's counted list came from, as its explanation line says: the
/// source without the details, so recording it per threshold costs a byte.
package enum HistoryOrigin: UInt8, Sendable {
    case store, request, unavailable
}

/// Where a decision's history list came from, as its explanation says.
package enum HistorySource: Sendable, Equatable {
    /// The history store supplied this many events.
    case store(events: Int)
    /// The request carried its own list (`request_lists: accept`).
    case request
    /// The store did not answer: the decision has a `history-unavailable` problem with
    /// this message, and `on_history_unavailable` decides at least.
    case unavailable(String)

    var origin: HistoryOrigin {
        switch self {
        case .store: .store
        case .request: .request
        case .unavailable: .unavailable
        }
    }

    /// Whether a threshold counting `list` reads the history: `countedList` is the
    /// count's source, then ` where ` and its filter if any.
    static func counts(_ countedList: String, list: String) -> Bool {
        guard countedList.hasPrefix(list) else { return false }
        let rest = countedList.utf8.dropFirst(list.utf8.count)
        return rest.isEmpty || rest.starts(with: " where ".utf8)
    }
}

extension PolicySet {
    /// Decides a request whose history list the service settled: supplied by the store,
    /// carried by the request, or unavailable (a `history-unavailable` problem, so
    /// `on_history_unavailable` decides at least). An explanation says which.
    // A separate entry point: the plain `decide` stays as it is measured.
    package func decide(
        _ request: ObjectValue, history source: HistorySource, locale: String? = nil, explain: Bool = false,
        costBudget: Int? = nil
    ) -> Decision {
        var run = DecisionRun(policy: self, request: request, budget: costBudget ?? .max, locale: locale)
        if case .unavailable(let message) = source, let history {
            run.problems.append(EvaluationProblem(
                kind: .historyUnavailable, rule: ProblemEffect.onHistoryUnavailableRule, expression: history.list,
                location: history.location, message: message))
        }
        if explain {
            run.recorder = ExplanationSource(policy: self, request: request)
            run.recorder!.historyOrigin = source.origin
        }
        return Scratch.withTables(words: plan.wordCount + plan.numberFieldCount, bytes: enumFieldCount) { words, ordinals in
            run.start(words: words, ordinals: ordinals)
            return run.decide()
        }
    }
}
