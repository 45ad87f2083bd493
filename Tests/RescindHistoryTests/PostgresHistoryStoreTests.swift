import Foundation
import Logging
import PostgresNIO
import Testing

@testable import RescindHistory

#if canImport(Glibc)
    import Glibc
#endif

/// The server the PostgreSQL tests use: `RESCIND_TEST_POSTGRES_URL`, which `.ci/run` sets
/// after starting a throwaway server (Scripts/postgres-test-server.sh). Without it these
/// tests are reported as skipped, not passed: nothing here mocks PostgreSQL.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["RESCIND_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The server's location with a schema of the test's own (so tests running at once
    /// do not see each other's events, stats or purges).
    static func location(schema: String = "t_\(UUID().uuidString.prefix(8).lowercased())") throws -> PostgresLocation {
        guard case .postgres(var location) = try HistoryLocation(parsing: url!) else {
            Issue.record("RESCIND_TEST_POSTGRES_URL is not a postgres:// URL")
            throw HistoryError(.invalidLocation, "not postgres")
        }
        location.schema = schema
        // The suite's tests run at once: a few connections each stay well inside the
        // test server's `max_connections`.
        location.poolMax = 4
        return location
    }

    /// A store on a new schema, dropped after `body`.
    static func withStore(queryTimeout: Duration = .seconds(5), _ body: (PostgresHistoryStore) async throws -> Void)
        async throws
    {
        let location = try location()
        let store = try await PostgresHistoryStore.open(location: location, queryTimeout: queryTimeout)
        do {
            try await body(store)
        } catch {
            await drop(location)
            await store.close()
            throw error
        }
        await store.close()
        await drop(location)
    }

    static func drop(_ location: PostgresLocation) async {
        var plain = location
        plain.schema = nil
        guard let admin = try? await PostgresHistoryStore.open(location: plain) else { return }
        _ = try? await admin.client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(location.schema!)\" CASCADE"))
        await admin.close()
    }
}

@Suite(
    "PostgreSQL history store",
    // Skipped (reported so) without a server: `.ci/run` starts one and sets the URL; by
    // hand, `eval "$(Scripts/postgres-test-server.sh start /tmp/pg)"` first.
    .enabled(if: TestPostgres.url != nil, "RESCIND_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
)
struct PostgresHistoryStoreTests {
    @Test func recordsAndReads() async throws { try await TestPostgres.withStore { try await StoreBehaviours.recordsAndReads($0) } }
    @Test func recordingTwiceIsADuplicate() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.recordingTwiceIsADuplicate($0) }
    }
    @Test func differentEventForAnOrderIsAConflict() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.differentEventForAnOrderIsAConflict($0) }
    }
    @Test func repeatsWithinABatch() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.repeatsWithinABatch($0) }
    }
    @Test func retraction() async throws { try await TestPostgres.withStore { try await StoreBehaviours.retraction($0) } }
    @Test func recordingARetractedEvent() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.recordingARetractedEvent($0) }
    }
    @Test func windowEdges() async throws { try await TestPostgres.withStore { try await StoreBehaviours.windowEdges($0) } }
    @Test func manyBuyers() async throws { try await TestPostgres.withStore { try await StoreBehaviours.manyBuyers($0) } }
    @Test func purgeAndStats() async throws { try await TestPostgres.withStore { try await StoreBehaviours.purgeAndStats($0) } }
    @Test func concurrentRecordsForOneBuyer() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.concurrentRecordsForOneBuyer($0) }
    }
    @Test func importCounts() async throws { try await TestPostgres.withStore { try await StoreBehaviours.importCounts($0) } }
    @Test func importKeepsTheFirstOccurrence() async throws { try await TestPostgres.withStore { try await StoreBehaviours.importKeepsTheFirstOccurrence($0) } }
    @Test func closedStoreRefuses() async throws {
        try await TestPostgres.withStore { try await StoreBehaviours.closedStoreRefuses($0) }
    }

    /// With every thread of the cooperative pool blocked, the store still connects,
    /// migrates, records and reads: postgres-nio's pool and the store's calls run on the
    /// store's own threads. (The CI run of the whole suite on two cores timed out every
    /// `migrate` here.)
    @Test(.timeLimit(.minutes(2))) func answersWhileTheCooperativePoolIsBlocked() async throws {
        let location = try TestPostgres.location()
        let store = try await whileTheCooperativePoolIsBlocked {
            let store = try await PostgresHistoryStore.open(
                location: location, queryTimeout: .seconds(2), migrationTimeout: .seconds(10))
            let event = StoreBehaviours.event("o-1")
            #expect(try await store.record([event]) == RecordOutcome(recorded: ["o-1"]))
            let found = try await store.events(
                buyerID: "b-1", from: StoreBehaviours.t0.adding(microseconds: -1), through: StoreBehaviours.t0)
            #expect(found == [event])
            #expect(try await store.stats().events == 1)
            return store
        }
        await store.close()
        await TestPostgres.drop(location)
    }

    /// Two replicas starting at once on a new database apply each migration once (the
    /// advisory lock), and both then work on the same events; a third start finds the
    /// schema done.
    @Test func twoStoresMigrateConcurrently() async throws {
        let location = try TestPostgres.location()
        async let first = PostgresHistoryStore.open(location: location)
        async let second = PostgresHistoryStore.open(location: location)
        let (a, b) = try await (first, second)
        let third = try await PostgresHistoryStore.open(location: location)
        var versions: [Int] = []
        for try await version in try await a.client.query("SELECT version FROM rescind_schema_migrations").decode(Int.self) {
            versions.append(version)
        }
        #expect(versions == PostgresHistoryStore.migrations.map(\.version))
        _ = try await a.record([StoreBehaviours.event("o-1")])
        let seen = try await b.events(buyerID: "b-1", from: StoreBehaviours.t0.adding(microseconds: -1), through: StoreBehaviours.t0)
        #expect(seen.map(\.orderID) == ["o-1"])
        #expect(try await third.stats().schemaVersion == PostgresHistoryStore.schemaVersion)
        for store in [a, b, third] { await store.close() }
        await TestPostgres.drop(location)
    }

    /// The window is a range scan of the covering `(buyer_id, at_us)` index (the server's
    /// plan, after `vacuum`).
    @Test func windowUsesTheIndex() async throws {
        try await TestPostgres.withStore { store in
            let events = (0..<2_000).map {
                StoreBehaviours.event("o-\($0)", buyer: "b-\($0 % 100)", at: StoreBehaviours.t0.adding(microseconds: -Int64($0)))
            }
            _ = try await store.import(events: events, batchSize: 1_000)
            try await store.vacuum()
            var plan: [String] = []
            for try await line in try await store.client.query(
                """
                EXPLAIN SELECT order_id, buyer_id, seller_id, at_us, at_text, initiator, reason, request_id, status
                FROM rescind_cancellation_events
                WHERE buyer_id = \("b-1") AND at_us > \(Int64(0)) AND at_us <= \(Int64.max) AND status = 'recorded'
                """
            ).decode(String.self) {
                plan.append(line)
            }
            // An index scan, index-only or bitmap (the planner's choice for a small table).
            #expect(plan.joined().contains("Scan using rescind_cancellation_events_buyer_at")
                || plan.joined().contains("Bitmap Index Scan on rescind_cancellation_events_buyer_at"), "\(plan)")
        }
    }

    /// A statement held up by a lock gives up at the query timeout with `.timeout` (the
    /// lock is held 2 s: a query that waited for it would succeed).
    @Test(.timeLimit(.minutes(2))) func blockedQueryTimesOut() async throws {
        try await TestPostgres.withStore(queryTimeout: .milliseconds(300)) { store in
            let locked = AsyncStream<Void>.makeStream()
            let blocker = Task {
                try await store.client.withTransaction(logger: Logger(label: "test")) { connection in
                    try await connection.query("LOCK TABLE rescind_cancellation_events IN ACCESS EXCLUSIVE MODE", logger: Logger(label: "test"))
                    locked.continuation.yield()
                    try await Task.sleep(for: .seconds(2))
                }
            }
            for await _ in locked.stream { break }
            await #expect {
                _ = try await store.events(buyerID: "b-1", from: StoreBehaviours.t0, through: StoreBehaviours.t0)
            } throws: { error in
                (error as? HistoryError)?.kind == .timeout
            }
            _ = try await blocker.value
        }
    }
}

/// A server that accepts connections and never answers: the deadline, not the server,
/// ends the call. Needs no PostgreSQL, so it always runs.
@Suite("PostgreSQL history store without a server")
struct PostgresUnansweredTests {
    /// Without the deadline these calls would never return: the time limit fails them.
    @Test(.timeLimit(.minutes(2))) func silentServerTimesOut() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let location = try HistoryLocation(parsing: "postgres://rescind@127.0.0.1:\(port)/none?sslmode=disable")
        guard case .postgres(let postgres) = location else { return }
        await #expect {
            _ = try await PostgresHistoryStore.open(
                location: postgres, queryTimeout: .milliseconds(200), migrationTimeout: .milliseconds(400))
        } throws: { error in
            (error as? HistoryError)?.kind == .timeout
        }

        // A store that is running but whose server is silent: every call ends at its deadline.
        let store = PostgresHistoryStore(location: postgres, queryTimeout: .milliseconds(200))
        let runner = Task { try await store.run() }
        await #expect {
            _ = try await store.events(buyerID: "b-1", from: StoreBehaviours.t0, through: StoreBehaviours.t0)
        } throws: { error in
            (error as? HistoryError)?.kind == .timeout
        }
        runner.cancel()
    }
}
