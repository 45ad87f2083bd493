import CELRuntime
import Foundation

// Scalar readers over raw bytes. They accept exactly what CELRuntime's `String`-based
// parsers accept (`CELTimestamp(rfc3339:)`, `CELDecimal(parsing:)`; the tests compare
// them), without building a `String` or a `Locale` first: those cost more than the
// rest of a request's decoding together.

private let zero = UInt8(ascii: "0")

@inline(__always)
private func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

/// An RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with an explicit
/// offset; nil when malformed or outside CEL's range (years 1 … 9999).
func parseTimestamp(_ text: UnsafeBufferPointer<UInt8>) -> CELTimestamp? {
    guard let (local, nanos, afterTime) = parseLocalDateTime(text) else { return nil }
    var i = afterTime
    let count = text.count
    guard i < count else { return nil }  // no offset: local time is ambiguous
    var offset = 0
    switch text[i] {
    case UInt8(ascii: "Z"), UInt8(ascii: "z"):
        i += 1
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
        let sign = text[i] == UInt8(ascii: "-") ? -1 : 1
        guard i + 6 <= count, let hours = twoDigits(text, i + 1), text[i + 3] == UInt8(ascii: ":"),
            let minutes = twoDigits(text, i + 4), hours < 24, minutes < 60
        else { return nil }
        offset = sign * (hours * 3600 + minutes * 60)
        i += 6
    default:
        return nil
    }
    guard i == count else { return nil }
    return CELTimestamp(seconds: local - Int64(offset), nanos: nanos)
}

/// Whether `text` is a valid date and time that only lacks its offset, for a hint.
func isTimestampLackingOffset(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let (_, _, end) = parseLocalDateTime(text) else { return false }
    return end == text.count
}

/// The local date-time part: seconds since the epoch as if UTC, nanoseconds, and where
/// the offset starts.
private func parseLocalDateTime(_ text: UnsafeBufferPointer<UInt8>) -> (Int64, Int64, Int)? {
    let count = text.count
    guard count >= 19 else { return nil }
    // `YYYY-MM-` and `DDTHH:MM` are checked a word each: digits where digits belong and
    // the separators in between, with no branch per character.
    let bytes = UnsafeRawPointer(text.baseAddress!)
    let date = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    let time = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    let dateDigits: UInt64 = 0x00FF_FF00_FFFF_FFFF  // bytes 0–3, 5, 6
    let timeDigits: UInt64 = 0xFFFF_00FF_FF00_FFFF  // bytes 8, 9, 11, 12, 14, 15
    guard areDigits(date, where: dateDigits), areDigits(time, where: timeDigits),
        date & ~dateDigits == 0x2D00_002D_0000_0000,  // `-` at 4 and 7
        time & 0x0000_FF00_00DF_0000 == 0x0000_3A00_0054_0000,  // `T` or `t` at 10, `:` at 13
        text[16] == UInt8(ascii: ":"), let second = twoDigits(text, 17)
    else { return nil }
    // The digits' values, byte by byte (no borrows: each byte subtracted from is a digit),
    // then each byte times ten plus the next: the two-digit numbers, all at once (at most
    // 99, so nothing carries into the next byte).
    let dateValues = (date & dateDigits) &- (0x3030_3030_3030_3030 & dateDigits)
    let timeValues = (time & timeDigits) &- (0x3030_3030_3030_3030 & timeDigits)
    let datePairs = dateValues &* 10 &+ (dateValues >> 8)
    let timePairs = timeValues &* 10 &+ (timeValues >> 8)
    func pair(_ word: UInt64, at byte: Int) -> Int { Int(truncatingIfNeeded: word >> (byte * 8)) & 0xFF }
    let year = pair(datePairs, at: 0) * 100 + pair(datePairs, at: 2)
    let month = pair(datePairs, at: 5)
    let day = pair(timePairs, at: 0)
    let hour = pair(timePairs, at: 3)
    let minute = pair(timePairs, at: 6)
    guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year), hour < 24,
        minute < 60, second < 60
    else { return nil }
    var i = 19
    var nanos: Int64 = 0
    if i < count, text[i] == UInt8(ascii: ".") {
        i += 1
        var digits = 0
        while i < count, isDigit(text[i]) {
            // Digits beyond nanoseconds are dropped, as CELTimestamp(rfc3339:) does.
            if digits < 9 { nanos = nanos * 10 + Int64(text[i] &- zero) }
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        var scale = digits
        while scale < 9 {
            nanos *= 10
            scale += 1
        }
    }
    let days = daysSinceEpoch(year: year, month: month, day: day)
    return (Int64(days * 86_400 + hour * 3600 + minute * 60 + second), nanos, i)
}

/// The days in `month` (1 … 12) of `year` (Gregorian), as `CivilDate.daysIn`.
@inline(__always)
private func daysIn(month: Int, year: Int) -> Int {
    if month == 2 { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28 }
    // 31 in January … July for odd months, from August for even ones.
    return 30 + ((month ^ (month >> 3)) & 1)
}

/// Days from 1970-01-01 to a valid date of years 1 … 9999, as
/// `CivilDate.daysSinceEpoch` computes them (the same March-based count, here without
/// the eras negative years need, so the divisions are by constants of a non-negative
/// number).
@inline(__always)
func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    let y = UInt(month <= 2 ? year - 1 : year)  // ≥ 0 for years from 1
    let shiftedMonth = UInt(month > 2 ? month - 3 : month + 9)  // March is 0
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + UInt(day) - 1
    let days = y * 365 + y / 4 - y / 100 + y / 400 + dayOfYear
    return Int(days) - 719_468
}

/// Whether every byte of `word` selected by `mask` (whole bytes) is an ASCII digit: its
/// high nibble is 3 and its low nibble plus 6 stays below 16 (no carry leaves a byte).
@inline(__always)
private func areDigits(_ word: UInt64, where mask: UInt64) -> Bool {
    let highNibbles = mask & 0xF0F0_F0F0_F0F0_F0F0
    let lowNibbles = mask & 0x0F0F_0F0F_0F0F_0F0F
    return word & highNibbles == 0x3030_3030_3030_3030 & highNibbles
        && ((word & lowNibbles) &+ (0x0606_0606_0606_0606 & lowNibbles)) & (0x1010_1010_1010_1010 & mask) == 0
}

@inline(__always)
private func twoDigits(_ text: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
    let a = text[at] &- zero
    let b = text[at + 1] &- zero
    guard a < 10, b < 10 else { return nil }
    return Int(a) * 10 + Int(b)
}

/// A decimal written as a JSON number (already checked against the JSON grammar), read
/// from its text, never through `Double`: `129.99` is exactly 129.99. An exponent is
/// allowed (`1.5e2` is 150); nil beyond 38 significant digits.
func parseDecimalNumber(_ text: UnsafeBufferPointer<UInt8>) -> CELDecimal? {
    let count = text.count
    var i = 0
    let negative = text[0] == UInt8(ascii: "-")
    if negative { i = 1 }
    var significand: UInt64 = 0
    var digits = 0
    var fractionDigits = 0
    var sawPoint = false
    var overflow = false
    while i < count {
        let byte = text[i]
        if isDigit(byte) {
            digits += 1
            if sawPoint { fractionDigits += 1 }
            let (times10, o1) = significand.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte &- zero))
            overflow = overflow || o1 || o2
            significand = sum
        } else if byte == UInt8(ascii: ".") {
            sawPoint = true
        } else {
            break  // the exponent
        }
        i += 1
    }
    var exponent = 0
    if i < count {
        i += 1  // `e` or `E`
        var exponentNegative = false
        if text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") {
            exponentNegative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        while i < count {
            exponent = exponent * 10 + Int(text[i] &- zero)
            // Far beyond what Decimal represents; stop before Int overflows.
            guard exponent <= 1000 else { return nil }
            i += 1
        }
        if exponentNegative { exponent = -exponent }
    }
    guard digits <= 38 else { return nil }
    if overflow {
        guard exponent == 0 else { return nil }
        return CELDecimal(parsing: String(decoding: text, as: UTF8.self))
    }
    let scale = exponent - fractionDigits
    // Decimal's exponent is a signed byte; beyond it the value is not representable exactly.
    guard scale >= -128, scale <= 127 else { return nil }
    return CELDecimal(negative: negative, magnitude: significand, exponent: scale)
}
