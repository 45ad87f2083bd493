import CELRuntime
import Foundation
import GRDBSQLite
import Rescind
import RescindEngine
import RescindHistory

// Benchmarks of the history store (docs/history.md has the figures and the commands):
//
//   RescindHistoryBench sqlite [EVENTS] [LOOKUPS]     import EVENTS (default 1,000,000)
//                                                     into a new SQLite file, then time
//                                                     LOOKUPS one-buyer windows of 50:
//                                                     the decision's lookup (the packed
//                                                     row, `historyItems`), the same plus
//                                                     supplying the list into a request
//                                                     of the reference pack (Policies/,
//                                                     read from the working directory,
//                                                     which declares its `history:`),
//                                                     `HistoryLookup.settle` whole, and
//                                                     whole events from the event table
//                                                     (store and SQLite's C API floor)
//   RescindHistoryBench postgres URL [EVENTS] [LOOKUPS]   the same on PostgreSQL, plus
//                                                     batches of 100 buyers in one query
//
// The data: 50 events per buyer (EVENTS / 50 buyers), spread over the 29 days before
// the clock and interleaved across buyers as they would arrive; each lookup is the
// 30-day window of a buyer drawn at random, which holds its 50 events.

let arguments = CommandLine.arguments.dropFirst()
guard let mode = arguments.first else {
    print("usage: RescindHistoryBench sqlite [EVENTS] [LOOKUPS] | postgres URL [EVENTS] [LOOKUPS]")
    exit(2)
}

let clock = HistoryInstant(microseconds: 1_772_359_200_000_000)  // 2026-03-01T10:00:00Z
let day: Int64 = 86_400_000_000
let perBuyer = 50

func makeEvents(_ count: Int) -> [CancellationEvent] {
    let buyers = max(count / perBuyer, 1)
    let step = 29 * day / Int64(count)
    return (0..<count).map { i in
        CancellationEvent(
            orderID: "o-\(i)", buyerID: "b-\(i % buyers)", sellerID: "s-\(i % 997)",
            at: clock.adding(microseconds: -Int64(count - i) * step), initiator: i % 3 == 0 ? "seller" : "buyer",
            reason: "changed_mind", requestID: "req-\(i)")
    }
}

/// Median, p99 and mean of `samples` (nanoseconds), as text in microseconds.
func summary(_ samples: [Int64]) -> String {
    let sorted = samples.sorted()
    func us(_ ns: Int64) -> String { String(format: "%.2f", Double(ns) / 1000) }
    let mean = sorted.reduce(0, +) / Int64(sorted.count)
    return "median \(us(sorted[sorted.count / 2])) µs, p99 \(us(sorted[sorted.count * 99 / 100])) µs, mean \(us(mean)) µs (n=\(sorted.count))"
}

func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
}

/// This thread's CPU time (a system call, about half a microsecond, included).
func threadCPUNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

func time<T>(_ body: () async throws -> T) async rethrows -> (T, Int64) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, nanoseconds(ContinuousClock.now - start))
}

func timeImport(_ store: some HistoryStore, _ events: [CancellationEvent], batchSize: Int) async throws {
    let (summary, ns) = try await time { try await store.import(events: events, batchSize: batchSize) }
    let seconds = Double(ns) / 1e9
    print(
        "import: \(summary.recorded) events in \(String(format: "%.2f", seconds)) s = \(Int(Double(summary.recorded) / seconds)) events/s"
    )
    precondition(summary.recorded == events.count)
}

func lookups(_ store: some HistoryStore, buyers: Int, count: Int, label: String) async throws {
    var generator = SystemRandomNumberGenerator()
    var samples: [Int64] = []
    samples.reserveCapacity(count)
    let from = clock.adding(microseconds: -30 * day)
    for n in 0..<(count + count / 10) {
        let buyer = "b-\(Int.random(in: 0..<buyers, using: &generator))"
        let (events, ns) = try await time { try await store.events(buyerID: buyer, from: from, through: clock) }
        precondition(events.count == perBuyer, "\(buyer): \(events.count)")
        if n >= count / 10 { samples.append(ns) }  // the first tenth warms up
    }
    print("\(label): \(summary(samples))")
}

/// The floor under the store's read: the same window through SQLite's C API on one
/// connection of its own, one prepared statement reused, no pool, no transaction, events
/// built as the store builds them (all columns) and with the text columns only counted.
func rawFloor(path: String, buyers: Int, count: Int) throws {
    var db: OpaquePointer?
    guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let db else { fatalError("open") }
    defer { sqlite3_close(db) }
    sqlite3_exec(db, "PRAGMA mmap_size = 1073741824", nil, nil, nil)
    var statement: OpaquePointer?
    let sql = """
        SELECT order_id, seller_id, at_us, at_text, initiator, reason, request_id FROM rescind_cancellation_events
        WHERE buyer_id = ? AND at_us > ? AND at_us <= ? AND status = 'recorded' ORDER BY at_us, order_id
        """
    guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
        fatalError("prepare")
    }
    defer { sqlite3_finalize(statement) }
    func text(_ column: Int32) -> String {
        let bytes = sqlite3_column_text(statement, column)!
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }
    let from = clock.adding(microseconds: -30 * day)
    for buildEvents in [true, false] {
        var generator = SystemRandomNumberGenerator()
        var cpu: [Int64] = []
        for n in 0..<(count + count / 10) {
            let buyer = "b-\(Int.random(in: 0..<buyers, using: &generator))"
            let start = threadCPUNanoseconds()
            var events: [CancellationEvent] = []
            var rows = 0
            buyer.withCString { sqlite3_bind_text(statement, 1, $0, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)) }
            sqlite3_bind_int64(statement, 2, from.microseconds)
            sqlite3_bind_int64(statement, 3, clock.microseconds)
            while sqlite3_step(statement) == SQLITE_ROW {
                rows += 1
                if buildEvents {
                    events.append(
                        CancellationEvent(
                            orderID: text(0), buyerID: buyer, sellerID: text(1),
                            at: HistoryInstant(microseconds: sqlite3_column_int64(statement, 2)), atText: text(3),
                            initiator: text(4), reason: text(5), requestID: text(6)))
                } else {
                    rows &+= Int(sqlite3_column_bytes(statement, 0) &+ sqlite3_column_bytes(statement, 6)) & 0
                }
            }
            sqlite3_reset(statement)
            let ns = threadCPUNanoseconds() - start
            precondition(rows == perBuyer && events.count == (buildEvents ? perBuyer : 0))
            if n >= count / 10 { cpu.append(ns) }
        }
        print("floor, SQLite's C API, \(buildEvents ? "events built" : "rows stepped only"), thread CPU: \(summary(cpu))")
    }
}

/// The reference pack (Policies/ under the working directory, which declares its
/// `history:`), and a request of it for a buyer drawn at random (`actor.id`), at the clock.
struct DecisionFixture {
    let set: PolicySet
    let template: String

    init() throws {
        let source = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Policies")
        let loaded = LoadedPolicies.load(paths: [source.path])
        guard let set = loaded.policySet, set.history != nil else {
            fatalError("Policies/ (run from the package's folder) did not load with its history: section: \(loaded.diagnostics)")
        }
        self.set = set
        template = """
            {"id": "req-bench", "at": "2026-03-01T10:00:00Z", "locale": "en",
             "actor": {"id": "BUYER", "role": "buyer", "verified": false}, "reason": "changed_mind",
             "order": {"id": "o-new", "status": "paid", "placed_at": "2026-03-01T08:00:00Z", "total": "58.00",
                       "currency": "CNY", "payment_method": "card", "seller_id": "s-1"}}
            """
    }

    func request(buyer: String) -> ObjectValue {
        let text = template.replacingOccurrences(of: "BUYER", with: buyer)
        switch RequestDecoder(schema: set.schema).decode(text) {
        case .success(let decoded): return decoded.root
        case .failure(let error): fatalError("the bench request does not decode: \(error)")
        }
    }
}

@inline(never) func keep<T>(_ value: T) { withExtendedLifetime(value) {} }

/// What a store lookup adds to a decision, on the calling thread, thread CPU time (and
/// wall-clock for the first): (a) the packed row's window, `historyItems`; (b) that plus
/// `PolicySet.supplying`, the list put into the request; (c) `HistoryLookup.settle`
/// whole (the buyer and window from the request, the async call, the order's own event
/// left out, the list supplied). The request is decoded before each timing starts.
func decisionLookups(_ store: SQLiteHistoryStore, buyers: Int, count: Int) async throws {
    let fixture = try DecisionFixture()
    let lookup = HistoryLookup(store: store)
    let from = clock.adding(microseconds: -30 * day)
    var generator = SystemRandomNumberGenerator()
    var wallA: [Int64] = [], cpuA: [Int64] = [], cpuB: [Int64] = [], cpuC: [Int64] = [], cpuPool: [Int64] = []
    for n in 0..<(count + count / 10) {
        let buyer = "b-\(Int.random(in: 0..<buyers, using: &generator))"
        let request = fixture.request(buyer: buyer)
        // (a)
        var cpuStart = threadCPUNanoseconds()
        let start = ContinuousClock.now
        let items = try store.historyItemsBlocking(buyerID: buyer, from: from, through: clock)
        let wall = nanoseconds(ContinuousClock.now - start)
        let a = threadCPUNanoseconds() - cpuStart
        precondition(items.count == perBuyer, "\(buyer): \(items.count)")
        keep(items)
        // (b), another buyer so that (a)'s pages are not reused
        let other = "b-\(Int.random(in: 0..<buyers, using: &generator))"
        cpuStart = threadCPUNanoseconds()
        let supplied = fixture.set.supplying(
            try store.historyItemsBlocking(buyerID: other, from: from, through: clock), to: request)
        let b = threadCPUNanoseconds() - cpuStart
        keep(supplied)
        // (c), a third buyer
        let third = fixture.request(buyer: "b-\(Int.random(in: 0..<buyers, using: &generator))")
        cpuStart = threadCPUNanoseconds()
        let settled = await lookup.settle(third, for: fixture.set)
        let c = threadCPUNanoseconds() - cpuStart
        guard case .decide(let ready) = settled, ready.supplied.count == perBuyer else { fatalError("settle: \(settled)") }
        keep(ready)
        // The same read as (a) through GRDB's pool instead of the store's own connections.
        let fourth = "b-\(Int.random(in: 0..<buyers, using: &generator))"
        cpuStart = threadCPUNanoseconds()
        let throughPool = try store.historyItemsThroughPool(buyerID: fourth, from: from, through: clock)
        let p = threadCPUNanoseconds() - cpuStart
        precondition(throughPool.count == perBuyer)
        keep(throughPool)
        if n >= count / 10 {
            wallA.append(wall)
            cpuA.append(a)
            cpuB.append(b)
            cpuC.append(c)
            cpuPool.append(p)
        }
    }
    print("(a) decision lookup of 50 among 1 buyer's packed row (historyItems, blocking read), wall: \(summary(wallA))")
    print("(a) decision lookup of 50 (historyItems, blocking read), thread CPU: \(summary(cpuA))")
    print("(b) (a) + PolicySet.supplying into the request, thread CPU: \(summary(cpuB))")
    print("(c) HistoryLookup.settle whole (async call), thread CPU: \(summary(cpuC))")
    print("(a) through GRDB's pool instead (historyItemsThroughPool), thread CPU: \(summary(cpuPool))")
    var none: [Int64] = []
    for n in 0..<(count + count / 10) {
        let cpuStart = threadCPUNanoseconds()
        let items = try store.historyItemsBlocking(buyerID: "b-none", from: from, through: clock)
        let ns = threadCPUNanoseconds() - cpuStart
        precondition(items.isEmpty)
        if n >= count / 10 { none.append(ns) }
    }
    print("(a) for a buyer with no row (the fixed cost), thread CPU: \(summary(none))")
    // One full decision with and without the supplied list, for scale.
    let request = fixture.request(buyer: "b-0")
    var plain: [Int64] = [], settledDecision: [Int64] = []
    for n in 0..<(count / 10 + count / 100) {
        var cpuStart = threadCPUNanoseconds()
        keep(fixture.set.decide(request))
        let p = threadCPUNanoseconds() - cpuStart
        let settled = await lookup.settle(request, for: fixture.set)
        guard case .decide(let ready) = settled else { fatalError() }
        cpuStart = threadCPUNanoseconds()
        keep(ready.decide(with: fixture.set))
        let d = threadCPUNanoseconds() - cpuStart
        if n >= count / 100 {
            plain.append(p)
            settledDecision.append(d)
        }
    }
    print("for scale: a decision of the request without a store (its list absent), thread CPU: \(summary(plain))")
    print("for scale: the decision with the 50 supplied events, thread CPU: \(summary(settledDecision))")
}

switch mode {
case "sqlite":
    let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
    let lookupCount = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 20_000
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-history-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("history.db").path
    let events = makeEvents(count)
    let store = try SQLiteHistoryStore(path: path)
    try await timeImport(store, events, batchSize: 250_000)
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("file: \(size / 1_000_000) MB")
    let buyers = count / perBuyer
    // The store's own call (async, with its deadline) and the read alone.
    try await lookups(store, buyers: buyers, count: lookupCount, label: "lookup of 50 among \(count) (HistoryStore.events, an async call)")
    try await decisionLookups(store, buyers: buyers, count: lookupCount)
    // Whole events from the event table (`events`, what the decision's lookup read
    // before the packed rows), on the calling thread: wall-clock time, and the thread's
    // CPU time (what the lookup costs one core, whatever else the machine runs meanwhile).
    let from = clock.adding(microseconds: -30 * day)
    for (label, fixed) in [("lookup of 50 among \(count)", false), ("lookup of a buyer with no events", true)] {
        var generator = SystemRandomNumberGenerator()
        var wall: [Int64] = [], cpu: [Int64] = []
        for n in 0..<(lookupCount + lookupCount / 10) {
            let buyer = fixed ? "b-none" : "b-\(Int.random(in: 0..<buyers, using: &generator))"
            let cpuStart = threadCPUNanoseconds()
            let start = ContinuousClock.now
            let found = try store.eventsBlocking(buyerID: buyer, from: from, through: clock)
            let ns = nanoseconds(ContinuousClock.now - start)
            let cpuNs = threadCPUNanoseconds() - cpuStart
            precondition(found.count == (fixed ? 0 : perBuyer))
            if n >= lookupCount / 10 {
                wall.append(ns)
                cpu.append(cpuNs)
            }
        }
        print("\(label) (blocking read), wall: \(summary(wall))")
        print("\(label) (blocking read), thread CPU: \(summary(cpu))")
    }
    await store.close()
    try rawFloor(path: path, buyers: buyers, count: lookupCount)

case "postgres":
    guard let url = arguments.dropFirst().first, case .postgres(var location) = try HistoryLocation(parsing: url) else {
        print("usage: RescindHistoryBench postgres postgres://USER@HOST:PORT/DATABASE [EVENTS] [LOOKUPS]")
        exit(2)
    }
    let count = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 1_000_000
    let lookupCount = arguments.dropFirst(3).first.flatMap { Int($0) } ?? 10_000
    location.schema = "bench_\(getpid())"
    let store = try await PostgresHistoryStore.open(location: location, queryTimeout: .seconds(30))
    let events = makeEvents(count)
    try await timeImport(store, events, batchSize: 5_000)
    let buyers = count / perBuyer
    // Right after the import (pages not yet all-visible: the index points into the
    // heap), then after `VACUUM (ANALYZE)` (what autovacuum leaves: index-only scans).
    for stage in ["fresh", "vacuumed"] {
        if stage == "vacuumed" {
            let (_, ns) = try await time { try await store.vacuum() }
            print("vacuum: \(String(format: "%.1f", Double(ns) / 1e9)) s")
        }
        try await lookups(store, buyers: buyers, count: lookupCount, label: "\(stage): lookup of 50 among \(count)")
        var samples: [Int64] = []
        let from = clock.adding(microseconds: -30 * day)
        for n in 0..<(lookupCount / 20 + lookupCount / 200) {
            let batch = (0..<100).map { _ in "b-\(Int.random(in: 0..<buyers))" }
            let (found, ns) = try await time { try await store.events(buyerIDs: batch, from: from, through: clock) }
            precondition(found.values.allSatisfy { $0.count == perBuyer })
            if n >= lookupCount / 200 { samples.append(ns) }
        }
        print("\(stage): batch of 100 buyers (5,000 events) in one query: \(summary(samples))")
    }
    _ = try await store.purge(before: clock.adding(microseconds: 1))
    await store.close()

default:
    print("unknown mode `\(mode)`")
    exit(2)
}
