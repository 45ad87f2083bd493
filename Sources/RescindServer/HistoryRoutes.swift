import Foundation
import Hummingbird
import CELRuntime
import RescindEngine
import RescindHistory
import RescindJSON

/// The endpoints and decision paths of `--history` (issue 14; docs/server.md, "History"):
/// decisions whose buyer history the store supplies, `?record=true`, and
/// `POST /v1/cancellations`, `DELETE /v1/cancellations/{order_id}`.
extension ServerRoutes {
    func registerHistory(on table: inout RouteTable) {
        table.on(.post, "/v1/cancellations") { request, _ in try await recordCancellations(request) }
        table.on(.delete, "/v1/cancellations/{order_id}") { request, context in
            try await retractCancellation(request, orderID: context.parameters.get("order_id") ?? "")
        }
    }

    /// `?record=true`: record the cancellation when the decision allows.
    func recordOption(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("record") {
        case nil, "false"?: return false
        case "true"?: return true
        case let other?:
            throw APIError(.badRequest, code: "invalid-query", message: "`record` must be `true` or `false`; found `\(other)`")
        }
    }

    /// Why `record=true` cannot be honoured here, as an error; nil when it can.
    func recordUnavailable(_ set: PolicySet) -> APIError? {
        if history == nil {
            return APIError(
                .badRequest, code: "history-not-configured",
                message: "`record=true` needs a history store: start the service with `--history` (or `RESCIND_HISTORY`)")
        }
        if set.history == nil {
            return APIError(
                .badRequest, code: "history-not-declared",
                message: "`record=true` needs a policy set that declares `history:`; the served set does not")
        }
        return nil
    }

    /// A set that takes its history only from a store (`request_lists: refuse`), served
    /// by a service without one (it was reloaded in): its decisions would count nothing,
    /// so none is made. Start-up refuses such a set outright.
    func requireStoreIfDemanded(_ set: PolicySet) throws {
        guard history == nil, let demanded = set.history, demanded.refusesRequestLists else { return }
        throw APIError(
            .serviceUnavailable, code: "history-not-configured",
            message: "the policy set takes `\(demanded.list)` only from a history store (`request_lists: refuse`), and this service has none: start it with `--history`")
    }

    // MARK: Decisions with the store

    /// One decision whose history the store supplies: decode, settle (one lookup),
    /// decide, record when asked and allowed, log with the supplied events.
    func decideWithHistory(
        _ body: ByteBuffer, snapshot: PolicySnapshot, options: DecisionOptions, started: ContinuousClock.Instant,
        record: Bool, history: HistoryService
    ) async throws -> Response {
        let set = snapshot.policySet
        let decoded: ObjectValue
        switch body.withUnsafeReadableBytes({ snapshot.decoder.decode($0) }) {
        case .failure(let error):
            reject(error, body: body, set: set, started: started)
            throw APIError(error)
        case .success(let value): decoded = value.root
        }
        let settled: HistoryLookup.SettledRequest
        switch await history.settle(decoded, for: set) {
        case .refused(let path, let message):
            let error = HistoryLookup.requestError(path: path, message: message)
            reject(error, body: body, set: set, started: started)
            throw APIError(error)
        case .decide(let request): settled = request
        }
        let decision = settled.decide(
            with: set, locale: options.locale, explain: options.explain, costBudget: options.costBudget)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2048)
        decision.writeJSON(into: &bytes)
        let recorded = record ? try await recordAllowed([(decision, settled)], set: set, history: history) : nil
        let elapsed = nanoseconds(since: started)
        metrics.record(decision, nanoseconds: elapsed)
        let waiter = decisionLog?.makeWaiter()
        body.withUnsafeReadableBytes { raw in
            decisionLog?.record(
                decision, request: raw, response: bytes, policySet: set, nanoseconds: elapsed, waiter: waiter,
                history: settled.loggedHistory)
        }
        try await awaitRecord(waiter)
        if let recorded { Self.append(recorded[0], to: &bytes) }
        bytes.append(0x0A)
        return .json(bytes)
    }

    /// A batch whose histories the store supplies in one query.
    func decideBatchWithHistory(
        _ body: ByteBuffer, items: [Range<Int>], snapshot: PolicySnapshot, options: DecisionOptions, record: Bool,
        history: HistoryService
    ) async throws -> Response {
        let set = snapshot.policySet
        let started = ContinuousClock.now
        // Each item decoded, or its error.
        let decoded: [Result<ObjectValue, RequestError>] = body.withUnsafeReadableBytes { raw in
            items.map { range in
                snapshot.decoder.decode(UnsafeRawBufferPointer(rebasing: raw[range])).map(\.root)
            }
        }
        let requests = decoded.compactMap { try? $0.get() }
        var settledRequests = await history.settle(batch: requests, for: set).makeIterator()
        enum Item {
            case rejected(RequestError)
            case decided(Decision, HistoryLookup.SettledRequest, json: [UInt8])
        }
        var results: [Item] = []
        for item in decoded {
            switch item {
            case .failure(let error): results.append(.rejected(error))
            case .success:
                switch settledRequests.next()! {
                case .refused(let path, let message):
                    results.append(.rejected(HistoryLookup.requestError(path: path, message: message)))
                case .decide(let settled):
                    let decision = settled.decide(
                        with: set, locale: options.locale, explain: options.explain, costBudget: options.costBudget)
                    var json: [UInt8] = []
                    decision.writeJSON(into: &json)
                    results.append(.decided(decision, settled, json: json))
                }
            }
        }
        var recorded: [RecordedCancellation]?
        if record {
            let decided = results.compactMap { item -> (Decision, HistoryLookup.SettledRequest)? in
                if case .decided(let decision, let settled, _) = item { return (decision, settled) }
                return nil
            }
            recorded = try await recordAllowed(decided, set: set, history: history)
        }
        var bytes = Array("{\"results\":[".utf8)
        let waiter = decisionLog?.makeWaiter()
        var recordIndex = 0
        body.withUnsafeReadableBytes { raw in
            for (index, result) in results.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                let item = UnsafeRawBufferPointer(rebasing: raw[items[index]])
                let elapsed = nanoseconds(since: started)
                switch result {
                case .rejected(let error):
                    metrics.recordRejected(code: error.code.rawValue)
                    decisionLog?.record(rejected: error, request: item, policySet: set, nanoseconds: elapsed)
                    bytes.append(contentsOf: error.errorObject(line: nil).utf8)
                case .decided(let decision, let settled, var json):
                    metrics.record(decision, nanoseconds: elapsed)
                    decisionLog?.record(
                        decision, request: item, response: json, policySet: set, nanoseconds: elapsed, waiter: waiter,
                        history: settled.loggedHistory)
                    if let recorded {
                        Self.append(recorded[recordIndex], to: &json)
                        recordIndex += 1
                    }
                    bytes.append(contentsOf: json)
                }
            }
        }
        try await awaitRecord(waiter)
        bytes.append(contentsOf: "]}\n".utf8)
        return .json(bytes)
    }

    /// What `record=true` did for one decision, as the answer's `recorded` member.
    struct RecordedCancellation {
        /// `recorded`, `duplicate`, `conflict`, or `not-recorded` (the decision did not allow).
        let status: String
        let orderID: String?
        let message: String?
    }

    /// Records the cancellations of the decisions that allow, in one store call; one
    /// result per decision, in order. A store that does not answer fails the request
    /// (503): the client retries, and no cancellation it was told is recorded is lost.
    func recordAllowed(
        _ decisions: [(Decision, HistoryLookup.SettledRequest)], set: PolicySet, history: HistoryService
    ) async throws -> [RecordedCancellation] {
        var results: [RecordedCancellation?] = []
        var events: [CancellationEvent] = []
        for (decision, settled) in decisions {
            guard decision.effect == .allow else {
                results.append(RecordedCancellation(
                    status: "not-recorded", orderID: nil, message: "the decision is `\(decision.effect.rawValue)`, not `allow`"))
                continue
            }
            do {
                let buyer = settled.buyer ?? set.historyBuyer(of: settled.request)
                events.append(try HistoryLookup.event(recording: settled.request, buyer: buyer, set: set))
                results.append(nil)
            } catch {
                results.append(RecordedCancellation(status: "not-recorded", orderID: nil, message: error.message))
            }
        }
        guard !events.isEmpty else { return results.map { $0! } }
        let outcome: RecordOutcome
        do {
            outcome = try await history.record(events)
        } catch {
            throw APIError(
                .serviceUnavailable, code: "history-unavailable",
                message: "the cancellation could not be recorded in the history store; retry later: \(error.message)")
        }
        let duplicates = Set(outcome.duplicates)
        var next = events.makeIterator()
        return results.map { result in
            if let result { return result }
            let event = next.next()!
            if let conflict = outcome.conflicts.first(where: { $0.orderID == event.orderID }) {
                return RecordedCancellation(status: "conflict", orderID: event.orderID, message: conflict.message)
            }
            let status = duplicates.contains(event.orderID) ? "duplicate" : "recorded"
            return RecordedCancellation(status: status, orderID: event.orderID, message: nil)
        }
    }

    /// Adds `"recorded": {…}` as the decision object's last member.
    static func append(_ recorded: RecordedCancellation, to json: inout [UInt8]) {
        guard json.last == UInt8(ascii: "}") else { return }
        json.removeLast()
        json.append(contentsOf: #","recorded":"#.utf8)
        json.append(contentsOf: JSONWriter.bytes(capacity: 128) { out in
            out.object { out in
                out.member("status", string: recorded.status)
                if let orderID = recorded.orderID { out.member("order_id", string: orderID) }
                if let message = recorded.message { out.member("message", string: message) }
            }
        })
        json.append(UInt8(ascii: "}"))
    }

    /// A request the decoder (or the history's `request_lists: refuse`) rejected: counted and logged.
    private func reject(_ error: RequestError, body: ByteBuffer, set: PolicySet, started: ContinuousClock.Instant) {
        metrics.recordRejected(code: error.code.rawValue)
        body.withUnsafeReadableBytes { raw in
            decisionLog?.record(rejected: error, request: raw, policySet: set, nanoseconds: nanoseconds(since: started))
        }
    }

    // MARK: Cancellations

    /// `POST /v1/cancellations`: one event object or an array of them (docs/history.md's
    /// fields), recorded idempotently on the order id. 200 with what happened to each;
    /// 409 when any was refused as a conflict (the others are recorded).
    func recordCancellations(_ request: Request) async throws -> Response {
        try authorize(request, token: configuration.decisionToken, admin: false)
        try requireJSON(request)
        guard let history else { throw Self.historyNotConfigured }
        let body = try await readBody(request)
        let events: [CancellationEvent] = try body.withUnsafeReadableBytes { raw in
            let bytes = Array(raw)
            let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            guard first == UInt8(ascii: "[") else { return [try Self.event(bytes[...], path: "$")] }
            guard let items = jsonArrayItems(raw) else {
                throw APIError(.badRequest, code: "invalid-event", message: "the body is not a JSON array of events")
            }
            guard items.count <= configuration.maxBatch * 10 else {
                throw APIError(
                    .contentTooLarge, code: "batch-too-large",
                    message: "at most \(configuration.maxBatch * 10) events at once; found \(items.count)")
            }
            return try items.enumerated().map { index, range in try Self.event(bytes[range], path: "$[\(index)]") }
        }
        guard !events.isEmpty else {
            throw APIError(.badRequest, code: "invalid-event", message: "the body holds no event")
        }
        let outcome: RecordOutcome
        do {
            outcome = try await history.record(events)
        } catch {
            throw APIError(.serviceUnavailable, code: "history-unavailable", message: error.message)
        }
        let answer = JSONWriter.bytes(capacity: 256) { out in
            out.object { out in
                out.member("recorded", strings: outcome.recorded)
                out.member("duplicates", strings: outcome.duplicates)
                out.key("conflicts")
                out.array { out in
                    for conflict in outcome.conflicts {
                        out.object { out in
                            out.member("code", string: "history-conflict")
                            out.member("message", string: conflict.message)
                        }
                    }
                }
            }
            out.byte(UInt8(ascii: "\n"))
        }
        return .json(status: outcome.conflicts.isEmpty ? .ok : .conflict, answer)
    }

    /// `DELETE /v1/cancellations/{order_id}`: the cancellation no longer counts (a
    /// reviewed cancellation that was refused). 200 `retracted` or `already-retracted`;
    /// 404 when no cancellation has that order id.
    func retractCancellation(_ request: Request, orderID: String) async throws -> Response {
        try authorize(request, token: configuration.decisionToken, admin: false)
        guard let history else { throw Self.historyNotConfigured }
        let outcome: RetractOutcome
        do {
            outcome = try await history.retract(orderID: orderID)
        } catch {
            throw APIError(.serviceUnavailable, code: "history-unavailable", message: error.message)
        }
        if outcome == .notFound {
            throw APIError(.notFound, code: "not-found", message: "no cancellation has order id `\(orderID)`")
        }
        return .json(JSONWriter.bytes(capacity: 128) { out in
            out.object { out in
                out.member("order_id", string: orderID)
                out.member("status", string: outcome.rawValue)
            }
            out.byte(UInt8(ascii: "\n"))
        })
    }

    static let historyNotConfigured = APIError(
        .notFound, code: "history-not-configured",
        message: "this service keeps no history: start it with `--history` (or `RESCIND_HISTORY`)")

    /// One event of the body, or a 400 naming where it is wrong.
    private static func event(_ bytes: ArraySlice<UInt8>, path: String) throws -> CancellationEvent {
        do {
            return try CancellationEventReader.event(fromLine: bytes)
        } catch {
            // The reader locates by line and field (`line 1, $.at`); the body's path replaces the line.
            let field = error.location.flatMap { location in
                location.range(of: "$").map { location[$0.upperBound...] }
            }
            let location = path + (field.map(String.init) ?? "")
            throw APIError(.badRequest, code: error.kind.rawValue, message: "\(location): \(error.message)")
        }
    }
}

extension HistoryLookup.SettledRequest {
    /// What the decision log keeps: the events the store supplied (none when the request
    /// carried its list, the store did not answer, or the set has no `history:`).
    var loggedHistory: [HistoryItem]? {
        if case .store? = source { return supplied }
        return nil
    }
}

private func nanoseconds(since start: ContinuousClock.Instant) -> UInt64 {
    UInt64(max(0, (ContinuousClock.now - start).nanoseconds))
}
