import Foundation

/// How JSON numbers become CEL values.
public enum JSONNumberMapping: Sendable {
    /// CEL's standard JSON mapping (via `google.protobuf.Value`): every number is a
    /// `double`. Use for data that is JSON by nature, where `2` and `2.0` are the same.
    case double
    /// Integers written without a fraction or exponent become `int` (or `uint` above
    /// `Int64.max`); other numbers become `double`. Use for bindings typed `dyn` that a
    /// person wrote, where `2` should compare and add as the int 2.
    case preserveIntegers
}

/// Why JSON text could not be read.
public struct JSONValueError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension Value {
    /// A CEL value from JSON text: objects become maps with string keys, arrays lists,
    /// `null` null, and numbers per `numbers` (see `JSONNumberMapping`).
    public init(jsonText: String, numbers: JSONNumberMapping = .double) throws(JSONValueError) {
        var parser = JSONParser(bytes: Array(jsonText.utf8), numbers: numbers)
        self = try parser.parseDocument()
    }

    /// A CEL value from an object tree as `JSONSerialization` returns it (dictionaries,
    /// arrays, strings, numbers, booleans, `NSNull`). Nil for anything else.
    public init?(json: Any, numbers: JSONNumberMapping = .double) {
        switch json {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            let kind = String(cString: n.objCType)
            if kind == "c" || kind == "B" {
                self = .bool(n.boolValue)
            } else if numbers == .preserveIntegers, kind != "d", kind != "f" {
                if n.int64Value >= 0, kind == "Q" || kind == "L" {
                    self = n.uint64Value > UInt64(Int64.max) ? .uint(n.uint64Value) : .int(n.int64Value)
                } else {
                    self = .int(n.int64Value)
                }
            } else {
                self = .double(n.doubleValue)
            }
        case let b as Bool: self = .bool(b)
        case let array as [Any]:
            var values: [Value] = []
            for element in array {
                guard let value = Value(json: element, numbers: numbers) else { return nil }
                values.append(value)
            }
            self = .list(values)
        case let object as [String: Any]:
            var entries: [String: Value] = [:]
            for (key, element) in object {
                guard let value = Value(json: element, numbers: numbers) else { return nil }
                entries[key] = value
            }
            self = .map(MapValue(entries))
        default: return nil
        }
    }
}

/// A small RFC 8259 parser producing CEL values directly, so integers can be kept
/// exactly (Foundation would round-trip them through Double or NSNumber first).
private struct JSONParser {
    let bytes: [UInt8]
    let numbers: JSONNumberMapping
    var position = 0
    var depth = 0

    init(bytes: [UInt8], numbers: JSONNumberMapping) {
        self.bytes = bytes
        self.numbers = numbers
    }

    mutating func parseDocument() throws(JSONValueError) -> Value {
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the value") }
        return value
    }

    private func fail(_ message: String) -> JSONValueError { JSONValueError(message: message, offset: position) }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func parseValue() throws(JSONValueError) -> Value {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try parseNumber()
        }
    }

    private mutating func literal(_ word: String) throws(JSONValueError) {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
            throw fail("unexpected character")
        }
        position += w.count
    }

    private mutating func parseObject() throws(JSONValueError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw fail("nesting too deep") }
        position += 1
        var entries: [(key: Value, value: Value)] = []
        var seen = Set<String>()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .map(.empty)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            let value = try parseValue()
            if seen.insert(key).inserted {
                entries.append((.string(key), value))
            } else if let index = entries.firstIndex(where: { if case .string(key) = $0.key { true } else { false } }) {
                entries[index].value = value  // the last duplicate wins, as in most JSON readers
            }
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw fail("expected ',' or '}'")
        }
        return .map(try! MapValue(entries: entries))
    }

    private mutating func parseArray() throws(JSONValueError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw fail("nesting too deep") }
        position += 1
        var values: [Value] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .list([])
        }
        while true {
            values.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw fail("expected ',' or ']'")
        }
        return .list(values)
    }

    private mutating func parseString() throws(JSONValueError) -> String {
        position += 1
        var chunkStart = position
        var out = ""
        while true {
            guard position < bytes.count else { throw fail("unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                out += String(decoding: bytes[chunkStart..<position], as: UTF8.self)
                position += 1
                return out
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            out += String(decoding: bytes[chunkStart..<position], as: UTF8.self)
            position += 1
            guard position < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[position]
            position += 1
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
                if (0xD800..<0xDC00).contains(code), position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    position += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid unicode escape") }
                out.unicodeScalars.append(scalar)
            default: throw fail("invalid escape")
            }
            chunkStart = position
        }
    }

    private mutating func hex4() throws(JSONValueError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("short unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONValueError) -> Value {
        let start = position
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        guard position > digitsStart else { throw fail("unexpected character") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, numbers == .preserveIntegers {
            if let i = Int64(text) { return .int(i) }
            if let u = UInt64(text) { return .uint(u) }
        }
        guard let d = Double(text) else { throw fail("invalid number") }
        return .double(d)
    }
}
