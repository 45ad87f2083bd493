/// Scalar resolution by the YAML 1.2 core schema (YAML 1.2.2, section 10.3).
///
/// Only plain scalars without a tag are resolved by pattern; quoted and block scalars
/// are strings. YAML 1.1's `yes`/`no`/`on`/`off`, sexagesimal numbers and `0777`-style
/// octals are deliberately *not* special: they are strings (or decimal integers).
package enum YAMLCoreSchema {
    /// The expanded forms of the core schema tags.
    package enum Tag {
        /// `!!null`
        package static let null = "tag:yaml.org,2002:null"
        /// `!!bool`
        package static let bool = "tag:yaml.org,2002:bool"
        /// `!!int`
        package static let int = "tag:yaml.org,2002:int"
        /// `!!float`
        package static let float = "tag:yaml.org,2002:float"
        /// `!!str`
        package static let string = "tag:yaml.org,2002:str"
        /// `!!seq`
        package static let sequence = "tag:yaml.org,2002:seq"
        /// `!!map`
        package static let mapping = "tag:yaml.org,2002:map"
    }

    /// The outcome of resolving a plain scalar whose text looks like an integer but
    /// does not fit in `Int`.
    enum Resolution: Equatable {
        case value(YAMLScalarValue)
        case integerOutOfRange
    }

    /// Resolves the text of an untagged plain scalar.
    static func resolvePlain(_ text: String) -> Resolution {
        if isNull(text) { return .value(.null) }
        if let value = bool(text) { return .value(.bool(value)) }
        if let integer = integerSyntax(text) {
            guard let value = Int(integer.digits, radix: integer.radix) else { return .integerOutOfRange }
            return .value(.int(value))
        }
        if let value = float(text) { return .value(.float(value)) }
        return .value(.string(text))
    }

    /// Resolves a plain scalar for the public API: the value, or nil when the text is
    /// an integer too large for `Int`.
    package static func resolve(plain text: String) -> YAMLScalarValue? {
        if case .value(let value) = resolvePlain(text) { return value }
        return nil
    }

    static func isNull(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": true
        default: false
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// True for words YAML 1.1 read as booleans but YAML 1.2 reads as strings; the
    /// typed accessors use it to explain a surprising "expected a boolean".
    static func isYAML11Boolean(_ text: String) -> Bool {
        switch text.lowercased() {
        case "yes", "no", "on", "off", "y", "n": true
        default: false
        }
    }

    /// What YAML 1.1 meant by one of the words `isYAML11Boolean` accepts.
    static func yaml11BooleanMeaning(_ text: String) -> Bool {
        ["yes", "on", "y"].contains(text.lowercased())
    }

    /// The digits (with their sign, for decimal) and radix of an integer in one of the
    /// core schema's three notations: `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    static func integerSyntax(_ text: String) -> (digits: Substring, radix: Int)? {
        let bytes = Array(text.utf8)
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let body = text.dropFirst(2)
            if bytes[1] == UInt8(ascii: "o"), bytes[2...].allSatisfy(isOctalDigit) { return (body, 8) }
            if bytes[1] == UInt8(ascii: "x"), bytes[2...].allSatisfy(isHexDigit) { return (body, 16) }
        }
        var digitsStart = 0
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { digitsStart = 1 }
        guard bytes.count > digitsStart, bytes[digitsStart...].allSatisfy(isDecimalDigit) else { return nil }
        return (text[...], 10)
    }

    /// The value of a float in core schema notation:
    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
    static func float(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard matchesFloatSyntax(Array(text.utf8)) else { return nil }
        return Double(text)
    }

    private static func matchesFloatSyntax(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, isDecimalDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                _ = digits()
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    private static func isDecimalDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isOctalDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDecimalDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// The short form of a tag for messages: `tag:yaml.org,2002:str` becomes `!!str`.
    static func displayName(ofTag tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }
}
