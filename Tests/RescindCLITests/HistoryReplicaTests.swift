import Foundation
import Testing

/// Issue 14 as deployed (docs/replicas.md): real `rescind serve` processes sharing one
/// history store, talked to over loopback. Two replicas on one PostgreSQL count each
/// other's cancellations; 200 concurrent `record=true` decisions for one buyer store
/// exactly the events the answers acknowledged; a replica killed with SIGKILL while
/// recording (PostgreSQL, and SQLite restarted on the same file) loses no acknowledged
/// record; replicas starting together migrate once; every replica purges, and purges
/// are idempotent; a failover decides by `on_history_unavailable` and recovers; and the
/// client-side cost of a lookup, for the figures.
///
/// The PostgreSQL tests need `RESCIND_TEST_POSTGRES_URL` (`.ci/run` starts a server;
/// by hand `eval "$(Scripts/postgres-test-server.sh start /tmp/pg)"`) and are reported
/// as skipped without it. Each test keeps its events in a schema of its own (`?schema=`),
/// dropped at the end, so tests running at once do not see each other.
@Suite(
    "history replicas (PostgreSQL)", .serialized,
    .enabled(if: ReplicaDatabase.url != nil, "RESCIND_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
)
struct HistoryReplicaTests {
    /// Cancellations recorded through replica A, by `POST /v1/cancellations` and by
    /// `record=true` decisions, are counted by replica B's next decision for the buyer:
    /// abuse-warn at 3, abuse-review at 5, abuse-block at 8, the explanation saying the
    /// list came from the store; retraction through A is seen by B too.
    @Test(.timeLimit(.minutes(3))) func replicaBCountsWhatReplicaARecorded() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let a = try Replica.start(policies: policies, history: database.location, folder: folder, name: "a")
        defer { a.kill() }
        let b = try Replica.start(policies: policies, history: database.location, folder: folder, name: "b")
        defer { b.kill() }
        let buyer = "b-\(UUID().uuidString.prefix(8))"
        let at = "2026-11-27T10:00:00+08:00"
        func event(_ order: String, minutesBefore: Int) -> CancellationJSON {
            CancellationJSON(order: order, buyer: buyer, at: ReplicaPolicies.time(minutesBefore: minutesBefore))
        }
        /// B's decision for a new order of the buyer's (not recorded), with its explanation.
        func decideOnB(_ order: String) throws -> DecisionAnswer {
            try DecisionAnswer(
                b.http("POST", "/v1/decisions?explain=true&locale=en", body: ReplicaPolicies.request(
                    id: "req-\(order)", buyer: buyer, order: order, at: at)))
        }

        // Nothing stored yet: the buyer-before-shipment rule allows, and the count is 0
        // from the store (not a missing list, which would be reviewed).
        var decision = try decideOnB("o-probe-0")
        #expect(decision.effect == "allow" && decision.deciding == ["buyer-before-shipment"], "\(decision.body)")
        #expect(decision.body.contains("0 counted in buyer_history.cancellations"), "\(decision.body)")
        #expect(decision.body.contains("(from the history store)"), "\(decision.body)")

        // Two events through A's cancellations endpoint (an array), then a record=true
        // decision on A: three.
        let posted = try a.http("POST", "/v1/cancellations", body: CancellationJSON.array([
            event("o-1", minutesBefore: 6000), event("o-2", minutesBefore: 3000),
        ]))
        #expect(posted.status == 200, "\(posted.body)")
        #expect(try json(posted.body)["recorded"] as? [String] == ["o-1", "o-2"], "\(posted.body)")
        let third = try DecisionAnswer(a.http("POST", "/v1/decisions?record=true", body: ReplicaPolicies.request(
            id: "req-o-3", buyer: buyer, order: "o-3", at: ReplicaPolicies.time(minutesBefore: 600))))
        #expect(third.effect == "allow" && third.recorded == "recorded", "\(third.body)")
        #expect(third.recordedOrder == "o-3")
        #expect(third.body.hasSuffix("}}\n") || third.body.hasSuffix("}}"), "`recorded` is the last member: \(third.body)")

        decision = try decideOnB("o-probe-3")
        #expect(decision.effect == "allow", "\(decision.body)")
        #expect(decision.matched.contains("abuse-warn"), "\(decision.body)")
        #expect(decision.body.contains("3 counted in buyer_history.cancellations"), "\(decision.body)")
        #expect(decision.body.contains("(from the history store)"), "\(decision.body)")
        #expect(decision.body.contains("\"warn_account\""), "\(decision.body)")

        // One event object on its own, and a record=true decision that abuse-warn still
        // allows: five.
        let fourth = try a.http("POST", "/v1/cancellations", body: event("o-4", minutesBefore: 500).json)
        #expect(fourth.status == 200, "\(fourth.body)")
        #expect(try json(fourth.body)["recorded"] as? [String] == ["o-4"], "\(fourth.body)")
        let fifth = try DecisionAnswer(a.http("POST", "/v1/decisions?record=true&explain=true&locale=en", body: ReplicaPolicies.request(
            id: "req-o-5", buyer: buyer, order: "o-5", at: ReplicaPolicies.time(minutesBefore: 400))))
        #expect(fifth.effect == "allow" && fifth.matched.contains("abuse-warn") && fifth.recorded == "recorded", "\(fifth.body)")

        decision = try decideOnB("o-probe-5")
        #expect(decision.effect == "review" && decision.deciding == ["abuse-review"], "\(decision.body)")
        #expect(decision.body.contains("5 counted in buyer_history.cancellations"), "\(decision.body)")
        #expect(decision.body.contains("(from the history store)"), "\(decision.body)")

        // A decision that is not an allow records nothing.
        let reviewed = try DecisionAnswer(a.http("POST", "/v1/decisions?record=true", body: ReplicaPolicies.request(
            id: "req-o-r", buyer: buyer, order: "o-r", at: ReplicaPolicies.time(minutesBefore: 300))))
        #expect(reviewed.effect == "review" && reviewed.recorded == "not-recorded", "\(reviewed.body)")

        // Three more (with a repeat of o-1 in the batch, a duplicate): eight.
        let more = try a.http("POST", "/v1/cancellations", body: CancellationJSON.array([
            event("o-6", minutesBefore: 200), event("o-1", minutesBefore: 6000), event("o-7", minutesBefore: 100),
            event("o-8", minutesBefore: 50),
        ]))
        #expect(more.status == 200, "\(more.body)")
        #expect(try json(more.body)["recorded"] as? [String] == ["o-6", "o-7", "o-8"], "\(more.body)")
        #expect(try json(more.body)["duplicates"] as? [String] == ["o-1"], "\(more.body)")

        decision = try decideOnB("o-probe-8")
        #expect(decision.effect == "deny" && decision.deciding == ["abuse-block"], "\(decision.body)")
        #expect(decision.body.contains("8 counted in buyer_history.cancellations"), "\(decision.body)")
        #expect(decision.body.contains("(from the history store)"), "\(decision.body)")
        #expect(decision.body.contains("\"restrict_account\""), "\(decision.body)")

        // The order being decided is never counted in its own history: deciding o-8
        // again counts the seven others.
        decision = try decideOnB("o-8")
        #expect(decision.effect == "review" && decision.deciding == ["abuse-review"], "\(decision.body)")
        #expect(decision.body.contains("7 counted in buyer_history.cancellations"), "\(decision.body)")

        // A retraction through A: B counts seven.
        let retracted = try a.http("DELETE", "/v1/cancellations/o-8")
        #expect(retracted.status == 200, "\(retracted.body)")
        #expect(try json(retracted.body)["status"] as? String == "retracted", "\(retracted.body)")
        #expect(try json(a.http("DELETE", "/v1/cancellations/o-8").body)["status"] as? String == "already-retracted")
        #expect(try a.http("DELETE", "/v1/cancellations/o-never").status == 404)
        decision = try decideOnB("o-probe-7")
        #expect(decision.effect == "review" && decision.body.contains("7 counted in"), "\(decision.body)")

        // Both replicas say the store answers.
        for replica in [a, b] {
            let ready = try json(replica.http("GET", "/readyz").body)
            #expect((ready["history"] as? [String: Any])?["status"] as? String == "ok", "\(ready)")
            let metrics = try replica.http("GET", "/metrics").body
            #expect(metrics.contains("rescind_history_up 1"), "\(metrics)")
        }
        let metricsB = try b.http("GET", "/metrics").body
        // B's six decisions, one lookup each (the `/readyz` probes are not lookups).
        #expect(ReplicaMetrics.value(metricsB, "rescind_history_lookups_total", label: "outcome=\"ok\"") == 6, "\(metricsB)")
        let metricsA = try a.http("GET", "/metrics").body
        #expect(ReplicaMetrics.value(metricsA, "rescind_history_writes_total", label: nil) ?? 0 >= 1, "\(metricsA)")
    }

    /// 200 concurrent `record=true` decisions for one buyer, each for an order of its
    /// own, split across both replicas, plus exact retries of some (same request id and
    /// order id, sent to the other replica at the same time): the store then holds
    /// exactly the events answered `recorded`, each answered so once. As the count
    /// passes the tiers, later decisions are reviewed or denied and record nothing.
    @Test(.timeLimit(.minutes(4))) func concurrentRecordsAcrossReplicasAreExact() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let a = try Replica.start(policies: policies, history: database.location, folder: folder, name: "a")
        defer { a.kill() }
        let b = try Replica.start(policies: policies, history: database.location, folder: folder, name: "b")
        defer { b.kill() }
        let buyer = "b-\(UUID().uuidString.prefix(8))"
        let at = "2026-11-27T10:00:00+08:00"

        // Orders 0..<200, even ones to A and odd ones to B; every tenth also retried on
        // the other replica at the same moment.
        var sends: [(order: String, port: Int)] = []
        for number in 0..<200 {
            let order = "o-\(number)"
            sends.append((order, number % 2 == 0 ? a.port : b.port))
            if number % 10 == 0 { sends.append((order, number % 2 == 0 ? b.port : a.port)) }
        }
        let answers = ConcurrentAnswers()
        let start = DispatchGroup()
        start.enter()
        let done = DispatchGroup()
        for (order, port) in sends {
            let body = ReplicaPolicies.request(id: "req-\(order)", buyer: buyer, order: order, at: at)
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                start.wait()
                // A 503 (`history-unavailable`: the store could not record) is answered
                // with the same request again, as a caller should.
                for attempt in 0..<20 {
                    guard let response = try? ReplicaHTTP.post(port: port, path: "/v1/decisions?record=true", body: body)
                    else {
                        answers.fail(order, "no response")
                        return
                    }
                    if response.status == 503 {
                        answers.unavailable(order)
                        Thread.sleep(forTimeInterval: 0.05 * Double(attempt + 1))
                        continue
                    }
                    answers.add(order, response)
                    return
                }
                answers.fail(order, "still 503 after 20 attempts")
            }
        }
        // Not a wait for a state: time for the threads to reach `start`, so they send at once.
        Thread.sleep(forTimeInterval: 0.5)
        let burstStarted = Date()
        start.leave()
        #expect(done.wait(timeout: .now() + 180) == .success, "the clients did not finish")
        let burst = Date().timeIntervalSince(burstStarted)

        let all = answers.all
        #expect(answers.failures.isEmpty, "\(answers.failures.prefix(5))")
        #expect(all.count == sends.count, "answers: \(all.count) of \(sends.count)")
        var recorded: [String] = []
        var duplicates = Set<String>()
        var notRecorded = Set<String>()
        var effects: [String: Int] = [:]
        for answer in all {
            effects[answer.effect, default: 0] += 1
            switch answer.recorded {
            case "recorded": recorded.append(answer.order)
            case "duplicate": duplicates.insert(answer.order)
            case "not-recorded": notRecorded.insert(answer.order)
            default: Issue.record("unexpected `recorded` status: \(answer.body)")
            }
            // Recorded exactly when allowed.
            #expect((answer.effect == "allow") == (answer.recorded != "not-recorded"), "\(answer.body)")
        }
        let recordedSet = Set(recorded)
        #expect(recorded.count == recordedSet.count, "an order answered `recorded` twice: \(recorded.count) answers, \(recordedSet.count) orders")
        // An order answered only `duplicate` after a 503 (the write landed as the deadline
        // passed) is the one case where the store holds an event no answer called recorded.
        let retriedAfter503 = answers.unavailableOrders
        let stored = try database.storedOrders(buyer: buyer)
        #expect(recordedSet.isSubset(of: stored), "acknowledged but not stored: \(recordedSet.subtracting(stored).sorted().prefix(5))")
        #expect(duplicates.isSubset(of: stored), "answered duplicate but not stored: \(duplicates.subtracting(stored).sorted().prefix(5))")
        #expect(stored.isSubset(of: recordedSet.union(duplicates.intersection(retriedAfter503))),
                "stored but never answered recorded: \(stored.subtracting(recordedSet).sorted().prefix(5))")
        if retriedAfter503.isEmpty { #expect(stored.count == recorded.count) }
        #expect(stored.count >= 5, "at least the orders before abuse-review are allowed: \(stored.count)")

        // A last decision through either replica counts exactly the stored events.
        let final = try DecisionAnswer(b.http("POST", "/v1/decisions?explain=true&locale=en", body: ReplicaPolicies.request(
            id: "req-final", buyer: buyer, order: "o-final", at: at)))
        #expect(final.body.contains("\(stored.count) counted in buyer_history.cancellations"), "\(final.body)")
        #expect(final.body.contains("(from the history store)"))

        // What the burst left open: each replica's pool grows to `pool_max` at most.
        let connections = try ReplicaDatabase.psql(
            database.base, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rescind-\(database.schema)'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(connections) ?? 99) <= 2 * 8, "connections: \(connections)")
        ReplicaFigures.report(
            "concurrency: took \(String(format: "%.2f", burst)) s, \(connections) connections open after;"
                + " \(sends.count) record=true decisions (200 orders + \(sends.count - 200) exact retries) across 2 replicas;"
                + " recorded \(recorded.count), duplicate \(duplicates.count) orders, not-recorded \(notRecorded.count) orders,"
                + " 503 answers \(answers.unavailableCount); effects \(effects.sorted { $0.key < $1.key }); rows stored \(stored.count)")
    }

    /// SIGKILL of a replica while a client records: every answer the client received
    /// with status `recorded` is in the store, read afterwards through the other replica
    /// (by recording each acknowledged event again: it must be a duplicate) and in
    /// PostgreSQL itself.
    @Test(.timeLimit(.minutes(3))) func kill9LosesNoAcknowledgedRecordOnPostgres() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let a = try Replica.start(policies: policies, history: database.location, folder: folder, name: "a")
        defer { a.kill() }
        let b = try Replica.start(policies: policies, history: database.location, folder: folder, name: "b")
        defer { b.kill() }
        let prefix = "k\(UUID().uuidString.prefix(6).lowercased())"
        let acknowledged = KillRun.recordUntilKilled(a, prefix: prefix)
        #expect(acknowledged.count >= 50, "too few records acknowledged before the kill: \(acknowledged.count)")
        try KillRun.expectStored(acknowledged, through: b)
        let stored = try database.storedOrders(buyerPrefix: prefix)
        let missing = Set(acknowledged.map(\.order)).subtracting(stored)
        #expect(missing.isEmpty, "\(missing.count) acknowledged records are not in PostgreSQL: \(missing.sorted().prefix(5))")
        ReplicaFigures.report(
            "kill -9 (PostgreSQL): \(acknowledged.count) records acknowledged before SIGKILL, all stored; rows \(stored.count)")
    }

    /// Two replicas started at the same moment on a new schema: both start (the second
    /// waits for the first's migration under the advisory lock) and each version is
    /// applied once.
    @Test(.timeLimit(.minutes(2))) func replicasStartingTogetherMigrateOnce() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let started = StartedReplicas()
        let group = DispatchGroup()
        for name in ["a", "b", "c"] {
            DispatchQueue.global().async(group: group) {
                started.add(name, Result { try Replica.start(policies: policies, history: database.location, folder: folder, name: name) })
            }
        }
        group.wait()
        let replicas = started.all
        defer { for case .success(let replica) in replicas.values { replica.kill() } }
        for (name, result) in replicas.sorted(by: { $0.key < $1.key }) {
            switch result {
            case .success(let replica):
                #expect(replica.logCount("history store open") == 1, "replica \(name)")
                let ready = try json(replica.http("GET", "/readyz").body)
                #expect((ready["history"] as? [String: Any])?["status"] as? String == "ok", "replica \(name): \(ready)")
            case .failure(let error): Issue.record("replica \(name) did not start: \(error)")
            }
        }
        let versions = try database.rows("SELECT version || ':' || name FROM \(database.schema).rescind_schema_migrations")
        #expect(versions == ["1:cancellation-events"], "\(versions)")
    }

    /// Every replica purges on its schedule, and purges are idempotent: two replicas
    /// purging every second delete the events past retention (the longest window, 30
    /// days, plus `--history-retention-days`) once between them, and keep the rest.
    @Test(.timeLimit(.minutes(2))) func everyReplicaPurgesAndPurgesAreIdempotent() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let a = try Replica.start(policies: policies, history: database.location, folder: folder, name: "a", purgeInterval: 1)
        defer { a.kill() }
        let b = try Replica.start(policies: policies, history: database.location, folder: folder, name: "b", purgeInterval: 1)
        defer { b.kill() }
        // Retention cuts by the wall clock (an operation, not a decision): events dated
        // from now. 30 days + 7 (the default margin) = 37 days.
        let buyer = "p-\(UUID().uuidString.prefix(8))"
        let formatter = ISO8601DateFormatter()
        func daysAgo(_ days: Double) -> String { formatter.string(from: Date().addingTimeInterval(-days * 86_400)) }
        let old = (0..<10).map { CancellationJSON(order: "old-\($0)", buyer: buyer, at: daysAgo(38 + Double($0))) }
        let kept = (0..<5).map { CancellationJSON(order: "kept-\($0)", buyer: buyer, at: daysAgo(36 - Double($0))) }
        let posted = try a.http("POST", "/v1/cancellations", body: CancellationJSON.array(old + kept))
        #expect(try json(posted.body)["recorded"] as? [String] == (old + kept).map(\.order), "\(posted.body)")
        let purgesBefore = (a.logCount("history purged"), b.logCount("history purged"))
        let deadline = Date().addingTimeInterval(30)
        var stored = try database.rows("SELECT order_id FROM \(database.schema).rescind_cancellation_events")
        while stored.count > kept.count, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            stored = try database.rows("SELECT order_id FROM \(database.schema).rescind_cancellation_events")
        }
        #expect(stored == Set(kept.map(\.order)))
        // Both replicas have purged since (each logs every purge); the events were
        // deleted once between them.
        try a.waitForLog("history purged", count: purgesBefore.0 + 2)
        try b.waitForLog("history purged", count: purgesBefore.1 + 2)
        let purged = try [a, b].map {
            ReplicaMetrics.value(try $0.http("GET", "/metrics").body, "rescind_history_purged_events_total", label: nil) ?? 0
        }
        #expect(purged.reduce(0, +) == Double(old.count), "purged by A and B: \(purged)")
        ReplicaFigures.report("retention: 2 replicas purging every second; purged by A \(purged[0]), by B \(purged[1]) of \(old.count)")
    }

    /// A failover as a replica sees it, through a TCP forwarder in front of PostgreSQL:
    /// while the database does not answer (packets dropped), lookups end at
    /// `--history-timeout` and decisions carry the `history-unavailable` problem and
    /// are reviewed (`on_history_unavailable`'s default), `record=true` answers 503,
    /// `/readyz` and `/metrics` show it; when connections are reset (the old primary
    /// gone) the same happens sooner; once the address answers again (the new primary)
    /// decisions read the store at once, and the refused record, retried, is recorded.
    @Test(.timeLimit(.minutes(3))) func failoverDecidesByOnHistoryUnavailableAndRecovers() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let proxy = try CuttableProxy(to: try #require(database.port))
        defer { proxy.stop() }
        let timeoutMS = 500
        let replica = try Replica.start(
            policies: policies, history: database.location(port: proxy.port), folder: folder, name: "a",
            timeoutMS: timeoutMS)
        defer { replica.kill() }
        let buyer = "f-\(UUID().uuidString.prefix(8))"
        let at = "2026-11-27T10:00:00+08:00"
        func decide(_ order: String, record: Bool = false, carrying list: String? = nil) throws
            -> (status: Int, body: String, seconds: Double)
        {
            let started = Date()
            let response = try replica.http(
                "POST", "/v1/decisions?explain=true&locale=en" + (record ? "&record=true" : ""),
                body: ReplicaPolicies.request(id: "req-\(order)", buyer: buyer, order: order, at: at, history: list))
            return (response.status, response.body, Date().timeIntervalSince(started))
        }
        var answer = try decide("o-1", record: true)
        #expect(answer.status == 200 && answer.body.contains("\"status\":\"recorded\""), "\(answer.body)")

        // Packets dropped: a lookup waits out the timeout.
        proxy.mode = .blackhole
        var timings: [Double] = []
        for number in 0..<3 {
            answer = try decide("o-bh-\(number)")
            timings.append(answer.seconds)
            let decision = try json(answer.body)
            #expect(decision["effect"] as? String == "review", "\(answer.body)")
            #expect(answer.body.contains("history-unavailable"), "\(answer.body)")
            #expect(answer.body.contains("the history store did not answer"), "\(answer.body)")
        }
        #expect(timings.allSatisfy { $0 >= Double(timeoutMS) / 1000 * 0.9 && $0 < 5 }, "\(timings)")
        // record=true: the decision is reviewed, so nothing is to be recorded; one that
        // allows anyway (here the request carries its own list) cannot be recorded: 503.
        let reviewed = try decide("o-bh-r", record: true)
        #expect(reviewed.status == 200 && reviewed.body.contains("\"status\":\"not-recorded\""), "\(reviewed.body)")
        let refused = try decide("o-2", record: true, carrying: "[]")
        #expect(refused.status == 503, "\(refused.body)")
        #expect(try json(refused.body)["error"].flatMap { ($0 as? [String: Any])?["code"] as? String } == "history-unavailable",
                "\(refused.body)")
        let ready = try json(replica.http("GET", "/readyz").body)
        #expect((ready["history"] as? [String: Any])?["status"] as? String == "unavailable", "\(ready)")
        #expect(ready["status"] as? String == "ready")
        var metrics = try replica.http("GET", "/metrics").body
        #expect(metrics.contains("rescind_history_up 0"), "\(metrics)")
        #expect(ReplicaMetrics.value(metrics, "rescind_history_lookups_total", label: "outcome=\"timeout\"") ?? 0 >= 3, "\(metrics)")

        // Connections reset (the old primary gone, nothing listening in its place yet).
        proxy.mode = .reset
        var resetTimings: [Double] = []
        for number in 0..<3 {
            answer = try decide("o-rs-\(number)")
            resetTimings.append(answer.seconds)
            #expect(try json(answer.body)["effect"] as? String == "review", "\(answer.body)")
            #expect(answer.body.contains("history-unavailable"), "\(answer.body)")
        }

        // The address answers again: the next decisions read the store.
        proxy.mode = .forward
        let restored = Date()
        var recovered: Double?
        while recovered == nil, Date().timeIntervalSince(restored) < 30 {
            answer = try decide("o-probe")
            if answer.body.contains("(from the history store)") { recovered = Date().timeIntervalSince(restored) }
        }
        #expect(recovered != nil, "no decision read the store within 30 s of the restore: \(answer.body)")
        #expect(answer.body.contains("1 counted in"), "\(answer.body)")
        let retried = try decide("o-2", record: true, carrying: "[]")
        #expect(retried.status == 200 && retried.body.contains("\"status\":\"recorded\""), "\(retried.body)")
        metrics = try replica.http("GET", "/metrics").body
        #expect(metrics.contains("rescind_history_up 1"), "\(metrics)")
        #expect(try database.storedOrders(buyer: buyer) == ["o-1", "o-2"])
        ReplicaFigures.report(String(
            format: "failover (--history-timeout %d ms): dropped packets: decisions answered in %@ s; reset connections: %@ s;"
                + " first decision reading the store %.3f s after the address answered again",
            timeoutMS, timings.map { String(format: "%.3f", $0) }.joined(separator: "/"),
            resetTimings.map { String(format: "%.3f", $0) }.joined(separator: "/"), recovered ?? -1))
    }

    /// Figures for docs/replicas.md: what a store lookup adds to a decision, seen from
    /// the client over loopback. One replica on PostgreSQL; the same decision (a buyer
    /// with 50 events, abuse-block) asked alternately without a list (the replica reads
    /// the store) and carrying the same 50 events (no lookup), one keep-alive
    /// connection, one request at a time; then batches of 100 such decisions for 100
    /// buyers (one store query for the batch) against the same 100 carrying their lists.
    /// `RESCIND_REPLICA_TEST_BINARY` runs a release build instead of the debug one.
    @Test(.timeLimit(.minutes(3))) func lookupLatencyFromTheClient() throws {
        let database = try ReplicaDatabase()
        defer { database.drop() }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let replica = try Replica.start(policies: policies, history: database.location, folder: folder, name: "a")
        defer { replica.kill() }
        let figures = try LatencyRun.measure(replica, label: "PostgreSQL")
        #expect(figures.storeEffect == "deny" && figures.carriedEffect == "deny")
    }
}

/// The same on SQLite (no server needed): one replica on a file, killed, restarted on
/// the file; and the client-side cost of a lookup.
@Suite("history replicas (SQLite)", .serialized) struct HistorySQLiteReplicaTests {
    @Test(.timeLimit(.minutes(3))) func kill9LosesNoAcknowledgedRecordOnSQLite() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let file = folder.appendingPathComponent("history.db").path
        let first = try Replica.start(policies: policies, history: "sqlite:" + file, folder: folder, name: "first")
        defer { first.kill() }
        let prefix = "k\(UUID().uuidString.prefix(6).lowercased())"
        let acknowledged = KillRun.recordUntilKilled(first, prefix: prefix)
        #expect(acknowledged.count >= 50, "too few records acknowledged before the kill: \(acknowledged.count)")
        let restarted = try Replica.start(policies: policies, history: "sqlite:" + file, folder: folder, name: "restarted")
        defer { restarted.kill() }
        try KillRun.expectStored(acknowledged, through: restarted)
        ReplicaFigures.report("kill -9 (SQLite): \(acknowledged.count) records acknowledged before SIGKILL, all stored")
    }

    /// As `lookupLatencyFromTheClient`, with the history in a SQLite file.
    @Test(.timeLimit(.minutes(3))) func lookupLatencyFromTheClientOnSQLite() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policies = try ReplicaPolicies.copy(in: folder)
        let file = folder.appendingPathComponent("history.db").path
        let replica = try Replica.start(policies: policies, history: "sqlite:" + file, folder: folder, name: "a")
        defer { replica.kill() }
        let figures = try LatencyRun.measure(replica, label: "SQLite")
        #expect(figures.storeEffect == "deny" && figures.carriedEffect == "deny")
    }
}

// MARK: Support

/// A schema of the test's own on the server `RESCIND_TEST_POSTGRES_URL` names.
struct ReplicaDatabase {
    static let url = ProcessInfo.processInfo.environment["RESCIND_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    let schema = "replicas_\(UUID().uuidString.prefix(8).lowercased())"
    let base: String

    init() throws {
        base = try #require(Self.url)
    }

    /// `--history` for the replicas: the server's URL with the schema (and a pool small
    /// enough that the tests' replicas stay inside the test server's `max_connections`).
    /// The replicas' connections are named after the schema, so counting them is not
    /// confused by other tests using the same server at the same time.
    var location: String {
        base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&pool_max=8&application_name=rescind-\(schema)"
    }

    /// The server's port, from the URL.
    var port: Int? {
        guard let at = base.range(of: "@127.0.0.1:") else { return nil }
        return Int(base[at.upperBound...].prefix { $0.isNumber })
    }

    /// `location` with the server reached through `port` (a forwarder) instead.
    func location(port other: Int) -> String {
        location.replacingOccurrences(of: "@127.0.0.1:\(port ?? 0)/", with: "@127.0.0.1:\(other)/")
    }

    /// The order ids stored (status `recorded`) for `buyer`, read with psql.
    func storedOrders(buyer: String) throws -> Set<String> {
        try rows("SELECT order_id FROM \(schema).rescind_cancellation_events WHERE buyer_id = '\(buyer)' AND status = 'recorded'")
    }

    /// The order ids stored for buyers whose id starts with `buyerPrefix`.
    func storedOrders(buyerPrefix: String) throws -> Set<String> {
        try rows("SELECT order_id FROM \(schema).rescind_cancellation_events WHERE buyer_id LIKE '\(buyerPrefix)%'")
    }

    func rows(_ sql: String) throws -> Set<String> {
        let result = try Self.psql(base, sql)
        return Set(result.split(separator: "\n").map(String.init))
    }

    func drop() { _ = try? Self.psql(base, "DROP SCHEMA IF EXISTS \(schema) CASCADE") }

    /// psql from PATH or PostgreSQL's own folder (where Scripts/postgres-test-server.sh
    /// finds the server's binaries); the URL is libpq's, without our own parameters.
    static func psql(_ url: String, _ sql: String) throws -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/psql" }
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin/psql" }
        let psql = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "psql is needed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = [url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = PipeReader(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.wait(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ServeTestError("psql failed: \(message)") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The reference policies with a `history:` section: the store supplies
/// `buyer_history.cancellations` for `actor.id`; a request's own list is still accepted.
enum ReplicaPolicies {
    static func copy(in folder: URL) throws -> URL {
        let copy = try policyCopy(in: folder)
        let file = copy.appendingPathComponent("policy-set.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let edited = text.replacingOccurrences(
            // The shipped section replaced by one whose buyer is always the actor.
            of: "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n# When the history store does not answer, a person reviews the cancellation rather\n# than letting a repeat canceller through unchecked.\non_history_unavailable: review\n",
            with: "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.id'\n  request_lists: accept\n")
        #expect(edited != text)
        try edited.write(to: file, atomically: true, encoding: .utf8)
        return copy
    }

    /// A buyer's cancellation of a paid order that has not shipped (allowed by
    /// `buyer-before-shipment` unless a tier says otherwise), without `buyer_history`.
    static func request(id: String, buyer: String, order: String, at: String, history: String? = nil) -> String {
        let list = history.map { ",\"buyer_history\":{\"cancellations\":\($0)}" } ?? ""
        return """
            {"id":"\(id)","at":"\(at)","locale":"en","actor":{"id":"\(buyer)","role":"buyer","verified":false},\
            "reason":"changed_mind","order":{"id":"\(order)","status":"paid","placed_at":"2026-11-20T08:00:00+08:00",\
            "total":"58.00","currency":"CNY","payment_method":"card","seller_id":"s-1"}\(list)}
            """
    }

    /// A time `minutesBefore` minutes before 2026-11-27T10:00:00+08:00, in UTC.
    static func time(minutesBefore: Int) -> String {
        let decision = Date(timeIntervalSince1970: 1_795_744_800)  // 2026-11-27T02:00:00Z
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: decision.addingTimeInterval(-60 * Double(minutesBefore)))
    }
}

/// One cancellation as `POST /v1/cancellations` takes it.
struct CancellationJSON {
    var order: String
    var buyer: String
    var at: String
    var seller = "s-1"
    var initiator = "buyer"
    var reason = "changed_mind"
    var requestID: String? = nil

    var json: String {
        """
        {"order_id":"\(order)","buyer_id":"\(buyer)","seller_id":"\(seller)","at":"\(at)","initiator":"\(initiator)",\
        "reason":"\(reason)","request_id":"\(requestID ?? "req-" + order)"}
        """
    }

    static func array(_ events: [CancellationJSON]) -> String { "[" + events.map(\.json).joined(separator: ",") + "]" }
}

/// A decision answer, read.
struct DecisionAnswer {
    let status: Int
    let body: String
    let object: [String: Any]

    init(_ response: (status: Int, body: String)) throws {
        status = response.status
        body = response.body
        object = (try? json(response.body)) ?? [:]
        #expect(status == 200, "\(body)")
    }

    var effect: String { object["effect"] as? String ?? "" }
    var deciding: [String] { object["deciding_rules"] as? [String] ?? [] }
    var matched: [String] { object["matched_rules"] as? [String] ?? [] }
    var recorded: String? { (object["recorded"] as? [String: Any])?["status"] as? String }
    var recordedOrder: String? { (object["recorded"] as? [String: Any])?["order_id"] as? String }
}

func json(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw ServeTestError("not a JSON object: \(text)")
    }
    return object
}

/// A replica: `rescind serve` with the history, its log in a folder of its own.
enum Replica {
    /// `purgeInterval` 0 (the default here) never purges: retention cuts by the wall
    /// clock, and these tests' events are dated around 2026-11-27.
    static func start(
        policies: URL, history: String, folder: URL, name: String, purgeInterval: Int = 0, timeoutMS: Int = 10_000
    ) throws -> ServeProcess {
        let own = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        // A generous query timeout: two replicas, PostgreSQL and the test clients share
        // two cores; a timeout here would be a 503 (counted), not a wrong answer.
        return try ServeProcess(
            [
                "--policies", policies.path, "--history", history, "--history-timeout", "\(timeoutMS)",
                "--history-purge-interval", "\(purgeInterval)", "--watch-interval", "0",
            ], folder: own, launcher: launcher)
    }

    /// `RESCIND_REPLICA_TEST_BINARY`: another `rescind` (a release build, for the
    /// latency figures of docs/replicas.md) run in place of the debug one beside the
    /// tests: a shell drops the debug binary's path that `ServeProcess` passes.
    static var launcher: [String] {
        guard let binary = ProcessInfo.processInfo.environment["RESCIND_REPLICA_TEST_BINARY"], !binary.isEmpty else {
            return []
        }
        return ["/bin/sh", "-c", "shift; exec \"$0\" \"$@\"", binary]
    }
}

/// HTTP calls on connections of their own, from any thread.
enum ReplicaHTTP {
    static func post(port: Int, path: String, body: String) throws -> (status: Int, body: String) {
        let connection = try RawConnection(port: port)
        let bytes = Array(body.utf8)
        try connection.send(Array(
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n".utf8)
            + bytes)
        return try connection.response()
    }
}

/// The answers of the concurrency test's clients.
final class ConcurrentAnswers: @unchecked Sendable {
    struct Answer {
        let order: String
        let effect: String
        let recorded: String?
        let body: String
    }

    private let lock = NSLock()
    private var answers: [Answer] = []
    private var failed: [String] = []
    private var unavailableOrders503: [String] = []

    func add(_ order: String, _ response: (status: Int, body: String)) {
        let object = (try? json(response.body)) ?? [:]
        let answer = Answer(
            order: order, effect: response.status == 200 ? object["effect"] as? String ?? "" : "status \(response.status)",
            recorded: (object["recorded"] as? [String: Any])?["status"] as? String, body: response.body)
        lock.withLock { answers.append(answer) }
    }
    func fail(_ order: String, _ why: String) { lock.withLock { failed.append("\(order): \(why)") } }
    func unavailable(_ order: String) { lock.withLock { unavailableOrders503.append(order) } }

    var all: [Answer] { lock.withLock { answers } }
    var failures: [String] { lock.withLock { failed } }
    var unavailableOrders: Set<String> { lock.withLock { Set(unavailableOrders503) } }
    var unavailableCount: Int { lock.withLock { unavailableOrders503.count } }
}

/// Clients recording into a replica until it is killed, and the check afterwards.
enum KillRun {
    struct Acknowledged: Hashable {
        let order: String
        let buyer: String
        let at: String
    }

    final class Acks: @unchecked Sendable {
        private let lock = NSLock()
        private var acks: [Acknowledged] = []
        private var statuses: [String: Int] = [:]
        func add(_ new: [Acknowledged]) { lock.withLock { acks += new } }
        func saw(_ status: String) { lock.withLock { statuses[status, default: 0] += 1 } }
        var count: Int { lock.withLock { acks.count } }
        var all: [Acknowledged] { lock.withLock { acks } }
    }

    /// Four clients (one sending batches of 10 to `decisions:batch`) record distinct
    /// orders, each of a buyer of its own (so every decision allows), until about 400
    /// are acknowledged or 20 s pass; then SIGKILL, with requests in flight. Returns the
    /// records answered `recorded`.
    static func recordUntilKilled(_ server: ServeProcess, prefix: String) -> [Acknowledged] {
        let acks = Acks()
        let port = server.port
        let at = "2026-11-27T10:00:00+08:00"
        let group = DispatchGroup()
        for client in 0..<4 {
            DispatchQueue.global().async(group: group) {
                var number = 0
                while true {
                    number += 1
                    let batch = client == 0
                    let orders = (0..<(batch ? 10 : 1)).map { "\(prefix)-o\(client)-\(number)-\($0)" }
                    let requests = orders.map {
                        ReplicaPolicies.request(id: "req-\($0)", buyer: "\(prefix)-b-\($0)", order: $0, at: at)
                    }
                    let body = batch ? "[" + requests.joined(separator: ",") + "]" : requests[0]
                    let path = batch ? "/v1/decisions:batch?record=true" : "/v1/decisions?record=true"
                    guard let response = try? ReplicaHTTP.post(port: port, path: path, body: body), response.status == 200,
                        let data = try? JSONSerialization.jsonObject(with: Data(response.body.utf8))
                    else { return }
                    let items = batch
                        ? ((data as? [String: Any])?["results"] as? [[String: Any]] ?? [])
                        : [data as? [String: Any] ?? [:]]
                    var new: [Acknowledged] = []
                    for (order, item) in zip(orders, items) {
                        let status = (item["recorded"] as? [String: Any])?["status"] as? String ?? "none"
                        acks.saw(status)
                        if status == "recorded" { new.append(Acknowledged(order: order, buyer: "\(prefix)-b-\(order)", at: at)) }
                    }
                    acks.add(new)
                }
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while acks.count < 400, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        server.kill()
        group.wait()
        return acks.all
    }

    /// Every acknowledged record is stored: recording it again through `server` (the
    /// other replica, or one restarted on the file) answers it as a duplicate.
    static func expectStored(_ acknowledged: [Acknowledged], through server: ServeProcess) throws {
        var index = 0
        while index < acknowledged.count {
            let slice = acknowledged[index..<min(index + 100, acknowledged.count)]
            let events = slice.map { CancellationJSON(order: $0.order, buyer: $0.buyer, at: $0.at, requestID: "req-" + $0.order) }
            let response = try server.http("POST", "/v1/cancellations", body: CancellationJSON.array(events))
            #expect(response.status == 200, "\(response.body)")
            let answer = try json(response.body)
            let recordedNow = answer["recorded"] as? [String] ?? []
            #expect(recordedNow.isEmpty, "acknowledged but not stored before the kill: \(recordedNow.prefix(5))")
            #expect((answer["conflicts"] as? [Any] ?? []).isEmpty, "\(response.body)")
            #expect(Set(answer["duplicates"] as? [String] ?? []) == Set(slice.map(\.order)))
            index += 100
        }
    }
}

/// Client-side latency of decisions with and without a store lookup.
enum LatencyRun {
    struct Figures {
        var storeEffect = ""
        var carriedEffect = ""
    }

    /// Rounds: few with the debug binary (a batch of 100 lookups decodes 5,000 rows in
    /// postgres-nio built for debugging: seconds), the figures' count with a release one.
    static func measure(_ replica: ServeProcess, label: String) throws -> Figures {
        let release = !Replica.launcher.isEmpty
        let rounds = release ? 400 : 100
        let batchRounds = release ? 40 : 3
        let at = "2026-11-27T10:00:00+08:00"
        // 100 buyers with 50 events each in the 29 days before the decision, recorded in
        // the store and carried as lists with the same content.
        let run = UUID().uuidString.prefix(8)
        let buyers = (0..<100).map { "lat-\(run)-\($0)" }
        var lists: [String] = []
        for buyer in buyers {
            let events = (0..<50).map {
                CancellationJSON(order: "\(buyer)-h\($0)", buyer: buyer, at: ReplicaPolicies.time(minutesBefore: 30 + $0 * 830))
            }
            let stored = try replica.http("POST", "/v1/cancellations", body: CancellationJSON.array(events))
            #expect(stored.status == 200, "\(stored.body)")
            lists.append("[" + events.map {
                "{\"order_id\":\"\($0.order)\",\"at\":\"\($0.at)\",\"initiator\":\"buyer\",\"reason\":\"changed_mind\"}"
            }.joined(separator: ",") + "]")
        }
        func request(_ index: Int, carried: Bool) -> String {
            ReplicaPolicies.request(
                id: "req-lat-\(index)", buyer: buyers[index], order: "o-lat-\(index)", at: at,
                history: carried ? lists[index] : nil)
        }
        let connection = try KeepAliveConnection(port: replica.port)
        var figures = Figures()
        /// The two forms asked alternately (so load on the machine hits both alike); the
        /// first tenth of the rounds warms up (the pool's connections, prepared statements).
        func alternate(_ path: String, _ store: String, _ carried: String, rounds: Int, check: (String, Bool) -> Void)
            throws -> (store: [UInt64], carried: [UInt64])
        {
            var times: (store: [UInt64], carried: [UInt64]) = ([], [])
            for round in 0..<(rounds + rounds / 10) {
                for (body, isStore) in [(store, true), (carried, false)] {
                    let started = DispatchTime.now().uptimeNanoseconds
                    let response = try connection.post(path, body: body)
                    let took = DispatchTime.now().uptimeNanoseconds - started
                    #expect(response.status == 200, "\(response.body.prefix(500))")
                    check(response.body, isStore)
                    guard round >= rounds / 10 else { continue }
                    if isStore { times.store.append(took) } else { times.carried.append(took) }
                }
            }
            return times
        }
        let single = try alternate("/v1/decisions", request(0, carried: false), request(0, carried: true), rounds: rounds) {
            body, isStore in
            let effect = (try? json(body))?["effect"] as? String ?? ""
            if isStore { figures.storeEffect = effect } else { figures.carriedEffect = effect }
        }
        let batch = try alternate(
            "/v1/decisions:batch", "[" + (0..<100).map { request($0, carried: false) }.joined(separator: ",") + "]",
            "[" + (0..<100).map { request($0, carried: true) }.joined(separator: ",") + "]", rounds: batchRounds
        ) { body, _ in
            let results = (try? json(body))?["results"] as? [[String: Any]] ?? []
            #expect(results.count == 100 && results.allSatisfy { $0["effect"] as? String == "deny" })
        }
        func percentile(_ times: [UInt64], _ fraction: Double) -> Double {
            let sorted = times.sorted()
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
        }
        func line(_ what: String, _ times: (store: [UInt64], carried: [UInt64])) -> String {
            String(
                format: "%@, %d each: store lookup p50 %.0f us p99 %.0f us; list carried p50 %.0f us p99 %.0f us;"
                    + " added p50 %.0f us p99 %.0f us",
                what, times.store.count, percentile(times.store, 0.5), percentile(times.store, 0.99),
                percentile(times.carried, 0.5), percentile(times.carried, 0.99),
                percentile(times.store, 0.5) - percentile(times.carried, 0.5),
                percentile(times.store, 0.99) - percentile(times.carried, 0.99))
        }
        ReplicaFigures.report(
            "\(label) latency, client side over loopback, one keep-alive connection, a buyer with 50 events: "
                + line("single decisions", single) + " | " + line("batches of 100 buyers", batch))
        return figures
    }
}

/// An HTTP/1.1 connection kept open across requests (answers read by Content-Length).
final class KeepAliveConnection {
    let connection: RawConnection
    private var pending: [UInt8] = []

    init(port: Int) throws { connection = try RawConnection(port: port) }

    func post(_ path: String, body: String) throws -> (status: Int, body: String) {
        let bytes = Array(body.utf8)
        try connection.send(Array(
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n".utf8)
            + bytes)
        var buffer = [UInt8](repeating: 0, count: 65536)
        func fill() throws {
            let count = recv(connection.fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw ServeTestError("recv: \(count) \(errno)") }
            pending += buffer[..<count]
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if pending.count >= 4 {
                headEnd = (0...(pending.count - 4)).first { Array(pending[$0..<($0 + 4)]) == separator }
            }
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: pending[..<headEnd!], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length = head.split(separator: "\r\n").compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
        guard let length else { throw ServeTestError("no Content-Length: \(head)") }
        let bodyStart = headEnd! + 4
        while pending.count < bodyStart + length { try fill() }
        let text = String(decoding: pending[bodyStart..<(bodyStart + length)], as: UTF8.self)
        pending.removeFirst(bodyStart + length)
        return (status, text)
    }
}

/// Prometheus text: the value of `name` (with `label` among its labels, when given).
enum ReplicaMetrics {
    static func value(_ text: String, _ name: String, label: String?) -> Double? {
        var total: Double?
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{" else { continue }
            if let label, !rest.contains(label) { continue }
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { total = (total ?? 0) + value }
        }
        return total
    }
}

/// Figures the tests measure, printed for docs/replicas.md.
enum ReplicaFigures {
    static func report(_ line: String) { print("[replica figures] \(line)") }
}

/// A TCP forwarder from a loopback port to a loopback server (PostgreSQL), that can drop
/// what passes (a server that stops answering) or reset every connection (a server
/// gone): a failover as a client sees it, without stopping the shared test server.
final class CuttableProxy: @unchecked Sendable {
    enum Mode { case forward, blackhole, reset }

    let port: Int
    private let listener: Int32
    private let target: Int
    private let lock = NSLock()
    private var current = Mode.forward
    private var open: [Int32] = []
    private var stopped = false

    var mode: Mode {
        get { lock.withLock { current } }
        set {
            lock.withLock {
                current = newValue
                // Under the lock: a socket in `open` is not closed yet, so its number is ours.
                if newValue == .reset { for fd in open { shutdown(fd, Int32(SHUT_RDWR)) } }
            }
        }
    }

    init(to target: Int) throws {
        self.target = target
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw ServeTestError("proxy bind/listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        lock.withLock {
            stopped = true
            for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if lock.withLock({ stopped }) { return }
                continue
            }
            if mode == .reset {
                var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
                close(client)
                continue
            }
            guard let upstream = try? RawConnection(port: target) else {
                close(client)
                continue
            }
            let server = dup(upstream.fd)
            var timeout = timeval(tv_sec: 0, tv_usec: 0)
            setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            lock.withLock { open += [client, server] }
            let pair = PumpPair()
            Thread.detachNewThread { [self] in
                pump(from: client, to: server)
                finished(pair, client, server)
            }
            Thread.detachNewThread { [self] in
                pump(from: server, to: client)
                finished(pair, client, server)
            }
        }
    }

    /// The two directions of one connection; the second to end closes both sockets
    /// (forgotten first, so a reset never shuts down a number the process reused).
    private final class PumpPair: @unchecked Sendable { var ended = 0 }

    private func finished(_ pair: PumpPair, _ client: Int32, _ server: Int32) {
        let last: Bool = lock.withLock {
            pair.ended += 1
            guard pair.ended == 2 else { return false }
            open.removeAll { $0 == client || $0 == server }
            return true
        }
        if last {
            close(client)
            close(server)
        }
    }

    /// Copies bytes until either side closes; in `blackhole` they are read and dropped.
    private func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            if mode == .blackhole { continue }
            var offset = 0
            while offset < count {
                let sent = buffer[offset..<count].withUnsafeBytes {
                    send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard sent > 0 else { break }
                offset += sent
            }
        }
        shutdown(destination, Int32(SHUT_RDWR))
        shutdown(source, Int32(SHUT_RDWR))
    }
}

/// Replicas started on threads of their own, by name.
final class StartedReplicas: @unchecked Sendable {
    private let lock = NSLock()
    private var replicas: [String: Result<ServeProcess, any Error>] = [:]
    func add(_ name: String, _ result: Result<ServeProcess, any Error>) { lock.withLock { replicas[name] = result } }
    var all: [String: Result<ServeProcess, any Error>] { lock.withLock { replicas } }
}
