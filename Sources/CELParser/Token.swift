import CELCommon

/// One lexical element of a CEL expression.
struct Token {
    var kind: TokenKind
    /// UTF-8 byte offsets of the token's text, half-open.
    var start: Int
    var end: Int

    var range: TextRange { TextRange(start, end) }
}

enum TokenKind: Equatable {
    /// A name, including the reserved words (`if`, `package`, …): they are valid
    /// selectors and field names, so only the parser knows whether one is allowed.
    case identifier(String)
    /// A backtick-quoted field name such as `` `content-type` ``, valid only after `.`
    /// and as a message field name; the payload is the text between the backticks.
    case quotedIdentifier(String)
    /// The magnitude of a signed integer literal, nil when it exceeds `UInt64.max`. The
    /// parser decides whether it fits, because `-9223372036854775808` is valid.
    case int(UInt64?)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case trueKeyword, falseKeyword, nullKeyword, inKeyword
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case dot, comma, colon, question
    case plus, minus, star, slash, percent, bang
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case logicalAnd, logicalOr
    /// Text the lexer could not make sense of; the lexer has already reported it.
    case invalid
    case endOfInput

    /// True for tokens after which an operand has ended, so a following `.` starts a
    /// selection rather than a number like `.5`.
    var endsOperand: Bool {
        switch self {
        case .identifier, .quotedIdentifier, .int, .uint, .double, .string, .bytes, .trueKeyword, .falseKeyword, .nullKeyword,
            .rightParen, .rightBracket, .rightBrace:
            true
        default:
            false
        }
    }
}
