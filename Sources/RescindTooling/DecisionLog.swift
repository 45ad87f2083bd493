import Foundation
import Rescind

/// A line of a decision log (`docs/decision-log.md`): one JSON object per decision or
/// rejected request, `{"seq", "boot_id", "decision_id", "logged_at", "policy",
/// "latency_us", "request_bytes", "request_sha256", "truncated", "request", "decision",
/// "error"}` (older logs: without the first two and the `request_`/`truncated` members,
/// and with `decision` or `error` only).
///
/// Replay reads logs and plain request-per-line files alike, mixed: a line is a log
/// entry when its object has a `request` object (a rejected request's: a string) and a
/// `decision` or `error` member,
/// and a plain request otherwise. A request cannot be mistaken for an entry: `request`
/// is the name conditions use for the whole request, so no schema declares a field of
/// that name, and the decoder rejects a request that has one.
public enum DecisionLogLine {
    /// The request a line carries: the `request` object of a log entry, else the whole
    /// line. A rejected request's entry carries its text, a JSON string: then `request`
    /// is that string, quotes included (`unquote` gives the bytes it holds). Only the envelope is scanned here; the request's own JSON is checked when
    /// it is decoded, so a broken line is reported by the decoder, with a JSON path.
    ///
    /// `quick` takes the request to end where `},"decision":` first follows its start,
    /// as entries are written, instead of reading through it: most of a line is its
    /// request, and this halves the work. The guess is right whenever the request
    /// decodes (a request that decodes is one whole JSON object, and an object ends at
    /// one place only); when it does not decode, ask again without `quick`.
    public static func request(in line: UnsafeRawBufferPointer, quick: Bool = false) -> (
        request: UnsafeRawBufferPointer, isLogEntry: Bool
    ) {
        let envelope = scan(line, quick: quick)
        guard let range = envelope.request else { return (line, false) }
        return (UnsafeRawBufferPointer(rebasing: line[range]), true)
    }

    /// The members of a log entry readers need besides the request, read in the same
    /// pass: where it sits in its process's log (`seq`, `boot_id`), and whether its
    /// request is a rejected request's text (a JSON string, cut when `truncated`).
    struct Envelope {
        /// The request object's bytes, or the request string's (quotes included).
        var request: Range<Int>?
        var requestIsString = false
        var truncated = false
        var seq: Int?
        /// The `boot_id` string's contents.
        var bootID: Range<Int>?
    }

    /// The envelope of `line`; `request` is nil when the line is not a log entry.
    static func scan(_ line: UnsafeRawBufferPointer, quick: Bool = false) -> Envelope {
        var scanner = EnvelopeScanner(line, quick: quick)
        var envelope = Envelope()
        guard let range = scanner.requestRange(into: &envelope) else { return Envelope() }
        envelope.request = range
        return envelope
    }

    /// The bytes of a rejected request kept as a JSON string (`"request":"…"`),
    /// unescaped: the request as it was sent when the entry is not `truncated`; nil
    /// when `string` is not a JSON string.
    public static func unquote(_ string: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let text = try? JSONSerialization.jsonObject(with: Data(string), options: .fragmentsAllowed) as? String
        else { return nil }
        return Array(text.utf8)
    }
}

/// Finds the `request` member of a log entry's top-level object, skipping every other
/// value without parsing it. Gives up (nil) on anything that is not such an entry.
private struct EnvelopeScanner {
    let bytes: UnsafeRawBufferPointer
    let quick: Bool
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer, quick: Bool) {
        self.bytes = bytes
        self.quick = quick
    }

    /// What follows a request in an entry as written: its closing brace, then the decision.
    private static let requestEnd: StaticString = "},\"decision\":"

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")

    mutating func requestRange(into envelope: inout DecisionLogLine.Envelope) -> Range<Int>? {
        skipSpace()
        guard consume(Self.openBrace) else { return nil }
        var request: Range<Int>?
        var decided = false
        skipSpace()
        if consume(Self.closeBrace) { return nil }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard consume(Self.colon) else { return nil }
            skipSpace()
            let start = index
            guard index < bytes.count else { return nil }
            let isObject = bytes[index] == Self.openBrace
            if quick, isObject, matches(key, "request"), let end = find(Self.requestEnd, from: start) {
                return start..<end + 1
            }
            guard skipValue() else { return nil }
            if matches(key, "request") {
                if isObject {
                    request = start..<index
                } else if bytes[start] == Self.quote {
                    request = start..<index
                    envelope.requestIsString = true
                }
            } else if matches(key, "seq") {
                envelope.seq = Self.integer(bytes[start..<index])
            } else if matches(key, "boot_id"), bytes[start] == Self.quote {
                envelope.bootID = start + 1..<index - 1
            } else if matches(key, "truncated") {
                envelope.truncated = index - start == 4 && bytes[start] == UInt8(ascii: "t")
            }
            if matches(key, "decision") || matches(key, "error") { decided = true }
            // The rest of an entry (usually the decision) need not be read.
            if decided, let request { return request }
            skipSpace()
            if consume(Self.comma) { continue }
            return nil
        }
    }

    /// A non-negative integer written in digits, or nil.
    private static func integer(_ digits: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private func matches(_ key: Range<Int>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return expected.elementsEqual(bytes[key])
    }

    /// Where `pattern` first occurs at or after `start`: `memchr` to its first byte (a
    /// brace, rare in a request), then a comparison.
    private func find(_ pattern: StaticString, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let first = Int32(pattern.utf8Start.pointee), length = pattern.utf8CodeUnitCount
        var from = start
        while from + length <= bytes.count, let found = memchr(base + from, first, bytes.count - from - length + 1) {
            let position = base.distance(to: UnsafeRawPointer(found))
            if memcmp(found, pattern.utf8Start, length) == 0 { return position }
            from = position + 1
        }
        return nil
    }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string's contents (escapes left as written); the index ends after its quote.
    private mutating func string() -> Range<Int>? {
        guard consume(Self.quote) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case Self.backslash: index += 2
            case Self.quote:
                index += 1
                return start..<index - 1
            default: index += 1
            }
        }
        return nil
    }

    /// Skips one value: a string, an object or array (by bracket depth, outside
    /// strings), or a literal or number (up to the next delimiter).
    private mutating func skipValue() -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case Self.quote: return string() != nil
        case Self.openBrace, Self.openBracket:
            guard let end = Self.endOfContainer(bytes, from: index) else { return false }
            index = end
            return true
        default:
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == Self.comma || byte == Self.closeBrace || byte == Self.closeBracket || byte == 0x20
                    || byte == 0x09 || byte == 0x0A || byte == 0x0D
                {
                    break
                }
                index += 1
            }
            return index > start
        }
    }

    /// The index after the object or array that starts at `start`. The request is
    /// most of a log line and is skipped whole, so this loop is the scanner's cost: it
    /// reads through a raw pointer and passes over ordinary bytes with one table lookup.
    private static func endOfContainer(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        return special.withUnsafeBufferPointer { special in
            let count = bytes.count
            var index = start
            var depth = 0
            var inString = false
            while index < count {
                let byte = base[index]
                index += 1
                guard special[Int(byte)] else { continue }
                if inString {
                    if byte == backslash { index += 1 } else if byte == quote { inString = false }
                    continue
                }
                switch byte {
                case quote: inString = true
                case openBrace, openBracket: depth += 1
                case closeBrace, closeBracket:
                    depth -= 1
                    if depth == 0 { return index }
                default: break
                }
            }
            return nil
        }
    }

    /// The bytes `endOfContainer` stops at.
    private static let special: [Bool] = (0..<256).map { byte in
        [quote, backslash, openBrace, closeBrace, openBracket, closeBracket].contains(UInt8(byte))
    }
}
