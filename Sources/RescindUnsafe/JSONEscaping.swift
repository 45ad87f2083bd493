/// JSON string escaping, the one rule every JSON text of the project follows: `"` and
/// `\` are escaped, `\n`, `\r`, `\t` by name, other control characters and DEL as
/// `\u00xx`; everything else, non-ASCII included, is copied. (The writing itself is
/// `OutputBuffer.string`.)
@usableFromInline package enum JSONEscaping {
    /// The most bytes a string of `count` UTF-8 bytes takes escaped, quotes included.
    @inlinable
    package static func maxLength(_ count: Int) -> Int { count * 6 + 2 }

    /// Whether `byte` is escaped.
    @inlinable
    package static func needsEscaping(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F
    }

    /// Whether some byte of `word` is a control character, `"`, `\\` or DEL (exactly:
    /// no byte is flagged unless one of them is there).
    @inlinable @inline(__always)
    package static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let deletes = word ^ (ones &* 0x7F)
        // A byte is zero in `x` where `(x - 1) & ~x` sets its high bit (the lowest one
        // exactly); bytes below 0x20 likewise with 0x20 subtracted. UTF-8 bytes have the
        // high bit set and are masked out by `~word`.
        let zeroes = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((deletes &- ones) & ~deletes)
        let controls = (word &- ones &* 0x20) & ~word
        return (zeroes | controls) & highs != 0
    }

    @usableFromInline
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        String(decoding: OutputBuffer.bytes(capacity: text.utf8.count + 16) { $0.string(text) }, as: UTF8.self)
    }
}
