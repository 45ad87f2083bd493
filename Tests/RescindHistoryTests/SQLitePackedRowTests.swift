import CELRuntime
import Foundation
import GRDB
import RescindEngine
import Testing

@testable import RescindHistory

/// The packed per-buyer rows (`rescind_buyer_history`) a decision's lookup reads: they
/// must say what the event table says, after any sequence of records, imports,
/// retractions and purges, on real SQLite files.
@Suite("SQLite packed buyer rows")
struct SQLitePackedRowTests {
    /// A deterministic generator (SplitMix64), so a failing sequence can be replayed from its seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What the store should hold: every order ever recorded (first recording kept), with
    /// its status; the rules of `HistoryStore` written plainly.
    struct Model {
        var stored: [String: CancellationEvent] = [:]

        /// `record`'s and `import`'s rule: the first event of an order id is kept.
        mutating func record(_ events: [CancellationEvent]) -> (recorded: Int, duplicates: Int, conflicts: Int) {
            var counts = (recorded: 0, duplicates: 0, conflicts: 0)
            for event in events {
                if let existing = stored[event.orderID] {
                    if existing.isSameCancellation(as: event) { counts.duplicates += 1 } else { counts.conflicts += 1 }
                } else {
                    stored[event.orderID] = event
                    counts.recorded += 1
                }
            }
            return counts
        }

        mutating func retract(_ orderID: String) -> RetractOutcome {
            guard let event = stored[orderID] else { return .notFound }
            if event.status == .retracted { return .alreadyRetracted }
            stored[orderID]?.status = .retracted
            return .retracted
        }

        mutating func purge(before: Int64) -> Int {
            let gone = stored.values.filter { $0.at.microseconds < before }.map(\.orderID)
            for id in gone { stored[id] = nil }
            return gone.count
        }

        /// The packed rows there should be: recorded events by buyer, in window order.
        var rows: [String: [PackedEntry]] {
            var rows: [String: [PackedEntry]] = [:]
            for event in stored.values where event.status == .recorded {
                rows[event.buyerID, default: []].append(
                    PackedEntry(at: event.at.microseconds, orderID: event.orderID, initiator: event.initiator, reason: event.reason))
            }
            return rows.mapValues { $0.sorted(by: <) }
        }

        func window(_ buyer: String, from: Int64, through: Int64) -> [CancellationEvent] {
            stored.values.filter {
                $0.buyerID == buyer && $0.status == .recorded && $0.at.microseconds > from && $0.at.microseconds <= through
            }.sorted { ($0.at, $0.orderID) < ($1.at, $1.orderID) }
        }
    }

    static let buyers = ["b-1", "b-2", "b-3", "b-é", ""]
    static let initiators = ["buyer", "seller", "support"]
    static let reasons = ["changed_mind", "stock_out", "other", "价格"]

    /// A random event over a small universe (order ids and instants collide often, so
    /// duplicates, conflicts, ties and window edges all occur).
    static func randomEvent(_ g: inout SeededGenerator) -> CancellationEvent {
        let base = StoreBehaviours.t0.microseconds
        return CancellationEvent(
            orderID: "o-\(Int.random(in: 0..<80, using: &g))", buyerID: buyers.randomElement(using: &g)!,
            sellerID: "s-\(Int.random(in: 0..<2, using: &g))",
            at: HistoryInstant(microseconds: base + Int64.random(in: -40...40, using: &g) * 1_000_003),
            initiator: initiators.randomElement(using: &g)!, reason: reasons.randomElement(using: &g)!,
            requestID: "req-\(Int.random(in: 0..<1000, using: &g))")
    }

    /// The rows, the event table's windows and the packed rows' windows all agree with the model.
    static func check(_ store: SQLiteHistoryStore, _ model: Model, _ g: inout SeededGenerator, _ step: String) async throws {
        let rows = try store.packedRows()
        #expect(rows == model.rows, "packed rows after \(step)")
        let base = StoreBehaviours.t0.microseconds
        for buyer in buyers + ["b-nobody"] {
            // A window whose edges fall on stored instants as often as not.
            let a = base + Int64.random(in: -42...42, using: &g) * 1_000_003
            let b = base + Int64.random(in: -42...42, using: &g) * 1_000_003
            for (from, through) in [(min(a, b), max(a, b)), (Int64.min / 2, Int64.max / 2)] {
                let expected = model.window(buyer, from: from, through: through)
                let fromInstant = HistoryInstant(microseconds: from), throughInstant = HistoryInstant(microseconds: through)
                let events = try await store.events(buyerID: buyer, from: fromInstant, through: throughInstant)
                #expect(events.map(\.orderID) == expected.map(\.orderID), "events of `\(buyer)` after \(step)")
                let items = try await store.historyItems(buyerID: buyer, from: fromInstant, through: throughInstant)
                #expect(items == expected.map(\.historyItem), "items of `\(buyer)` after \(step)")
            }
        }
    }

    /// Generated sequences of records, imports, retractions and purges: after each, the
    /// packed rows equal the model's (and the event table's windows do too).
    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func packedRowsFollowTheEventTable(seed: UInt64) async throws {
        try await SQLiteHistoryStoreTests.withStore { store, _ in
            var g = SeededGenerator(state: seed)
            var model = Model()
            for step in 0..<120 {
                let roll = Int.random(in: 0..<100, using: &g)
                let label: String
                if roll < 45 {
                    let batch = (0..<Int.random(in: 1...4, using: &g)).map { _ in Self.randomEvent(&g) }
                    let outcome = try await store.record(batch)
                    let expected = model.record(batch)
                    #expect(outcome.recorded.count == expected.recorded && outcome.duplicates.count == expected.duplicates
                        && outcome.conflicts.count == expected.conflicts, "record at step \(step)")
                    label = "record #\(step)"
                } else if roll < 60 {
                    let batch = (0..<Int.random(in: 1...12, using: &g)).map { _ in Self.randomEvent(&g) }
                    let summary = try await store.import(events: batch, batchSize: Int.random(in: 1...5, using: &g))
                    // Batches are judged one after another, as the model judges events in order.
                    let expected = model.record(batch)
                    #expect(summary.recorded == expected.recorded && summary.duplicates == expected.duplicates
                        && summary.conflicts.count == expected.conflicts, "import at step \(step)")
                    label = "import #\(step)"
                } else if roll < 90 {
                    let order = "o-\(Int.random(in: 0..<80, using: &g))"
                    #expect(try await store.retract(orderID: order) == model.retract(order), "retract at step \(step)")
                    label = "retract #\(step)"
                } else {
                    let cut = StoreBehaviours.t0.microseconds + Int64.random(in: -45...10, using: &g) * 1_000_003
                    #expect(try await store.purge(before: HistoryInstant(microseconds: cut)) == model.purge(before: cut))
                    label = "purge #\(step)"
                }
                try await Self.check(store, model, &g, label)
            }
        }
    }

    /// A file at schema version 1 (no packed rows) gets them built from its events when
    /// opened, retracted events left out; the migration runs once.
    @Test func aVersionOneFileIsMigrated() async throws {
        try await SQLiteHistoryStoreTests.withStore { store, path in
            await store.close()
            try FileManager.default.removeItem(atPath: path)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let queue = try DatabaseQueue(path: path)
            try SQLiteHistoryStore.migrator.migrate(queue, upTo: "1-cancellation-events")
            var g = SeededGenerator(state: 99)
            var model = Model()
            let events = (0..<300).map { _ in Self.randomEvent(&g) }
            _ = model.record(events)
            for (orderID, event) in model.stored where event.orderID.hasSuffix("7") || Int.random(in: 0..<10, using: &g) == 0 {
                model.stored[orderID]?.status = .retracted
            }
            let stored = Array(model.stored.values)
            try await queue.write { db in
                for event in stored {
                    try db.execute(
                        sql: "INSERT INTO rescind_cancellation_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [
                            event.orderID, event.buyerID, event.sellerID, event.at.microseconds, event.atText,
                            event.initiator, event.reason, event.requestID, event.status.rawValue,
                        ])
                }
                #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == ["1-cancellation-events"])
            }
            try queue.close()
            #expect(model.stored.values.contains { $0.status == .retracted })
            let migrated = try SQLiteHistoryStore(path: path)
            #expect(try await migrated.stats().schemaVersion == SQLiteHistoryStore.schemaVersion)
            try await Self.check(migrated, model, &g, "the migration")
            await migrated.close()
            let reopened = try SQLiteHistoryStore(path: path)
            try await Self.check(reopened, model, &g, "reopening")
            await reopened.close()
        }
    }

    /// A decision's lookup is one primary-key search of the packed rows (SQLite's plan).
    @Test func theLookupIsOnePrimaryKeySearch() async throws {
        try await SQLiteHistoryStoreTests.withStore { store, path in
            await store.close()
            let queue = try DatabaseQueue(path: path)
            try await queue.read { db in
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteHistoryStore.packedSQL, arguments: ["b"])
                    .map { $0["detail"] as String }
                #expect(plan == ["SEARCH rescind_buyer_history USING PRIMARY KEY (buyer_id=?)"], "\(plan)")
            }
            try queue.close()
        }
    }

    /// A damaged row fails the lookup as `.unavailable`, naming the buyer, rather than
    /// counting a wrong history; the event table still answers `events`.
    @Test func aMalformedRowIsUnavailable() async throws {
        try await SQLiteHistoryStoreTests.withStore { store, path in
            _ = try await store.record([StoreBehaviours.event("o-1")])
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "UPDATE rescind_buyer_history SET packed = x'0105' WHERE buyer_id = 'b-1'")
            }
            try queue.close()
            let from = StoreBehaviours.t0.adding(microseconds: -StoreBehaviours.window)
            await #expect {
                _ = try await store.historyItems(buyerID: "b-1", from: from, through: StoreBehaviours.t0)
            } throws: { error in
                (error as? HistoryError)?.kind == .unavailable
                    && (error as? HistoryError)?.message.contains("buyer `b-1`") == true
            }
            #expect(try await store.events(buyerID: "b-1", from: from, through: StoreBehaviours.t0).count == 1)
        }
    }

    /// The encoding round-trips any entries (negative and far-apart instants, empty and
    /// non-ASCII strings), and a window decodes exactly the entries in `(from, through]`.
    @Test func encodingRoundTripsAndWindows() throws {
        let entries = [
            PackedEntry(at: -62_135_596_800_000_000, orderID: "", initiator: "", reason: ""),
            PackedEntry(at: -1, orderID: "o-neg", initiator: "buyer", reason: "changed_mind"),
            PackedEntry(at: 0, orderID: "o-0", initiator: "buyer", reason: "changed_mind"),
            PackedEntry(at: 0, orderID: "o-1", initiator: "seller", reason: "价格"),
            PackedEntry(at: 1_772_359_200_000_000, orderID: String(repeating: "x", count: 300), initiator: "support", reason: "other"),
            PackedEntry(at: 253_402_300_799_999_999, orderID: "o-max", initiator: "buyer", reason: "other"),
        ]
        let bytes = BuyerHistoryRow.encode(entries)
        let decoded = try bytes.withUnsafeBytes { try BuyerHistoryRow.decode($0) }
        #expect(decoded == entries)
        func window(_ from: Int64, _ through: Int64) throws -> [String] {
            var items: [HistoryItem] = []
            try bytes.withUnsafeBytes { try BuyerHistoryRow.items($0, from: from, through: through, into: &items) }
            return items.map(\.orderID)
        }
        #expect(try window(-1, 0) == ["o-0", "o-1"])
        #expect(try window(-2, -1) == ["o-neg"])
        #expect(try window(0, 1_772_359_200_000_000) == [String(repeating: "x", count: 300)])
        #expect(try window(.min, .max).count == entries.count)
        var items: [HistoryItem] = []
        try bytes.withUnsafeBytes { try BuyerHistoryRow.items($0, from: -2, through: -1, into: &items) }
        #expect(items.first?.at == CELTimestamp(seconds: -1, nanos: 999_999_000))
        // Truncated rows are refused, never read past their end.
        for cut in 0..<bytes.count {
            #expect(throws: BuyerHistoryRow.Malformed.self) {
                _ = try Array(bytes[..<cut]).withUnsafeBytes { try BuyerHistoryRow.decode($0) }
            }
        }
    }
}
