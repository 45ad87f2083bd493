import Foundation

/// Rescind's `decimal` value for money: exact base-10 arithmetic, never via Double.
/// (A Rescind extension to CEL.)
public struct CELDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: Decimal

    public init(_ value: Decimal) { self.value = value }

    /// Parses a plain decimal numeral: optional sign, digits, optional fraction.
    /// No exponent, no grouping, nothing trailing ("12abc" is rejected).
    public init?(parsing text: String) {
        var sawDigit = false
        var sawPoint = false
        for (index, ch) in text.utf8.enumerated() {
            switch ch {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."): if sawPoint { return nil }; sawPoint = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if index != 0 { return nil }
            default: return nil
            }
        }
        guard sawDigit, text.utf8.count <= 60, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self.value = value
    }

    public init(_ int: Int64) { self.value = Decimal(int) }

    public static func < (lhs: CELDecimal, rhs: CELDecimal) -> Bool { lhs.value < rhs.value }
    public static func == (lhs: CELDecimal, rhs: CELDecimal) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    public var description: String { value.description }
}
