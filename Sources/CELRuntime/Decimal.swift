import Foundation

/// Rescind's `decimal` value for money: exact base-10 arithmetic (up to 38 significant
/// digits), never via Double. Not part of the CEL spec: the number lives here, as the
/// payload of `Value.decimal`, so that values carry it natively (a decoded request's
/// amounts, the engine's fee formulas, equality, display); the CEL functions that make
/// and combine decimals (`decimal("1.5")`, `+`, `round`, …) are a library a host adds
/// (`CELLibrary.rescind` in RescindCELLibrary). Without it CEL has no decimal functions.
///
/// Every result is the one Foundation's `Decimal` gives (`NSDecimalAdd` and its siblings,
/// rounding half-even), but Foundation spends hundreds of nanoseconds on each operation and
/// each text. So a value whose significand fits in an `Int64` is held as that integer and
/// a power of ten, and computed on directly whenever Foundation's result is the exact one
/// and fits as well. Everything else (38-digit quotients, huge or tiny values) stays a
/// Foundation `Decimal` and is computed on by Foundation.
public struct CELDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How a value is held.
    enum Storage: Sendable {
        /// `significand × 10^exponent` in the form Foundation's own results take: the
        /// significand has no trailing zeros and zero is 0 × 10^0, so equal values have
        /// equal fields. The significand is never `Int64.min`, which cannot be negated, and
        /// the exponent stays within `nativeExponents`.
        case native(significand: Int64, exponent: Int8)
        /// Any other value, as Foundation holds it.
        case foundation(Decimal)
    }

    let storage: Storage

    /// Why a decimal operation has no result.
    public enum ArithmeticError: Error, Sendable, Equatable {
        case overflow
        case divisionByZero
        case invalidScale(Int)
    }

    private init(storage: Storage) { self.storage = storage }

    /// The value as a Foundation `Decimal`.
    public var value: Decimal {
        switch storage {
        case .native(let significand, let exponent):
            Decimal(
                sign: significand < 0 ? .minus : .plus, exponent: Int(exponent),
                significand: Decimal(significand.magnitude))
        case .foundation(let decimal):
            decimal
        }
    }

    /// The value of a Foundation `Decimal`, printed and computed on as Foundation would.
    public init(_ value: Decimal) { self.storage = Self.storage(of: value) }

    /// The value of an integer.
    public init(_ int: Int64) {
        storage = Self.native(negative: int < 0, magnitude: int.magnitude, exponent: 0) ?? .foundation(Decimal(int))
    }

    /// Exactly `±magnitude × 10^exponent`, for decoders that read the digits themselves
    /// (a JSON number with an exponent). A zero is positive whatever `negative` says.
    public init(negative: Bool, magnitude: UInt64, exponent: Int) {
        if let native = Self.native(negative: negative, magnitude: magnitude, exponent: exponent) {
            storage = native
        } else {
            let sign: FloatingPointSign = negative && magnitude != 0 ? .minus : .plus
            storage = Self.storage(of: Decimal(sign: sign, exponent: exponent, significand: Decimal(magnitude)))
        }
    }

    /// The largest number of characters accepted by `init(parsing:)`; money never needs more.
    public static let maxTextLength = 48

    /// Parses a plain decimal numeral: an optional sign, digits, an optional fraction.
    /// No exponent, no grouping, nothing trailing — unlike `Decimal(string:)`, which
    /// accepts "12abc" as 12.
    public init?(parsing text: String) {
        var text = text
        guard let parsed = text.withUTF8({ CELDecimal(parsingUTF8: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the UTF-8 bytes of a numeral exactly as `init(parsing:)` parses its text, for
    /// decoders that have bytes rather than a `String`.
    package init?(parsingUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty, bytes.count <= Self.maxTextLength else { return nil }
        var negative = false
        var sawPoint = false
        var digits = 0
        var fractionDigits = 0
        var magnitude: UInt64 = 0
        var magnitudeOverflowed = false
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if sawPoint { fractionDigits += 1 }
                let (shifted, shiftOverflowed) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, sumOverflowed) = shifted.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
                magnitude = sum
                magnitudeOverflowed = magnitudeOverflowed || shiftOverflowed || sumOverflowed
            case UInt8(ascii: "."):
                if sawPoint { return nil }
                sawPoint = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                if index != 0 { return nil }
                negative = byte == UInt8(ascii: "-")
            default:
                return nil
            }
        }
        // More than 38 significant digits cannot be represented exactly.
        guard digits > 0, digits <= 38 else { return nil }
        if !magnitudeOverflowed,
            let native = Self.native(negative: negative, magnitude: magnitude, exponent: -fractionDigits)
        {
            storage = native
            return
        }
        // Beyond an Int64: rare enough for Foundation's parser, which holds 38 digits.
        guard let decimal = Decimal(string: String(decoding: bytes, as: UTF8.self), locale: Self.posix) else {
            return nil
        }
        storage = Self.storage(of: decimal)
    }

    /// Whether `lhs` is the smaller value.
    public static func < (lhs: CELDecimal, rhs: CELDecimal) -> Bool {
        guard case .native(let a, let aExponent) = lhs.storage, case .native(let b, let bExponent) = rhs.storage else {
            return lhs.value < rhs.value
        }
        // With a zero or differing signs the signs decide.
        if a == 0 || b == 0 || (a < 0) != (b < 0) { return a < b }
        return a < 0
            ? magnitude(of: b, bExponent, isLessThanMagnitudeOf: a, aExponent)
            : magnitude(of: a, aExponent, isLessThanMagnitudeOf: b, bExponent)
    }

    /// Whether the values are equal, whatever their scale (1.5 == 1.50).
    public static func == (lhs: CELDecimal, rhs: CELDecimal) -> Bool {
        if case .native(let a, let aExponent) = lhs.storage, case .native(let b, let bExponent) = rhs.storage {
            return a == b && aExponent == bExponent  // a value has one native form
        }
        return lhs.value == rhs.value
    }

    /// Equal values hash equally whatever their scale (1.5 and 1.50).
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .native(let significand, let exponent):
            hasher.combine(significand)
            hasher.combine(exponent)
        case .foundation(let decimal):
            if decimal.isNaN {
                hasher.combine(Int8.min)
                return
            }
            // What an equal native value combines: the significand and exponent of the
            // compact form. Of a significand beyond an Int64, its low 64 bits, which equal
            // values share as well.
            let (compact, lowBits) = Self.compactForm(of: decimal)
            let significand = Int64(bitPattern: lowBits)
            hasher.combine(compact.sign == .minus ? 0 &- significand : significand)
            hasher.combine(Int8(truncatingIfNeeded: compact.exponent))
        }
    }

    /// The shortest exact text: no exponent, no trailing fractional zeros ("6.5", "-0.01").
    public var description: String { text(minimumFractionDigits: 0) }

    /// The value with exactly `scale` fractional digits, rounded half-even when it had
    /// more ("129.9" at scale 2 is "129.90"). For amounts shown to people and in JSON.
    public func formatted(scale: Int) -> String {
        guard let rounded = try? self.rounded(scale: scale) else {
            // A scale `rounded(scale:)` rejects: the text unrounded, cut or padded to it.
            return Self.fixingFractionDigits(of: description, to: scale)
        }
        return rounded.text(minimumFractionDigits: scale)
    }

    /// Rounds half-even ("banker's rounding") to `scale` fractional digits.
    public func rounded(scale: Int) throws(ArithmeticError) -> CELDecimal {
        guard (0...18).contains(scale) else { throw .invalidScale(scale) }
        if case .native(let significand, let exponent) = storage,
            let rounded = Self.nativeRounded(significand, exponent, scale: scale)
        {
            return CELDecimal(storage: rounded)
        }
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .bankers)
        return CELDecimal(result)
    }

    /// The sum, kept to 38 significant digits as Foundation keeps it.
    public func adding(_ other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        if case .native(let a, let aExponent) = storage, case .native(let b, let bExponent) = other.storage,
            let sum = Self.nativeSum(a, aExponent, b, bExponent)
        {
            return CELDecimal(storage: sum)
        }
        return CELDecimal(try Self.apply(value, other.value, NSDecimalAdd))
    }

    /// The difference, kept to 38 significant digits as Foundation keeps it.
    public func subtracting(_ other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        if case .native(let a, let aExponent) = storage, case .native(let b, let bExponent) = other.storage,
            let difference = Self.nativeSum(a, aExponent, -b, bExponent)
        {
            return CELDecimal(storage: difference)
        }
        return CELDecimal(try Self.apply(value, other.value, NSDecimalSubtract))
    }

    /// The product, kept to 38 significant digits as Foundation keeps it.
    public func multiplying(by other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        if case .native(let a, let aExponent) = storage, case .native(let b, let bExponent) = other.storage,
            let product = Self.nativeProduct(a, aExponent, b, bExponent)
        {
            return CELDecimal(storage: product)
        }
        return CELDecimal(try Self.foundationProduct(value, other.value))
    }

    /// Division keeps 38 significant digits; round the result to the scale you need.
    public func dividing(by other: CELDecimal) throws(ArithmeticError) -> CELDecimal {
        if other.isZero { throw .divisionByZero }
        if case .native(let a, let aExponent) = storage, case .native(let b, let bExponent) = other.storage,
            let quotient = Self.nativeQuotient(a, aExponent, b, bExponent)
        {
            return CELDecimal(storage: quotient)
        }
        return CELDecimal(try Self.apply(value, other.value, NSDecimalDivide))
    }

    /// The value with the opposite sign; zero stays zero.
    public var negated: CELDecimal {
        switch storage {
        case .native(let significand, let exponent):
            CELDecimal(storage: .native(significand: -significand, exponent: exponent))
        case .foundation(let decimal):
            CELDecimal(-decimal)
        }
    }

    private var isZero: Bool {
        switch storage {
        case .native(let significand, _): significand == 0
        case .foundation(let decimal): decimal.isZero
        }
    }
}

// MARK: - Native values

extension CELDecimal {
    /// The exponents of native values. Money needs far fewer; within these, every
    /// intermediate exponent of Foundation's algorithms on native operands stays inside
    /// its -128...127, so Foundation neither overflows nor underflows where the native
    /// operations compute.
    static let nativeExponents = -40...40

    /// 10^0 … 10^19, every power of ten a `UInt64` holds. A literal, so it is laid out at
    /// compile time rather than built on first use.
    private static let powersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
        10_000_000_000_000_000_000,
    ]

    private static let nativeZero = Storage.native(significand: 0, exponent: 0)

    private static let posix = Locale(identifier: "en_US_POSIX")

    /// The native form of ±`magnitude` × 10^`exponent`, with the trailing zeros of the
    /// magnitude moved into the exponent as Foundation does; nil when it does not fit.
    private static func native(negative: Bool, magnitude: UInt64, exponent: Int) -> Storage? {
        guard magnitude != 0 else { return nativeZero }
        var magnitude = magnitude
        var exponent = exponent
        while true {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            guard remainder == 0 else { break }
            magnitude = quotient
            exponent += 1
        }
        guard magnitude <= UInt64(Int64.max), nativeExponents.contains(exponent) else { return nil }
        let significand = Int64(magnitude)
        return .native(significand: negative ? -significand : significand, exponent: Int8(exponent))
    }

    /// How a Foundation `Decimal` is held: natively when it fits, as it is otherwise. A
    /// significand with trailing zeros keeps its Foundation form so that it prints them as
    /// before ("6.50"); Foundation's arithmetic and parsing never make one, but
    /// `NSDecimalNormalize` and decoding a `Decimal`'s fields can.
    private static func storage(of decimal: Decimal) -> Storage {
        if decimal.isZero { return nativeZero }  // zeros print and compute alike whatever their exponent
        guard !decimal.isNaN else { return .foundation(decimal) }
        let (compact, lowBits) = compactForm(of: decimal)
        guard compact.exponent == decimal.exponent, Decimal(lowBits) == compact.significand,
            let native = native(negative: decimal.sign == .minus, magnitude: lowBits, exponent: decimal.exponent)
        else { return .foundation(decimal) }
        return native
    }

    /// `decimal` without trailing zeros in its significand, and that significand's low 64
    /// bits. Foundation exposes the significand only as a `Decimal`; `NSDecimalNumber`
    /// reads its low bits for a few tens of nanoseconds.
    private static func compactForm(of decimal: Decimal) -> (compact: Decimal, lowBits: UInt64) {
        var compact = decimal
        NSDecimalCompact(&compact)
        return (compact, NSDecimalNumber(decimal: compact.significand).uint64Value)
    }

    /// Whether |a| × 10^aExponent < |b| × 10^bExponent, for nonzero a and b.
    private static func magnitude(of a: Int64, _ aExponent: Int8, isLessThanMagnitudeOf b: Int64, _ bExponent: Int8)
        -> Bool
    {
        let (x, y) = (a.magnitude, b.magnitude)
        if aExponent > bExponent {
            // Scaled beyond a UInt64, x exceeds every y.
            guard let scaled = scaledUp(x, by: Int(aExponent) - Int(bExponent)) else { return false }
            return scaled < y
        }
        guard let scaled = scaledUp(y, by: Int(bExponent) - Int(aExponent)) else { return true }
        return x < scaled
    }

    /// `magnitude` × 10^`power`, or nil beyond a `UInt64`; `magnitude` is nonzero.
    private static func scaledUp(_ magnitude: UInt64, by power: Int) -> UInt64? {
        guard power < powersOfTen.count else { return nil }
        let (product, overflowed) = magnitude.multipliedReportingOverflow(by: powersOfTen[power])
        return overflowed ? nil : product
    }

    /// The number of decimal digits of `magnitude`.
    private static func digitCount(_ magnitude: UInt64) -> Int {
        powersOfTen.firstIndex { magnitude < $0 } ?? powersOfTen.count
    }

    /// The exact sum when it fits; Foundation's is exact whenever both operands, aligned to
    /// the smaller exponent, fit in its 128-bit significand, as they do in 64 bits.
    private static func nativeSum(_ a: Int64, _ aExponent: Int8, _ b: Int64, _ bExponent: Int8) -> Storage? {
        // Foundation returns the other operand unchanged.
        if a == 0 { return .native(significand: b, exponent: bExponent) }
        if b == 0 { return .native(significand: a, exponent: aExponent) }
        let exponent = min(aExponent, bExponent)
        guard let x = aligned(a, from: aExponent, to: exponent), let y = aligned(b, from: bExponent, to: exponent)
        else { return nil }
        let (sum, overflowed) = x.addingReportingOverflow(y)
        guard !overflowed else { return nil }
        return native(negative: sum < 0, magnitude: sum.magnitude, exponent: Int(exponent))
    }

    /// `significand` rescaled from 10^`exponent` to the smaller 10^`target`, or nil beyond an Int64.
    private static func aligned(_ significand: Int64, from exponent: Int8, to target: Int8) -> Int64? {
        let power = Int(exponent) - Int(target)
        guard power < powersOfTen.count - 1 else { return nil }  // 10^19 is beyond an Int64
        let (product, overflowed) = significand.multipliedReportingOverflow(by: Int64(powersOfTen[power]))
        return overflowed ? nil : product
    }

    /// The exact product when it fits; Foundation's is exact below 2^128.
    private static func nativeProduct(_ a: Int64, _ aExponent: Int8, _ b: Int64, _ bExponent: Int8) -> Storage? {
        let (high, low) = a.magnitude.multipliedFullWidth(by: b.magnitude)
        guard high == 0 else { return nil }
        return native(negative: (a < 0) != (b < 0), magnitude: low, exponent: Int(aExponent) + Int(bExponent))
    }

    /// The exact quotient when it fits and Foundation's is exact as well. Foundation
    /// divides the dividend's significand × 10^38 by the divisor's as integers, truncating
    /// and keeping at most 128 bits; before that it aligns a dividend whose exponent is 19
    /// or more above the divisor's, dropping divisor digits when the aligned significand
    /// would exceed 128 bits. A finite quotient with an Int64 significand has at most 19
    /// more fractional digits than the exponents give, so the 38 extra digits hold it whole
    /// and only zeros are cut; what remains is the alignment.
    private static func nativeQuotient(_ a: Int64, _ aExponent: Int8, _ b: Int64, _ bExponent: Int8) -> Storage? {
        if a == 0 { return nativeZero }
        let (dividend, divisor) = (a.magnitude, b.magnitude)
        let exponentGap = Int(aExponent) - Int(bExponent)
        // Up to 38 digits, below 2^128, the alignment is exact.
        guard exponentGap < 19 || digitCount(dividend) + exponentGap <= 38 else { return nil }
        // A quotient has a finite expansion only when the divisor, reduced, is 2^twos × 5^fives;
        // it then has max(twos, fives) more fractional digits than the exponents give.
        let common = greatestCommonDivisor(dividend, divisor)
        let reducedDivisor = divisor / common
        let twos = reducedDivisor.trailingZeroBitCount
        var rest = reducedDivisor >> twos
        var fives = 0
        while rest % 5 == 0 {
            rest /= 5
            fives += 1
        }
        let extraFractionDigits = max(twos, fives)
        guard rest == 1, extraFractionDigits < powersOfTen.count else { return nil }
        let (magnitude, overflowed) = (dividend / common).multipliedReportingOverflow(
            by: powersOfTen[extraFractionDigits] / reducedDivisor)
        guard !overflowed else { return nil }
        return native(negative: (a < 0) != (b < 0), magnitude: magnitude, exponent: exponentGap - extraFractionDigits)
    }

    /// Stein's binary algorithm, for nonzero operands.
    private static func greatestCommonDivisor(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let sharedTwos = (a | b).trailingZeroBitCount
        var a = a >> a.trailingZeroBitCount
        var b = b
        repeat {
            b >>= b.trailingZeroBitCount
            if a > b { swap(&a, &b) }
            b -= a
        } while b != 0
        return a << sharedTwos
    }

    /// Rounded half-even to `scale` fractional digits, as Foundation rounds.
    private static func nativeRounded(_ significand: Int64, _ exponent: Int8, scale: Int) -> Storage? {
        let droppedDigits = -scale - Int(exponent)
        // Foundation returns such a value unchanged.
        guard droppedDigits > 0 else { return .native(significand: significand, exponent: exponent) }
        // Every native magnitude is below 10^19, less than half of 10^20.
        guard droppedDigits < powersOfTen.count else { return nativeZero }
        let divisor = powersOfTen[droppedDigits]
        var (kept, dropped) = significand.magnitude.quotientAndRemainder(dividingBy: divisor)
        let half = divisor / 2
        if dropped > half || (dropped == half && kept & 1 == 1) { kept += 1 }
        return native(negative: significand < 0, magnitude: kept, exponent: -scale)
    }

    // MARK: Text

    /// The exact text with at least `minimumFractionDigits` fractional digits, padded with
    /// zeros; the callers never ask for fewer than the value has.
    private func text(minimumFractionDigits: Int) -> String {
        switch storage {
        case .native(let significand, let exponent):
            Self.render(significand, exponent, minimumFractionDigits: minimumFractionDigits)
        case .foundation(let decimal):
            Self.fixingFractionDigits(of: decimal.description, to: minimumFractionDigits)
        }
    }

    /// Writes the digits from the right into a stack buffer, with no `String` until the end.
    private static func render(_ significand: Int64, _ exponent: Int8, minimumFractionDigits: Int) -> String {
        let ownFractionDigits = max(0, -Int(exponent))
        let fractionDigits = max(ownFractionDigits, minimumFractionDigits)
        // A sign, up to 19 digits and the exponent's zeros before the point; the fraction after it.
        let capacity = 20 + max(0, Int(exponent)) + 1 + fractionDigits
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var start = buffer.count
            func prepend(_ byte: UInt8) {
                start -= 1
                buffer[start] = byte
            }
            var magnitude = significand.magnitude
            func prependDigit() {
                let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
                prepend(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digit))
                magnitude = quotient
            }
            for _ in ownFractionDigits..<fractionDigits { prepend(UInt8(ascii: "0")) }
            for _ in 0..<ownFractionDigits { prependDigit() }
            if fractionDigits > 0 { prepend(UInt8(ascii: ".")) }
            for _ in 0..<max(0, Int(exponent)) { prepend(UInt8(ascii: "0")) }
            repeat { prependDigit() } while magnitude > 0
            if significand < 0 { prepend(UInt8(ascii: "-")) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }

    /// `text` cut or padded with zeros to exactly `scale` fractional digits; unchanged
    /// for a scale of 0 or less.
    private static func fixingFractionDigits(of text: String, to scale: Int) -> String {
        guard scale > 0 else { return text }
        // Pad by hand: NSString's padding costs as much as the rest together.
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

// MARK: - Foundation arithmetic

extension CELDecimal {
    private typealias Operation = (
        UnsafeMutablePointer<Decimal>, UnsafePointer<Decimal>, UnsafePointer<Decimal>, NSDecimalNumber.RoundingMode
    ) -> NSDecimalNumber.CalculationError

    private static func apply(_ lhs: Decimal, _ rhs: Decimal, _ operation: Operation) throws(ArithmeticError)
        -> Decimal
    {
        var a = lhs, b = rhs, result = Decimal()
        switch operation(&result, &a, &b, .bankers) {
        case .noError, .lossOfPrecision: return result
        case .divideByZero: throw .divisionByZero
        case .overflow, .underflow: throw .overflow
        @unknown default: throw .overflow
        }
    }

    /// Foundation's product, without Foundation's crash: it stores a product's exponent
    /// before checking it, and one below -128 traps (a request's tiny amount multiplied by
    /// itself a few times would take the process down). The digits of a product do not
    /// depend on the exponents, so multiplying a copy shifted up and shifting the product
    /// back gives Foundation's result wherever it has one, and `.overflow` where the
    /// product is too small for any `Decimal`.
    private static func foundationProduct(_ lhs: Decimal, _ rhs: Decimal) throws(ArithmeticError) -> Decimal {
        let shift = -128 - (lhs.exponent + rhs.exponent)
        guard shift > 0, !lhs.isZero, !rhs.isZero, !lhs.isNaN, !rhs.isNaN else {
            return try apply(lhs, rhs, NSDecimalMultiply)
        }
        let shifted = Decimal(sign: lhs.sign, exponent: lhs.exponent + shift, significand: lhs.significand)
        let product = try apply(shifted, rhs, NSDecimalMultiply)
        let exponent = product.exponent - shift
        guard exponent >= -128 else { throw .overflow }
        return Decimal(sign: product.sign, exponent: exponent, significand: product.significand)
    }
}
