import CELCommon
import CELRuntime
import RescindEngine
import Testing

/// A schema with ranges on an int, a decimal and timestamps (one inside list items),
/// built as the policy compiler builds it from `minimum` / `maximum`.
private enum RangeFixture {
    static func timestamp(_ text: String) -> Value { .timestamp(CELTimestamp(rfc3339: text)!) }
    static func decimal(_ text: String) -> Value { .decimal(CELDecimal(parsing: text)!) }

    static let item = ObjectType(name: "item", fields: [.init(name: "at", type: .timestamp)])
    static let root = ObjectType(
        name: "request",
        fields: [
            .init(name: "total", type: .decimal),
            .init(name: "count", type: .int),
            .init(name: "at", type: .timestamp),
            .init(name: "items", type: .list(.object(item)), required: false),
            .init(name: "free", type: .decimal, required: false),
            .init(name: "low", type: .int, required: false),
        ])
    static let years = FieldBounds(minimum: timestamp("2000-01-01T00:00:00Z"), maximum: timestamp("2100-01-01T00:00:00Z"))
    static let schema = RequestSchema(
        root: root,
        bounds: [
            "request": [
                0: FieldBounds(minimum: decimal("0.00"), maximum: decimal("10000000.00")),
                1: FieldBounds(minimum: .int(-5), maximum: .int(100)),
                2: years,
                5: FieldBounds(minimum: .int(1)),
            ],
            "item": [0: years],
        ])
    static let decoder = RequestDecoder(schema: schema)

    /// A valid request with `total`, `count` and `at` as given (JSON text, quoted by the caller).
    static func request(total: String = "\"10.00\"", count: String = "3", at: String = "2026-11-27T10:00:00+08:00", extra: String = "")
        -> String
    {
        #"{"total": \#(total), "count": \#(count), "at": "\#(at)"\#(extra)}"#
    }
}

@Suite("request decoding: schema ranges")
struct RequestRangeTests {
    private func error(_ text: String) throws -> RequestError {
        try #require(RangeFixture.decoder.decode(text).error, "expected `\(text)` to be rejected")
    }

    @Test("values at the bounds pass: both ends are inclusive", arguments: [
        RangeFixture.request(total: "\"0\""), RangeFixture.request(total: "\"0.00\""), RangeFixture.request(total: "\"-0\""),
        RangeFixture.request(total: "0"), RangeFixture.request(total: "\"10000000\""), RangeFixture.request(total: "10000000.00"),
        RangeFixture.request(total: "\"9999999.9999999999999999999999999999\""),
        RangeFixture.request(count: "-5"), RangeFixture.request(count: "100"),
        RangeFixture.request(at: "2000-01-01T00:00:00Z"), RangeFixture.request(at: "2000-01-01T08:00:00+08:00"),
        RangeFixture.request(at: "2100-01-01T00:00:00Z"), RangeFixture.request(at: "2099-12-31T19:00:00-05:00"),
        RangeFixture.request(extra: #", "items": [{"at": "2000-01-01T00:00:00Z"}, {"at": "2100-01-01T00:00:00Z"}]"#),
        // A field without a range takes any value of its type.
        RangeFixture.request(extra: #", "free": "-99999999999999999999", "low": 1"#),
    ])
    func withinRange(_ text: String) {
        #expect(RangeFixture.decoder.decode(text).error == nil, "\(text)")
    }

    @Test("a negative total: code, path, message naming the bound and the value, help with the range")
    func belowMinimum() throws {
        let error = try error(RangeFixture.request(total: "\"-0.01\""))
        #expect(error.errors.count == 1)
        #expect(error.code == .outOfRange)
        #expect(error.code.rawValue == "request-out-of-range")
        #expect(error.path == "$.total")
        #expect(error.offset == 10)
        #expect(error.message == "`total` must be at least `0`; found `-0.01`")
        #expect(error.help == "the schema allows values from `0` to `10000000`, inclusive")
        // A JSON number is reported as written.
        #expect(try self.error(RangeFixture.request(total: "-1e2")).message == "`total` must be at least `0`; found `-1e2`")
    }

    @Test("above the maximum, for decimals within and beyond an Int64 significand")
    func aboveMaximum() throws {
        for total in ["\"10000000.01\"", "10000001", "\"10000000.0000000000000000000000000001\"", "\"99999999999999999999999999999999999999\""] {
            let error = try error(RangeFixture.request(total: total))
            #expect(error.code == .outOfRange, "\(total)")
            #expect(error.message.hasPrefix("`total` must be at most `10000000`; found `"), "\(total)")
        }
        let below = try error(RangeFixture.request(total: "\"-0.0000000000000000000000000000000001\""))
        #expect(below.message == "`total` must be at least `0`; found `-0.0000000000000000000000000000000001`")
    }

    @Test("ints: below and above, and a minimum alone")
    func ints() throws {
        #expect(try error(RangeFixture.request(count: "-6")).message == "`count` must be at least `-5`; found `-6`")
        #expect(try error(RangeFixture.request(count: "101")).message == "`count` must be at most `100`; found `101`")
        let low = try error(RangeFixture.request(extra: #", "low": 0"#))
        #expect(low.path == "$.low")
        #expect(low.message == "`low` must be at least `1`; found `0`")
        #expect(low.help == nil)  // one bound: the message says it all
        // Outside 64 bits is still a type problem, not a range one.
        #expect(try error(RangeFixture.request(count: "99999999999999999999")).code == .typeMismatch)
    }

    @Test("timestamps outside their years, by a nanosecond or by centuries")
    func timestamps() throws {
        let early = try error(RangeFixture.request(at: "1999-12-31T23:59:59.999999999Z"))
        #expect(early.code == .outOfRange)
        #expect(early.path == "$.at")
        #expect(early.message == "`at` must be no earlier than `2000-01-01T00:00:00Z`; found `1999-12-31T23:59:59.999999999Z`")
        #expect(early.help == "the schema allows values from `2000-01-01T00:00:00Z` to `2100-01-01T00:00:00Z`, inclusive")
        // The offset counts: 07:59 in Shanghai is still 1999 in UTC.
        #expect(try error(RangeFixture.request(at: "2000-01-01T07:59:59+08:00")).code == .outOfRange)
        for late in ["2100-01-01T00:00:00.000000001Z", "9999-12-31T23:59:59Z"] {
            let error = try error(RangeFixture.request(at: late))
            #expect(error.message == "`at` must be no later than `2100-01-01T00:00:00Z`; found `\(late)`")
        }
        #expect(try error(RangeFixture.request(at: "0001-01-01T00:00:00Z")).code == .outOfRange)
    }

    @Test("a range on a field of list items: the path names the item")
    func listItems() throws {
        let error = try error(RangeFixture.request(
            extra: #", "items": [{"at": "2026-01-01T00:00:00Z"}, {"at": "1970-01-01T00:00:00Z"}]"#))
        #expect(error.errors.count == 1)
        #expect(error.path == "$.items[1].at")
        #expect(error.message == "`items[1].at` must be no earlier than `2000-01-01T00:00:00Z`; found `1970-01-01T00:00:00Z`")
    }

    @Test("every value out of range is reported, with other errors, in order")
    func several() throws {
        let error = try error(RangeFixture.request(total: "\"-1\"", count: "1000", at: "1900-01-01T00:00:00Z", extra: #", "low": "x""#))
        #expect(error.errors.map(\.code) == [.outOfRange, .outOfRange, .outOfRange, .typeMismatch])
        #expect(error.errors.map(\.path) == ["$.total", "$.count", "$.at", "$.low"])
    }

    @Test("FieldBounds compares like the decoder and names its range")
    func fieldBounds() {
        let range = FieldBounds(minimum: RangeFixture.decimal("0"), maximum: RangeFixture.decimal("1.5"))
        #expect(range.contains(RangeFixture.decimal("1.50")))
        #expect(!range.contains(RangeFixture.decimal("1.51")))
        #expect(range.contains(.string("other kinds are not constrained")))
        #expect(range.text == "from `0` to `1.5`")
        #expect(FieldBounds(minimum: .int(0)).text == "at least `0`")
        #expect(FieldBounds(maximum: RangeFixture.timestamp("2100-01-01T00:00:00Z")).text == "at most `2100-01-01T00:00:00Z`")
    }
}
