import CELRuntime
import Foundation
import Rescind
import RescindEngine
@testable import RescindPolicy
import Testing

/// The policy set's `history:` section (issue 14): which list Rescind's history store
/// supplies, for whom, and what a decision does without it; checked at load.
@Suite("history section")
struct HistorySectionTests {
    static let section = """
        history:
          list: buyer_history.cancellations
          buyer: 'actor.role == "buyer" ? actor.id : "unknown-buyer"'
          request_lists: refuse
        on_history_unavailable: deny

        """

    /// The reference pack with its `history` section (and `on_history_unavailable`)
    /// replaced by `history`.
    static func load(_ history: String = section) throws -> (LoadedPolicies, AnalystCopy) {
        let copy = try AnalystCopy()
        try copy.edit("policy-set.yaml", replacing: shippedSection, with: history)
        return (copy.load(), copy)
    }

    /// The pack's own section, as shipped (policy-set.yaml).
    static let shippedSection = """
        history:
          list: buyer_history.cancellations
          buyer: 'actor.role == "buyer" ? actor.id : order.buyer_id'
          request_lists: accept
        # When the history store does not answer, a person reviews the cancellation rather
        # than letting a repeat canceller through unchecked.
        on_history_unavailable: review

        """

    @Test func aHistorySectionCompilesWithTheLongestCountedWindow() throws {
        let (loaded, copy) = try Self.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet, "\(copy.rendered(loaded))")
        let history = try #require(set.history)
        #expect(history.list == "buyer_history.cancellations")
        #expect(history.path == ["buyer_history", "cancellations"])
        #expect(history.window.seconds == 720 * 3600)  // abuse-thresholds.yaml: `window: 720h`
        #expect(history.onUnavailable.effect == .deny)
        #expect(history.refusesRequestLists)
        #expect(history.itemType.slot(of: "initiator") != nil)
    }

    @Test func theBuyerIsReadFromTheRequest() throws {
        let (loaded, copy) = try Self.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        let root = ReferencePackTests.root.appendingPathComponent("Examples/requests")
        let buyerRequest = try Data(contentsOf: root.appendingPathComponent("abuse-review.json"))
        let decoded = try RequestDecoder(schema: set.schema).decode(Array(buyerRequest)).get()
        let actor = try #require(decoded.root["actor"])
        guard case .object(let actorObject) = actor, case .string(let id)? = actorObject["id"] else {
            Issue.record("the example has no actor id")
            return
        }
        #expect(set.historyBuyer(of: decoded.root) == id)
        let seller = try Data(contentsOf: root.appendingPathComponent("seller-price-change.json"))
        let sellerDecoded = try RequestDecoder(schema: set.schema).decode(Array(seller)).get()
        #expect(set.historyBuyer(of: sellerDecoded.root) == "unknown-buyer")
    }

    @Test func withoutASectionNothingIsSupplied() throws {
        let (loaded, copy) = try Self.load("")
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        #expect(set.history == nil)
    }

    @Test func aListThatIsNoFieldIsLocatedWithDidYouMean() throws {
        let (loaded, copy) = try Self.load(Self.section.replacingOccurrences(
            of: "buyer_history.cancellations", with: "buyer_history.cancelations"))
        defer { copy.remove() }
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        #expect(text.contains("error[policy-invalid-value]: `history.list` `buyer_history.cancelations` is not a field path of the request"))
        #expect(text.contains("did you mean `cancellations`?"))
        #expect(text.contains(try copy.position(of: "buyer_history.cancelations", in: "policy-set.yaml")))
    }

    @Test func aListThatIsNoListOfObjectsIsRefused() throws {
        let (loaded, copy) = try Self.load(Self.section.replacingOccurrences(
            of: "buyer_history.cancellations", with: "order.seller_id"))
        defer { copy.remove() }
        #expect(loaded.policySet == nil)
        #expect(copy.rendered(loaded).contains("`history.list` `order.seller_id` must be a list of objects, found `string`"))
    }

    @Test func onHistoryUnavailableAllowIsAWarning() throws {
        let (loaded, copy) = try Self.load(Self.section.replacingOccurrences(
            of: "on_history_unavailable: deny", with: "on_history_unavailable: allow"))
        defer { copy.remove() }
        let set = try #require(loaded.policySet, "\(copy.rendered(loaded))")
        #expect(set.history?.onUnavailable.effect == .allow)
        #expect(copy.rendered(loaded).contains(
            "warning[policy-invalid-value]: `on_history_unavailable: allow` lets every cancellation through uncounted"))
    }

    @Test func onHistoryUnavailableWithoutHistoryIsAnError() throws {
        let (loaded, copy) = try Self.load("on_history_unavailable: deny\n")
        defer { copy.remove() }
        #expect(loaded.policySet == nil)
        #expect(copy.rendered(loaded).contains(
            "error[policy-invalid-value]: `on_history_unavailable` has no effect: the policy set declares no `history`"))
    }

    @Test func anUnknownRequestListsChoiceHasDidYouMean() throws {
        let (loaded, copy) = try Self.load(Self.section.replacingOccurrences(of: "request_lists: refuse", with: "request_lists: refused"))
        defer { copy.remove() }
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        #expect(text.contains("invalid `request_lists` `refused`: expected `accept` or `refuse`"))
        #expect(text.contains("did you mean `refuse`?"))
    }

    @Test func aBuyerThatIsNoStringIsRefused() throws {
        let (loaded, copy) = try Self.load(Self.section.replacingOccurrences(
            of: #"'actor.role == "buyer" ? actor.id : "unknown-buyer"'"#, with: "actor.verified"))
        defer { copy.remove() }
        #expect(loaded.policySet == nil)
        #expect(copy.rendered(loaded).contains("`buyer` must be a `string`, found `bool`"))
    }
}

/// The store's events, supplied into a request, decide exactly as the same events
/// carried by the request (issue 14's differential, engine side).
@Suite("history supplied into requests")
struct HistorySupplyTests {
    /// The examples that carry a history list (`buyer-no-history` carries none: below).
    static let examples = ["abuse-warn", "abuse-review", "abuse-block", "buyer-paid-card"]

    @Test(arguments: examples)
    func suppliedEventsDecideAsCarriedOnes(_ name: String) throws {
        let (loaded, copy) = try HistorySectionTests.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(name).json")
        let carried = try RequestDecoder(schema: set.schema).decode(Array(try Data(contentsOf: url))).get().root
        let items = (set.requestHistoryList(of: carried) ?? []).map { value -> HistoryItem in
            guard case .object(let item) = value, case .string(let order)? = item["order_id"],
                case .timestamp(let at)? = item["at"], case .string(let initiator)? = item["initiator"],
                case .string(let reason)? = item["reason"]
            else { fatalError("an example's history item lacks a field") }
            return HistoryItem(orderID: order, at: at, initiator: initiator, reason: reason)
        }
        // The request as a caller that relies on the store sends it: no list at all.
        let bare = set.supplying([], to: carried)
        let supplied = set.supplying(items, to: bare)
        #expect(set.requestHistoryList(of: supplied)?.count == items.count)
        #expect(set.decide(supplied).json == set.decide(carried).json)
        let explained = DecisionOptions(explain: true)
        #expect(set.decide(supplied, options: explained).json == set.decide(carried, options: explained).json)
    }

    @Test func anEmptySuppliedHistoryIsNotAMissingOne() throws {
        let (loaded, copy) = try HistorySectionTests.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/buyer-no-history.json")
        let request = try RequestDecoder(schema: set.schema).decode(Array(try Data(contentsOf: url))).get().root
        #expect(set.requestHistoryList(of: request) == nil)
        let supplied = set.supplying([], to: request)
        #expect(set.requestHistoryList(of: supplied) == [])
        // Without the list the threshold's `on_missing` reviews; with the store's (empty)
        // history there is nothing to count and the buyer may cancel.
        let missing = set.decide(request)
        #expect(missing.effect == .review)
        #expect(missing.problems.map(\.kind) == [.missingList])
        let known = set.decide(supplied)
        #expect(known.effect == .allow)
        #expect(known.problems.isEmpty)
    }

    @Test func anUnavailableStoreDecidesByOnHistoryUnavailable() throws {
        let (loaded, copy) = try HistorySectionTests.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/buyer-paid-card.json")
        let request = try RequestDecoder(schema: set.schema).decode(Array(try Data(contentsOf: url))).get().root
        let bare = set.supplying([], to: request)
        #expect(set.decide(bare, history: .store(events: 0)).effect == .allow)
        let down = set.decide(bare, history: .unavailable("timed out after 50 ms"), locale: "en", explain: true)
        #expect(down.effect == .deny)  // the section says `on_history_unavailable: deny`
        #expect(down.problems.map(\.kind) == [.historyUnavailable])
        #expect(down.problems.first?.message == "timed out after 50 ms")
        #expect(down.reasons.map(\.rule) == ["on-history-unavailable"])
        #expect(down.reasons.first?.text.hasPrefix("We cannot check your recent cancellations right now") == true)
        #expect(down.refund == nil)
    }

    @Test func theExplanationSaysWhereTheHistoryCameFrom() throws {
        let (loaded, copy) = try HistorySectionTests.load()
        defer { copy.remove() }
        let set = try #require(loaded.policySet)
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/abuse-review.json")
        let request = try RequestDecoder(schema: set.schema).decode(Array(try Data(contentsOf: url))).get().root
        let fromStore = set.decide(request, history: .store(events: 5), explain: true)
        let carried = set.decide(request, history: .request, explain: true)
        #expect(fromStore.effect == carried.effect)
        let storeText = try #require(fromStore.explanation?.thresholds.first).text
        #expect(storeText.contains(" (from the history store)"))
        #expect(try #require(carried.explanation?.thresholds.first).text.contains(" (as the request carried it)"))
        let chinese = try #require(set.decide(request, history: .store(events: 5), locale: "zh-CN", explain: true)
            .explanation)
        let threshold = try #require(chinese.thresholds.first)
        #expect(chinese.words.text(threshold).contains("（来自取消记录库）"))
    }
}
