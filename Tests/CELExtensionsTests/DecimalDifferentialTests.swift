import Foundation
import Testing

@testable import CELRuntime

/// CELDecimal against the Foundation `Decimal` arithmetic it used to be a thin wrapper
/// over, on many deterministic pseudo-random values: every result, error and text must
/// be the same, whichever way CELDecimal holds and computes the value.
@Suite("decimal agrees with Foundation's Decimal")
struct DecimalDifferentialTests {
    @Test("parsing accepts and reads what it did")
    func parsing() {
        var random = SplitMix64(seed: 1)
        var texts = Reference.specialNumerals
        for _ in 0..<4000 { texts.append(random.numeral()) }
        for _ in 0..<2000 { texts.append(random.garble(random.numeral())) }
        for text in texts {
            let parsed = CELDecimal(parsing: text)
            let expected = Reference.parse(text)
            #expect((parsed == nil) == (expected == nil), "\(text)")
            if let parsed, let expected { expectSame(parsed, expected, text) }
            let fromBytes = Array(text.utf8).withUnsafeBufferPointer { CELDecimal(parsingUTF8: $0) }
            #expect(fromBytes?.description == parsed?.description && fromBytes == parsed, "\(text)")
        }
    }

    @Test("text, rounding, negation and the Foundation value agree")
    func unaryOperations() {
        var random = SplitMix64(seed: 2)
        for (decimal, reference, context) in random.operands(count: 3000) {
            expectSame(decimal, reference, context)
            #expect(CELDecimal(decimal.value) == decimal, "\(context)")
            expectSame(decimal.negated, -reference, "-(\(context))")
            for scale in [-1, 0, 1, 2, 3, 4, 19, 20, 25] {
                let expected = Reference.formatted(reference, scale: scale)
                #expect(decimal.formatted(scale: scale) == expected, "\(context) @\(scale)")
            }
            for scale in [-1, 19] + Array(0...18) {
                expectSame(
                    outcome { try decimal.rounded(scale: scale) }, Reference.rounded(reference, scale: scale),
                    "\(context) rounded to \(scale)")
            }
        }
    }

    @Test("arithmetic and comparisons agree, also on results fed back in")
    func binaryOperations() {
        var random = SplitMix64(seed: 3)
        var operands = random.operands(count: 1500)
        var nativeResults = 0
        var foundationResults = 0
        for round in 0..<2 {
            var results: [Operand] = []
            for _ in 0..<4000 {
                let (a, referenceA, contextA) = operands[random.below(operands.count)]
                let (b, referenceB, contextB) = operands[random.below(operands.count)]
                #expect((a == b) == (referenceA == referenceB), "\(contextA) == \(contextB)")
                #expect((a < b) == (referenceA < referenceB), "\(contextA) < \(contextB)")
                if a == b { #expect(a.hashValue == b.hashValue, "hash \(contextA), \(contextB)") }
                let operations: [(String, Outcome, ReferenceOutcome?)] = [
                    ("+", outcome { try a.adding(b) }, Reference.apply(referenceA, referenceB, NSDecimalAdd)),
                    ("-", outcome { try a.subtracting(b) }, Reference.apply(referenceA, referenceB, NSDecimalSubtract)),
                    ("*", outcome { try a.multiplying(by: b) }, Reference.multiplied(referenceA, referenceB)),
                    ("/", outcome { try a.dividing(by: b) }, Reference.divided(referenceA, referenceB)),
                ]
                for (symbol, actual, expected) in operations {
                    let context = "(\(contextA)) \(symbol) (\(contextB))"
                    guard let expected else { continue }  // Foundation would trap
                    expectSame(actual, expected, context)
                    if case .success(let result) = actual, case .success(let reference) = expected {
                        results.append((result, reference, context))
                        if case .native = result.storage { nativeResults += 1 } else { foundationResults += 1 }
                    }
                }
            }
            if round == 0 { operands += results.filter { _ in random.below(4) == 0 } }
        }
        // Both representations are exercised.
        #expect(nativeResults > 5000 && foundationResults > 5000, "\(nativeResults) \(foundationResults)")
    }

    @Test("equal values hash equally whatever their scale or representation")
    func hashing() throws {
        var random = SplitMix64(seed: 4)
        for _ in 0..<2000 {
            let text = random.numeral(maxDigits: 30)
            let decimal = try #require(CELDecimal(parsing: text))
            let padded = try #require(CELDecimal(parsing: text.contains(".") ? text + "0000" : text + ".000"))
            #expect(decimal == padded && decimal.hashValue == padded.hashValue, "\(text)")
            #expect(Set([decimal, padded, CELDecimal(decimal.value)]).count == 1, "\(text)")
        }
    }

    @Test("a Foundation value with trailing zeros keeps its text and equals and hashes as its value")
    func uncompactFoundationValues() throws {
        var random = SplitMix64(seed: 5)
        for _ in 0..<2000 {
            let (x, y) = (random.numeral(maxDigits: 18), random.numeral(maxDigits: 18))
            var a = try #require(Reference.parse(x))
            var b = try #require(Reference.parse(y))
            // Aligns the exponents, leaving trailing zeros in a significand ("6.5" → "6.50"),
            // and drops digits when the aligned significand would exceed 128 bits.
            let exact = NSDecimalNormalize(&a, &b, .bankers) == .noError
            for (normalized, text) in [(a, x), (b, y)] {
                let decimal = CELDecimal(normalized)
                expectSame(decimal, normalized, "normalized \(text)")
                let parsed = try #require(CELDecimal(parsing: text))
                if exact { #expect(decimal == parsed && decimal.hashValue == parsed.hashValue, "\(text)") }
                for scale in 0...4 {
                    #expect(decimal.formatted(scale: scale) == Reference.formatted(normalized, scale: scale), "\(text)")
                }
            }
        }
    }

    @Test("division across wide exponent gaps, where Foundation first aligns the exponents")
    func wideGapDivision() throws {
        let wide = [
            "12345678901234567890000000000000000000", "10000000000000000000000000000000000000",
            "12300000000000000000000", "92233720368547758000000000000000000000", "50000000000000000000000000",
            "0.5", "7", "-0.00000000000000000008", "12345678901234567.89", "0.0000000000000456", "2.5", "1.2", "-4",
            "3", "0.25", "-9223372036854775807",
        ]
        for x in wide {
            for y in wide {
                let (a, b) = (try #require(CELDecimal(parsing: x)), try #require(CELDecimal(parsing: y)))
                let (referenceA, referenceB) = (try #require(Reference.parse(x)), try #require(Reference.parse(y)))
                // Products reach exponents and significand sizes no 38-digit numeral has.
                let product = try a.multiplying(by: b)
                let referenceProduct = try #require(Reference.multiplied(referenceA, referenceB)).get()
                for (dividend, divisor, expected) in [
                    (a, b, Reference.divided(referenceA, referenceB)),
                    (product, a, Reference.divided(referenceProduct, referenceA)),
                    (a, product, Reference.divided(referenceA, referenceProduct)),
                ] {
                    let context = "\(dividend) / \(divisor)"
                    expectSame(outcome { try dividend.dividing(by: divisor) }, try #require(expected), context)
                }
            }
        }
    }

    @Test("a product too small for any Decimal is an overflow, not Foundation's trap")
    func tinyProducts() throws {
        let tiny = try #require(CELDecimal(parsing: ".00000000000000000000000000000000000001"))
        let tinier = try tiny.multiplying(by: tiny)  // 10^-76
        #expect(throws: CELDecimal.ArithmeticError.overflow) { try tinier.multiplying(by: tinier) }
        // Here Foundation drops 38 digits of the product, bringing its exponent back in range.
        let wide = try #require(Decimal(string: "1.2345678901234567890123456789012345678e-28"))
        let reference = try #require(Reference.apply(wide, wide, NSDecimalMultiply)).get()
        expectSame(try CELDecimal(wide).multiplying(by: CELDecimal(wide)), reference, "wide²")
    }

    @Test("a refund's arithmetic stays native")
    func moneyIsNative() throws {
        let price = try #require(CELDecimal(parsing: "129.99"))
        let rate = try #require(CELDecimal(parsing: "0.05"))
        let fee = try price.multiplying(by: rate).rounded(scale: 2)
        for value in [price, rate, fee, try price.subtracting(fee), try price.dividing(by: CELDecimal(Int64(4)))] {
            if case .foundation = value.storage { Issue.record("\(value) is held by Foundation") }
        }
    }
}

// MARK: - Checks

/// A value under test, its Foundation twin, and how it was made.
private typealias Operand = (decimal: CELDecimal, reference: Decimal, context: String)
private typealias Outcome = Result<CELDecimal, CELDecimal.ArithmeticError>
private typealias ReferenceOutcome = Result<Decimal, CELDecimal.ArithmeticError>

/// The result of a CELDecimal operation; its closure is untyped only because Swift infers
/// `any Error` for it, while the operations throw nothing but `ArithmeticError`.
private func outcome(_ operation: () throws -> CELDecimal) -> Outcome {
    do { return .success(try operation()) } catch { return .failure(error as! CELDecimal.ArithmeticError) }
}

private func expectSame(
    _ actual: CELDecimal, _ expected: Decimal, _ context: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.description == expected.description, "\(context)", sourceLocation: sourceLocation)
    #expect(actual.value == expected, "\(context)", sourceLocation: sourceLocation)
    #expect(actual.value.description == expected.description, "\(context)", sourceLocation: sourceLocation)
}

private func expectSame(
    _ actual: Outcome, _ expected: ReferenceOutcome, _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    switch (actual, expected) {
    case (.success(let actual), .success(let expected)):
        expectSame(actual, expected, context, sourceLocation: sourceLocation)
    case (.failure(let actual), .failure(let expected)):
        #expect(actual == expected, "\(context)", sourceLocation: sourceLocation)
    default:
        Issue.record("\(context): \(actual) instead of \(expected)", sourceLocation: sourceLocation)
    }
}

// MARK: - The reference: CELDecimal as it was, on Foundation's Decimal alone

private enum Reference {
    static let specialNumerals = [
        "0", "-0", "+0", "0.000", "-0.00", "00", ".0", "0.", "1", "-1", "0.5", "-0.5", "2.5", "3.5", "0.125",
        "-0.125", "129.99", "6.50", "0.05", "0.01", "-0.01", "100", "1000.000", "9223372036854775807",
        "-9223372036854775807", "9223372036854775808", "-9223372036854775808", "9999999999999999999",
        "18446744073709551615", "18446744073709551616", "0.9223372036854775807", "92233720368547758.07",
        "1000000000000000000", "10000000000000000000", "99999999999999999999999999999999999999",
        "-99999999999999999999999999999999999999", "0.00000000000000000000000000000000000001",
        ".00000000000000000000000000000000000001", "-10000000000000000000000000000000000000",
        "12345678901234567890.123456789012345678", "999999999999999999999999999999999999999", "1e3", "12abc", "",
        "-", ".", "+.", "1.2.3", "--1", "1-", " 1", "1 ", "1,5", "٣", String(repeating: "0", count: 49),
    ]

    static func parse(_ text: String) -> Decimal? {
        guard !text.isEmpty, text.utf8.count <= 48 else { return nil }
        var digits = 0
        var sawPoint = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."):
                if sawPoint { return nil }
                sawPoint = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                if index != 0 { return nil }
            default: return nil
            }
        }
        guard digits > 0, digits <= 38 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    typealias Operation = (
        UnsafeMutablePointer<Decimal>, UnsafePointer<Decimal>, UnsafePointer<Decimal>, NSDecimalNumber.RoundingMode
    ) -> NSDecimalNumber.CalculationError

    static func apply(_ lhs: Decimal, _ rhs: Decimal, _ operation: Operation) -> ReferenceOutcome? {
        var a = lhs, b = rhs, result = Decimal()
        switch operation(&result, &a, &b, .bankers) {
        case .noError, .lossOfPrecision: return .success(result)
        case .divideByZero: return .failure(.divisionByZero)
        default: return .failure(.overflow)
        }
    }

    /// Nil where Foundation might trap: a product exponent below -128 before it drops digits.
    static func multiplied(_ lhs: Decimal, _ rhs: Decimal) -> ReferenceOutcome? {
        if !lhs.isZero, !rhs.isZero, lhs.exponent + rhs.exponent < -128 { return nil }
        return apply(lhs, rhs, NSDecimalMultiply)
    }

    static func divided(_ lhs: Decimal, _ rhs: Decimal) -> ReferenceOutcome? {
        rhs.isZero ? .failure(.divisionByZero) : apply(lhs, rhs, NSDecimalDivide)
    }

    static func rounded(_ value: Decimal, scale: Int) -> ReferenceOutcome {
        guard (0...18).contains(scale) else { return .failure(.invalidScale(scale)) }
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .bankers)
        return .success(result)
    }

    static func formatted(_ value: Decimal, scale: Int) -> String {
        let text = ((try? rounded(value, scale: scale).get()) ?? value).description
        guard scale > 0 else { return text }
        var integer = Substring(text)
        var fraction: Substring = ""
        if let point = text.firstIndex(of: ".") {
            integer = text[..<point]
            fraction = text[text.index(after: point)...]
        }
        let digits = fraction.count >= scale
            ? String(fraction.prefix(scale)) : String(fraction) + String(repeating: "0", count: scale - fraction.count)
        return integer + "." + digits
    }
}

// MARK: - Values

/// `digits` with a point before the last `fractionDigits` of them.
private func withPoint(_ digits: String, fractionDigits: Int) -> String {
    String(digits.prefix(digits.count - fractionDigits)) + "." + String(digits.suffix(fractionDigits))
}

/// A seeded generator (SplitMix64), so every run tests the same values.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(below(10))) })
    }

    /// A valid numeral: money-like scales (0 … 6 and 10 … 20), 38-digit values, values near
    /// Int64's limits, few digits far from the point, zeros, trailing and leading zeros,
    /// either sign.
    mutating func numeral(maxDigits: Int = 38) -> String {
        let sign = ["", "", "-", "+"][below(4)]
        switch below(10) {
        case 0:
            return sign + (below(2) == 0 ? "0" : "0." + String(repeating: "0", count: below(8)))
        case 1 where maxDigits == 38:
            return sign + withPoint(digits(38), fractionDigits: below(39))
        case 2:
            // Around the limits of Int64 and UInt64, at various scales.
            let limit = below(2) == 0 ? UInt64(Int64.max) : UInt64.max - 2
            let text = String(limit - UInt64(below(3)) + UInt64(below(3)))
            return sign + withPoint(text, fractionDigits: below(text.count + 1))
        case 3:
            // A few digits and many zeros: exponents from about -38 to 37.
            let text = digits(below(6) + 1)
            let zeros = String(repeating: "0", count: below(min(38, maxDigits) - text.count + 1))
            return sign + (below(2) == 0 ? text + zeros : "." + zeros + text)
        default:
            let scales = Array(0...6) + [2, 2, 2] + Array(10...20)
            let fraction = min(scales[below(scales.count)], maxDigits - 1)
            let integer = min(below(below(2) == 0 ? 8 : 19), maxDigits - fraction)
            var fractionText = digits(fraction)
            if fraction > 0, below(3) == 0 {  // trailing zeros: "1.50"
                let zeros = below(fraction) + 1
                fractionText = fractionText.prefix(fraction - zeros) + String(repeating: "0", count: zeros)
            }
            let integerText = integer == 0 ? (below(3) == 0 ? "" : "0") : digits(integer)
            let text = fraction == 0 ? integerText : integerText + "." + fractionText
            return sign + (text.isEmpty || text == "." ? "0" : text)
        }
    }

    /// A numeral with one character inserted, replaced or removed, mostly invalid.
    mutating func garble(_ text: String) -> String {
        var characters = Array(text)
        let noise: [Character] = ["e", "E", ".", "-", "+", " ", ",", "x", "0", "9", "\u{0663}"]
        switch below(3) {
        case 0: characters.insert(noise[below(noise.count)], at: below(characters.count + 1))
        case 1 where !characters.isEmpty: characters[below(characters.count)] = noise[below(noise.count)]
        default: if !characters.isEmpty { characters.remove(at: below(characters.count)) }
        }
        return String(characters)
    }

    /// Parsed numerals, integers and a few Foundation quotients, with their Foundation twins.
    mutating func operands(count: Int) -> [Operand] {
        var operands: [Operand] = []
        for text in Reference.specialNumerals {
            if let decimal = CELDecimal(parsing: text), let reference = Reference.parse(text) {
                operands.append((decimal, reference, text))
            }
        }
        let integers: [Int64] = [.min, .min + 1, .max, .max - 1, 0, 1, -1, 10, 1_000_000]
        for integer in integers { operands.append((CELDecimal(integer), Decimal(integer), "int \(integer)")) }
        while operands.count < count {
            if below(10) == 0 {
                let integer = Int64(bitPattern: next()) >> below(64)
                operands.append((CELDecimal(integer), Decimal(integer), "int \(integer)"))
            } else {
                let text = numeral()
                if let decimal = CELDecimal(parsing: text), let reference = Reference.parse(text) {
                    operands.append((decimal, reference, text))
                }
            }
        }
        return operands
    }
}
