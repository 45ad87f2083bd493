import CELCommon

/// Splits an expression into tokens, working on UTF-8 bytes. Literal values are decoded
/// here (escapes, numbers) and problems with them reported, so the parser only sees
/// well-formed tokens; invalid text becomes an `.invalid` token so parsing can go on.
struct Lexer {
    private let bytes: [UInt8]
    private var position = 0
    private var tokens: [Token] = []
    private(set) var issues: IssueLog
    /// Set when a string literal ran to the end of the input: the parser then stays
    /// quiet about the missing closers that this swallowed.
    private(set) var reachedEndInsideString = false

    init(bytes: [UInt8], issues: IssueLog) {
        self.bytes = bytes
        self.issues = issues
    }

    /// Lexes the whole input; the last token is always `.endOfInput`.
    mutating func tokenize() -> [Token] {
        tokens.reserveCapacity(bytes.count / 3 + 1)
        while true {
            skipWhitespaceAndComments()
            guard position < bytes.count else { break }
            lexToken()
        }
        tokens.append(Token(kind: .endOfInput, start: bytes.count, end: bytes.count))
        return tokens
    }

    // MARK: Helpers

    private func byte(at index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self)
    }

    private mutating func add(_ kind: TokenKind, from start: Int) {
        tokens.append(Token(kind: kind, start: start, end: position))
    }

    private mutating func skipWhitespaceAndComments() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C:
                position += 1
            case UInt8(ascii: "/") where byte(at: position + 1) == UInt8(ascii: "/"):
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            default:
                return
            }
        }
    }

    // MARK: Tokens

    private mutating func lexToken() {
        let start = position
        let first = bytes[position]
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            lexNumber()
        case UInt8(ascii: ".") where isDigit(byte(at: position + 1)) && !(tokens.last?.kind.endsOperand ?? false):
            lexNumber()
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            lexString(start: start, raw: false, isBytes: false)
        case UInt8(ascii: "`"):
            lexQuotedIdentifier()
        case _ where isIdentifierStart(first):
            if let (raw, isBytes, prefixLength) = stringPrefix() {
                position += prefixLength
                lexString(start: start, raw: raw, isBytes: isBytes)
            } else {
                lexIdentifier()
            }
        default:
            lexPunctuation(first)
        }
    }

    /// Recognizes the prefixes `r`, `b` and `br` (any case) directly before a quote.
    private func stringPrefix() -> (raw: Bool, isBytes: Bool, length: Int)? {
        func isQuote(_ b: UInt8?) -> Bool { b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") }
        func lower(_ b: UInt8) -> UInt8 { b | 0x20 }
        let first = lower(bytes[position])
        if first == UInt8(ascii: "r"), isQuote(byte(at: position + 1)) { return (true, false, 1) }
        guard first == UInt8(ascii: "b") else { return nil }
        if isQuote(byte(at: position + 1)) { return (false, true, 1) }
        if let second = byte(at: position + 1), lower(second) == UInt8(ascii: "r"), isQuote(byte(at: position + 2)) {
            return (true, true, 2)
        }
        return nil
    }

    private mutating func lexIdentifier() {
        let start = position
        while let b = byte(at: position), isIdentifierPart(b) { position += 1 }
        let name = text(start, position)
        let kind: TokenKind =
            switch name {
            case "true": .trueKeyword
            case "false": .falseKeyword
            case "null": .nullKeyword
            case "in": .inKeyword
            default: .identifier(name)
            }
        add(kind, from: start)
    }

    /// `` `name` `` where the name is letters, digits, `_`, `.`, `/`, `-` and spaces:
    /// field names that are not identifiers, e.g. map keys like `content-type`.
    private mutating func lexQuotedIdentifier() {
        let start = position
        position += 1
        while let b = byte(at: position), isQuotedIdentifierPart(b) { position += 1 }
        let contentEnd = position
        if byte(at: position) == UInt8(ascii: "`"), contentEnd > start + 1 {
            position += 1
            add(.quotedIdentifier(text(start + 1, contentEnd)), from: start)
            return
        }
        if byte(at: position) == UInt8(ascii: "`") {
            position += 1
            issues.add(ParserMessages.emptyQuotedIdentifier(at: TextRange(start, position)))
        } else if let b = byte(at: position), b != UInt8(ascii: "\n"), b != UInt8(ascii: "\r") {
            let characterEnd = min(position + utf8SequenceLength(b), bytes.count)
            issues.add(
                ParserMessages.invalidQuotedIdentifierCharacter(
                    text(position, characterEnd), at: TextRange(position, characterEnd)))
            // Skip to the closing backtick on this line, if any, so the rest is not lexed
            // as garbage.
            var end = position
            while let c = byte(at: end), c != UInt8(ascii: "`"), c != UInt8(ascii: "\n") { end += 1 }
            position = byte(at: end) == UInt8(ascii: "`") ? end + 1 : characterEnd
        } else {
            issues.add(ParserMessages.unterminatedQuotedIdentifier(at: TextRange(start, position)))
        }
        add(.invalid, from: start)
    }

    private mutating func lexPunctuation(_ first: UInt8) {
        let start = position
        let next = byte(at: position + 1)
        func two(_ second: Character, _ kind: TokenKind) -> TokenKind? {
            next == UInt8(ascii: second.unicodeScalars.first!) ? kind : nil
        }
        let twoByte: TokenKind? =
            switch first {
            case UInt8(ascii: "="): two("=", .equal)
            case UInt8(ascii: "!"): two("=", .notEqual)
            case UInt8(ascii: "<"): two("=", .lessEqual)
            case UInt8(ascii: ">"): two("=", .greaterEqual)
            case UInt8(ascii: "&"): two("&", .logicalAnd)
            case UInt8(ascii: "|"): two("|", .logicalOr)
            default: nil
            }
        if let twoByte {
            position += 2
            add(twoByte, from: start)
            return
        }
        let oneByte: TokenKind? =
            switch first {
            case UInt8(ascii: "("): .leftParen
            case UInt8(ascii: ")"): .rightParen
            case UInt8(ascii: "["): .leftBracket
            case UInt8(ascii: "]"): .rightBracket
            case UInt8(ascii: "{"): .leftBrace
            case UInt8(ascii: "}"): .rightBrace
            case UInt8(ascii: "."): .dot
            case UInt8(ascii: ","): .comma
            case UInt8(ascii: ":"): .colon
            case UInt8(ascii: "?"): .question
            case UInt8(ascii: "+"): .plus
            case UInt8(ascii: "-"): .minus
            case UInt8(ascii: "*"): .star
            case UInt8(ascii: "/"): .slash
            case UInt8(ascii: "%"): .percent
            case UInt8(ascii: "!"): .bang
            case UInt8(ascii: "<"): .less
            case UInt8(ascii: ">"): .greater
            default: nil
            }
        if let oneByte {
            position += 1
            add(oneByte, from: start)
            return
        }
        // Anything else is an error. Skip the whole UTF-8 sequence so the message can
        // quote the character, and merge a run of bad characters into one report.
        position += utf8SequenceLength(first)
        while let b = byte(at: position), !isTokenStart(b) { position += utf8SequenceLength(b) }
        position = min(position, bytes.count)
        issues.add(ParserMessages.unexpectedCharacter(text(start, position), at: TextRange(start, position)))
        add(.invalid, from: start)
    }

    /// True for a byte that can begin a token or separate tokens.
    private func isTokenStart(_ b: UInt8) -> Bool {
        if isIdentifierPart(b) { return true }
        switch b {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C,
            UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "."), UInt8(ascii: ","),
            UInt8(ascii: ":"), UInt8(ascii: "?"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"),
            UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"),
            UInt8(ascii: "="), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "`"):
            return true
        default:
            return false
        }
    }

    // MARK: Numbers

    private mutating func lexNumber() {
        let start = position
        var isDouble = false
        if bytes[position] == UInt8(ascii: "0"), let x = byte(at: position + 1), x | 0x20 == UInt8(ascii: "x") {
            position += 2
            let digitsStart = position
            while isHexDigit(byte(at: position)) { position += 1 }
            let isUnsigned = consumeUnsignedSuffix()
            if position == digitsStart || (isUnsigned && position - 1 == digitsStart) {
                return invalidNumber(from: start)
            }
            let digitsEnd = isUnsigned ? position - 1 : position
            if followedByIdentifierPart() { return invalidNumber(from: start) }
            finishInteger(magnitude: parseMagnitude(digitsStart, digitsEnd, radix: 16), unsigned: isUnsigned, from: start)
            return
        }
        while isDigit(byte(at: position)) { position += 1 }
        if byte(at: position) == UInt8(ascii: "."), isDigit(byte(at: position + 1)) {
            isDouble = true
            position += 1
            while isDigit(byte(at: position)) { position += 1 }
        }
        if let e = byte(at: position), e | 0x20 == UInt8(ascii: "e") {
            var afterSign = position + 1
            if let sign = byte(at: afterSign), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { afterSign += 1 }
            if isDigit(byte(at: afterSign)) {
                isDouble = true
                position = afterSign
                while isDigit(byte(at: position)) { position += 1 }
            }
        }
        if isDouble {
            if followedByIdentifierPart() { return invalidNumber(from: start) }
            let literal = text(start, position)
            // The text is digits, a dot and an exponent only, which `Double.init` accepts;
            // overflow gives infinity, which CEL does not allow as a literal.
            let value = Double(literal) ?? .nan
            if !value.isFinite {
                issues.add(ParserMessages.doubleOutOfRange(literal, at: TextRange(start, position)))
            }
            add(.double(value.isFinite ? value : 0), from: start)
            return
        }
        let digitsEnd = position
        let isUnsigned = consumeUnsignedSuffix()
        if followedByIdentifierPart() { return invalidNumber(from: start) }
        finishInteger(magnitude: parseMagnitude(start, digitsEnd, radix: 10), unsigned: isUnsigned, from: start)
    }

    private mutating func consumeUnsignedSuffix() -> Bool {
        guard let u = byte(at: position), u | 0x20 == UInt8(ascii: "u") else { return false }
        position += 1
        return true
    }

    /// Numbers glued to letters (`12abc`, `0x1g`) are reported as one bad literal
    /// rather than as a number followed by an unexpected identifier.
    private func followedByIdentifierPart() -> Bool {
        guard let b = byte(at: position) else { return false }
        return isIdentifierPart(b)
    }

    private mutating func invalidNumber(from start: Int) {
        while let b = byte(at: position), isIdentifierPart(b) { position += 1 }
        issues.add(ParserMessages.invalidNumber(text(start, position), at: TextRange(start, position)))
        add(.invalid, from: start)
    }

    private mutating func finishInteger(magnitude: UInt64?, unsigned: Bool, from start: Int) {
        if unsigned {
            if magnitude == nil {
                issues.add(ParserMessages.uintOutOfRange(text(start, position), at: TextRange(start, position)))
            }
            add(.uint(magnitude ?? 0), from: start)
        } else {
            add(.int(magnitude), from: start)
        }
    }

    /// The value of the digits in `start..<end`, or nil when it exceeds `UInt64.max`.
    private func parseMagnitude(_ start: Int, _ end: Int, radix: UInt64) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<end {
            let digit = hexValue(bytes[index])!
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    // MARK: Strings

    /// Lexes a quoted literal whose opening quote is at `position`; `start` includes any
    /// prefix. Escapes are decoded into UTF-8 (strings) or raw octets (bytes).
    private mutating func lexString(start: Int, raw: Bool, isBytes: Bool) {
        let quote = bytes[position]
        let isTriple = byte(at: position + 1) == quote && byte(at: position + 2) == quote
        position += isTriple ? 3 : 1
        var buffer: [UInt8] = []
        var contentStart = position
        var terminated = false
        var hitNewline = false

        let source = bytes
        func flushPlain(upTo end: Int) {
            buffer.append(contentsOf: source[contentStart..<end])
        }

        while position < bytes.count {
            let b = bytes[position]
            if b == quote {
                if !isTriple {
                    flushPlain(upTo: position)
                    position += 1
                    terminated = true
                    break
                }
                if byte(at: position + 1) == quote, byte(at: position + 2) == quote {
                    flushPlain(upTo: position)
                    position += 3
                    terminated = true
                    break
                }
                position += 1
            } else if !isTriple, b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                hitNewline = true
                break
            } else if b == UInt8(ascii: "\\"), !raw {
                flushPlain(upTo: position)
                decodeEscape(into: &buffer, isBytes: isBytes, isTriple: isTriple)
                contentStart = position
            } else {
                position += 1
            }
        }
        if !terminated {
            flushPlain(upTo: position)
            if position >= bytes.count { reachedEndInsideString = true }
            issues.add(ParserMessages.unterminatedString(at: TextRange(start, position), hitNewline: hitNewline))
        }
        // Literal text comes from a Swift String and escapes encode valid scalars, so a
        // string buffer is always valid UTF-8.
        add(isBytes ? .bytes(buffer) : .string(String(decoding: buffer, as: UTF8.self)), from: start)
    }

    /// Decodes the escape starting at the backslash at `position`, appending its value.
    /// Invalid escapes are reported and contribute nothing.
    private mutating func decodeEscape(into buffer: inout [UInt8], isBytes: Bool, isTriple: Bool) {
        let start = position
        position += 1
        guard let letter = byte(at: position), isTriple || (letter != UInt8(ascii: "\n") && letter != UInt8(ascii: "\r"))
        else {
            issues.add(ParserMessages.invalidEscape("\\", at: TextRange(start, position)))
            return
        }
        let simple: UInt8? =
            switch letter {
            case UInt8(ascii: "a"): 0x07
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "v"): 0x0B
            case UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): letter
            default: nil
            }
        if let simple {
            position += 1
            buffer.append(simple)
            return
        }
        switch letter {
        case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = letter == UInt8(ascii: "u") ? 4 : letter == UInt8(ascii: "U") ? 8 : 2
            position += 1
            let digitsStart = position
            while position - digitsStart < count, isHexDigit(byte(at: position)) { position += 1 }
            let range = TextRange(start, position)
            let escape = text(start, position)
            guard position - digitsStart == count else {
                issues.add(ParserMessages.incompleteEscape(escape, digits: count, hex: true, at: range))
                return
            }
            let value = UInt32(parseMagnitude(digitsStart, position, radix: 16)!)
            if count == 2 {
                appendCodeUnit(value, to: &buffer, isBytes: isBytes)
            } else if isBytes {
                issues.add(ParserMessages.unicodeEscapeInBytes(escape, at: range))
            } else if (0xD800...0xDFFF).contains(value) {
                issues.add(ParserMessages.surrogateEscape(escape, at: range))
            } else if let scalar = Unicode.Scalar(value) {
                UTF8.encode(scalar) { buffer.append($0) }
            } else {
                issues.add(ParserMessages.codePointOutOfRange(escape, at: range))
            }
        case UInt8(ascii: "0")...UInt8(ascii: "3"):
            let digitsStart = position
            while position - digitsStart < 3, let d = byte(at: position), isOctalDigit(d) { position += 1 }
            guard position - digitsStart == 3 else {
                issues.add(ParserMessages.incompleteEscape(text(start, position), digits: 3, hex: false,
                                                           at: TextRange(start, position)))
                return
            }
            let value = bytes[digitsStart..<position].reduce(UInt32(0)) { $0 * 8 + UInt32($1 - UInt8(ascii: "0")) }
            appendCodeUnit(value, to: &buffer, isBytes: isBytes)
        default:
            // Quote the whole character after the backslash, even if it is multi-byte.
            position = min(position + utf8SequenceLength(letter), bytes.count)
            issues.add(ParserMessages.invalidEscape(text(start, position), at: TextRange(start, position)))
        }
    }

    /// `\xHH` and `\ooo` give an octet in bytes literals but a code point (≤ U+00FF) in
    /// strings, per the spec.
    private func appendCodeUnit(_ value: UInt32, to buffer: inout [UInt8], isBytes: Bool) {
        if isBytes {
            buffer.append(UInt8(value))
        } else if value < 0x80 {
            buffer.append(UInt8(value))
        } else {
            buffer.append(UInt8(0xC0 | (value >> 6)))
            buffer.append(UInt8(0x80 | (value & 0x3F)))
        }
    }
}

// MARK: Character classes

@inline(__always) func isDigit(_ b: UInt8?) -> Bool {
    guard let b else { return false }
    return b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
}

@inline(__always) func isOctalDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") }

@inline(__always) func isHexDigit(_ b: UInt8?) -> Bool {
    guard let b else { return false }
    return hexValue(b) != nil
}

@inline(__always) func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
    default: nil
    }
}

@inline(__always) func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
        || b == UInt8(ascii: "_")
}

@inline(__always) package func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

@inline(__always) func isQuotedIdentifierPart(_ b: UInt8) -> Bool {
    isIdentifierPart(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") || b == UInt8(ascii: "-")
        || b == UInt8(ascii: " ")
}

/// The length of the UTF-8 sequence a leading byte starts (1 for stray continuation bytes).
@inline(__always) func utf8SequenceLength(_ leading: UInt8) -> Int {
    switch leading {
    case 0xF0...0xF7: 4
    case 0xE0...0xEF: 3
    case 0xC0...0xDF: 2
    default: 1
    }
}

/// Collects issues, capping how many are kept so a pathological input (100k stray
/// characters) cannot produce an unbounded report.
struct IssueLog {
    static let limit = 50
    private(set) var issues: [CELIssue] = []

    mutating func add(_ issue: CELIssue) {
        if issues.count < Self.limit { issues.append(issue) }
    }
}
