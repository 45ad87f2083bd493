import Foundation

/// Rescind's `decimal` value for money: exact base-10 arithmetic (up to 38 significant
/// digits), never via Double. This is a Rescind extension to CEL, not part of the spec.
public struct CELDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: Decimal

    /// Why a decimal operation has no result.
    public enum ArithmeticError: Error, Sendable, Equatable {
        case overflow
        case divisionByZero
        case invalidScale(Int)
    }

    public init(_ value: Decimal) { self.value = value }
    public init(_ int: Int64) { self.value = Decimal(int) }

    /// The largest number of characters accepted by `init(parsing:)`; money never needs more.
    public static let maxTextLength = 48

    /// Parses a plain decimal numeral: an optional sign, digits, an optional fraction.
    /// No exponent, no grouping, nothing trailing — unlike `Decimal(string:)`, which
    /// accepts "12abc" as 12.
    public init?(parsing text: String) {
        guard !text.isEmpty, text.utf8.count <= Self.maxTextLength else { return nil }
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
        // More than 38 significant digits cannot be represented exactly.
        guard digits > 0, digits <= 38,
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self.value = value
    }

    public static func < (lhs: CELDecimal, rhs: CELDecimal) -> Bool { lhs.value < rhs.value }
    public static func == (lhs: CELDecimal, rhs: CELDecimal) -> Bool { lhs.value == rhs.value }

    /// Equal values hash equally whatever their scale (1.5 and 1.50).
    public func hash(into hasher: inout Hasher) { hasher.combine(normalizedText) }

    /// The shortest exact text: no exponent, no trailing fractional zeros ("6.5", "-0.01").
    public var description: String { normalizedText }

    private var normalizedText: String {
        value.description
    }

    /// The value with exactly `scale` fractional digits, rounded half-even when it had
    /// more ("129.9" at scale 2 is "129.90"). For amounts shown to people and in JSON.
    public func formatted(scale: Int) -> String {
        let rounded = (try? self.rounded(scale: scale)) ?? self
        // Pad by hand: NSString's padding costs as much as the rest together, and
        // amounts are formatted on every decision.
        let text = rounded.value.description
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

    /// Rounds half-even ("banker's rounding") to `scale` fractional digits.
    public func rounded(scale: Int) throws(ArithmeticError) -> CELDecimal {
        guard (0...18).contains(scale) else { throw .invalidScale(scale) }
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .bankers)
        return CELDecimal(result)
    }

    public func adding(_ other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        try Self.apply(value, other.value, NSDecimalAdd)
    }

    public func subtracting(_ other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        try Self.apply(value, other.value, NSDecimalSubtract)
    }

    public func multiplying(by other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        try Self.apply(value, other.value, NSDecimalMultiply)
    }

    /// Division keeps 38 significant digits; round the result to the scale you need.
    public func dividing(by other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        if other.value.isZero { throw .divisionByZero }
        return try Self.apply(value, other.value, NSDecimalDivide)
    }

    public var negated: CELDecimal { CELDecimal(-value) }

    private typealias Operation = (
        UnsafeMutablePointer<Decimal>, UnsafePointer<Decimal>, UnsafePointer<Decimal>, NSDecimalNumber.RoundingMode
    ) -> NSDecimalNumber.CalculationError

    private static func apply(_ lhs: Decimal, _ rhs: Decimal, _ operation: Operation) throws(ArithmeticError)
        -> CELDecimal
    {
        var a = lhs, b = rhs, result = Decimal()
        switch operation(&result, &a, &b, .bankers) {
        case .noError, .lossOfPrecision: return CELDecimal(result)
        case .divideByZero: throw .divisionByZero
        case .overflow, .underflow: throw .overflow
        @unknown default: throw .overflow
        }
    }
}
