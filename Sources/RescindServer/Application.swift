import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTP1
import Rescind
import RescindJSON
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// The HTTP application `rescind serve` runs: loads the policies (start-up waits for
/// them; the application starts even when they fail, and `/readyz` says not ready).
package func buildApplication(
    configuration: ServerConfiguration, logger: Logger = Logger(label: "rescind.server")
) -> some ApplicationProtocol {
    let store = PolicyStore(
        paths: configuration.policies, limits: configuration.requestLimits,
        policyLimits: configuration.policyLimits, logger: logger)
    store.loadNow()
    return buildApplication(configuration: configuration, store: store, logger: logger)
}

/// The application serving `store`, which the caller loads and reloads (SIGHUP, the
/// folder watcher, tests). Decisions go to `decisionLog` when given (the caller closes
/// it once the application has stopped, so the entries accepted are all written).
package func buildApplication(
    configuration: ServerConfiguration, store: PolicyStore, metrics: ServerMetrics = ServerMetrics(),
    decisionLog: DecisionLogWriter? = nil, history: HistoryService? = nil, logger: Logger = Logger(label: "rescind.server")
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    ServerRoutes(configuration: configuration, store: store, metrics: metrics, decisionLog: decisionLog, history: history)
        .register(on: router)
    let tracker = metrics.connections
    tracker.logger = logger
    metrics.logger = logger
    let limits = configuration.connections
    let (maxConnections, openFileLimit) = connectionCapacity(configured: limits.maxConnections)
    if maxConnections < limits.maxConnections {
        logger.warning(
            "fewer connections than --max-connections: the open-file limit would run out first",
            metadata: [
                "max_connections": "\(limits.maxConnections)", "serving_at_most": "\(maxConnections)",
                "open_files": "\(openFileLimit.map(String.init) ?? "?")",
            ])
    }
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, limits: limits, tracker: tracker)
        },
        // The connection cap is not Hummingbird's `availableConnectionsDelegate`: its test
        // mode drops that setting, and the cap lives best beside the accept back-off.
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "rescind"),
        onServerRunning: { channel in
            do {
                try await ListenerGuard.install(on: channel, tracker: tracker, maxConnections: maxConnections)
            } catch {
                logger.error("cannot guard the listener against failed accepts", metadata: ["error": "\(error)"])
            }
            logListening(
                host: channel.localAddress?.ipAddress, port: channel.localAddress?.port, configuration: configuration,
                store: store, decisionLog: decisionLog, logger: logger)
            // A shutdown's first step: no new connection is accepted from here on.
            channel.closeFuture.whenComplete { _ in logger.debug("listener closed") }
        },
        logger: logger)
}

/// The endpoints; docs/server.md and docs/openapi.json describe them.
struct ServerRoutes: Sendable {
    let configuration: ServerConfiguration
    let store: PolicyStore
    let metrics: ServerMetrics
    var decisionLog: DecisionLogWriter? = nil
    /// The history store (`--history`); nil when the service keeps none.
    var history: HistoryService? = nil

    func register(on router: Router<BasicRequestContext>) {
        var table = RouteTable(router: router)
        table.on(.get, "/healthz") { _, _ in Response.json("{\"status\":\"ok\"}\n") }
        table.on(.get, "/readyz") { _, _ in try await ready() }
        table.on(.get, "/metrics") { _, _ in
            var exposition = metrics.exposition(store: store)
            if let history { exposition.append(contentsOf: history.exposition.utf8) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: exposition)))
        }
        table.on(.get, "/openapi.json") { _, _ in
            guard let document = openAPIDocument(for: store.current?.policySet) else {
                throw APIError(.notFound, code: "not-found", message: "no OpenAPI document")
            }
            return Response.json(document)
        }
        table.on(.post, "/v1/decisions") { request, _ in try await decide(request) }
        table.on(.post, "/v1/decisions:batch") { request, _ in try await decideBatch(request) }
        table.on(.get, "/v1/policies") { request, _ in Response.json(policiesDocument(admin: isAdmin(request)) + "\n") }
        table.on(.post, "/v1/policies:reload") { request, _ in try await reload(request) }
        table.on(.post, "/v1/policies:check") { request, _ in try await check(request) }
        table.on(.post, "/v1/policies:deploy") { request, _ in try await deploy(request) }
        registerHistory(on: &table)
        table.refuseOtherMethods()
    }

    // MARK: Decisions

    /// What every decision endpoint does first: authorize, take the served set (one
    /// snapshot for the whole request, whatever reloads meanwhile), read options and body.
    private func prepare(_ request: Request) async throws -> (PolicySnapshot, DecisionOptions, ByteBuffer) {
        try authorize(request, token: configuration.decisionToken, admin: false)
        try requireJSON(request)
        guard let snapshot = store.current else { throw APIError.notReady() }
        let options = try decisionOptions(request, snapshot)
        return (snapshot, options, try await readBody(request))
    }

    func decide(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let (snapshot, options, body) = try await prepare(request)
        let record = try recordOption(request)
        if let history, snapshot.policySet.history != nil {
            return try await decideWithHistory(
                body, snapshot: snapshot, options: options, started: started, record: record, history: history)
        }
        if record, let refusal = recordUnavailable(snapshot.policySet) { throw refusal }
        try requireStoreIfDemanded(snapshot.policySet)
        // The bytes of `rescind eval --json`: the decision on one line, then a newline.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2048)
        let waiter = decisionLog?.makeWaiter()
        let rejected = body.withUnsafeReadableBytes {
            decideItem($0, snapshot: snapshot, options: options, started: started, waiter: waiter, into: &bytes)
        }
        if let rejected { throw APIError(rejected) }
        try await awaitRecord(waiter)
        bytes.append(0x0A)
        return .json(bytes)
    }

    /// A JSON array of requests → `{"results": [...]}`, one decision or error object
    /// per item, in order: a bad item does not stop the others.
    func decideBatch(_ request: Request) async throws -> Response {
        let (snapshot, options, body) = try await prepare(request)
        guard let items = body.withUnsafeReadableBytes({ jsonArrayItems($0) }) else {
            throw APIError(.badRequest, code: "batch-not-array", message: "the body must be a JSON array of requests")
        }
        guard items.count <= configuration.maxBatch else {
            throw APIError(
                .contentTooLarge, code: "batch-too-large",
                message: "a batch holds at most \(configuration.maxBatch) requests; found \(items.count)")
        }
        let record = try recordOption(request)
        if let history, snapshot.policySet.history != nil {
            return try await decideBatchWithHistory(
                body, items: items, snapshot: snapshot, options: options, record: record, history: history)
        }
        if record, let refusal = recordUnavailable(snapshot.policySet) { throw refusal }
        try requireStoreIfDemanded(snapshot.policySet)
        var bytes = Array("{\"results\":[".utf8)
        bytes.reserveCapacity(items.count * 2048)
        // One waiter for the whole batch: one wait, resumed when its last entry is written.
        let waiter = decisionLog?.makeWaiter()
        body.withUnsafeReadableBytes { raw in
            for (index, range) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                let item = UnsafeRawBufferPointer(rebasing: raw[range])
                if let rejected = decideItem(
                    item, snapshot: snapshot, options: options, started: ContinuousClock.now, waiter: waiter, into: &bytes)
                {
                    bytes.append(contentsOf: rejected.errorObject(line: nil).utf8)
                }
            }
        }
        try await awaitRecord(waiter)
        bytes.append(contentsOf: "]}\n".utf8)
        return .json(bytes)
    }

    /// In `write` and `fsync` durability, waits for the request's log entries; a
    /// decision whose record could not be written is not answered (503): the client
    /// may retry, and nothing it was told is missing from the log.
    func awaitRecord(_ waiter: DecisionLogWaiter?) async throws {
        guard let waiter, let decisionLog else { return }
        guard await decisionLog.wait(waiter) else {
            throw APIError(
                .serviceUnavailable, code: "decision-log-unavailable",
                message: "the decision could not be recorded in the decision log; retry later")
        }
    }

    /// Decodes and decides one request, appends the decision's JSON to `bytes`, and
    /// records it in the metrics and the decision log; a request the decoder rejects is
    /// recorded and returned, for the caller to answer as it answers errors.
    private func decideItem(
        _ item: UnsafeRawBufferPointer, snapshot: PolicySnapshot, options: DecisionOptions,
        started: ContinuousClock.Instant, waiter: DecisionLogWaiter?, into bytes: inout [UInt8]
    ) -> RequestError? {
        switch snapshot.decoder.decode(item) {
        case .failure(let error):
            metrics.recordRejected(code: error.code.rawValue)
            decisionLog?.record(
                rejected: error, request: item, policySet: snapshot.policySet, nanoseconds: nanoseconds(since: started))
            return error
        case .success(let decoded):
            let decision = snapshot.policySet.decide(decoded.root, options: options)
            let start = bytes.count
            decision.writeJSON(into: &bytes)
            let elapsed = nanoseconds(since: started)
            metrics.record(decision, nanoseconds: elapsed)
            decisionLog?.record(
                decision, request: item, response: Array(bytes[start...]), policySet: snapshot.policySet,
                nanoseconds: elapsed, waiter: waiter)
            return nil
        }
    }

    /// `?explain=true`, and the locale: `?locale=` first, then the first
    /// `Accept-Language` tag the set has reasons in; else the request's own `locale`.
    func decisionOptions(_ request: Request, _ snapshot: PolicySnapshot) throws -> DecisionOptions {
        let query = request.uri.queryParameters
        let explain: Bool
        switch query.get("explain") {
        case nil, "false"?: explain = false
        case "true"?: explain = true
        case let other?:
            throw APIError(.badRequest, code: "invalid-query", message: "`explain` must be `true` or `false`; found `\(other)`")
        }
        // One rule for every way a locale is asked for (`LocaleMatcher`): `?locale=` is an
        // explicit choice, so one the set has no texts in is refused, never answered in
        // another language in silence; `Accept-Language` is a preference list, so a header
        // naming none of them leaves the request's own `locale` to decide. Either way the
        // answer's `locale` is the locale used.
        let matcher = snapshot.policySet.localeMatcher
        var locale: String?
        if let asked = query.get("locale") {
            guard let matched = matcher.match(asked) else {
                throw APIError(
                    .badRequest, code: "invalid-query",
                    message: "`locale` `\(asked)` is none of the policy set's locales "
                        + snapshot.locales.map { "`\($0)`" }.joined(separator: ", "))
            }
            locale = matched
        } else if let header = request.headers[.acceptLanguage] {
            locale = negotiateLocale(header, matcher: matcher)
        }
        return DecisionOptions(locale: locale, explain: explain, costBudget: configuration.maxEvaluationCost)
    }

    // MARK: Policies

    /// Ready when a policy set is loaded. With `--history`, the store is asked something
    /// cheap and shown under `history`: a store that does not answer does not make the
    /// service unready (decisions still answer, by `on_history_unavailable`), but it shows.
    func ready() async throws -> Response {
        guard let snapshot = store.current else { throw APIError.notReady() }
        let historyJSON: String?
        if let history {
            historyJSON = history.readinessJSON(probeFailure: await history.probe())
        } else {
            historyJSON = nil
        }
        return .json(JSONWriter.bytes(capacity: 256) { out in
            out.object { out in
                out.member("status", string: "ready")
                out.member("policy", json: identityJSON(snapshot.policySet))
                if let historyJSON { out.member("history", json: historyJSON) }
            }
            out.byte(UInt8(ascii: "\n"))
        })
    }

    /// The loaded set and how the last reload went (a failed one included: the old set
    /// is still served, and this is where operators see why the new one was not). The
    /// files' paths, the folder served and the diagnostics are for `admin` callers only:
    /// they tell an outsider where the service keeps what.
    func policiesDocument(admin: Bool) -> String {
        JSONWriter.text { out in
            out.beginObject()
            writePoliciesMembers(admin: admin, into: &out)
            out.endObject()
        }
    }

    /// The members of `policiesDocument(admin:)`, into an object being written (the
    /// deploy answer has them after its own).
    func writePoliciesMembers(admin: Bool, into out: inout JSONWriter) {
        if let snapshot = store.current {
            let set = snapshot.policySet
            out.member("policy", json: identityJSON(set))
            if admin {
                out.key("files")
                out.strings(set.files)
            }
            out.key("locales")
            out.strings(snapshot.locales)
            out.key("rules")
            out.integer(set.rules.count)
            out.key("thresholds")
            out.integer(set.thresholds.count)
            out.key("loaded_at")
            out.string(WallClock(snapshot.loadedAt).rfc3339)
        } else {
            out.member("policy", json: "null")
        }
        if admin {
            out.key("source")
            out.strings(store.paths)
        }
        let counts = store.reloadCounts
        out.key("reloads")
        out.beginObject()
        out.key("total")
        out.integer(counts.total)
        out.key("failed")
        out.integer(counts.failed)
        out.endObject()
        if let last = store.lastReload {
            out.key("last_reload")
            out.beginObject()
            out.key("at")
            out.string(WallClock(last.at).rfc3339)
            out.key("ok")
            out.bool(last.succeeded)
            if admin, let diagnostics = last.diagnosticsJSON { out.member("diagnostics", json: diagnostics) }
            out.endObject()
        }
    }

    func reload(_ request: Request) async throws -> Response {
        try authorize(request, token: configuration.adminToken, admin: true)
        let status = await store.reload()
        guard status.succeeded else {
            throw APIError(
                .unprocessableContent, code: "policies-invalid",
                message: "the policies have errors; still serving the previous set: \(status.firstError ?? "")")
        }
        return .json(policiesDocument(admin: true) + "\n")
    }

    /// Checks a candidate set sent as `{"file.yaml": "text", …}` or as a tar archive
    /// (CheckCandidate.swift) without serving it.
    func check(_ request: Request) async throws -> Response {
        try authorize(request, token: configuration.adminToken, admin: true)
        try requireJSONOrTar(request)
        let body = try await readBody(request)
        let sources = try candidateSources(
            body, contentType: request.headers[.contentType], maxBodyBytes: configuration.maxBodyBytes,
                maxFileSize: store.policyLimits.yaml.maxFileSize)
        let loaded = await store.check(sources)
        return .json(JSONWriter.bytes(capacity: 4096) { out in
            out.object { out in
                out.member("ok", bool: loaded.policySet != nil)
                out.member("policy", json: loaded.policySet.map(identityJSON) ?? "null")
                out.key("diagnostics")
                JSONDiagnosticRenderer().write(loaded.diagnostics, into: &out)
            }
            out.byte(UInt8(ascii: "\n"))
        })
    }

    // MARK: Shared

    /// The body, up to the configured limit; 413 beyond (checked against
    /// Content-Length first, so an oversized body is refused before it is read).
    func readBody(_ request: Request) async throws -> ByteBuffer {
        let limit = configuration.maxBodyBytes
        // Built only when thrown: its JSON text costs more than the rest of this function.
        func tooLarge() -> APIError {
            APIError(
                .contentTooLarge, code: "body-too-large", message: "the body is larger than \(limit) bytes",
                closesConnection: true)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge() }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge()
        }
        // A broken or timed-out body (HTTPParserError, RequestBodyTimeout) is answered by
        // JSONErrorMiddleware, which sees them from every route.
    }

    /// Bearer-token check: 401 without a token, 403 with a wrong one. Admin endpoints
    /// are refused (403) when no admin token is configured.
    func authorize(_ request: Request, token: String?, admin: Bool) throws {
        guard let token else {
            if admin {
                throw APIError(.forbidden, code: "admin-disabled", message: "no admin token is configured (RESCIND_ADMIN_TOKEN)")
            }
            return
        }
        switch presents(request, token) {
        case nil: throw APIError(.unauthorized, code: "unauthorized", message: "a bearer token is required")
        case false?: throw APIError(.forbidden, code: "forbidden", message: "the bearer token is not valid here")
        case true?: return
        }
    }

    /// Whether the request carries the admin token (for what only operators may see).
    func isAdmin(_ request: Request) -> Bool {
        configuration.adminToken.flatMap { presents(request, $0) } ?? false
    }

    /// Whether the request's bearer token is `token`; nil when it has none.
    private func presents(_ request: Request, _ token: String) -> Bool? {
        guard let presented = request.headers[.authorization].flatMap(bearerToken) else { return nil }
        return constantTimeEqual(Array(presented.utf8), Array(token.utf8))
    }

    /// Decision bodies must say they are JSON: a browser page can send `text/plain` or a
    /// form to another origin without asking first (no CORS preflight), but not
    /// `application/json`. No content type at all is refused for the same reason.
    func requireJSON(_ request: Request) throws {
        guard let type = request.headers[.contentType].map(mediaType), isJSON(type) else {
            throw unsupportedMediaType(request, accepted: "`application/json`")
        }
    }

    /// `:check` takes JSON or a tar archive (also recognized by its magic when the type is
    /// missing or `application/octet-stream`, as `curl --data-binary` sends it).
    func requireJSONOrTar(_ request: Request) throws {
        guard let header = request.headers[.contentType] else { return }
        let type = mediaType(header)
        guard isJSON(type) || type == "application/x-tar" || type == "application/octet-stream" else {
            throw unsupportedMediaType(request, accepted: "`application/json` or `application/x-tar`")
        }
    }

    private func unsupportedMediaType(_ request: Request, accepted: String) -> APIError {
        let found = request.headers[.contentType].map { "`\($0)`" } ?? "none"
        return APIError(
            .unsupportedMediaType, code: "unsupported-media-type",
            message: "the body must be sent as \(accepted); found \(found)")
    }
}

/// The routes as registered, by path, so a known path asked with another method is
/// answered 405 `method-not-allowed` with an `Allow` header (RFC 9110 §15.5.6) rather
/// than 404 as if it did not exist.
package struct RouteTable {
    package typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    package let router: Router<BasicRequestContext>
    /// Each path's methods, in the order registered; paths in the order first seen.
    private var methods: [(path: String, methods: [HTTPRequest.Method])] = []

    package init(router: Router<BasicRequestContext>) { self.router = router }

    package mutating func on(_ method: HTTPRequest.Method, _ path: String, use handler: @escaping Handler) {
        router.on(RouterPath(path), method: method, use: handler)
        // HEAD is GET without the body (RFC 9110 §9.3.2); the HTTP encoder drops the body.
        if method == .get { router.on(RouterPath(path), method: .head, use: handler) }
        if let index = methods.firstIndex(where: { $0.path == path }) {
            methods[index].methods.append(method)
        } else {
            methods.append((path, [method]))
        }
    }

    /// Registers the 405 answer for every method a path does not take.
    package func refuseOtherMethods() {
        let candidates: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        for (path, allowed) in methods {
            // A GET route answers HEAD too (registered with it in `on`).
            let served = allowed.contains(.get) ? allowed + [.head] : allowed
            let allow = served.map(\.rawValue).joined(separator: ", ")
            for method in candidates where !served.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError.methodNotAllowed(request.method, path: path, allow: allow)
                }
            }
        }
    }
}

/// The first tag of an `Accept-Language` header (by weight, then order) that
/// `matcher` matches to one of the set's locales.
func negotiateLocale(_ header: String, matcher: LocaleMatcher) -> String? {
    let ranges = header.split(separator: ",").enumerated().compactMap { index, part -> (tag: String, q: Double, index: Int)? in
        let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let tag = pieces.first, !tag.isEmpty, tag != "*" else { return nil }
        let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
        return q > 0 ? (tag, q, index) : nil
    }.sorted { $0.q != $1.q ? $0.q > $1.q : $0.index < $1.index }
    return ranges.lazy.compactMap { matcher.match($0.tag) }.first
}

/// `{"name","version","digest"}`, the same object as a decision's `policy`.
func identityJSON(_ set: PolicySet) -> String {
    JSONWriter.text(capacity: 128) { out in
        out.beginObject()
        out.key("name")
        out.string(set.name)
        out.key("version")
        out.string(set.version)
        out.key("digest")
        out.string(set.digest)
        out.endObject()
    }
}

private func nanoseconds(since start: ContinuousClock.Instant) -> UInt64 {
    UInt64(max(0, (ContinuousClock.now - start).nanoseconds))
}

/// The token of an `Authorization: Bearer TOKEN` header; the scheme is matched in any
/// case (RFC 9110 §11.1), and spaces around the token are not part of it.
func bearerToken(_ header: String) -> String? {
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else { return nil }
    let token = trimmed[space...].trimmingCharacters(in: .whitespaces)
    return token.isEmpty ? nil : token
}

/// `type/subtype` of a Content-Type header, lowercased, without parameters.
func mediaType(_ header: String) -> String {
    (header.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        .lowercased()
}

/// `application/json` or a structured `+json` type.
func isJSON(_ type: String) -> Bool { type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json")) }

/// Compares tokens in time independent of where they differ.
private func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}
