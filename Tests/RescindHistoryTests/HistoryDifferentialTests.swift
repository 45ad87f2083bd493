import CELRuntime
import Foundation
import RescindEngine
import Rescind
import RescindPolicy
import Testing

@testable import RescindHistory

/// Issue 14's differential: generated buyers whose cancellations are recorded in a store
/// decide byte for byte as the same requests carrying the same cancellations, through
/// the lookup the service uses (`HistoryLookup`), over a real SQLite file and, when
/// `RESCIND_TEST_POSTGRES_URL` is set, a real PostgreSQL.
@Suite("history: store versus carried lists")
struct HistoryDifferentialTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped policies: they declare `history:` for `buyer_history.cancellations`.
    static let policySet: PolicySet = {
        let loaded = LoadedPolicies.load(paths: [packageRoot.appendingPathComponent("Policies").path])
        return loaded.policySet!
    }()

    /// A deterministic generator (SplitMix64), so a failure names a seed that reproduces it.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
    }

    /// One generated case: a buyer's request and its cancellations.
    struct Case {
        let buyer: String
        let carried: String
        let bare: String
        let events: [CancellationEvent]
    }

    /// `count` buyers, each with 0…16 cancellations spread over the 40 days before the
    /// request (some outside the 30-day window, some on its edges: exactly 30 days
    /// before, which is out, and at the request's instant, which is in), started by any
    /// role, for any reason.
    static func cases(seed: UInt64, count: Int) throws -> [Case] {
        var random = Generator(state: seed)
        let template = try String(
            contentsOf: packageRoot.appendingPathComponent("Examples/requests/abuse-review.json"), encoding: .utf8)
        var base = try #require(try JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any])
        base["buyer_history"] = nil
        let at = try #require(CELTimestamp(rfc3339: "2026-11-27T10:00:00+08:00"))
        let roles = ["buyer", "buyer", "buyer", "buyer", "buyer", "seller", "support", "system"]
        let reasons = ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change", "other"]
        var result: [Case] = []
        for index in 0..<count {
            let buyer = "u-gen-\(seed)-\(index)"
            var items: [[String: String]] = []
            var events: [CancellationEvent] = []
            for item in 0..<random.below(17) {
                let seconds: Int64 = switch random.below(10) {
                case 0: 30 * 86_400  // exactly the window's open start: not counted
                case 1: 0  // the request's instant: counted
                default: Int64(random.below(40 * 86_400))
                }
                let instant = HistoryInstant(flooring: at.seconds - seconds)
                let text = instant.rfc3339
                let order = "o-gen-\(seed)-\(index)-\(item)"
                let (initiator, reason) = (random.pick(roles), random.pick(reasons))
                items.append(["order_id": order, "at": text, "initiator": initiator, "reason": reason])
                events.append(CancellationEvent(
                    orderID: order, buyerID: buyer, sellerID: "s-gen", at: instant, initiator: initiator, reason: reason,
                    requestID: "import"))
            }
            var request = base
            request["id"] = "req-gen-\(seed)-\(index)"
            var actor = try #require(request["actor"] as? [String: Any])
            actor["id"] = buyer
            request["actor"] = actor
            var order = try #require(request["order"] as? [String: Any])
            order["id"] = "o-request-\(seed)-\(index)"
            request["order"] = order
            let bare = try json(request)
            request["buyer_history"] = ["cancellations": items]
            result.append(Case(buyer: buyer, carried: try json(request), bare: bare, events: events))
        }
        return result
    }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Records every case's events in `store`, then decides each case both ways.
    static func compare(_ store: any HistoryStore, seed: UInt64) async throws {
        let set = policySet
        let cases = try cases(seed: seed, count: 120)
        _ = try await store.record(cases.flatMap(\.events))
        let decoder = RequestDecoder(schema: set.schema)
        let lookup = HistoryLookup(store: store)
        var effects: Set<String> = []
        for item in cases {
            let carried = try decoder.decode(item.carried).get().root
            let bare = try decoder.decode(item.bare).get().root
            guard case .decide(let settled) = await lookup.settle(bare, for: set) else {
                Issue.record("\(item.buyer): refused")
                continue
            }
            guard case .store(let supplied)? = settled.source else {
                Issue.record("\(item.buyer): not from the store: \(String(describing: settled.source))")
                continue
            }
            let fromStore = settled.decide(with: set)
            let fromRequest = set.decide(carried)
            #expect(fromStore.json == fromRequest.json, "seed \(seed), \(item.buyer)")
            // Explained, the decisions differ only in saying where the list came from.
            let explainedStore = settled.decide(with: set, locale: "en", explain: true).json
                .replacingOccurrences(of: " (from the history store)", with: "")
            let explainedRequest = set.decide(carried, locale: "en", explain: true).json
            #expect(explainedStore == explainedRequest, "seed \(seed), \(item.buyer)")
            // The store supplied the window's events only: never more than were recorded.
            #expect(supplied <= item.events.count)
            effects.insert(fromStore.effect.rawValue + ":" + fromStore.decidingRules.joined(separator: ","))
        }
        // The generated histories reach every tier, so the comparison covers them.
        for tier in ["abuse-warn", "abuse-review", "abuse-block"] {
            #expect(effects.contains { $0.contains(tier) }, "no case reached `\(tier)`: \(effects)")
        }
    }

    @Test(arguments: [1 as UInt64, 2, 3])
    func sqliteStoreDecidesAsCarriedLists(_ seed: UInt64) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteHistoryStore(path: folder.appendingPathComponent("history.db").path)
        try await Self.compare(store, seed: seed)
        await store.close()
    }

    @Test(
        .enabled(if: TestPostgres.url != nil, "RESCIND_TEST_POSTGRES_URL is not set: no PostgreSQL to compare against"))
    func postgresStoreDecidesAsCarriedLists() async throws {
        try await TestPostgres.withStore { store in try await Self.compare(store, seed: 4) }
    }
}
