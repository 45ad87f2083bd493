/// The one JSON tokenizer: a cursor over bytes with the primitives every reader of the
/// project is built from (`Value(jsonText:)`, the batch splitter, the decision-log
/// compactor and envelope reader, the policy-check body). Readers differ in what they
/// do with tokens (build values, copy them compactly, skip them), not in how tokens are
/// recognised.
///
/// Generic over the byte storage (an array, or a line or body held by the caller) and
/// inlinable, so each reader gets a loop specialised for its storage. Indices are the
/// storage's own.
///
/// The engine's request decoder (`RescindEngine/Request`) does not use it: its loop fuses
/// tokenizing with decoding into typed fields, through a raw pointer, in one pass
/// (≈17.5k instructions per request decoded, the larger part of a decision served);
/// these primitives check bounds per byte and return ranges to be read again, which
/// that loop avoids. It stays as it is until a port is measured within 5% of it.
@usableFromInline package struct JSONScanner<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int {
    @usableFromInline package let bytes: Bytes
    @usableFromInline package var index: Int

    @inlinable
    package init(_ bytes: Bytes, at index: Int? = nil) {
        self.bytes = bytes
        self.index = index ?? bytes.startIndex
    }

    @inlinable
    package var atEnd: Bool { index >= bytes.endIndex }

    /// The byte at the cursor, or nil at the end.
    @inlinable
    package var current: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    @inlinable
    package static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    @inlinable
    package mutating func skipSpace() {
        while index < bytes.endIndex, Self.isSpace(bytes[index]) { index += 1 }
    }

    /// Moves past `byte` when it is at the cursor.
    @inlinable
    package mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.endIndex, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Moves past `word` (`true`, `false`, `null`) when it is at the cursor.
    @inlinable
    package mutating func consume(_ word: String) -> Bool {
        let utf8 = word.utf8
        guard bytes.endIndex - index >= utf8.count, bytes[index..<index + utf8.count].elementsEqual(utf8) else {
            return false
        }
        index += utf8.count
        return true
    }

    /// Whether the bytes in `range` are `text`'s UTF-8.
    @inlinable
    package func matches(_ range: Range<Int>, _ text: String) -> Bool {
        range.count == text.utf8.count && bytes[range].elementsEqual(text.utf8)
    }

    /// How strictly `string` checks a string's contents.
    @usableFromInline package enum Strictness {
        /// RFC 8259: no raw control characters, only the defined escapes, `\u` with four
        /// hex digits.
        case strict
        /// Structure only: a backslash skips the byte after it (for skipping text that a
        /// stricter reader checks later).
        case structural
    }

    /// A string at the cursor: the range of its contents (escapes as written), the
    /// cursor after its closing quote. Nil, cursor unspecified, when there is none.
    @inlinable
    package mutating func string(_ strictness: Strictness = .strict) -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<index - 1
            }
            if byte == UInt8(ascii: "\\") {
                if strictness == .strict {
                    guard let length = Self.escapeLength(bytes, at: index) else { return nil }
                    index += length
                } else {
                    index += 2
                }
                continue
            }
            if strictness == .strict, byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// The length of a valid escape sequence at `at` (a backslash), or nil.
    @inlinable
    package static func escapeLength(_ bytes: Bytes, at: Int) -> Int? {
        guard at + 1 < bytes.endIndex else { return nil }
        switch bytes[at + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return 2
        case UInt8(ascii: "u"):
            guard at + 5 < bytes.endIndex, bytes[at + 2...at + 5].allSatisfy({ hexValue($0) != nil }) else { return nil }
            return 6
        default: return nil
        }
    }

    @inlinable
    package static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    @inlinable
    mutating func digits() -> Bool {
        let start = index
        while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    /// A number at the cursor in RFC 8259's grammar (`-? (0 | [1-9][0-9]*) frac? exp?`):
    /// its range, and whether it has a fraction or an exponent.
    @inlinable
    package mutating func number() -> (range: Range<Int>, integral: Bool)? {
        let start = index
        var integral = true
        _ = consume(UInt8(ascii: "-"))
        guard index < bytes.endIndex else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if !digits() {
            return nil
        }
        if consume(UInt8(ascii: ".")) {
            integral = false
            guard digits() else { return nil }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            integral = false
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() else { return nil }
        }
        return (start..<index, integral)
    }

    /// A number's extent, leniently (`-`, digits, `.`, `e`/`E` with a sign, in that
    /// order, each optional past the first digit): for readers that hand the text to a
    /// number parser which judges it.
    @inlinable
    package mutating func lenientNumber() -> (range: Range<Int>, integral: Bool)? {
        let start = index
        var integral = true
        _ = consume(UInt8(ascii: "-"))
        guard digits() else { return nil }
        if consume(UInt8(ascii: ".")) {
            integral = false
            _ = digits()
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            integral = false
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            _ = digits()
        }
        return (start..<index, integral)
    }

    /// Skips one value by its structure only: a string (escapes skipped unchecked), an
    /// object or array (by bracket depth, outside strings), or a literal or number (up
    /// to the next delimiter). For values a stricter reader checks later, or never.
    @inlinable
    package mutating func skipValue() -> Bool {
        guard index < bytes.endIndex else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""): return string(.structural) != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard let end = Self.endOfContainer(bytes, from: index) else { return false }
            index = end
            return true
        default:
            let start = index
            while index < bytes.endIndex {
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || Self.isSpace(byte) {
                    break
                }
                index += 1
            }
            return index > start
        }
    }

    /// The index after the object or array that starts at `start`, tracking only
    /// strings and bracket depth; nil when it does not close. Most bytes are none of the
    /// six it stops at, and pass with one comparison against a table.
    @inlinable
    package static func endOfContainer(_ bytes: Bytes, from start: Int) -> Int? {
        var index = start
        var depth = 0
        var inString = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            guard isStructural(byte) else { continue }
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    /// Where `pattern` first occurs at or after `start`.
    @inlinable
    package func find(_ pattern: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first else { return start }
        var from = start
        while from + pattern.count <= bytes.endIndex {
            guard let found = bytes[from...(bytes.endIndex - pattern.count)].firstIndex(of: first) else { return nil }
            if bytes[found..<found + pattern.count].elementsEqual(pattern) { return found }
            from = found + 1
        }
        return nil
    }

    /// The string a string token's contents (`string`'s range) stand for, escapes
    /// decoded; nil when they are not valid.
    @inlinable
    package func unescaped(_ range: Range<Int>) -> String? {
        var scanner = JSONScanner(bytes, at: range.lowerBound - 1)
        return try? scanner.decodeString()
    }

    /// The string at the cursor (at its opening quote), decoded: escapes replaced, a
    /// `\u` surrogate pair as one character, invalid UTF-8 as U+FFFD; the cursor after
    /// its closing quote. Errors say what is wrong where (`offset`: the cursor's index).
    @inlinable
    package mutating func decodeString() throws(JSONSyntaxError) -> String {
        index += 1
        var chunkStart = index
        var out = ""
        while true {
            guard index < bytes.endIndex else { throw fail("unterminated string") }
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                out += String(decoding: bytes[chunkStart..<index], as: UTF8.self)
                index += 1
                return out
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            out += String(decoding: bytes[chunkStart..<index], as: UTF8.self)
            index += 1
            guard index < bytes.endIndex else { throw fail("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out += "\""
            case UInt8(ascii: "\\"): out += "\\"
            case UInt8(ascii: "/"): out += "/"
            case UInt8(ascii: "b"): out += "\u{8}"
            case UInt8(ascii: "f"): out += "\u{C}"
            case UInt8(ascii: "n"): out += "\n"
            case UInt8(ascii: "r"): out += "\r"
            case UInt8(ascii: "t"): out += "\t"
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid unicode escape") }
                out.unicodeScalars.append(scalar)
            default: throw fail("invalid escape")
            }
            chunkStart = index
        }
    }

    /// Four hex digits at the cursor as a number.
    @inlinable
    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.endIndex else { throw fail("short unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Self.hexValue(bytes[index]) else { throw fail("invalid hex digit") }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    /// An error at the cursor.
    @inlinable
    package func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(message: message, offset: index) }

}

/// What is wrong with JSON text, and where (an index into the bytes read).
@usableFromInline package struct JSONSyntaxError: Error, Sendable {
    @usableFromInline package let message: String
    @usableFromInline package let offset: Int

    @inlinable
    package init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}

/// Whether `byte` is one of the six `endOfContainer` stops at (`"` `\\` `{` `}` `[` `]`):
/// one comparison and a shift against a constant, no table.
@inlinable @inline(__always)
func isStructural(_ byte: UInt8) -> Bool {
    // Bits 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, counted from 64.
    let high: UInt64 = 1 << 27 | 1 << 28 | 1 << 29 | 1 << 59 | 1 << 61
    return byte < 64 ? byte == 0x22 : byte < 128 && (high >> UInt64(byte &- 64)) & 1 != 0
}

extension JSONScanner {
    /// A JSON array's elements' byte ranges, found without parsing them (so each batch
    /// item can be decoded from its own bytes, exactly as a single request would be).
    /// Only the structure is tracked (strings, escapes, nesting); an element that is not
    /// valid JSON is left for its reader to reject. Nil when `bytes` is not an array.
    @inlinable
    package static func arrayItems(_ bytes: Bytes) -> [Range<Int>]? {
        var scanner = JSONScanner(bytes)
        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "[")) else { return nil }
        var items: [Range<Int>] = []
        var depth = 0, start = scanner.index, sawValue = false
        while let byte = scanner.current {
            if byte == UInt8(ascii: "\"") {
                sawValue = true
                guard scanner.string(.structural) != nil else { return nil }
                continue
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
                sawValue = true
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                if depth == 0 {
                    // The array's own `]`: the last element ends here; only space may follow.
                    guard byte == UInt8(ascii: "]") else { return nil }
                    if sawValue { items.append(start..<scanner.index) } else if !items.isEmpty { return nil }
                    scanner.index += 1
                    scanner.skipSpace()
                    return scanner.atEnd ? items : nil
                }
                depth -= 1
            } else if byte == UInt8(ascii: ","), depth == 0 {
                guard sawValue else { return nil }
                items.append(start..<scanner.index)
                start = scanner.index + 1
                sawValue = false
            } else if !isSpace(byte) {
                sawValue = true
            }
            scanner.index += 1
        }
        return nil
    }
}

extension JSONScanner {
    /// A JSON object whose values are all strings, as a dictionary (the last of
    /// duplicate keys wins); nil for anything else, invalid UTF-8 included.
    package static func stringObject(_ bytes: Bytes) -> [String: String]? {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        var scanner = JSONScanner(bytes)
        var object: [String: String] = [:]
        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        scanner.skipSpace()
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                scanner.skipSpace()
                guard scanner.current == UInt8(ascii: "\""), let key = try? scanner.decodeString() else { return nil }
                scanner.skipSpace()
                guard scanner.consume(UInt8(ascii: ":")) else { return nil }
                scanner.skipSpace()
                guard scanner.current == UInt8(ascii: "\""), let value = try? scanner.decodeString() else { return nil }
                object[key] = value
                scanner.skipSpace()
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "}")) else { return nil }
        }
        scanner.skipSpace()
        return scanner.atEnd ? object : nil
    }
}
