import CELCommon
import CELRuntime
import Foundation
import RescindEngine
import Testing

@Suite("request decoding: valid requests")
struct RequestDecodingTests {
    let decoder = Fixtures.decoder

    @Test("the reference request decodes with typed values")
    func reference() throws {
        let request = try decoder.decode(Fixtures.reference).get()
        #expect(request.id == "req-1")
        #expect(request.at == CELTimestamp(rfc3339: "2026-11-27T02:00:00Z"))
        #expect(request.locale == "zh-CN")
        #expect(request.root.type === Fixtures.request)

        let actor = try #require(request["actor"]?.object)
        #expect(actor.type === Fixtures.actor)
        #expect(actor["id"]?.stringValue == "u-1")
        #expect(actor["role"]?.stringValue == "buyer")
        guard case .bool(false)? = actor["verified"] else { Issue.record("verified: \(String(describing: actor["verified"]))"); return }
        #expect(request["reason"]?.stringValue == "changed_mind")

        let order = try #require(request["order"]?.object)
        #expect(order["status"]?.stringValue == "paid")
        guard case .timestamp(let placedAt)? = order["placed_at"] else { Issue.record("placed_at"); return }
        #expect(placedAt == CELTimestamp(rfc3339: "2026-11-27T01:40:00Z"))
        guard case .decimal(let total)? = order["total"] else { Issue.record("total"); return }
        #expect(total == CELDecimal(parsing: "129.99"))
        #expect(total.description == "129.99")
        #expect(order["currency"]?.stringValue == "CNY")
        #expect(order["payment_method"]?.stringValue == "card")
        #expect(order["seller_id"]?.stringValue == "s-1")

        let history = try #require(request["buyer_history"]?.object)
        guard case .list(let cancellations)? = history["cancellations"] else { Issue.record("cancellations"); return }
        #expect(cancellations.count == 1)
        let cancellation = try #require(cancellations.first?.object)
        #expect(cancellation.type === Fixtures.cancellation)
        #expect(cancellation["order_id"]?.stringValue == "o-0")
        guard case .timestamp(let at)? = cancellation["at"] else { Issue.record("at"); return }
        #expect(at == CELTimestamp(rfc3339: "2026-11-20T12:00:00Z"))
        #expect(cancellation["initiator"]?.stringValue == "buyer")
        #expect(cancellation["reason"]?.stringValue == "changed_mind")

        let stats = try #require(request["seller_stats"]?.object)
        guard case .int(120)? = stats["orders_30d"], case .int(3)? = stats["stockout_cancellations_30d"] else {
            Issue.record("seller_stats: \(stats.fields)")
            return
        }
    }

    @Test("every overload decodes the same request")
    func overloads() throws {
        let text = Fixtures.reference
        let fromString = try decoder.decode(text).get()
        let fromArray = try decoder.decode(Array(text.utf8)).get()
        let fromData = try decoder.decode(Data(text.utf8)).get()
        let fromSlice = try decoder.decode(Array(("  " + text).utf8)[2...]).get()
        let fromBuffer = try Array(text.utf8).withUnsafeBytes { try decoder.decode($0).get() }
        for other in [fromArray, fromData, fromSlice, fromBuffer] {
            #expect(other.root == fromString.root)
        }
        #expect(fromString.value == Value.object(fromString.root))
    }

    @Test("absent optional objects are zero-filled and `locale` takes its default")
    func zeroFill() throws {
        let request = try decoder.decode(Fixtures.minimal).get()
        #expect(request.locale == "en")
        let history = try #require(request["buyer_history"]?.object)
        guard case .list(let cancellations)? = history["cancellations"] else { Issue.record("cancellations"); return }
        #expect(cancellations.isEmpty)
        let stats = try #require(request["seller_stats"]?.object)
        guard case .int(0)? = stats["orders_30d"], case .int(0)? = stats["stockout_cancellations_30d"] else {
            Issue.record("seller_stats: \(stats.fields)")
            return
        }
    }

    @Test("`null` for an optional field is the same as leaving it out")
    func nullOptional() throws {
        let text = Fixtures.minimal.replacingFirst(#""reason""#, with: #""locale": null, "buyer_history": null, "seller_stats": null, "reason""#)
        let request = try decoder.decode(text).get()
        #expect(request.locale == "en")
        let minimal = try decoder.decode(Fixtures.minimal).get()
        #expect(request.root == minimal.root)
    }

    @Test("optional fields inside a present object are zero-filled too")
    func zeroFillInside() throws {
        let text = Fixtures.minimal.replacingFirst(#""reason""#, with: #""buyer_history": {}, "seller_stats": {"orders_30d": 7}, "reason""#)
        // Fields of optional objects are required once the object is given.
        let error = try #require(decoder.decode(text).error)
        #expect(error.errors.map(\.path) == ["$.buyer_history.cancellations", "$.seller_stats.stockout_cancellations_30d"])
        #expect(error.errors.allSatisfy { $0.code == .missingField })
    }

    @Test("zero values of every type; timestamps, durations and dyn stay absent")
    func zeroValues() throws {
        let inner = ObjectType(name: "inner", fields: [
            .init(name: "s", type: .string), .init(name: "e", type: .enumString(Fixtures.role)),
            .init(name: "b", type: .bool), .init(name: "i", type: .int), .init(name: "u", type: .uint),
            .init(name: "d", type: .double), .init(name: "m", type: .decimal), .init(name: "t", type: .timestamp),
            .init(name: "dur", type: .duration), .init(name: "l", type: .list(.int)),
            .init(name: "map", type: .map(.string, .string)), .init(name: "any", type: .dyn),
            .init(name: "defaulted", type: .int),
        ])
        let root = ObjectType(name: "root", fields: [.init(name: "inner", type: .object(inner), required: false)])
        let decoder = RequestDecoder(schema: RequestSchema(root: root, defaults: ["inner": [12: .int(42)]]))
        let request = try decoder.decode("{}").get()
        let object = try #require(request["inner"]?.object)
        #expect(object["s"]?.stringValue == "")
        #expect(object["e"]?.stringValue == "")
        guard case .bool(false)? = object["b"], case .int(0)? = object["i"], case .uint(0)? = object["u"],
            case .double(0)? = object["d"], case .decimal(let m)? = object["m"], case .list(let l)? = object["l"],
            case .map(let map)? = object["map"], case .int(42)? = object["defaulted"]
        else {
            Issue.record("zero values: \(object.fields)")
            return
        }
        #expect(m == CELDecimal(Int64(0)))
        #expect(l.isEmpty && map.count == 0)
        #expect(object["t"] == nil && object["dur"] == nil && object["any"] == nil)
        // The root has no `id`, `at` or `locale`.
        #expect(request.id == nil && request.at == nil && request.locale == nil)
    }

    @Test("one object type used by two optional fields")
    func sharedType() throws {
        let leaf = ObjectType(name: "leaf", fields: [.init(name: "n", type: .int, required: false)])
        let node = ObjectType(name: "node", fields: [
            .init(name: "left", type: .object(leaf), required: false),
            .init(name: "right", type: .object(leaf), required: false),
        ])
        let decoder = RequestDecoder(schema: RequestSchema(root: node))
        let request = try decoder.decode(#"{"left": {"n": 3}}"#).get()
        guard case .int(3)? = request["left"]?.object?["n"], case .int(0)? = request["right"]?.object?["n"] else {
            Issue.record("\(request.root.fields)")
            return
        }
    }

    @Test("wide objects: more fields than the literal fast path and than the inline seen-set")
    func wideObjects() throws {
        let fields = (0..<70).map { ObjectType.Field(name: "f\($0)", type: .int, required: $0 % 2 == 0) }
        let wide = ObjectType(name: "wide", fields: fields)
        let decoder = RequestDecoder(schema: RequestSchema(root: wide))
        // Fields in reverse order, so the next-slot hint always misses.
        let body = stride(from: 68, through: 0, by: -2).map { "\"f\($0)\": \($0)" }.joined(separator: ", ")
        let request = try decoder.decode("{\(body)}").get()
        guard case .int(66)? = request["f66"], case .int(0)? = request["f67"], case .int(0)? = request["f0"] else {
            Issue.record("\(request.root.fields)")
            return
        }
        let duplicate = try #require(decoder.decode("{\(body), \"f66\": 1}").error)
        #expect(duplicate.code == .duplicateField && duplicate.path == "$.f66")
        let missing = try #require(decoder.decode(#"{"f1": 1}"#).error)
        #expect(missing.errors.count == 20)  // 35 required fields missing, capped
        #expect(missing.truncated)
        #expect(missing.errors.first?.path == "$.f0")
    }

    @Test("strings around the eight-byte scanning boundary")
    func stringBoundaries() throws {
        for length in 0...20 {
            for special in ["", "\\\"", "é", "\\u00e9", "中"] {
                let raw = String(repeating: "a", count: length) + special + "z"
                let decoded = try JSONDecoder().decode(String.self, from: Data("\"\(raw)\"".utf8))
                let text = Fixtures.minimal.replacingFirst(#""id": "u-1""#, with: #""id": "\#(raw)""#)
                let request = try decoder.decode(text).get()
                #expect(request["actor"]?.object?["id"]?.stringValue == decoded, "\(raw)")
            }
            // A raw control character after `length` plain bytes.
            let bad = #"{"id": ""# + String(repeating: "a", count: length) + "\u{1}\"}"
            let error = try #require(decoder.decode(bad).error)
            #expect(error.code == .invalidJSON)
            #expect(error.offset == 8 + length)
        }
        // A string that ends the input (no room for a word-sized read).
        #expect(try #require(decoder.decode(#"{"id": "abc"#).error).message == "invalid JSON: unterminated string")
    }

    @Test("decimals from JSON numbers are read exactly, never through Double")
    func decimalNumbers() throws {
        for (number, expected) in [("129.99", "129.99"), ("0.1", "0.1"), ("-5", "-5"), ("1.5e2", "150"), ("-0", "0"),
                                   ("12345678901234567890.12", "12345678901234567890.12"), ("2E-2", "0.02")] {
            let text = Fixtures.minimal.replacingFirst(#""total": "10""#, with: #""total": \#(number)"#)
            let request = try decoder.decode(text).get()
            guard case .decimal(let total)? = request["order"]?.object?["total"] else {
                Issue.record("\(number)")
                continue
            }
            #expect(total == CELDecimal(parsing: expected), "\(number)")
            #expect(total.description == CELDecimal(parsing: expected)?.description, "\(number)")
        }
    }

    @Test("decimal strings parse as CELDecimal(parsing:) does", arguments: [
        "129.99", "0", "-0", "+1", "-0.01", ".5", "5.", "007.50", "12345678901234567890123456789012345678",
        "123456789012345678", "1234567890123456789012", "", ".", "+", "1e3", "1,5", "12abc", " 1", "1.2.3", "--1",
        "123456789012345678901234567890123456789", "0.000000000000000000000000000000000000001",
    ])
    func decimalParity(_ text: String) {
        let expected = CELDecimal(parsing: text)
        let json = Fixtures.minimal.replacingFirst(#""total": "10""#, with: #""total": "\#(text)""#)
        switch decoder.decode(json) {
        case .success(let request):
            guard case .decimal(let total)? = request["order"]?.object?["total"] else { Issue.record("no total"); return }
            #expect(total == expected)
            #expect(total.description == expected?.description)
        case .failure(let error):
            #expect(expected == nil, "rejected `\(text)`: \(error)")
            #expect(error.code == .invalidDecimal)
        }
    }

    @Test("timestamps parse as CELTimestamp(rfc3339:) does, but require an offset", arguments: [
        "2026-11-27T10:00:00+08:00", "2026-11-27T10:00:00Z", "2026-11-27t10:00:00z", "2026-11-27T10:00:00.5-03:30",
        "2026-11-27T10:00:00.123456789123Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
        "0001-01-01T00:00:00+00:01", "2024-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
        "2026-11-27T10:00:60Z", "2026-11-27 10:00:00Z", "2026-11-27T10:00:00", "2026-11-27T10:00:00.Z",
        "2026-11-27T10:00:00+8:00", "2026-11-27T10:00:00+08:00 ", "26-11-27T10:00:00Z", "0000-01-01T00:00:00Z",
    ])
    func timestampParity(_ text: String) {
        let expected = CELTimestamp(rfc3339: text)
        let json = Fixtures.minimal.replacingFirst(#""2026-11-27T10:00:00Z""#, with: #""\#(text)""#)
        switch decoder.decode(json) {
        case .success(let request):
            #expect(request.at == expected)
        case .failure(let error):
            #expect(expected == nil, "rejected `\(text)`: \(error)")
            #expect(error.code == .invalidTimestamp)
            #expect(error.path == "$.at")
        }
    }

    @Test("unicode escapes, surrogate pairs and raw UTF-8 decode correctly")
    func unicode() throws {
        let text = Fixtures.minimal.replacingFirst(#""id": "u-1""#, with: #""id": "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t 中文 é""#)
        let request = try decoder.decode(text).get()
        #expect(request["actor"]?.object?["id"]?.stringValue == "café 😀 \"q\" \\ / \n\t 中文 é")
        // Escapes in field names and enum values are decoded before matching.
        let escaped = Fixtures.minimal.replacingFirst(#""status": "paid""#, with: #""st\u0061tus": "p\u0061id""#)
        #expect(try decoder.decode(escaped).get()["order"]?.object?["status"]?.stringValue == "paid")
        // A long escaped string after another one (the scratch buffer is reused).
        let long = String(repeating: "\\u4e2d", count: 40)
        let twice = Fixtures.minimal.replacingFirst(#""u-1""#, with: "\"\(long)\"").replacingFirst(#""o-1""#, with: "\"x\(long)\"")
        let decoded = try decoder.decode(twice).get()
        #expect(decoded["actor"]?.object?["id"]?.stringValue == String(repeating: "中", count: 40))
        #expect(decoded["order"]?.object?["id"]?.stringValue == "x" + String(repeating: "中", count: 40))
    }

    @Test("durations, maps, dyn, uint and double fields")
    func otherTypes() throws {
        let request = try Fixtures.miscDecoder.decode(#"""
            {"grace": "1h30m", "tags": {"b": 2, "a": 1}, "extra": {"k": [1, 2.5, "x", true, null, {"n": -1}], "big": 18446744073709551615},
             "count": 7, "ratio": 0.25, "note": "", "when": null}
            """#).get()
        guard case .duration(let grace)? = request["grace"] else { Issue.record("grace"); return }
        #expect(grace == CELDuration(parsing: "90m"))
        guard case .map(let tags)? = request["tags"] else { Issue.record("tags"); return }
        #expect(tags.keys.compactMap(\.stringValue) == ["b", "a"])
        guard case .int(1)? = tags[string: "a"], case .uint(7)? = request["count"], case .double(0.25)? = request["ratio"] else {
            Issue.record("\(request.root.fields)")
            return
        }
        guard case .map(let extra)? = request["extra"], case .list(let list)? = extra[string: "k"],
            case .uint(UInt64.max)? = extra[string: "big"]
        else { Issue.record("extra"); return }
        #expect(list.count == 6)
        guard case .int(1) = list[0], case .double(2.5) = list[1], case .null = list[4] else { Issue.record("\(list)"); return }
        #expect(request["when"] == nil)
    }
}

@Suite("request decoding: errors")
struct RequestErrorTests {
    let decoder = Fixtures.decoder

    private func error(_ text: String, decoder: RequestDecoder? = nil) throws -> RequestError {
        try #require((decoder ?? self.decoder).decode(text).error, "expected `\(text)` to be rejected")
    }

    @Test("a bad enum value: path, message and did-you-mean")
    func invalidEnum() throws {
        let text = Fixtures.reference.replacingFirst(#""status": "paid""#, with: #""status": "shiped""#)
        let error = try error(text)
        #expect(error.errors.count == 1)
        #expect(error.code == .invalidEnum)
        #expect(error.code.rawValue == "request-invalid-enum")
        #expect(error.path == "$.order.status")
        #expect(error.message == "`order.status` must be one of `pending_payment`, `paid`, `processing`, `shipped`, `delivered` or `cancelled`; found `shiped`")
        #expect(error.help == "did you mean `shipped`?")
        #expect(error.offset == text.byteOffset(of: #""shiped""#))
    }

    @Test("a bad enum in a nested list element")
    func invalidEnumInList() throws {
        let text = Fixtures.reference.replacingFirst(#""initiator": "buyer""#, with: #""initiator": "admin""#)
        let error = try error(text)
        #expect(error.code == .invalidEnum)
        #expect(error.path == "$.buyer_history.cancellations[0].initiator")
        #expect(error.message == "`buyer_history.cancellations[0].initiator` must be one of `buyer`, `seller`, `support` or `system`; found `admin`")
        #expect(error.help == nil)
    }

    @Test("a missing required field")
    func missingField() throws {
        let text = Fixtures.reference.replacingFirst(#""status": "paid", "#, with: "")
        let error = try error(text)
        #expect(error.code == .missingField)
        #expect(error.path == "$.order.status")
        #expect(error.message == "missing required field `order.status`")
        #expect(error.offset == text.byteOffset(of: #"{"id": "o-1""#))
    }

    @Test("`null` for a required field")
    func requiredNull() throws {
        let error = try error(Fixtures.reference.replacingFirst(#""reason": "changed_mind""#, with: #""reason": null"#))
        #expect(error.code == .missingField)
        #expect(error.path == "$.reason")
        #expect(error.message == "`reason` is required; found `null`")
    }

    @Test("an unknown field, with did-you-mean")
    func unknownField() throws {
        let text = Fixtures.reference.replacingFirst(#""currency""#, with: #""curency""#)
        let error = try error(text)
        // `currency` is then missing too: both are reported, in the order met.
        #expect(error.errors.map(\.code) == [.unknownField, .missingField])
        #expect(error.code.rawValue == "request-unknown-field")
        #expect(error.path == "$.order.curency")
        #expect(error.message == "unknown field `curency` in `order`")
        #expect(error.help == "did you mean `currency`?")
        #expect(error.offset == text.byteOffset(of: #""curency""#))

        let top = try self.error(Fixtures.reference.replacingFirst(#""locale""#, with: #""locael""#))
        #expect(top.path == "$.locael")
        #expect(top.message == "unknown field `locael`")
        #expect(top.help == "did you mean `locale`?")

        let far = try self.error(Fixtures.reference.replacingFirst(#""seller_id""#, with: #""zzz", "seller_id""#).replacingFirst(#""zzz","#, with: #""zzz": {"deep": [1, {"x": null}]},"#))
        #expect(far.path == "$.order.zzz")
        #expect(far.help == "expected one of `id`, `status`, `placed_at`, `total`, `currency`, `payment_method` or `seller_id`")

        let odd = try self.error(#"{"a b": 1}"#)
        #expect(odd.path == "$['a b']")
    }

    @Test("a field given twice")
    func duplicateField() throws {
        let text = Fixtures.reference.replacingFirst(#""reason": "changed_mind""#, with: #""reason": "other", "reason": "changed_mind""#)
        let error = try error(text)
        #expect(error.code == .duplicateField)
        #expect(error.path == "$.reason")
        #expect(error.message == "`reason` appears more than once")
        let map = try self.error(#"{"tags": {"a": 1, "a": 2}}"#, decoder: Fixtures.miscDecoder)
        #expect(map.code == .duplicateField)
        #expect(map.path == "$.tags.a")
        #expect(map.offset == 18)
    }

    @Test("type mismatches name the expected type and show what was found")
    func typeMismatch() throws {
        let cases: [(String, String, String, String)] = [
            (#""verified": false"#, #""verified": "false""#, "$.actor.verified", "`actor.verified` must be a boolean; found `\"false\"`"),
            (#""orders_30d": 120"#, #""orders_30d": 1.5"#, "$.seller_stats.orders_30d", "`seller_stats.orders_30d` must be an integer; found `1.5`"),
            (#""orders_30d": 120"#, #""orders_30d": 1e3"#, "$.seller_stats.orders_30d", "`seller_stats.orders_30d` must be an integer; found `1e3`"),
            (#""orders_30d": 120"#, #""orders_30d": "120""#, "$.seller_stats.orders_30d", "`seller_stats.orders_30d` must be an integer; found `\"120\"`"),
            (#""orders_30d": 120"#, #""orders_30d": 9223372036854775808"#, "$.seller_stats.orders_30d",
             "`seller_stats.orders_30d` must be an integer between -9223372036854775808 and 9223372036854775807; found `9223372036854775808`"),
            (#""actor": {"#, #""actor": [], "x": {"#, "$.actor", "`actor` must be an object; found an array"),
            (#""cancellations": ["#, #""cancellations": {"a": 1}, "x": ["#, "$.buyer_history.cancellations", "`buyer_history.cancellations` must be an array; found an object"),
            (#""status": "paid""#, #""status": 3"#, "$.order.status",
             "`order.status` must be one of `pending_payment`, `paid`, `processing`, `shipped`, `delivered` or `cancelled`; found `3`"),
            (#""total": "129.99""#, #""total": true"#, "$.order.total", "`order.total` must be a decimal such as `\"129.99\"`; found `true`"),
            (#""at": "2026-11-27T10:00:00+08:00""#, #""at": 1764208800"#, "$.at",
             "`at` must be an RFC 3339 timestamp string such as `\"2026-11-27T10:00:00+08:00\"`; found `1764208800`"),
        ]
        for (target, replacement, path, message) in cases {
            let text = Fixtures.reference.replacingFirst(target, with: replacement)
            let error = try error(text)
            #expect(error.code == .typeMismatch, "\(replacement)")
            #expect(error.path == path)
            #expect(error.message == message)
            #expect(error.offset == text.byteOffset(of: replacement) + replacement.utf8.count - replacement.drop { $0 != ":" }.dropFirst(2).utf8.count, "\(replacement)")
        }
        let root = try error("[1, 2]")
        #expect(root.code == .typeMismatch && root.path == "$")
        #expect(root.message == "the request must be a JSON object; found an array")
        // A null list element is a mismatch, not an absent element.
        let nullElement = try error(Fixtures.reference.replacingFirst(#""cancellations": ["#, with: #""cancellations": [null, "#))
        #expect(nullElement.path == "$.buyer_history.cancellations[0]")
        #expect(nullElement.message.hasSuffix("must be an object; found `null`"))
        // 64-bit edges.
        let minimum = Fixtures.reference.replacingFirst(#""orders_30d": 120"#, with: #""orders_30d": -9223372036854775808"#)
        guard case .int(Int64.min)? = try decoder.decode(minimum).get()["seller_stats"]?.object?["orders_30d"] else {
            Issue.record("Int64.min")
            return
        }
        let uint = try error(#"{"count": -1}"#, decoder: Fixtures.miscDecoder)
        #expect(uint.message == "`count` must be an integer between 0 and 18446744073709551615; found `-1`")
        let bytes = try error(#"{"blob": "AAE="}"#, decoder: Fixtures.miscDecoder)
        #expect(bytes.code == .typeMismatch)
        #expect(bytes.message == "`blob` has type `bytes`, which a JSON request cannot carry")
    }

    @Test("a timestamp without an offset is rejected with a hint")
    func timestampWithoutOffset() throws {
        let text = Fixtures.reference.replacingFirst(#""at": "2026-11-20T12:00:00Z""#, with: #""at": "2026-11-20T12:00:00""#)
        let error = try error(text)
        #expect(error.code == .invalidTimestamp)
        #expect(error.code.rawValue == "request-invalid-timestamp")
        #expect(error.path == "$.buyer_history.cancellations[0].at")
        #expect(error.message == "`buyer_history.cancellations[0].at` must be an RFC 3339 timestamp with an offset, such as `2026-11-27T10:00:00+08:00`; found `2026-11-20T12:00:00`")
        #expect(error.help == "add `Z` for UTC or an offset such as `+08:00`")
        let impossible = try self.error(Fixtures.reference.replacingFirst("2026-11-27T09:40:00", with: "2026-02-30T09:40:00"))
        #expect(impossible.code == .invalidTimestamp)
        #expect(impossible.path == "$.order.placed_at")
        #expect(impossible.help == nil)
    }

    @Test("an invalid decimal")
    func invalidDecimal() throws {
        let error = try error(Fixtures.reference.replacingFirst(#""129.99""#, with: #""129,99""#))
        #expect(error.code == .invalidDecimal)
        #expect(error.code.rawValue == "request-invalid-decimal")
        #expect(error.path == "$.order.total")
        #expect(error.message == "`order.total` must be a decimal such as `\"129.99\"` (digits, an optional sign and point, at most 38 digits); found `129,99`")
        let tooPrecise = try self.error(Fixtures.reference.replacingFirst(#""129.99""#, with: "1" + String(repeating: "0", count: 39)))
        #expect(tooPrecise.code == .invalidDecimal)
    }

    @Test("an invalid duration")
    func invalidDuration() throws {
        let error = try error(#"{"grace": "30 minutes"}"#, decoder: Fixtures.miscDecoder)
        #expect(error.code == .invalidDuration)
        #expect(error.code.rawValue == "request-invalid-duration")
        #expect(error.path == "$.grace")
        #expect(error.message == "`grace` must be a duration such as `30m`, `720h` or `1.5s`; found `30 minutes`")
        #expect(error.offset == 10)
    }

    @Test("malformed JSON is reported with its byte offset", arguments: [
        (#"{"id": "req-1",}"#, 15, "invalid JSON: expected a field name in double quotes, found `}`"),
        (#"{"id" "req-1"}"#, 6, "invalid JSON: expected `:` after the field name, found `\"`"),
        (#"{"id": "req-1""#, 14, "invalid JSON: expected `,` or `}`, found end of input"),
        (#"{"id": "req-1"} x"#, 16, "invalid JSON: unexpected `x` after the request object"),
        (#"{"id": "req"#, 7, "invalid JSON: unterminated string"),
        (#"{"id": tru}"#, 7, "invalid JSON: unexpected `t`"),
        (#"{"id": nullx}"#, 11, "invalid JSON: unexpected `x`"),
        (#"{"nope": 012}"#, 10, "invalid JSON: a number must not have leading zeros"),
        (#"{"nope": 1.}"#, 11, "invalid JSON: expected a digit after the decimal point, found `}`"),
        (#"{"nope": 'x'}"#, 9, "invalid JSON: unexpected `'`"),
        ("", 0, "invalid JSON: the request is empty"),
        ("   ", 3, "invalid JSON: the request is empty"),
        (#"{"id": "a\qb"}"#, 9, "invalid JSON: invalid escape `\\q` in a string"),
        (#"{"id": "\ud83d"}"#, 8, "invalid JSON: unpaired surrogate `\\uD83D` in a string"),
        (#"{"id": "\ud83dx"}"#, 8, "invalid JSON: unpaired surrogate `\\uD83D` in a string"),
        (#"{"id": "\ude00"}"#, 8, "invalid JSON: unpaired surrogate `\\uDE00` in a string"),
        (#"{"id": "\ud83d\u0041"}"#, 8, "invalid JSON: unpaired surrogate `\\uD83D` in a string"),
        (#"{"id": "\u12G4"}"#, 12, "invalid JSON: a `\\u` escape needs four hex digits"),
        ("{\"id\": \"a\nb\"}", 9, "invalid JSON: control character U+000A in a string; write it as an escape"),
    ])
    func malformed(_ text: String, offset: Int, message: String) throws {
        let error = try error(text)
        #expect(error.errors.count == 1)
        #expect(error.code == .invalidJSON)
        #expect(error.code.rawValue == "request-invalid-json")
        #expect(error.offset == offset)
        #expect(error.message == message)
    }

    @Test("invalid UTF-8 is invalid JSON", arguments: [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8], [0x80],
    ] as [[UInt8]])
    func invalidUTF8(_ sequence: [UInt8]) throws {
        let bytes = Array(#"{"id": "a"#.utf8) + sequence + Array(#"b"}"#.utf8)
        let error = try #require(decoder.decode(bytes).error)
        #expect(error.code == .invalidJSON)
        #expect(error.message == "invalid JSON: invalid UTF-8")
        #expect(error.offset == 9)
    }

    @Test("the size limit")
    func tooLarge() throws {
        let decoder = RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxBytes: 100))
        let error = try error(Fixtures.reference, decoder: decoder)
        #expect(error.code == .tooLarge)
        #expect(error.code.rawValue == "request-too-large")
        #expect(error.path == "$")
        #expect(error.message == "the request is \(Fixtures.reference.utf8.count) bytes; the limit is 100")
        #expect(RequestLimits.default.maxBytes == 1_048_576)
    }

    @Test("the depth limit")
    func tooDeep() throws {
        // The reference nests 4 levels: request, buyer_history, cancellations, an element.
        let exact = RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxDepth: 4))
        #expect((try? exact.decode(Fixtures.reference).get()) != nil)
        let shallow = RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxDepth: 3))
        let error = try error(Fixtures.reference, decoder: shallow)
        #expect(error.code == .tooDeep)
        #expect(error.code.rawValue == "request-too-deep")
        #expect(error.path == "$.buyer_history.cancellations[0]")
        #expect(error.message == "`buyer_history.cancellations[0]` nests objects and arrays deeper than 3 levels")
        // Unknown and dyn values count too: a hostile value cannot nest without bound.
        let deep = #"{"extra": "# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        #expect(try self.error(deep, decoder: Fixtures.miscDecoder).code == .tooDeep)
        let unknown = #"{"zzz": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(try self.error(unknown, decoder: Fixtures.miscDecoder).errors.map(\.code) == [.unknownField, .tooDeep])
    }

    @Test("the list length limit")
    func listTooLong() throws {
        let element = #"{"order_id": "o-0", "at": "2026-11-20T12:00:00Z", "initiator": "buyer", "reason": "changed_mind"}"#
        let text = Fixtures.reference.replacingFirst(element, with: element + ", " + element)
        let decoder = RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxListLength: 1))
        let error = try error(text, decoder: decoder)
        #expect(error.code == .listTooLong)
        #expect(error.path == "$.buyer_history.cancellations")
        #expect(error.message == "`buyer_history.cancellations` has more than 1 elements")
        #expect(error.offset == text.byteOffset(of: "[\n"))
        #expect((try? RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxListLength: 2)).decode(text).get()) != nil)
    }

    @Test("several problems are collected, in document order, up to the limit")
    func collected() throws {
        let text = Fixtures.reference
            .replacingFirst(#""role": "buyer""#, with: #""role": "buyr""#)
            .replacingFirst(#""status": "paid""#, with: #""status": "piad""#)
            .replacingFirst(#""stockout_cancellations_30d": 3"#, with: #""stockout_cancellations_30d": -1.0"#)
        let error = try error(text)
        #expect(error.errors.map(\.path) == ["$.actor.role", "$.order.status", "$.seller_stats.stockout_cancellations_30d"])
        #expect(error.errors.map(\.code) == [.invalidEnum, .invalidEnum, .typeMismatch])
        #expect(error.errors[0].help == "did you mean `buyer`?")
        #expect(error.errors[1].help == "did you mean `paid`?")
        #expect(!error.truncated)

        let capped = RequestDecoder(schema: Fixtures.schema, limits: RequestLimits(maxErrors: 2))
        let truncated = try self.error(text, decoder: capped)
        #expect(truncated.errors.count == 2)
        #expect(truncated.truncated)
    }

    @Test("error descriptions carry code, path and offset")
    func descriptions() throws {
        let error = try error(Fixtures.reference.replacingFirst(#""status": "paid""#, with: #""status": "shiped""#))
        #expect(error.description.hasPrefix("error[request-invalid-enum] at $.order.status (byte "))
        #expect(error.description.hasSuffix("(help: did you mean `shipped`?)"))
        // User text is cut and control characters escaped in messages.
        let long = String(repeating: "x", count: 100)
        let cut = try self.error(Fixtures.reference.replacingFirst(#""status": "paid""#, with: #""status": "\#(long)\n""#))
        #expect(cut.message.hasSuffix("found `" + String(repeating: "x", count: 64) + "…`"))
        let newline = try self.error(Fixtures.reference.replacingFirst(#""status": "paid""#, with: #""status": "a\nb""#))
        #expect(newline.message.hasSuffix("found `a\\nb`"))
    }
}
