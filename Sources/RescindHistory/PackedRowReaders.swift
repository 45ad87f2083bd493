import GRDBSQLite
import RescindEngine
import Synchronization

/// The connections a decision's lookup reads packed rows with: SQLite's C API directly,
/// one prepared statement per connection, outside GRDB's pool.
///
/// Why: the lookup is one primary-key search and a decode of about a kilobyte; through
/// the pool's reader lease (a dispatch queue and a semaphore) and GRDB's statement and
/// cursor plumbing the fixed cost of a read was about 10 µs (docs/history.md), the whole
/// budget. A connection taken from a list under a mutex costs a lock and an unlock.
///
/// Same file, same WAL: each lookup's step is its own read transaction (a snapshot no
/// older than the call), so a lookup sees every write committed before it started, in
/// this process or another. A lock wait (another process recovering the WAL) ends at
/// the busy timeout, the store's query timeout, as `.timeout`.
final class PackedRowReaders: Sendable {
    private let path: String
    private let busyMilliseconds: Int32
    private let keep: Int
    /// Idle connections; nil once closed.
    private let idle = Mutex<[Reader]?>([])

    init(path: String, busyMilliseconds: Int32, keep: Int) {
        self.path = path
        self.busyMilliseconds = busyMilliseconds
        self.keep = keep
    }

    /// One connection, used by one thread at a time (SQLite's multi-thread mode).
    final class Reader: @unchecked Sendable {
        let db: OpaquePointer
        let statement: OpaquePointer

        init(path: String, busyMilliseconds: Int32) throws(HistoryError) {
            var db: OpaquePointer?
            // Read-write without create (the store created the file and ran the
            // migrations): a read-only connection to a WAL file fails where the -shm file
            // is not there yet; `query_only` keeps this one from writing.
            let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
            let opened = sqlite3_open_v2(path, &db, flags, nil)
            guard opened == SQLITE_OK, let db else {
                let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(opened)"
                if let db { sqlite3_close(db) }
                throw HistoryError(.unavailable, HistoryMessages.unavailable("open `\(path)`", message))
            }
            sqlite3_busy_timeout(db, busyMilliseconds)
            for pragma in ["PRAGMA query_only = 1", "PRAGMA mmap_size = 1073741824", "PRAGMA cache_size = -16384"] {
                sqlite3_exec(db, pragma, nil, nil, nil)
            }
            var statement: OpaquePointer?
            let prepared = sqlite3_prepare_v3(
                db, SQLiteHistoryStore.packedSQL, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard prepared == SQLITE_OK, let statement else {
                let message = String(cString: sqlite3_errmsg(db))
                sqlite3_close(db)
                throw HistoryError(.unavailable, HistoryMessages.unavailable("history items", message))
            }
            self.db = db
            self.statement = statement
        }

        deinit {
            sqlite3_finalize(statement)
            sqlite3_close(db)
        }

        /// The items of `buyerID` in `(from, through]`.
        func items(buyerID: String, from: Int64, through: Int64) throws(HistoryError) -> [HistoryItem] {
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            // SQLITE_STATIC (a nil destructor): SQLite reads the key where it is, so the
            // statement is stepped and its row read while the C string is alive. A C string
            // is never a null address, so an empty key is an empty text, not NULL.
            // `withCString` rethrows untyped: the result carries the typed error out.
            let result = buyerID.withCString { key -> Result<[HistoryItem], HistoryError> in
                let bound = sqlite3_bind_text(statement, 1, key, Int32(buyerID.utf8.count), nil)
                guard bound == SQLITE_OK else { return .failure(failure(bound)) }
                let stepped = sqlite3_step(statement)
                if stepped == SQLITE_DONE { return .success([]) }
                guard stepped == SQLITE_ROW else { return .failure(failure(stepped)) }
                let count = Int(sqlite3_column_bytes(statement, 0))
                let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: count)
                return Result { () throws(HistoryError) in
                    try decoded(bytes, buyerID: buyerID, from: from, through: through)
                }
            }
            return try result.get()
        }

        /// The row's items in the window; a row that does not decode is reported, never guessed.
        private func decoded(_ bytes: UnsafeRawBufferPointer, buyerID: String, from: Int64, through: Int64)
            throws(HistoryError) -> [HistoryItem]
        {
            var items: [HistoryItem] = []
            items.reserveCapacity(64)
            do {
                try BuyerHistoryRow.items(bytes, from: from, through: through, into: &items)
            } catch {
                throw HistoryError(.unavailable, HistoryMessages.malformedBuyerRow(buyerID))
            }
            return items
        }

        private func failure(_ code: Int32) -> HistoryError {
            let message = String(cString: sqlite3_errmsg(db))
            if code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED {
                return HistoryError(.timeout, HistoryMessages.unavailable("history items", "the database is locked"))
            }
            return HistoryError(.unavailable, HistoryMessages.unavailable("history items", message))
        }
    }

    /// Runs `body` with an idle connection (a new one when none is idle), then keeps it
    /// for the next lookup (up to `keep` idle ones).
    func withReader<T>(_ body: (Reader) throws(HistoryError) -> T) throws(HistoryError) -> T {
        let taken: Reader?? = idle.withLock { idle in
            guard idle != nil else { return .none }
            return .some(idle!.popLast())
        }
        guard case .some(let found) = taken else { throw HistoryError(.closed, HistoryMessages.closed) }
        let reader: Reader
        if let found { reader = found } else { reader = try Reader(path: path, busyMilliseconds: busyMilliseconds) }
        defer {
            idle.withLock { idle in
                if idle != nil, idle!.count < keep { idle!.append(reader) }
            }
        }
        return try body(reader)
    }

    /// Closes the idle connections; a connection in use is closed when its lookup ends.
    func close() {
        let readers = idle.withLock { idle in
            defer { idle = nil }
            return idle ?? []
        }
        _ = readers  // released here: each closes in its deinit
    }
}
