import RescindUnsafe

/// The one RFC 3339 formatter: decision deadlines (`2026-12-02T23:59:59+08:00`), CEL
/// timestamps (`2009-02-13T23:31:30.123Z`) and the server's clock (`…22.000830Z`).
///
/// It lives in the JSON module because its fast caller writes into a JSON buffer (two
/// deadlines in every refund decision) and because the module is a leaf that CELRuntime,
/// the engine and the server can all import. A time is built as three words in
/// registers and stored in three writes.
@usableFromInline package enum RFC3339 {
    /// The most bytes `write` produces (a year far outside 0…9999 and 9 fraction digits
    /// included).
    package static let maxLength = 58

    /// Fraction-of-second digits.
    package enum Fraction: Sendable {
        /// None: whole seconds.
        case none
        /// Always six digits, truncated (a clock never moves into the next second).
        case microseconds
        /// 0, 3, 6 or 9 digits, as few as show the nanoseconds exactly (CEL's form).
        case shortest
    }

    /// `seconds` since the Unix epoch (plus `nanoseconds`) shown at UTC `offset`
    /// (seconds; 0 writes `Z`). Years 0…9999 take four digits; others are written as
    /// `CivilDate` always showed them (`pad` of the plain number: year -5 is `00-5`),
    /// cut to 32 bytes with the month and day.
    package static func write(
        seconds: Int64, nanoseconds: Int32 = 0, fraction: Fraction = .none, offset: Int = 0, into out: inout OutputBuffer
    ) {
        let local = seconds + Int64(offset)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        let secondOfDay = Int(local - days * 86_400)
        let hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        if year > 9999 || year < 0 {
            out.append(Array(date(year: year, month: month, day: day).utf8.prefix(32)))
            // `THH:MM:SS`
            out.word(0x54 | two(hour) << 8 | 0x3A << 24 | two(minute) << 32 | 0x3A << 48 | two(second) << 56, length: 8)
            out.word(two(second) >> 8, length: 1)
        } else {
            // `YYYY-MM-` `DDTHH:MM` `:SS`
            out.word(two(year / 100) | two(year % 100) << 16 | 0x2D << 32 | two(month) << 40 | 0x2D << 56, length: 8)
            out.word(two(day) | 0x54 << 16 | two(hour) << 24 | 0x3A << 40 | two(minute) << 48, length: 8)
            out.word(0x3A | two(second) << 8, length: 3)
        }
        switch fraction {
        case .none: break
        case .microseconds:
            out.byte(UInt8(ascii: "."))
            out.integer(Int64(nanoseconds / 1000), minimumDigits: 6)
        case .shortest:
            if nanoseconds != 0 {
                out.byte(UInt8(ascii: "."))
                if nanoseconds % 1_000_000 == 0 {
                    out.integer(Int64(nanoseconds / 1_000_000), minimumDigits: 3)
                } else if nanoseconds % 1_000 == 0 {
                    out.integer(Int64(nanoseconds / 1_000), minimumDigits: 6)
                } else {
                    out.integer(Int64(nanoseconds), minimumDigits: 9)
                }
            }
        }
        if offset == 0 {
            out.byte(UInt8(ascii: "Z"))
        } else {
            let magnitude = abs(offset)
            // Offsets are below a day: the hours take two digits.
            let sign: UInt64 = offset < 0 ? 0x2D : 0x2B
            out.word(sign | two(magnitude / 3600 % 100) << 8 | 0x3A << 24 | two(magnitude / 60 % 60) << 32, length: 6)
        }
    }

    /// `write`'s text as a string.
    package static func string(seconds: Int64, nanoseconds: Int32 = 0, fraction: Fraction = .none, offset: Int = 0) -> String {
        let bytes = OutputBuffer.bytes(capacity: maxLength) { out in
            write(seconds: seconds, nanoseconds: nanoseconds, fraction: fraction, offset: offset, into: &out)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DD`, each part zero-padded to its width (a negative year keeps its sign
    /// after the padding, as it always has: `00-5`).
    package static func date(year: Int, month: Int, day: Int) -> String {
        "\(padded(year, width: 4))-\(padded(month, width: 2))-\(padded(day, width: 2))"
    }

    /// `value`'s digits with zeros before them up to `width` characters.
    package static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.utf8.count >= width ? digits : String(repeating: "0", count: width - digits.utf8.count) + digits
    }

    /// The proleptic Gregorian date of a day number (days since 1970-01-01): Howard
    /// Hinnant's `civil_from_days`. Always inlined: calendar loops call it for every
    /// day they step over (out of line it cost the deadline benchmarks 5–8%, measured).
    @inlinable @inline(__always)
    package static func civil(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// `value` (0 … 99) as two ASCII digits in the low 16 bits, tens first.
    @inline(__always)
    private static func two(_ value: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: 0x30 + value / 10) | UInt64(truncatingIfNeeded: 0x30 + value % 10) << 8
    }
}
