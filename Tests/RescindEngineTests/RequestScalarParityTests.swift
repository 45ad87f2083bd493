import CELCommon
import CELRuntime
import Foundation
@testable import RescindEngine
import Testing

/// The decoder reads timestamps, decimals and field names straight from bytes; these
/// compare it, over many generated inputs, with the `String`-based parsers it must agree
/// with and with the decoded form of the same request.
@Suite("request decoding: byte-level readers agree with the reference parsers")
struct RequestScalarParityTests {
    let decoder = Fixtures.decoder

    /// The minimal request with `at` set to `text` (a JSON string's contents).
    private func decodedAt(_ text: String) -> Result<DecodedRequest, RequestError> {
        decoder.decode(Fixtures.minimal.replacingFirst(#""2026-11-27T10:00:00Z""#, with: #""\#(text)""#))
    }

    private func expectTimestampParity(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = CELTimestamp(rfc3339: text)
        switch decodedAt(text) {
        case .success(let request):
            #expect(request.at == expected, "`\(text)`", sourceLocation: sourceLocation)
        case .failure(let error):
            // Only a missing offset may be rejected where CELTimestamp(rfc3339:) accepts.
            #expect(expected == nil, "rejected `\(text)`: \(error)", sourceLocation: sourceLocation)
            #expect(error.code == .invalidTimestamp, sourceLocation: sourceLocation)
        }
    }

    @Test("timestamps: every month's last days, leap years and the ends of the range")
    func timestampCalendar() {
        for year in [1, 4, 99, 100, 400, 1900, 1970, 1999, 2000, 2024, 2026, 2100, 9999] {
            for month in 0...13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    let date = String(format: "%04d-%02d-%02d", year, month, day)
                    expectTimestampParity("\(date)T00:00:00Z")
                    expectTimestampParity("\(date)T23:59:59.999999999+14:00")
                    expectTimestampParity("\(date)t12:30:45-23:59")
                }
            }
        }
    }

    @Test("timestamps: each character of the date and time replaced by neighbours of what belongs there")
    func timestampCharacters() {
        let valid = Array("2026-11-27T10:20:30.123+08:00")
        // Digits' ASCII neighbours, bytes whose low nibble is a digit's but high nibble is
        // not, separators in the wrong place, and non-ASCII.
        let replacements: [Character] = ["/", ":", ";", "?", "@", " ", "0", "9", "-", "T", "t", "Z", "+", ".", "P", "`", "é", "中"]
        for index in valid.indices {
            for replacement in replacements {
                var text = valid
                text[index] = replacement
                expectTimestampParity(String(text))
            }
            expectTimestampParity(String(valid[..<index]))  // every prefix
        }
        for hours in [0, 9, 10, 23, 24, 99] {
            for seconds in [0, 59, 60] {
                expectTimestampParity(String(format: "2026-11-27T%02d:%02d:%02dZ", hours, seconds, seconds))
            }
        }
        for fraction in ["", ".", ".0", ".1", ".123456789", ".1234567891", ".12345678912345", ".x"] {
            expectTimestampParity("2026-11-27T10:00:00\(fraction)Z")
        }
    }

    /// Decimal numerals: signs, leading and trailing zeros, points, up to 40 digits.
    private var decimalTexts: [String] {
        var texts: [String] = ["0", "-0", "+0", "0.0", "00", "0.000", ".0", "0.", "1", "-1", "+1", "10", "100", "1000000"]
        var generator = SplitMix64(seed: 2026)
        let digitCounts = Array(1...40)
        for _ in 0..<3000 {
            let count = digitCounts.randomElement(using: &generator)!
            var digits = String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            if Bool.random(using: &generator) { digits += String(repeating: "0", count: Int.random(in: 1...6, using: &generator)) }
            if Bool.random(using: &generator) {
                let point = Int.random(in: 0...digits.count, using: &generator)
                digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
            }
            texts.append(["", "-", "+"].randomElement(using: &generator)! + digits)
        }
        return texts
    }

    private func decodedTotal(_ json: String) -> Result<DecodedRequest, RequestError> {
        decoder.decode(Fixtures.minimal.replacingFirst(#""total": "10""#, with: #""total": \#(json)"#))
    }

    @Test("decimal strings: the same value and text as CELDecimal(parsing:), which is Decimal(string:)")
    func decimalStrings() {
        for text in decimalTexts {
            let expected = CELDecimal(parsing: text)
            switch decodedTotal("\"\(text)\"") {
            case .success(let request):
                guard case .decimal(let total)? = request["order"]?.object?["total"] else {
                    Issue.record("no total for `\(text)`")
                    continue
                }
                #expect(total == expected, "`\(text)`")
                #expect(total.description == expected?.description, "`\(text)`")
                expectSameValue(total.value, Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), text)
            case .failure(let error):
                #expect(expected == nil, "rejected `\(text)`: \(error)")
            }
        }
    }

    @Test("decimal numbers: exactly their text, exponents included, never through Double")
    func decimalNumbers() {
        var numbers = decimalTexts.filter { text in
            // JSON's grammar: no `+`, no leading zeros, digits on both sides of a point.
            let unsigned = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard !text.hasPrefix("+"), let first = unsigned.first, first != ".", !unsigned.hasSuffix(".") else { return false }
            return first != "0" || unsigned.count == 1 || unsigned.dropFirst().first == "."
        }
        for mantissa in ["1", "-1", "1.5", "12.345", "0", "-0.0", "129.99", "123456789012345678"] {
            for exponent in ["e0", "e1", "E2", "e+3", "e-2", "E-20", "e100", "e-100", "e127", "e-128", "e200"] {
                numbers.append(mantissa + exponent)
            }
        }
        for number in numbers {
            let reference = Decimal(string: number, locale: Locale(identifier: "en_US_POSIX"))
            // What the decoder must reject: more than 38 digits, a scale outside Decimal's
            // exponent, or an exponent on more digits than 64 bits hold.
            let parts = number.lowercased().split(separator: "e")
            let digits = parts[0].filter(\.isNumber)
            let fractionDigits = parts[0].split(separator: ".").dropFirst().first?.count ?? 0
            let exponent = parts.count > 1 ? Int(parts[1])! : 0
            let scale = exponent - fractionDigits
            let rejected = digits.count > 38 || scale < -128 || scale > 127 || (UInt64(digits) == nil && exponent != 0)
            switch decodedTotal(number) {
            case .success(let request):
                #expect(!rejected, "accepted `\(number)`")
                guard case .decimal(let total)? = request["order"]?.object?["total"] else {
                    Issue.record("no total for `\(number)`")
                    continue
                }
                expectSameValue(total.value, reference, number)
            case .failure(let error):
                #expect(rejected, "rejected `\(number)`: \(error)")
                #expect(error.code == .invalidDecimal)
            }
        }
    }

    private func expectSameValue(
        _ decoded: Decimal, _ reference: Decimal?, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let reference else {
            Issue.record("Decimal(string:) rejects `\(text)`", sourceLocation: sourceLocation)
            return
        }
        // A zero is always read as +0 (Decimal may take a negative zero for NaN).
        if reference.isZero {
            #expect(decoded.isZero && decoded.sign == .plus, "`\(text)`", sourceLocation: sourceLocation)
        } else {
            #expect(decoded == reference, "`\(text)`", sourceLocation: sourceLocation)
            #expect(decoded.description == reference.description, "`\(text)`", sourceLocation: sourceLocation)
        }
    }

    @Test("field names are matched in place, escaped, out of order, spaced or spelled with JSON's specials")
    func fieldNames() throws {
        let reference = try decoder.decode(Fixtures.reference).get()
        let variants = [
            // Out of the schema's order.
            Fixtures.reference.replacingFirst(#""id": "req-1", "at": "2026-11-27T10:00:00+08:00","#, with: #""at": "2026-11-27T10:00:00+08:00", "id": "req-1","#),
            // Escaped, so only their decoded form matches.
            Fixtures.reference.replacingFirst(#""status""#, with: #""st\u0061tus""#).replacingFirst(#""order_id""#, with: #""order\u005fid""#),
            // Whitespace before the colon, and none anywhere.
            Fixtures.reference.replacingFirst(#""reason": "changed_mind""#, with: "\"reason\" \t: \"changed_mind\""),
            String(Fixtures.reference.filter { !$0.isWhitespace }),
            // Tabs, carriage returns and long runs of spaces between tokens.
            Fixtures.reference.replacingOccurrences(of: ", ", with: ",\r\n\t" + String(repeating: " ", count: 17)),
        ]
        for text in variants {
            let decoded = try decoder.decode(text).get()
            #expect(decoded.root == reference.root, "\(text)")
        }
        // A name that is a prefix of another, at the end of the input, cut inside the name.
        for cut in [#"{"id"#, #"{"id""#, #"{"id":"#, #"{"i"#, #"{"actor": {"ro"#] {
            #expect(decoder.decode(cut).error?.code == .invalidJSON, "\(cut)")
        }
    }

    @Test("a schema's names that JSON must escape are matched by their decoded form only")
    func namesWithSpecials() throws {
        let type = ObjectType(name: "odd", fields: [
            .init(name: #"a"b"#, type: .int, required: false),
            .init(name: #"c\d"#, type: .int, required: false),
            .init(name: "tab\tname", type: .int, required: false),
            .init(name: "中文", type: .int, required: false),
        ])
        let odd = RequestDecoder(schema: RequestSchema(root: type))
        let decoded = try odd.decode(#"{"a\"b": 1, "c\\d": 2, "tab\tname": 3, "中文": 4}"#).get()
        #expect(decoded.root.fields.map { $0.flatMap { if case .int(let n) = $0 { n } else { nil } } } == [1, 2, 3, 4] as [Int64?])
        // Raw bytes that merely look like a name are not it.
        #expect(odd.decode(#"{"a"b": 1}"#).error?.code == .invalidJSON)
        #expect(odd.decode(#"{"c\d": 2}"#).error?.code == .invalidJSON)
        #expect(odd.decode("{\"tab\tname\": 3}").error?.code == .invalidJSON)
    }

    @Test("whitespace: every kind, around every token, and stray bytes after it", arguments: ["\t", "\n", "\r", " ", "\r\n   ", String(repeating: " ", count: 9)])
    func whitespace(_ run: String) throws {
        let reference = try decoder.decode(Fixtures.minimal).get()
        // The minimal request has no `{`, `}` or `,` inside strings, and `": ` only after names.
        let spaced = Fixtures.minimal.replacingOccurrences(of: "\": ", with: "\"\(run):\(run)")
            .replacingOccurrences(of: ",", with: "\(run),\(run)").replacingOccurrences(of: "{", with: "{\(run)")
            .replacingOccurrences(of: "}", with: "\(run)}")
        #expect(try decoder.decode(run + spaced + run).get().root == reference.root)
        // A byte that is not whitespace ends the run and is reported where it stands.
        let stray = #"{"id":"# + run + "\u{0B}\"req-2\"}"
        let error = try #require(decoder.decode(stray).error)
        #expect(error.code == .invalidJSON)
        #expect(error.offset == 6 + run.utf8.count)
        #expect(error.message == "invalid JSON: unexpected byte 0xB")
    }
}

/// A small seeded generator, so that generated inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The decoder counts days itself (no eras: its years start at 1); it must agree with
/// `CivilDate` on every date it accepts.
@Suite("request decoding: day counts")
struct RequestDayCountTests {
    @Test("every date from 0001-01-01 to 9999-12-31")
    func everyDate() {
        var mismatches = 0
        for year in 1...9999 {
            for month in 1...12 {
                for day in 1...CivilDate.daysIn(month: month, year: year) {
                    let expected = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
                    if RescindEngine.daysSinceEpoch(year: year, month: month, day: day) != expected { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }
}
