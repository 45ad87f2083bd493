import CELRuntime
import Foundation
import GRDB
import RescindEngine

/// One buyer's recorded (not retracted) events as one SQLite row, what a decision's
/// lookup reads: `rescind_buyer_history(buyer_id, packed)`, kept by `SQLiteHistoryStore`
/// in the same transaction as every change to `rescind_cancellation_events` (the source
/// of truth, which the row can always be rebuilt from).
///
/// Why: a window of 50 events among 1,000,000 read as 50 rows of the event table cost
/// about 43 µs (41.6 µs through SQLite's C API alone: stepping rows is the cost); one
/// primary-key lookup of a packed row and a decode of the entries in the window is what
/// a lookup then costs (docs/history.md has the figures).
///
/// Only what a request's history list holds is packed (`HistoryItem`: order id, instant,
/// initiator, reason): the row serves `historyItems`, while `events`, which returns whole
/// events, reads the event table.
///
/// Encoding (all integers LEB128 varints, little end first):
///
///     format (1)
///     dictionary count, then each string: byte count, UTF-8 bytes
///     entry count, then each entry:
///         `at_us` minus the previous entry's (the first: minus 0), zigzag-encoded
///         order id: byte count, UTF-8 bytes
///         initiator: dictionary index
///         reason: dictionary index
///
/// Entries are in `(at_us, order_id)` order, the order windows answer in. Initiators and
/// reasons repeat from event to event, so they are kept once per row: 50 events take
/// about 800 bytes, which fits in one page (a larger row spills into overflow pages and
/// costs a little more to read). A window read skips the entries before `from` without
/// building anything (a varint and a length each), so its cost is in the events it
/// returns; retention bounds the rest.
struct PackedEntry: Sendable, Hashable, Comparable {
    var at: Int64
    var orderID: String
    var initiator: String
    var reason: String

    /// The order windows answer in.
    static func < (lhs: PackedEntry, rhs: PackedEntry) -> Bool { (lhs.at, lhs.orderID) < (rhs.at, rhs.orderID) }
}

enum BuyerHistoryRow {
    static let format: UInt8 = 1

    static let createSQL = """
        CREATE TABLE rescind_buyer_history (
            buyer_id TEXT NOT NULL PRIMARY KEY,
            packed BLOB NOT NULL
        ) WITHOUT ROWID;
        """

    /// The bytes of `entries` (already in `(at_us, order_id)` order).
    static func encode(_ entries: [PackedEntry]) -> [UInt8] {
        var dictionary: [String: Int] = [:]
        var strings: [String] = []
        func code(_ text: String) -> Int {
            if let code = dictionary[text] { return code }
            dictionary[text] = strings.count
            strings.append(text)
            return strings.count - 1
        }
        let codes = entries.map { (code($0.initiator), code($0.reason)) }
        var bytes: [UInt8] = [format]
        bytes.reserveCapacity(16 + entries.count * 20)
        appendVarint(UInt64(strings.count), to: &bytes)
        for string in strings { appendString(string, to: &bytes) }
        appendVarint(UInt64(entries.count), to: &bytes)
        var previous: Int64 = 0
        for (entry, (initiator, reason)) in zip(entries, codes) {
            let delta = entry.at &- previous
            appendVarint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)), to: &bytes)
            previous = entry.at
            appendString(entry.orderID, to: &bytes)
            appendVarint(UInt64(initiator), to: &bytes)
            appendVarint(UInt64(reason), to: &bytes)
        }
        return bytes
    }

    /// Every entry of a row.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> [PackedEntry] {
        var entries: [PackedEntry] = []
        try walk(bytes, from: .min, through: .max) { (at, orderID, initiator, reason) in
            entries.append(PackedEntry(at: at, orderID: orderID, initiator: initiator, reason: reason))
        }
        return entries
    }

    /// Appends the entries with `from < at ≤ through` to `items`, as a request's list holds them.
    static func items(
        _ bytes: UnsafeRawBufferPointer, from: Int64, through: Int64, into items: inout [HistoryItem]
    ) throws(Malformed) {
        try walk(bytes, from: from, through: through) { (at, orderID, initiator, reason) in
            let (seconds, micros) = HistoryInstant.floorDivide(at, 1_000_000)
            // In range: every stored instant came from a `CELTimestamp`.
            let timestamp = CELTimestamp(seconds: seconds, nanos: micros * 1_000)!
            items.append(HistoryItem(orderID: orderID, at: timestamp, initiator: initiator, reason: reason))
        }
    }

    /// The row was not written by this encoder (or was damaged): the lookup fails as
    /// `.unavailable` rather than counting a wrong history.
    struct Malformed: Error {}

    /// Calls `each` for the entries in `(from, through]`, in order. Strings are built only
    /// for those; the dictionary's once per row.
    @inline(__always)
    private static func walk(
        _ bytes: UnsafeRawBufferPointer, from: Int64, through: Int64,
        _ each: (Int64, String, String, String) -> Void
    ) throws(Malformed) {
        var reader = Reader(bytes: bytes)
        guard try reader.byte() == format else { throw Malformed() }
        let dictionaryCount = try reader.count()
        var dictionary: [String] = []
        dictionary.reserveCapacity(dictionaryCount)
        for _ in 0..<dictionaryCount { dictionary.append(try reader.string()) }
        let count = try reader.count()
        var at: Int64 = 0
        for _ in 0..<count {
            let zigzag = try reader.varint()
            at &+= Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
            if at > through { return }  // in order: nothing later is in the window
            guard at > from else {
                try reader.skipString()
                _ = try reader.varint()
                _ = try reader.varint()
                continue
            }
            let orderID = try reader.string()
            let initiator = Int(try reader.varint()), reason = Int(try reader.varint())
            guard initiator < dictionary.count, reason < dictionary.count else { throw Malformed() }
            each(at, orderID, dictionary[initiator], dictionary[reason])
        }
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func appendString(_ string: String, to bytes: inout [UInt8]) {
        appendVarint(UInt64(string.utf8.count), to: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func byte() throws(Malformed) -> UInt8 {
            guard offset < bytes.count else { throw Malformed() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = try byte()
                guard shift < 64 else { throw Malformed() }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        /// A count that cannot exceed what the remaining bytes could hold.
        mutating func count() throws(Malformed) -> Int {
            let value = try varint()
            guard value <= UInt64(bytes.count - offset) else { throw Malformed() }
            return Int(value)
        }

        mutating func string() throws(Malformed) -> String {
            let length = try count()
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        }

        mutating func skipString() throws(Malformed) {
            offset += try count()
        }
    }

    // MARK: Keeping rows

    /// The row of `buyerID` in the current transaction; empty when it has none.
    static func read(buyerID: String, _ db: Database) throws -> [PackedEntry] {
        let statement = try db.cachedStatement(sql: "SELECT packed FROM rescind_buyer_history WHERE buyer_id = ?")
        guard let data = try Data.fetchOne(statement, arguments: [buyerID]) else { return [] }
        do {
            return try data.withUnsafeBytes { bytes throws(Malformed) in try decode(bytes) }
        } catch {
            throw HistoryError(.unavailable, HistoryMessages.malformedBuyerRow(buyerID))
        }
    }

    /// Replaces the row of `buyerID` with `entries` (deleted when there are none).
    static func write(buyerID: String, _ entries: [PackedEntry], _ db: Database) throws {
        if entries.isEmpty {
            let delete = try db.cachedStatement(sql: "DELETE FROM rescind_buyer_history WHERE buyer_id = ?")
            try delete.execute(arguments: [buyerID])
            return
        }
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO rescind_buyer_history (buyer_id, packed) VALUES (?, ?)
                ON CONFLICT (buyer_id) DO UPDATE SET packed = excluded.packed
                """)
        try upsert.execute(arguments: [buyerID, Data(encode(entries))])
    }

    /// Adds newly recorded events to their buyers' rows (one read and one write per buyer).
    static func add(_ events: [CancellationEvent], _ db: Database) throws {
        var byBuyer: [String: [PackedEntry]] = [:]
        for event in events where event.status == .recorded {
            byBuyer[event.buyerID, default: []].append(
                PackedEntry(at: event.at.microseconds, orderID: event.orderID, initiator: event.initiator, reason: event.reason))
        }
        for (buyerID, added) in byBuyer {
            let existing = try read(buyerID: buyerID, db)
            try write(buyerID: buyerID, merge(existing, added.sorted(by: <)), db)
        }
    }

    /// Removes the entry of `orderID` (a retraction) from its buyer's row.
    static func remove(orderID: String, buyerID: String, _ db: Database) throws {
        let existing = try read(buyerID: buyerID, db)
        let kept = existing.filter { $0.orderID != orderID }
        if kept.count != existing.count { try write(buyerID: buyerID, kept, db) }
    }

    /// Drops the entries with `at < before` from the rows of `buyerIDs`.
    static func trim(buyerIDs: some Sequence<String>, before: Int64, _ db: Database) throws {
        for buyerID in buyerIDs {
            let existing = try read(buyerID: buyerID, db)
            let kept = existing.filter { $0.at >= before }
            if kept.count != existing.count { try write(buyerID: buyerID, kept, db) }
        }
    }

    /// Builds every row from the event table (a migration from a store without them).
    static func rebuild(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM rescind_buyer_history")
        // The table's key order is (buyer_id, at_us, order_id): each buyer's rows arrive
        // together and in the row's order, with no sort.
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT buyer_id, at_us, order_id, initiator, reason FROM rescind_cancellation_events
                WHERE status = 'recorded' ORDER BY buyer_id, at_us, order_id
                """)
        var buyer: String?
        var entries: [PackedEntry] = []
        while let row = try rows.next() {
            let id: String = row[0]
            if id != buyer {
                if let buyer { try write(buyerID: buyer, entries, db) }
                buyer = id
                entries = []
            }
            entries.append(PackedEntry(at: row[1], orderID: row[2], initiator: row[3], reason: row[4]))
        }
        if let buyer { try write(buyerID: buyer, entries, db) }
    }

    /// Two sorted lists as one sorted list.
    static func merge(_ a: [PackedEntry], _ b: [PackedEntry]) -> [PackedEntry] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var merged: [PackedEntry] = []
        merged.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if b[j] < a[i] {
                merged.append(b[j])
                j += 1
            } else {
                merged.append(a[i])
                i += 1
            }
        }
        merged += a[i...]
        merged += b[j...]
        return merged
    }
}
