import Foundation
import GRDB
import GRDBSQLite
import RescindEngine
import Synchronization

/// The embedded history: one SQLite file in WAL mode (`DatabasePool`: readers never wait
/// for the writer), for one `rescind serve` or `rescind eval` process.
///
/// Schema (migrations by GRDB's `DatabaseMigrator`, recorded in `grdb_migrations`, each
/// applied once, in order, in its own transaction): `rescind_cancellation_events`, unique
/// on `order_id` (the idempotency key), with one on `at_us` for purges and stats. The
/// table itself is ordered by `(buyer_id, at_us, order_id)` (`WITHOUT ROWID`, that as its
/// primary key), so a buyer's window is one range scan over adjacent rows (`events`).
/// Stepping 50 rows still cost about 40 µs, so a decision's lookup (`historyItems`) reads
/// `rescind_buyer_history` instead: one row per buyer holding its recorded events packed
/// (`BuyerHistoryRow`), kept in the same transaction by every record, import, retract and
/// purge (version 2; a store at version 1 gets its rows built from the event table when
/// opened). docs/history.md has the figures.
package final class SQLiteHistoryStore: HistoryStore {
    /// The file.
    package let path: String
    /// Every write's, purge's and stats' deadline, and SQLite's busy timeout: a lock
    /// wait, a window read's included, gives up by then (`.timeout`).
    package let queryTimeout: Duration
    private let pool: DatabasePool
    /// The decision's lookups' connections (`historyItems`), outside the pool.
    private let packedReaders: PackedRowReaders
    private let closed = Mutex(false)

    /// The schema's versions, oldest first; `schemaVersion` is their count.
    static let migrations: [(identifier: String, apply: @Sendable (Database) throws -> Void)] = [
        (
            "1-cancellation-events",
            { db in try db.execute(sql: """
            CREATE TABLE rescind_cancellation_events (
                order_id TEXT NOT NULL,
                buyer_id TEXT NOT NULL,
                seller_id TEXT NOT NULL,
                at_us INTEGER NOT NULL,
                at_text TEXT NOT NULL,
                initiator TEXT NOT NULL,
                reason TEXT NOT NULL,
                request_id TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'retracted')),
                PRIMARY KEY (buyer_id, at_us, order_id)
            ) WITHOUT ROWID;
            CREATE UNIQUE INDEX rescind_cancellation_events_order ON rescind_cancellation_events (order_id);
            CREATE INDEX rescind_cancellation_events_at ON rescind_cancellation_events (at_us);
            """) }
        ),
        (
            "2-buyer-history",
            { db in
                try db.execute(sql: BuyerHistoryRow.createSQL)
                try BuyerHistoryRow.rebuild(db)
            }
        ),
    ]
    package static var schemaVersion: Int { migrations.count }

    /// Each import transaction's deadline (a batch of 250,000 events took about 2 s here).
    package let importTimeout: Duration

    /// Opens (creating when missing) the file at `path` and brings its schema up to
    /// date; throws `.schema` when the file was written by a newer build. `readers`:
    /// connections for reads at once.
    package init(path: String, queryTimeout: Duration = .seconds(2), importTimeout: Duration = .seconds(60), readers: Int = 4)
        throws(HistoryError)
    {
        self.path = path
        self.queryTimeout = queryTimeout
        self.importTimeout = importTimeout
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(HistoryMessages.milliseconds(queryTimeout)) / 1000)
        configuration.maximumReaderCount = readers
        configuration.label = "rescind-history"
        configuration.prepareDatabase { db in
            // WAL with NORMAL: a commit survives a crash of the process (the WAL is
            // written before the call returns); only a power loss may lose the last ones.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads map the file instead of copying each page in with a system call;
            // 16 MiB of page cache per connection.
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            try pool.write { db in
                if try migrator.hasBeenSuperseded(db) {
                    let applied = try migrator.appliedIdentifiers(db).count
                    throw HistoryError(.schema, HistoryMessages.schemaTooNew(applied, known: Self.schemaVersion))
                }
            }
            try migrator.migrate(pool)
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError(.unavailable, HistoryMessages.unavailable("open `\(path)`", String(describing: error)))
        }
        packedReaders = PackedRowReaders(
            path: path, busyMilliseconds: Int32(clamping: HistoryMessages.milliseconds(queryTimeout)), keep: readers)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.apply)
        }
        return migrator
    }

    // MARK: Operations

    static let insertSQL = """
        INSERT INTO rescind_cancellation_events
            (order_id, buyer_id, seller_id, at_us, at_text, initiator, reason, request_id, status)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """
    static let columns = "order_id, buyer_id, seller_id, at_us, at_text, initiator, reason, request_id, status"

    package func record(_ events: [CancellationEvent]) async throws(HistoryError) -> RecordOutcome {
        try await write("record") { db in
            var outcome = RecordOutcome()
            var added: [CancellationEvent] = []
            try Self.insert(events, db) { event, inserted, existing in
                if inserted {
                    outcome.recorded.append(event.orderID)
                    added.append(event)
                } else if let field = existing?.firstDifference(from: event) {
                    outcome.conflicts.append(
                        HistoryError.conflict(orderID: event.orderID, field: field))
                } else {
                    outcome.duplicates.append(event.orderID)
                }
            }
            try BuyerHistoryRow.add(added, db)
            return outcome
        }
    }

    /// Records many events fast (`rescind history import`): transactions of `batchSize`
    /// events through one prepared statement, with `record`'s rules (duplicates skipped,
    /// conflicts refused and reported). A transaction holds the write lock throughout: a
    /// server recording into the same file waits for it (up to its query timeout), so
    /// import into a live file in smaller batches.
    package func `import`(events: [CancellationEvent], batchSize: Int = 250_000) async throws(HistoryError)
        -> ImportSummary
    {
        var summary = ImportSummary()
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + batchSize, events.endIndex)
            // In key order, so the rows land in the table's pages in one pass; an order's
            // repeats after all first occurrences, so the first in the file is the one
            // recorded and the repeats are judged against it, as `record` judges them.
            var seen: Set<String> = []
            var firsts: [CancellationEvent] = [], repeats: [CancellationEvent] = []
            for event in events[start..<end] {
                if seen.insert(event.orderID).inserted { firsts.append(event) } else { repeats.append(event) }
            }
            firsts.sort { ($0.buyerID, $0.at, $0.orderID) < ($1.buyerID, $1.at, $1.orderID) }
            let batch = firsts + repeats
            let part = try await write("import", timeout: importTimeout) { db in
                var part = ImportSummary()
                var added: [CancellationEvent] = []
                added.reserveCapacity(batch.count)
                try Self.insert(batch, db) { event, inserted, existing in
                    if inserted {
                        part.recorded += 1
                        added.append(event)
                    } else if let field = existing?.firstDifference(from: event) {
                        part.conflicts.append(
                            HistoryError.conflict(orderID: event.orderID, field: field))
                    } else {
                        part.duplicates += 1
                    }
                }
                // The batch's buyers' rows, once each, at the end of its transaction.
                try BuyerHistoryRow.add(added, db)
                return part
            }
            summary.add(part)
            start = end
        }
        return summary
    }

    /// Inserts `events` in the current transaction, telling `each` whether each was
    /// inserted and, when not, the stored event it collided with. The stored event is
    /// read only on a collision, so an import of new events runs the insert alone.
    private static func insert(
        _ events: [CancellationEvent], _ db: Database,
        _ each: (CancellationEvent, _ inserted: Bool, _ existing: CancellationEvent?) throws -> Void
    ) throws {
        let insert = try db.cachedStatement(sql: insertSQL)
        for event in events {
            try insert.execute(arguments: [
                event.orderID, event.buyerID, event.sellerID, event.at.microseconds, event.atText, event.initiator,
                event.reason, event.requestID, event.status.rawValue,
            ])
            if db.changesCount == 1 {
                try each(event, true, nil)
            } else {
                try each(event, false, try stored(orderID: event.orderID, db))
            }
        }
    }

    private static func stored(orderID: String, _ db: Database) throws -> CancellationEvent? {
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns) FROM rescind_cancellation_events WHERE order_id = ?")
        return try Row.fetchOne(statement, arguments: [orderID]).map(event)
    }

    package func retract(orderID: String) async throws(HistoryError) -> RetractOutcome {
        try await write("retract") { db in
            let update = try db.cachedStatement(
                sql: "UPDATE rescind_cancellation_events SET status = 'retracted' WHERE order_id = ? AND status = 'recorded'"
            )
            try update.execute(arguments: [orderID])
            let changed = db.changesCount == 1
            guard let stored = try Self.stored(orderID: orderID, db) else { return .notFound }
            guard changed else { return .alreadyRetracted }
            try BuyerHistoryRow.remove(orderID: orderID, buyerID: stored.buyerID, db)
            return .retracted
        }
    }

    /// A buyer's recorded events in a window: neither `buyer_id` (the argument) nor
    /// `status` (always `recorded` here) is read back.
    static let windowSQL = """
        SELECT order_id, seller_id, at_us, at_text, initiator, reason, request_id FROM rescind_cancellation_events
        WHERE buyer_id = ? AND at_us > ? AND at_us <= ? AND status = 'recorded'
        ORDER BY at_us, order_id
        """

    /// Read on the calling task's thread, with no hop to another thread and no timer:
    /// a WAL reader never waits for the writer, and the one lock wait a read can meet
    /// (while another process recovers the WAL) ends at SQLite's busy timeout, which is
    /// the query timeout, as `.timeout`. The hop and the timer cost more than the read
    /// (docs/history.md). The caller's thread may be one of the cooperative pool's, but
    /// the caller is already running on it, so this waits for no pool thread (the rest
    /// of the store's work runs on `HistoryExecutor`).
    package func events(buyerID: String, from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [CancellationEvent]
    {
        try eventsBlocking(buyerID: buyerID, from: from, through: through)
    }

    /// A buyer's window, read on the calling thread (what `events` does).
    package func eventsBlocking(buyerID: String, from: HistoryInstant, through: HistoryInstant) throws(HistoryError)
        -> [CancellationEvent]
    {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        do {
            // One SELECT is its own snapshot: no BEGIN/COMMIT around it.
            return try pool.unsafeRead { db in try Self.window(buyerID: buyerID, from: from, through: through, db) }
        } catch {
            throw Self.translate(error, "events") as? HistoryError
                ?? HistoryError(.unavailable, HistoryMessages.unavailable("events", String(describing: error)))
        }
    }

    /// A read transaction on the calling thread (the synchronous `read`, which an async
    /// caller would not pick by itself).
    private func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    private static func window(buyerID: String, from: HistoryInstant, through: HistoryInstant, _ db: Database) throws
        -> [CancellationEvent]
    {
        let statement = try db.cachedStatement(sql: windowSQL)
        var events: [CancellationEvent] = []
        events.reserveCapacity(64)
        let rows = try Row.fetchCursor(statement, arguments: [buyerID, from.microseconds, through.microseconds])
        // Columns read straight from the statement on its current row: a window is mostly
        // string columns, and GRDB's `String` decoding measures its length again and
        // allocates for every value. Sellers, initiators and reasons repeat from row to
        // row, so the previous row's string is reused when the bytes are the same.
        let row = RawRow(statement.sqliteStatement)
        var seller = "", initiator = "", reason = ""
        while try rows.next() != nil {
            events.append(
                CancellationEvent(
                    orderID: row.text(0), buyerID: buyerID, sellerID: row.text(1, reusing: &seller),
                    at: HistoryInstant(microseconds: row.int64(2)), atText: row.text(3),
                    initiator: row.text(4, reusing: &initiator), reason: row.text(5, reusing: &reason),
                    requestID: row.text(6), status: .recorded))
        }
        return events
    }

    /// A buyer's window as a request's history list holds it, from the buyer's packed row
    /// (one primary-key lookup; only the entries in the window are decoded), through
    /// SQLite's C API on a connection of `PackedRowReaders`. On the calling thread, as
    /// `events`, for the same reasons.
    package func historyItems(buyerID: String, from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [HistoryItem]
    {
        try historyItemsBlocking(buyerID: buyerID, from: from, through: through)
    }

    /// `historyItems`, read on the calling thread.
    package func historyItemsBlocking(buyerID: String, from: HistoryInstant, through: HistoryInstant)
        throws(HistoryError) -> [HistoryItem]
    {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        return try packedReaders.withReader { reader throws(HistoryError) in
            try reader.items(buyerID: buyerID, from: from.microseconds, through: through.microseconds)
        }
    }

    /// The same read through GRDB's pool (a reader lease, GRDB's statement and cursor):
    /// what `historyItems` would cost without its own connections (the benchmark
    /// compares the two).
    package func historyItemsThroughPool(buyerID: String, from: HistoryInstant, through: HistoryInstant)
        throws(HistoryError) -> [HistoryItem]
    {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        do {
            return try pool.unsafeRead { db in
                try Self.packedWindow(buyerID: buyerID, from: from, through: through, db)
            }
        } catch {
            throw Self.translate(error, "history items") as? HistoryError
                ?? HistoryError(.unavailable, HistoryMessages.unavailable("history items", String(describing: error)))
        }
    }

    static let packedSQL = "SELECT packed FROM rescind_buyer_history WHERE buyer_id = ?"

    private static func packedWindow(buyerID: String, from: HistoryInstant, through: HistoryInstant, _ db: Database)
        throws -> [HistoryItem]
    {
        let statement = try db.cachedStatement(sql: packedSQL)
        let rows = try Row.fetchCursor(statement, arguments: [buyerID])
        var items: [HistoryItem] = []
        if try rows.next() != nil {
            // Decoded straight from SQLite's copy of the value (valid until the statement
            // steps again), with no `Data` in between.
            let sqlite = statement.sqliteStatement
            let count = Int(sqlite3_column_bytes(sqlite, 0))
            let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(sqlite, 0), count: count)
            items.reserveCapacity(64)
            do {
                try BuyerHistoryRow.items(bytes, from: from.microseconds, through: through.microseconds, into: &items)
            } catch {
                throw HistoryError(.unavailable, HistoryMessages.malformedBuyerRow(buyerID))
            }
            // Stepped to its end, so the statement holds no read snapshot open after it.
            _ = try rows.next()
        }
        return items
    }

    /// Every packed row, decoded (the tests compare them with the event table).
    func packedRows() throws -> [String: [PackedEntry]] {
        try readNow { db in
            var rows: [String: [PackedEntry]] = [:]
            for buyerID in try String.fetchAll(db, sql: "SELECT buyer_id FROM rescind_buyer_history") {
                rows[buyerID] = try BuyerHistoryRow.read(buyerID: buyerID, db)
            }
            return rows
        }
    }

    package func events(buyerIDs: [String], from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [String: [CancellationEvent]]
    {
        // One read transaction (one snapshot) and one prepared statement for all: in
        // SQLite a query per buyer costs what an `IN` list would, without building SQL.
        // On the calling thread, as `events(buyerID:)`.
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        do {
            return try readNow { db in
                var found: [String: [CancellationEvent]] = [:]
                for buyerID in buyerIDs where found[buyerID] == nil {
                    found[buyerID] = try Self.window(buyerID: buyerID, from: from, through: through, db)
                }
                return found
            }
        } catch {
            throw Self.translate(error, "events") as? HistoryError
                ?? HistoryError(.unavailable, HistoryMessages.unavailable("events", String(describing: error)))
        }
    }

    package func purge(before: HistoryInstant) async throws(HistoryError) -> Int {
        try await write("purge") { db in
            // Only the rows of buyers with a recorded event before the cut change (found
            // through the `at_us` index, as the delete finds its rows).
            let buyers = try String.fetchSet(
                db, sql: "SELECT DISTINCT buyer_id FROM rescind_cancellation_events WHERE at_us < ? AND status = 'recorded'",
                arguments: [before.microseconds])
            try db.execute(sql: "DELETE FROM rescind_cancellation_events WHERE at_us < ?", arguments: [before.microseconds])
            let deleted = db.changesCount
            try BuyerHistoryRow.trim(buyerIDs: buyers, before: before.microseconds, db)
            return deleted
        }
    }

    package func stats() async throws(HistoryError) -> HistoryStats {
        try await read("stats") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), COALESCE(SUM(status = 'retracted'), 0), COUNT(DISTINCT buyer_id), MIN(at_us), MAX(at_us)
                    FROM rescind_cancellation_events
                    """)!
            return HistoryStats(
                events: row[0], retracted: row[1], buyers: row[2],
                oldest: (row[3] as Int64?).map(HistoryInstant.init(microseconds:)),
                newest: (row[4] as Int64?).map(HistoryInstant.init(microseconds:)),
                schemaVersion: try Self.migrator.appliedIdentifiers(db).count)
        }
    }

    package func close() async {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        if wasOpen {
            packedReaders.close()
            try? pool.close()
        }
    }

    // MARK: Plumbing

    private static func event(_ row: Row) -> CancellationEvent {
        CancellationEvent(
            orderID: row[0], buyerID: row[1], sellerID: row[2], at: HistoryInstant(microseconds: row[3]),
            atText: row[4], initiator: row[5], reason: row[6], requestID: row[7],
            status: CancellationStatus(rawValue: row[8]) ?? .recorded)
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
        async throws(HistoryError) -> T
    {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        let pool = self.pool
        return try await withDeadline(queryTimeout, operation: operation) {
            do { return try await pool.read(body) } catch { throw Self.translate(error, operation) }
        }
    }

    private func write<T: Sendable>(
        _ operation: String, timeout: Duration? = nil, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(HistoryError) -> T {
        guard !closed.withLock({ $0 }) else { throw HistoryError(.closed, HistoryMessages.closed) }
        let pool = self.pool
        return try await withDeadline(timeout ?? queryTimeout, operation: operation) {
            do { return try await pool.write(body) } catch { throw Self.translate(error, operation) }
        }
    }

    private static func translate(_ error: any Error, _ operation: String) -> any Error {
        if let error = error as? HistoryError { return error }
        if error is CancellationError { return error }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_BUSY {
            return HistoryError(.timeout, HistoryMessages.unavailable(operation, "the database is locked"))
        }
        return HistoryError(.unavailable, HistoryMessages.unavailable(operation, String(describing: error)))
    }
}

/// What an import did: counts (a million order ids are not worth listing) and every
/// conflict.
package struct ImportSummary: Sendable, Equatable {
    package var recorded = 0
    package var duplicates = 0
    package var conflicts: [HistoryError] = []

    package init(recorded: Int = 0, duplicates: Int = 0, conflicts: [HistoryError] = []) {
        self.recorded = recorded
        self.duplicates = duplicates
        self.conflicts = conflicts
    }

    mutating func add(_ other: ImportSummary) {
        recorded += other.recorded
        duplicates += other.duplicates
        conflicts += other.conflicts
    }
}

/// The current row of a SQLite statement, read with SQLite's own column functions.
private struct RawRow {
    let statement: SQLiteStatement

    init(_ statement: SQLiteStatement) { self.statement = statement }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// A text column (`sqlite3_column_text` before `sqlite3_column_bytes`, as SQLite asks).
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// A text column, as `previous` itself when its bytes are the same (no new string).
    func text(_ column: Int32, reusing previous: inout String) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        let column = UnsafeBufferPointer(start: bytes, count: count)
        let same = previous.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(column) } ?? false
        if !same { previous = String(decoding: column, as: UTF8.self) }
        return previous
    }
}
