import CELRuntime
import RescindEngine

/// What a service does with a decoded request before deciding it, when the policy set
/// declares `history:` and Rescind keeps the history (`--history`): the store's events
/// for the request's buyer within the longest counted window are supplied into the
/// request, and the engine counts them as it counts a request's own list.
///
/// Shared by `rescind serve` and `rescind eval --history`, so both settle a request the
/// same way.
package struct HistoryLookup: Sendable {
    package let store: any HistoryStore

    package init(store: any HistoryStore) { self.store = store }

    /// A request ready to decide, or refused before deciding.
    package enum Settled: Sendable {
        /// Decide `request` (with `history` supplied into it where the store answered).
        case decide(SettledRequest)
        /// The request carries its own list and the policy set refuses that
        /// (`request_lists: refuse`): `path` is the list's JSON path (`$.buyer_history.cancellations`).
        case refused(path: String, message: String)
    }

    /// A request whose history is settled.
    package struct SettledRequest: Sendable {
        /// The request to decide: the original, or with the store's events supplied.
        package var request: ObjectValue
        /// Where its list came from; nil when the set has no `history:` or the request
        /// names no buyer (the list is then whatever the request carries, as without a store).
        package var source: HistorySource?
        /// The events the store supplied (empty unless `source` is `.store`): the
        /// decision log keeps them so replay decides without the store.
        package var supplied: [HistoryItem]
        /// The buyer whose history was asked for.
        package var buyer: String?
        /// The store's error, when it did not answer (`source` is `.unavailable`).
        package var error: HistoryError?

        package init(
            request: ObjectValue, source: HistorySource? = nil, supplied: [HistoryItem] = [], buyer: String? = nil,
            error: HistoryError? = nil
        ) {
            self.request = request
            self.source = source
            self.supplied = supplied
            self.buyer = buyer
            self.error = error
        }

        /// Decides the settled request with `set`.
        package func decide(
            with set: PolicySet, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
        ) -> Decision {
            guard let source else {
                return set.decide(request, locale: locale, explain: explain, costBudget: costBudget)
            }
            return set.decide(request, history: source, locale: locale, explain: explain, costBudget: costBudget)
        }
    }

    /// The request error a refused list is answered with, as the decoder's are.
    package static func requestError(path: String, message: String) -> RequestError {
        RequestError(errors: [RequestFieldError(
            code: .historyRefused, message: message,
            help: "the store keeps the buyer's cancellations; send the request without the list", path: path,
            offset: 0)])
    }

    /// Settles one request (one store query at most).
    package func settle(_ request: ObjectValue, for set: PolicySet) async -> Settled {
        let plan = Self.plan(request, for: set)
        guard case .ask(let buyer, let from, let through) = plan else { return Self.settled(plan, request, set: set) }
        do {
            let items = try await store.historyItems(buyerID: buyer, from: from, through: through)
            return .decide(Self.supply(items: items, to: request, buyer: buyer, set: set))
        } catch {
            return .decide(Self.unavailable(error, request: request, buyer: buyer, set: set))
        }
    }

    /// Settles a batch with one store query for all the buyers it names (the windows'
    /// union is fetched, and each request keeps only its own window's events).
    package func settle(batch requests: [ObjectValue], for set: PolicySet) async -> [Settled] {
        let plans = requests.map { Self.plan($0, for: set) }
        var buyers: Set<String> = []
        var from: HistoryInstant?
        var through: HistoryInstant?
        for case .ask(let buyer, let start, let end) in plans {
            buyers.insert(buyer)
            from = min(from ?? start, start)
            through = max(through ?? end, end)
        }
        guard let from, let through else { return zip(plans, requests).map { Self.settled($0, $1, set: set) } }
        let answer: Result<[String: [CancellationEvent]], HistoryError>
        do {
            answer = .success(try await store.events(buyerIDs: buyers.sorted(), from: from, through: through))
        } catch {
            answer = .failure(error)
        }
        return zip(plans, requests).map { plan, request in
            guard case .ask(let buyer, let start, let end) = plan else { return Self.settled(plan, request, set: set) }
            switch answer {
            case .success(let byBuyer):
                let own = (byBuyer[buyer] ?? []).filter { $0.at > start && $0.at <= end }
                return .decide(Self.supply(own, to: request, buyer: buyer, set: set))
            case .failure(let error):
                return .decide(Self.unavailable(error, request: request, buyer: buyer, set: set))
            }
        }
    }

    /// What settling a request needs.
    enum Plan {
        /// Decide as the request is (no `history:`, or no buyer named).
        case asIs
        /// The request carries its own list, used as given.
        case carried
        /// Refused: the set does not accept a request's own list.
        case refused(path: String, message: String)
        /// `history.buyer` failed to evaluate: decided as when the store does not answer.
        case buyerFailed(String)
        /// Ask the store for `buyer`'s events in `(from, through]`.
        case ask(buyer: String, from: HistoryInstant, through: HistoryInstant)
    }

    static func plan(_ request: ObjectValue, for set: PolicySet) -> Plan {
        guard let history = set.history else { return .asIs }
        if set.requestHistoryList(of: request) != nil {
            guard history.refusesRequestLists else { return .carried }
            return .refused(
                path: "$." + history.path.joined(separator: "."),
                message: HistoryMessages.requestListRefused(history.list))
        }
        guard let buyer = set.historyBuyer(of: request), let at = set.timestamp(of: request) else {
            // A buyer expression that fails is not "no buyer": the decision says so.
            if let failure = set.historyBuyerFailure(of: request) { return .buyerFailed(failure) }
            return .asIs
        }
        let through = HistoryInstant(flooring: at)
        let window = HistoryInstant(flooring: history.window.seconds, nanos: Int64(history.window.nanos))
        return .ask(buyer: buyer, from: through.adding(microseconds: -window.microseconds), through: through)
    }

    static func settled(_ plan: Plan, _ request: ObjectValue, set: PolicySet) -> Settled {
        switch plan {
        case .asIs, .ask: .decide(SettledRequest(request: request))
        case .carried: .decide(SettledRequest(request: request, source: .request))
        case .refused(let path, let message): .refused(path: path, message: message)
        case .buyerFailed(let message):
            .decide(SettledRequest(
                request: set.supplying([], to: request), source: .unavailable(HistoryMessages.buyerFailed(message)),
                error: HistoryError(.unavailable, HistoryMessages.buyerFailed(message))))
        }
    }

    static func supply(_ events: [CancellationEvent], to request: ObjectValue, buyer: String, set: PolicySet)
        -> SettledRequest
    {
        // The cancellation being decided is not part of its own history: once a decision
        // recorded it (`record=true`), a retry of the same request must decide the same.
        let own = orderID(of: request)
        return supply(items: events.filter { $0.orderID != own }.map(\.historyItem), to: request, buyer: buyer, set: set)
    }

    /// The same from the store's items (`HistoryStore.historyItems`), the order's own left out.
    static func supply(items: [HistoryItem], to request: ObjectValue, buyer: String, set: PolicySet) -> SettledRequest {
        let own = orderID(of: request)
        let items = own.map { own in items.filter { $0.orderID != own } } ?? items
        return SettledRequest(
            request: set.supplying(items, to: request), source: .store(events: items.count), supplied: items,
            buyer: buyer)
    }

    /// The store did not answer: an empty list is supplied (so the threshold counts none
    /// rather than reporting a missing list) and the decision carries the problem, which
    /// `on_history_unavailable` decides.
    static func unavailable(_ error: HistoryError, request: ObjectValue, buyer: String, set: PolicySet)
        -> SettledRequest
    {
        SettledRequest(
            request: set.supplying([], to: request),
            source: .unavailable(HistoryMessages.unavailable(buyer: buyer, error)), buyer: buyer, error: error)
    }
}

extension CancellationEvent {
    /// The event as a request's history list holds it.
    package var historyItem: HistoryItem {
        let (seconds, micros) = HistoryInstant.floorDivide(at.microseconds, 1_000_000)
        return HistoryItem(
            orderID: orderID, at: CELTimestamp(seconds: seconds, nanos: micros * 1_000)!, initiator: initiator,
            reason: reason)
    }
}

extension HistoryLookup {
    /// The request's `order.id`, if it has one.
    static func orderID(of request: ObjectValue) -> String? {
        guard case .object(let order)? = request["order"], case .string(let id)? = order["id"] else { return nil }
        return id
    }

    /// The cancellation a decided request records (`POST /v1/decisions?record=true`):
    /// the order (`order.id`, `order.seller_id`), the buyer the history is kept for, the
    /// request's `at`, who asked (`actor.role`), `reason` and the request's `id`. Throws
    /// `.invalidEvent` naming the first field the request lacks.
    package static func event(recording request: ObjectValue, buyer: String?, set: PolicySet) throws(HistoryError)
        -> CancellationEvent
    {
        func string(_ path: String) throws(HistoryError) -> String {
            var value: Value? = .object(request)
            for name in path.split(separator: ".") {
                guard case .object(let object)? = value else { value = nil; break }
                value = object[String(name)]
            }
            guard case .string(let text)? = value, !text.isEmpty else {
                throw HistoryError(.invalidEvent, HistoryMessages.cannotRecord(missing: path))
            }
            return text
        }
        guard let buyer else { throw HistoryError(.invalidEvent, HistoryMessages.cannotRecordWithoutBuyer) }
        guard let at = set.timestamp(of: request) else {
            throw HistoryError(.invalidEvent, HistoryMessages.cannotRecord(missing: "at"))
        }
        return CancellationEvent(
            orderID: try string("order.id"), buyerID: buyer, sellerID: try string("order.seller_id"),
            at: HistoryInstant(flooring: at), initiator: try string("actor.role"), reason: try string("reason"),
            requestID: try string("id"))
    }
}

extension HistoryLocation {
    /// Opens the store this location names (creating the SQLite file or bringing the
    /// PostgreSQL schema up to date). `queryTimeout` bounds every call.
    package func open(queryTimeout: Duration = .seconds(2)) async throws(HistoryError) -> any HistoryStore {
        switch self {
        case .sqlite(let path): try SQLiteHistoryStore(path: path, queryTimeout: queryTimeout)
        case .postgres(let location): try await PostgresHistoryStore.open(location: location, queryTimeout: queryTimeout)
        }
    }
}
