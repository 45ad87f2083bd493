import Foundation
import RescindJSON

/// How JSON numbers become CEL values.
package enum JSONNumberMapping: Sendable {
    /// CEL's standard JSON mapping (via `google.protobuf.Value`): every number is a
    /// `double`. Use for data that is JSON by nature, where `2` and `2.0` are the same.
    case double
    /// Integers written without a fraction or exponent become `int` (or `uint` above
    /// `Int64.max`); other numbers become `double`. Use for bindings typed `dyn` that a
    /// person wrote, where `2` should compare and add as the int 2.
    case preserveIntegers
}

/// Why JSON text could not be read.
package struct JSONValueError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package let offset: Int
    package var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension Value {
    /// A CEL value from JSON text: objects become maps with string keys, arrays lists,
    /// `null` null, and numbers per `numbers` (see `JSONNumberMapping`).
    package init(jsonText: String, numbers: JSONNumberMapping = .double) throws(JSONValueError) {
        var parser = JSONParser(bytes: Array(jsonText.utf8), numbers: numbers)
        self = try parser.parseDocument()
    }

    /// A CEL value from an object tree as `JSONSerialization` returns it (dictionaries,
    /// arrays, strings, numbers, booleans, `NSNull`). Nil for anything else.
    package init?(json: Any, numbers: JSONNumberMapping = .double) {
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
/// exactly (Foundation would round-trip them through Double or NSNumber first). Tokens
/// are read by the project's one JSON tokenizer, `JSONScanner`.
private struct JSONParser {
    var scanner: JSONScanner<[UInt8]>
    let numbers: JSONNumberMapping
    var depth = 0

    init(bytes: [UInt8], numbers: JSONNumberMapping) {
        scanner = JSONScanner(bytes)
        self.numbers = numbers
    }

    mutating func parseDocument() throws(JSONValueError) -> Value {
        let value = try parseValue()
        scanner.skipSpace()
        guard scanner.atEnd else { throw fail("unexpected text after the value") }
        return value
    }

    private func fail(_ message: String) -> JSONValueError { JSONValueError(message: message, offset: scanner.index) }

    private mutating func parseValue() throws(JSONValueError) -> Value {
        scanner.skipSpace()
        guard let byte = scanner.current else { throw fail("unexpected end of input") }
        switch byte {
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
        guard scanner.consume(word) else { throw fail("unexpected character") }
    }

    private mutating func parseString() throws(JSONValueError) -> String {
        do {
            return try scanner.decodeString()
        } catch {
            throw JSONValueError(message: error.message, offset: error.offset)
        }
    }

    private mutating func parseObject() throws(JSONValueError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw fail("nesting too deep") }
        scanner.index += 1
        var entries: [(key: Value, value: Value)] = []
        var seen = Set<String>()
        scanner.skipSpace()
        if scanner.consume(UInt8(ascii: "}")) { return .map(.empty) }
        while true {
            scanner.skipSpace()
            guard scanner.current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            scanner.skipSpace()
            guard scanner.consume(UInt8(ascii: ":")) else { throw fail("expected ':'") }
            let value = try parseValue()
            if seen.insert(key).inserted {
                entries.append((.string(key), value))
            } else if let index = entries.firstIndex(where: { if case .string(key) = $0.key { true } else { false } }) {
                entries[index].value = value  // the last duplicate wins, as in most JSON readers
            }
            scanner.skipSpace()
            guard !scanner.atEnd else { throw fail("unexpected end of input") }
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.consume(UInt8(ascii: "}")) { break }
            throw fail("expected ',' or '}'")
        }
        return .map(try! MapValue(entries: entries))
    }

    private mutating func parseArray() throws(JSONValueError) -> Value {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 512 else { throw fail("nesting too deep") }
        scanner.index += 1
        var values: [Value] = []
        scanner.skipSpace()
        if scanner.consume(UInt8(ascii: "]")) { return .list([]) }
        while true {
            values.append(try parseValue())
            scanner.skipSpace()
            guard !scanner.atEnd else { throw fail("unexpected end of input") }
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.consume(UInt8(ascii: "]")) { break }
            throw fail("expected ',' or ']'")
        }
        return .list(values)
    }

    /// A number's text as the scanner delimits it leniently; Swift's parsers judge it.
    private mutating func parseNumber() throws(JSONValueError) -> Value {
        guard let (range, integral) = scanner.lenientNumber() else { throw fail("unexpected character") }
        let text = String(decoding: scanner.bytes[range], as: UTF8.self)
        if integral, numbers == .preserveIntegers {
            if let i = Int64(text) { return .int(i) }
            if let u = UInt64(text) { return .uint(u) }
        }
        guard let d = Double(text) else { throw fail("invalid number") }
        return .double(d)
    }
}
