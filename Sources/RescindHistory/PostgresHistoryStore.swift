import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared history for several `rescind serve` replicas: one PostgreSQL database,
/// reached through postgres-nio's `PostgresClient` (a connection pool per process).
///
/// - Every statement binds its values (`$1`…; named prepared statements for the hot
///   lookups); no SQL is built from values. The only text put into SQL is the schema
///   name, checked to be a plain identifier when the URL is read.
/// - Migrations are versioned in `rescind_schema_migrations` and applied at start in one
///   transaction under `pg_advisory_xact_lock`, so replicas starting together apply each
///   version once and the later ones find it done.
/// - `statement_timeout` (the query timeout) is set on every connection, so the server
///   gives up a statement by then; the client's deadline (the same timeout) covers what
///   the server cannot: a server that does not answer, or no free connection.
/// - The pool must run: `open` runs it in a task of the store's own, which `close` ends;
///   a service that has a `ServiceGroup` can instead create the store with `init`, add
///   it to the group (it is a `Service`) and call `migrate()`.
package final class PostgresHistoryStore: HistoryStore, Service {
    package let location: PostgresLocation
    package let queryTimeout: Duration
    let client: PostgresClient
    private let logger: Logger
    private let runner = Mutex<Task<Void, Never>?>(nil)
    private let closed = Mutex(false)

    /// The schema's versions, oldest first; each is applied once, in order.
    static let migrations: [(version: Int, name: String, sql: [String])] = [
        (
            1, "cancellation-events",
            [
                """
                CREATE TABLE rescind_cancellation_events (
                    order_id text PRIMARY KEY,
                    buyer_id text NOT NULL,
                    seller_id text NOT NULL,
                    at_us bigint NOT NULL,
                    at_text text NOT NULL,
                    initiator text NOT NULL,
                    reason text NOT NULL,
                    request_id text NOT NULL,
                    status text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'retracted')),
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Covering: a window is read from the index alone once autovacuum has
                // marked the pages all-visible (a batch of 100 buyers: 25 ms of heap page
                // reads on the server, 4-5 ms without; docs/history.md).
                """
                CREATE INDEX rescind_cancellation_events_buyer_at ON rescind_cancellation_events (buyer_id, at_us)
                INCLUDE (order_id, seller_id, at_text, initiator, reason, request_id, status)
                """,
                "CREATE INDEX rescind_cancellation_events_at ON rescind_cancellation_events (at_us)",
            ]
        )
    ]
    package static var schemaVersion: Int { migrations.last!.version }
    /// The advisory lock migrations hold ("rescind" in ASCII): one key for every schema
    /// of the database, so migrations of different schemas simply take turns.
    static let migrationLock: Int64 = 0x72_6573_6369_6E64

    /// A store whose pool is not running yet: run it (`run()`, or a `ServiceGroup`),
    /// then `migrate()`. Most callers want `open`.
    package init(location: PostgresLocation, queryTimeout: Duration = .seconds(2), logger: Logger? = nil) {
        self.location = location
        self.queryTimeout = queryTimeout
        self.logger = logger ?? Logger(label: "rescind.history", factory: { _ in SwiftLogNoOpLogHandler() })
        let tls: PostgresClient.Configuration.TLS =
            switch location.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.maximumConnections = location.poolMax
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = queryTimeout
        var parameters = [
            ("statement_timeout", "\(HistoryMessages.milliseconds(queryTimeout))"),
            ("application_name", location.applicationName),
        ]
        if let schema = location.schema { parameters.append(("search_path", schema)) }
        configuration.options.additionalStartupParameters = parameters
        client = PostgresClient(configuration: configuration, backgroundLogger: self.logger)
    }

    /// Connects, runs the pool in a task of the store's own and brings the schema up to
    /// date (waiting up to `migrationTimeout` for another replica's migration).
    package static func open(
        location: PostgresLocation, queryTimeout: Duration = .seconds(2), migrationTimeout: Duration = .seconds(30),
        logger: Logger? = nil
    ) async throws(HistoryError) -> PostgresHistoryStore {
        let store = PostgresHistoryStore(location: location, queryTimeout: queryTimeout, logger: logger)
        let client = store.client
        store.runner.withLock { $0 = Task(executorPreference: HistoryExecutor.shared) { await client.run() } }
        do {
            try await store.migrate(timeout: migrationTimeout)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// The pool's background work, until cancelled (`Service`): on the store's own
    /// threads (`HistoryExecutor`), so connecting and leasing do not wait for a thread of
    /// the cooperative pool.
    package func run() async throws {
        let client = self.client
        await withTaskExecutorPreference(HistoryExecutor.shared) { await client.run() }
    }

    /// Applies the migrations this database lacks, under the advisory lock; throws
    /// `.schema` when the database is at a version newer than this build's.
    package func migrate(timeout: Duration = .seconds(30)) async throws(HistoryError) {
        let client = self.client, logger = self.logger, schema = location.schema
        try await withDeadline(timeout, operation: "migrate") {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    // Waiting for another replica's migration must not be cut by the
                    // per-query timeout (`SET LOCAL`: this transaction only; the deadline
                    // above still bounds the whole).
                    try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
                    // The lock comes before any DDL: `CREATE … IF NOT EXISTS` run by two
                    // sessions at once can still fail on the catalog's unique index.
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                    if let schema {
                        // An identifier cannot be bound; `schema` was checked to be a plain one.
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
                    }
                    try await connection.query(
                        """
                        CREATE TABLE IF NOT EXISTS rescind_schema_migrations (
                            version integer PRIMARY KEY,
                            name text NOT NULL,
                            applied_at timestamptz NOT NULL DEFAULT now()
                        )
                        """, logger: logger)
                    var applied: Set<Int> = []
                    for try await version in try await connection.query(
                        "SELECT version FROM rescind_schema_migrations", logger: logger
                    ).decode(Int.self) {
                        applied.insert(version)
                    }
                    if let newest = applied.max(), newest > Self.schemaVersion {
                        throw HistoryError(.schema, HistoryMessages.schemaTooNew(newest, known: Self.schemaVersion))
                    }
                    for migration in Self.migrations where !applied.contains(migration.version) {
                        for statement in migration.sql {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query(
                            "INSERT INTO rescind_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger)
                    }
                }
            } catch let error as PostgresTransactionError {
                throw Self.translate(error.closureError ?? error.beginError ?? error.commitError ?? error, "migrate")
            } catch {
                throw Self.translate(error, "migrate")
            }
        }
    }

    // MARK: Operations

    package func record(_ events: [CancellationEvent]) async throws(HistoryError) -> RecordOutcome {
        // Each order once in the statement (its first occurrence); the repeats are judged
        // below against that occurrence or the stored event, as SQLite's store judges them.
        var firstOccurrence: [String: CancellationEvent] = [:]
        var unique: [CancellationEvent] = []
        for event in events where firstOccurrence[event.orderID] == nil {
            firstOccurrence[event.orderID] = event
            unique.append(event)
        }
        let inserted = try await insert(unique, "record")
        let stored = try await storedEvents(orderIDs: unique.map(\.orderID).filter { !inserted.contains($0) }, "record")
        var outcome = RecordOutcome()
        var reported: Set<String> = []
        for event in events {
            let id = event.orderID
            if reported.insert(id).inserted, inserted.contains(id) {
                outcome.recorded.append(id)
                continue
            }
            // Already stored (found now, or purged since: nothing to compare) or a repeat.
            let reference = inserted.contains(id) ? firstOccurrence[id] : stored[id]
            if let field = reference?.firstDifference(from: event) {
                outcome.conflicts.append(HistoryError.conflict(orderID: id, field: field))
            } else {
                outcome.duplicates.append(id)
            }
        }
        return outcome
    }

    /// Records many events: `record` in batches of `batchSize` (one statement each,
    /// each with the query timeout).
    package func `import`(events: [CancellationEvent], batchSize: Int = 5_000) async throws(HistoryError)
        -> ImportSummary
    {
        var summary = ImportSummary()
        var start = 0
        while start < events.count {
            let end = min(start + batchSize, events.count)
            let outcome = try await record(Array(events[start..<end]))
            summary.add(
                ImportSummary(
                    recorded: outcome.recorded.count, duplicates: outcome.duplicates.count,
                    conflicts: outcome.conflicts))
            start = end
        }
        return summary
    }

    /// Inserts `events` (unique order ids) in one statement; the order ids inserted.
    private func insert(_ events: [CancellationEvent], _ operation: String) async throws(HistoryError) -> Set<String> {
        guard !events.isEmpty else { return [] }
        let statement = InsertEvents(events: events)
        return try await run(operation) { client, logger in
            var inserted: Set<String> = []
            for try await orderID in try await client.execute(statement, logger: logger) { inserted.insert(orderID) }
            return inserted
        }
    }

    private func storedEvents(orderIDs: [String], _ operation: String) async throws(HistoryError)
        -> [String: CancellationEvent]
    {
        guard !orderIDs.isEmpty else { return [:] }
        let statement = SelectByOrder(orderIDs: orderIDs)
        return try await run(operation) { client, logger in
            var found: [String: CancellationEvent] = [:]
            for try await event in try await client.execute(statement, logger: logger) { found[event.orderID] = event }
            return found
        }
    }

    package func retract(orderID: String) async throws(HistoryError) -> RetractOutcome {
        try await run("retract") { client, logger in
            for try await _ in try await client.query(
                """
                UPDATE rescind_cancellation_events SET status = 'retracted'
                WHERE order_id = \(orderID) AND status = 'recorded' RETURNING 1
                """, logger: logger
            ).decode(Int.self) {
                return .retracted
            }
            for try await _ in try await client.query(
                "SELECT 1 FROM rescind_cancellation_events WHERE order_id = \(orderID)", logger: logger
            ).decode(Int.self) {
                return .alreadyRetracted
            }
            return .notFound
        }
    }

    package func events(buyerID: String, from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [CancellationEvent]
    {
        let statement = SelectWindow(buyerID: buyerID, from: from.microseconds, through: through.microseconds)
        return try await run("events") { client, logger in
            var events: [CancellationEvent] = []
            for try await event in try await client.execute(statement, logger: logger) { events.append(event) }
            return events
        }
    }

    package func events(buyerIDs: [String], from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [String: [CancellationEvent]]
    {
        var found: [String: [CancellationEvent]] = [:]
        for buyerID in buyerIDs { found[buyerID] = [] }
        guard !found.isEmpty else { return found }
        let statement = SelectWindows(buyerIDs: Array(found.keys), from: from.microseconds, through: through.microseconds)
        let events = try await run("events") { client, logger in
            var events: [CancellationEvent] = []
            for try await event in try await client.execute(statement, logger: logger) { events.append(event) }
            return events
        }
        for event in events { found[event.buyerID, default: []].append(event) }
        return found
    }

    package func purge(before: HistoryInstant) async throws(HistoryError) -> Int {
        try await run("purge") { client, logger in
            for try await count in try await client.query(
                """
                WITH purged AS (DELETE FROM rescind_cancellation_events WHERE at_us < \(before.microseconds) RETURNING 1)
                SELECT count(*) FROM purged
                """, logger: logger
            ).decode(Int.self) {
                return count
            }
            return 0
        }
    }

    package func stats() async throws(HistoryError) -> HistoryStats {
        try await run("stats") { client, logger in
            let rows = try await client.query(
                """
                SELECT count(*), count(*) FILTER (WHERE status = 'retracted'), count(DISTINCT buyer_id),
                    min(at_us), max(at_us), (SELECT coalesce(max(version), 0) FROM rescind_schema_migrations)
                FROM rescind_cancellation_events
                """, logger: logger)
            for try await (events, retracted, buyers, oldest, newest, version) in rows.decode(
                (Int, Int, Int, Int64?, Int64?, Int).self)
            {
                return HistoryStats(
                    events: events, retracted: retracted, buyers: buyers,
                    oldest: oldest.map(HistoryInstant.init(microseconds:)),
                    newest: newest.map(HistoryInstant.init(microseconds:)), schemaVersion: version)
            }
            throw HistoryError(.unavailable, HistoryMessages.unavailable("stats", "no row"))
        }
    }

    package func close() async {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        let task = runner.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    /// `VACUUM (ANALYZE)` of the events table, after a large import: marks its pages
    /// all-visible, so windows are read from the covering index alone (autovacuum does
    /// the same, later). Not bound by the query timeout; by `timeout`.
    package func vacuum(timeout: Duration = .seconds(600)) async throws(HistoryError) {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        let client = self.client, logger = self.logger
        try await withDeadline(timeout, operation: "vacuum") {
            do {
                try await client.withConnection { connection in
                    try await connection.query("SET statement_timeout = 0", logger: logger)
                    try await connection.query("VACUUM (ANALYZE) rescind_cancellation_events", logger: logger)
                    try await connection.query("RESET statement_timeout", logger: logger)
                }
            } catch {
                throw Self.translate(error, "vacuum")
            }
        }
    }

    // MARK: Plumbing

    private func run<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws(HistoryError) -> T {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        let client = self.client, logger = self.logger
        return try await withDeadline(queryTimeout, operation: operation) {
            do { return try await body(client, logger) } catch { throw Self.translate(error, operation) }
        }
    }

    static func translate(_ error: any Error, _ operation: String) -> any Error {
        if let error = error as? HistoryError { return error }
        if error is CancellationError { return error }
        if let error = error as? PSQLError {
            // 57014: query_canceled, what `statement_timeout` raises.
            if error.serverInfo?[.sqlState] == "57014" {
                return HistoryError(.timeout, HistoryMessages.unavailable(operation, "the statement timed out"))
            }
            let detail = error.serverInfo?[.message] ?? "\(error.code)"
            return HistoryError(.unavailable, HistoryMessages.unavailable(operation, detail))
        }
        return HistoryError(.unavailable, HistoryMessages.unavailable(operation, String(describing: error)))
    }
}

// MARK: Statements

/// Named prepared statements: each connection prepares them once and then only binds.
private let selectColumns = "order_id, buyer_id, seller_id, at_us, at_text, initiator, reason, request_id, status"

private func decodeEvent(_ row: PostgresRow) throws -> CancellationEvent {
    let (orderID, buyerID, sellerID, at, atText, initiator, reason, requestID, status) = try row.decode(
        (String, String, String, Int64, String, String, String, String, String).self)
    return CancellationEvent(
        orderID: orderID, buyerID: buyerID, sellerID: sellerID, at: HistoryInstant(microseconds: at), atText: atText,
        initiator: initiator, reason: reason, requestID: requestID,
        status: CancellationStatus(rawValue: status) ?? .recorded)
}

private struct SelectWindow: PostgresPreparedStatement {
    static let name = "rescind_history_window_v1"
    static let sql = """
        SELECT \(selectColumns) FROM rescind_cancellation_events
        WHERE buyer_id = $1 AND at_us > $2 AND at_us <= $3 AND status = 'recorded'
        ORDER BY at_us, order_id
        """
    typealias Row = CancellationEvent
    var buyerID: String
    var from: Int64
    var through: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(buyerID)
        bindings.append(from)
        bindings.append(through)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> CancellationEvent { try decodeEvent(row) }
}

private struct SelectWindows: PostgresPreparedStatement {
    static let name = "rescind_history_windows_v1"
    static let sql = """
        SELECT \(selectColumns) FROM rescind_cancellation_events
        WHERE buyer_id = ANY($1) AND at_us > $2 AND at_us <= $3 AND status = 'recorded'
        ORDER BY buyer_id, at_us, order_id
        """
    typealias Row = CancellationEvent
    var buyerIDs: [String]
    var from: Int64
    var through: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(buyerIDs)
        bindings.append(from)
        bindings.append(through)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> CancellationEvent { try decodeEvent(row) }
}

private struct SelectByOrder: PostgresPreparedStatement {
    static let name = "rescind_history_by_order_v1"
    static let sql = "SELECT \(selectColumns) FROM rescind_cancellation_events WHERE order_id = ANY($1)"
    typealias Row = CancellationEvent
    var orderIDs: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(orderIDs)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> CancellationEvent { try decodeEvent(row) }
}

/// A whole batch in one statement: one array per column, `unnest`ed into rows.
private struct InsertEvents: PostgresPreparedStatement {
    static let name = "rescind_history_insert_v1"
    static let sql = """
        INSERT INTO rescind_cancellation_events
            (order_id, buyer_id, seller_id, at_us, at_text, initiator, reason, request_id, status)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[])
        ON CONFLICT (order_id) DO NOTHING
        RETURNING order_id
        """
    typealias Row = String
    var events: [CancellationEvent]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(events.map(\.orderID))
        bindings.append(events.map(\.buyerID))
        bindings.append(events.map(\.sellerID))
        bindings.append(events.map(\.at.microseconds))
        bindings.append(events.map(\.atText))
        bindings.append(events.map(\.initiator))
        bindings.append(events.map(\.reason))
        bindings.append(events.map(\.requestID))
        bindings.append(events.map(\.status.rawValue))
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
}
