import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// `minimum` / `maximum` on schema fields: read, checked at load time with located
/// errors, compiled into the request schema, and enforced when requests are decoded.
@Suite("schema ranges")
struct SchemaRangeTests {
    /// The fixture's schema with `total: decimal` (line 17) replaced by `total`, and
    /// `currency: string` (line 18) by `currency`.
    static func load(total: String = "decimal", currency: String = "string") -> LoadedPolicies {
        let schema = PolicyFixture.schema
            .replacingOccurrences(of: "total: decimal", with: "total: \(total)")
            .replacingOccurrences(of: "currency: string", with: "currency: \(currency)")
        return PolicyFixture.load(["p/schema.yaml": schema])
    }

    /// The first line of each rendered diagnostic: `path:line:col: error[code]: message`.
    static func headlines(_ loaded: LoadedPolicies) -> [String] {
        PolicyFixture.render(loaded).split(separator: "\n").map(String.init).filter { $0.hasPrefix("p/") && $0.contains(": error[") }
    }

    static func helps(_ loaded: LoadedPolicies) -> [String] {
        loaded.diagnostics.items.compactMap(\.help)
    }

    @Test("ranges on decimals, ints and timestamps, list items' fields included, compile into the schema")
    func compiles() throws {
        let schema = PolicyFixture.schema
            .replacingOccurrences(of: "total: decimal", with: #"total: {type: decimal, minimum: 0, maximum: "10000000.00"}"#)
            .replacingOccurrences(of: "currency: string", with: "currency: string\n    lines: {type: int, minimum: 1, maximum: 500, default: 1}")
            .replacingOccurrences(
                of: "    at: timestamp\n    by: role",
                with: "    at: {type: timestamp, minimum: \"2000-01-01T00:00:00Z\"}\n    by: role")
        let loaded = PolicyFixture.load(["p/schema.yaml": schema])
        #expect(loaded.diagnostics.errors.isEmpty, "\(PolicyFixture.render(loaded))")
        let set = try #require(loaded.policySet)
        let order = try #require(set.schema.bounds["request.order"])
        #expect(order[1] == FieldBounds(minimum: .decimal(CELDecimal(parsing: "0")!), maximum: .decimal(CELDecimal(parsing: "10000000")!)))
        #expect(order[3] == FieldBounds(minimum: .int(1), maximum: .int(500)))
        #expect(set.schema.bounds["event"]?[0] == FieldBounds(minimum: .timestamp(CELTimestamp(rfc3339: "2000-01-01T00:00:00Z")!)))

        let decoder = RequestDecoder(schema: set.schema)
        let request = """
            {"id": "r", "at": "2026-11-27T10:00:00Z", "actor": {"id": "u", "role": "buyer"},
             "order": {"status": "paid", "total": "-5.00", "currency": "CNY"},
             "history": {"events": [{"at": "1999-12-31T23:59:59Z", "by": "buyer"}]}}
            """
        let error = try #require(decoder.decode(request).error)
        #expect(error.errors.map(\.path) == ["$.order.total", "$.history.events[0].at"])
        #expect(error.errors.map(\.code) == [.outOfRange, .outOfRange])
        // The error object `eval --jsonl`, replay and the service write: same shape as every request error.
        #expect(error.errorObject(line: 3) == #"""
            {"error":{"code":"request-out-of-range","message":"`order.total` must be at least `0`; found `-5.00`","path":"$.order.total","help":"the schema allows values from `0` to `10000000`, inclusive","line":3}}
            """#)
        // Within the range, and the default used when the field is absent.
        let fine = request.replacingOccurrences(of: "-5.00", with: "0").replacingOccurrences(of: "1999", with: "2000")
        let decoded = try decoder.decode(fine).get()
        guard case .object(let decodedOrder)? = decoded.root["order"] else {
            Issue.record("no order")
            return
        }
        #expect(decodedOrder["lines"] == .int(1))
    }

    @Test("a range on a type without one is a located error")
    func wrongType() {
        let loaded = Self.load(currency: "{type: string, minimum: 0}")
        #expect(loaded.policySet == nil)
        #expect(Self.headlines(loaded) == [
            "p/schema.yaml:18:39: error[policy-invalid-range]: `minimum` on field `currency` of type `string`"
        ])
        #expect(Self.helps(loaded) == ["`minimum` and `maximum` apply to `int`, `decimal` and `timestamp` fields"])
        // Lists, objects and enums have no range either.
        let list = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(
                of: "events: list(event)", with: "events: {type: list(event), maximum: 3}")
        ])
        #expect(Self.headlines(list) == [
            "p/schema.yaml:23:44: error[policy-invalid-range]: `maximum` on field `events` of type `list(event)`"
        ])
    }

    @Test("a minimum above the maximum is an error at the maximum, noting the minimum")
    func emptyRange() throws {
        let loaded = Self.load(total: "{type: decimal, minimum: 10, maximum: 5}")
        #expect(loaded.policySet == nil)
        #expect(Self.headlines(loaded) == [
            "p/schema.yaml:17:50: error[policy-invalid-range]: field `total` has `maximum` `5` below its `minimum` `10`"
        ])
        let diagnostic = try #require(loaded.diagnostics.errors.first)
        #expect(diagnostic.notes.first?.span?.start.column == 37)
        // Equal bounds are one allowed value, not an error.
        #expect(Self.load(total: "{type: decimal, minimum: 5, maximum: \"5.00\"}").policySet != nil)
    }

    @Test("a literal not of the field's type is an error naming the expected form")
    func badLiterals() {
        let decimal = Self.load(total: "{type: decimal, minimum: 1e3}")
        #expect(Self.headlines(decimal) == [
            "p/schema.yaml:17:37: error[policy-invalid-value]: invalid minimum `1e3`: expected a decimal such as `0` or `\"10000000.00\"`"
        ])
        let int = Self.load(currency: "{type: int, maximum: 1.5}")
        #expect(Self.headlines(int) == [
            "p/schema.yaml:18:36: error[policy-invalid-value]: invalid maximum `1.5`: expected an integer such as `0`"
        ])
        let timestamp = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(
                of: "  at: timestamp\n  actor", with: "  at: {type: timestamp, minimum: \"2000-01-01\"}\n  actor")
        ])
        #expect(Self.headlines(timestamp) == [
            "p/schema.yaml:11:34: error[policy-invalid-value]: invalid minimum `2000-01-01`: expected an RFC 3339 timestamp with an offset, such as `\"2000-01-01T00:00:00Z\"`"
        ])
        let mapping = Self.load(total: "{type: decimal, minimum: {value: 0}}")
        #expect(mapping.policySet == nil)
        #expect(Self.headlines(mapping).count == 1)
    }

    @Test("a misspelt key gets a did-you-mean")
    func misspelt() {
        let loaded = Self.load(total: "{type: decimal, minimun: 0}")
        #expect(loaded.policySet == nil)
        #expect(Self.headlines(loaded).first?.contains("error[yaml-unknown-key]: unknown key `minimun`") == true)
        #expect(Self.helps(loaded) == ["did you mean `minimum`?"])
    }

    @Test("a default outside the range is an error")
    func defaultOutside() {
        let loaded = Self.load(currency: "{type: int, default: 50, maximum: 10}")
        #expect(loaded.policySet == nil)
        #expect(Self.headlines(loaded) == [
            "p/schema.yaml:18:36: error[policy-invalid-range]: the default `50` of field `currency` is outside its range at most `10`"
        ])
    }

    @Test("the reference pack refuses a negative total, absurd totals, counts below zero and times outside 2000–2100")
    func referencePack() throws {
        let set = try #require(ReferencePackTests.policies.policySet)
        let decoder = RequestDecoder(schema: set.schema)
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/buyer-paid-card.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        for (from, to, path) in [
            (#""129.99""#, #""-129.99""#, "$.order.total"), (#""129.99""#, #""10000000.01""#, "$.order.total"),
            ("\"orders_30d\": 120", "\"orders_30d\": -1", "$.seller_stats.orders_30d"),
            ("2026-11-27T10:00:00+08:00", "9999-11-27T10:00:00+08:00", "$.at"),
            ("2026-11-27T09:40:00+08:00", "1970-01-01T00:00:00Z", "$.order.placed_at"),
            ("2026-11-20T12:00:00Z", "0001-01-01T00:00:00Z", "$.buyer_history.cancellations[0].at"),
        ] {
            let changed = text.replacingOccurrences(of: from, with: to)
            #expect(changed != text)
            let error = try #require(decoder.decode(changed).error, "\(to)")
            #expect(error.code == .outOfRange)
            #expect(error.path == path)
        }
        #expect(decoder.decode(text.replacingOccurrences(of: #""129.99""#, with: #""0.00""#)).error == nil)
    }
}

private extension Result where Failure == RequestError {
    /// The rejection, or nil when the request decoded.
    var error: RequestError? {
        if case .failure(let error) = self { error } else { nil }
    }
}
