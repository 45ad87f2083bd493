import CELRuntime
import Foundation
import RescindDiagnostics
import RescindJSON
@testable import Rescind
import CEL
import RescindPolicy
@testable import RescindEngine
import Testing

/// The decision JSON is written by hand-tuned code (literals for the fixed keys, strings
/// checked and copied a word at a time); this compares it with a plain rendering from the
/// decision's public properties, on every example request and on variants whose ids and
/// texts need escaping.
@Suite("Decision JSON")
struct DecisionJSONTests {
    static let policySet = ReferencePackTests.policies.policySet!

    /// The decision JSON as the documented contract spells it, built the simple way.
    static func reference(_ decision: Decision) -> String {
        func string(_ text: String?) -> String { text.map(jsonString) ?? "null" }
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
        func value(_ value: Obligation.FieldValue) -> String {
            switch value {
            case .string(let text): string(text)
            case .int, .bool: value.text
            case .decimal, .time: "\"" + value.text + "\""
            }
        }
        var json = "{\"request_id\":\(string(decision.requestID)),\"effect\":\(string(decision.effect.rawValue))"
        json += ",\"deciding_rules\":" + list(decision.decidingRules.map(string))
        json += ",\"matched_rules\":" + list(decision.matchedRules.map(string))
        json += ",\"obligations\":" + list(decision.obligations.map { obligation in
            "{\"type\":\(string(obligation.type)),\"source\":\(string(obligation.source))"
                + obligation.fields.map { ",\(string($0.name)):\(value($0.value))" }.joined() + "}"
        })
        json += ",\"reasons\":" + list(decision.reasons.map { "{\"rule\":\(string($0.rule)),\"text\":\(string($0.text))}" })
        json += ",\"locale\":\(string(decision.locale))"
        json += ",\"policy\":{\"name\":\(string(decision.policy.name)),\"version\":\(string(decision.policy.version))"
        json += ",\"digest\":\(string(decision.policy.digest))}"
        if !decision.problems.isEmpty {
            json += ",\"problems\":" + list(decision.problems.map { problem in
                "{\"kind\":\(string(problem.kind.rawValue)),\"rule\":\(string(problem.rule))"
                    + ",\"expression\":\(string(problem.expression))"
                    + ",\"location\":\(string(problem.location.description)),\"message\":\(string(problem.message))}"
            })
        }
        return json + "}"
    }

    /// Every example request, and copies with ids that need escaping or are long.
    static func requests() throws -> [[String: Any]] {
        let directory = ReferencePackTests.root.appendingPathComponent("Examples/requests")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        let examples = try names.map { name in
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as! [String: Any]
        }
        let ids = [
            "", "a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "q\"uote", "back\\slash", "tab\there", "\u{1}", "\u{7F}",
            "订单-1", "🙂", "a longer request id that is more than sixteen bytes", String(repeating: "x", count: 63) + "\"",
            "nul\u{0}byte", "line\nbreak\r",
        ]
        var requests = examples
        for (index, id) in ids.enumerated() {
            var request = examples[index % examples.count]
            request["id"] = id
            if var order = request["order"] as? [String: Any] {
                order["id"] = id + "-order"  // reasons quote the order id
                request["order"] = order
            }
            request["locale"] = index % 2 == 0 ? "en" : "zh-CN"
            requests.append(request)
        }
        return requests
    }

    @Test("the written JSON equals the reference rendering, byte for byte")
    func matchesReference() throws {
        let decoder = RequestDecoder(schema: Self.policySet.schema)
        var checked = 0
        for request in try Self.requests() {
            let bytes = try JSONSerialization.data(withJSONObject: request)
            let decoded = try decoder.decode(bytes).get()
            let decision = Self.policySet.decide(decoded.root)
            #expect(decision.json == Self.reference(decision))
            // Appended after what a buffer already holds, and valid JSON on its own.
            var buffer = Array("prefix".utf8)
            decision.writeJSON(into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == "prefix" + Self.reference(decision))
            #expect(try JSONSerialization.jsonObject(with: Data(buffer.dropFirst(6))) is [String: Any])
            checked += 1
        }
        #expect(checked > 40)
    }

    @Test("the refund's keys are Refund.fieldNames, in order")
    func refundKeys() throws {
        let decoder = RequestDecoder(schema: Self.policySet.schema)
        let path = ReferencePackTests.root.appendingPathComponent("Examples/requests/buyer-paid-card.json")
        let decision = Self.policySet.decide(try decoder.decode(Data(contentsOf: path)).get().root)
        let json = decision.json
        let refund = try #require(json.range(of: #"{"type":"refund""#))
        let keys = Refund.fieldNames.map { "\"\($0)\":" }
        var cursor = refund.upperBound
        for key in keys {
            let found = try #require(json.range(of: key, range: cursor..<json.endIndex), "\(key)")
            cursor = found.upperBound
        }
    }

    @Test("strings of every length up to 40 with a byte to escape at every position")
    func escapingEverywhere() {
        for length in 0...40 {
            for position in 0..<max(length, 1) {
                for special: UInt8 in [0x00, 0x0A, 0x1F, 0x22, 0x5C, 0x7F, 0x41] where length > 0 || special == 0x41 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "m"), count: length)
                    if length > 0 { bytes[position] = special }
                    let text = String(decoding: bytes, as: UTF8.self)
                    let written = JSONWriter.bytes(capacity: 64) { $0.string(text) }
                    #expect(String(decoding: written, as: UTF8.self) == jsonString(text), "length \(length), \(special) at \(position)")
                }
            }
        }
    }

    @Test("deadlines are RFC 3339 with the offset, as formatted field by field")
    func deadlines() {
        func reference(_ epochSeconds: Int64, offset: Int) -> String {
            let local = epochSeconds + Int64(offset)
            let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
            let date = CivilDate(daysSinceEpoch: Int(days))
            let second = Int(local - days * 86_400)
            func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            var text = date.year > 9999 || date.year < 0
                ? String("\(date)".prefix(32))
                : String(repeating: "0", count: 4 - String(date.year).count) + "\(date.year)-\(two(date.month))-\(two(date.day))"
            text += "T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))"
            if offset == 0 { return text + "Z" }
            return text + (offset < 0 ? "-" : "+") + two(abs(offset) / 3600) + ":" + two(abs(offset) / 60 % 60)
        }
        var generator = SystemRandomNumberGenerator()
        var samples: [(Int64, Int)] = [(0, 0), (-1, 0), (86_399, 3600), (-62_135_596_800, 0), (253_402_300_799, 0), (1_795_000_000, -45_900)]
        for _ in 0..<5000 {
            samples.append((Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator), Int.random(in: -56...56) * 900))
        }
        for (seconds, offset) in samples {
            #expect(Deadline.format(seconds, offset: offset) == reference(seconds, offset: offset), "\(seconds) \(offset)")
        }
    }
}
