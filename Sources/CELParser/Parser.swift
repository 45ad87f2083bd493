import CELCommon
import RescindDiagnostics

/// Why a parse function gave up. The problem has always been reported already.
enum ParseFailure: Error {
    /// A syntax error: the nearest enclosing list, argument list, map or message literal
    /// skips to its next `,` or closing bracket and carries on, so later errors are found
    /// too.
    case syntax
    /// The depth limit: nothing sensible can follow, so parsing stops.
    case depthLimit
}

/// The recursive-descent parser over the lexer's tokens.
///
/// Grammar levels, loosest first: conditional (`?:`, right-associative) → `||` → `&&` →
/// relations, `+ -`, `* / %` (one precedence-climbing loop) → unary `!`/`-` → member
/// suffixes (`.f`, `.f()`, `[i]`) → primaries. Every cycle through the grammar passes
/// `parseExpr`, which enforces the depth limit, so the native stack stays bounded;
/// long chains (`a || b || …`, `!!!!x`, `a.b.c…`) are loops, not recursion.
final class Parser {
    private let tokens: [Token]
    private let source: String
    private let options: CELParser.Options
    var issues: IssueLog
    /// After a string literal swallowed the rest of the input, complaints about the
    /// missing closers at the end would only repeat that error.
    private let quietAtEnd: Bool

    private var index = 0
    private var depth = 0
    private var nextID: Int32 = 1
    private var hadSyntaxError = false
    /// The token of the last reported syntax error: a second error at the same place
    /// is a consequence of the first, so it is not reported.
    private var lastErrorTokenIndex = -1

    init(tokens: [Token], source: String, options: CELParser.Options, issues: IssueLog, quietAtEnd: Bool) {
        self.tokens = tokens
        self.source = source
        self.options = options
        self.issues = issues
        self.quietAtEnd = quietAtEnd
    }

    /// Parses the whole input. Nil when a syntax error or a limit left no complete tree.
    func parseRoot() -> Expr? {
        do {
            let expr = try parseExpr()
            if current.kind != .endOfInput {
                let issue =
                    switch current.kind {
                    case .rightParen, .rightBracket, .rightBrace:
                        ParserMessages.unmatchedCloser(tokenText(current), at: current.range)
                    default:
                        ParserMessages.unexpected(
                            tokenText(current), expected: ParserMessages.operatorOrEnd, at: current.range)
                    }
                _ = report(issue, at: index)
            }
            return hadSyntaxError ? nil : expr
        } catch {
            return nil
        }
    }

    // MARK: Token access

    private var current: Token { tokens[index] }

    private func peek(_ offset: Int) -> Token { tokens[min(index + offset, tokens.count - 1)] }

    @discardableResult
    private func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func makeID() -> Int32 {
        defer { nextID += 1 }
        return nextID
    }

    /// The source text of a token for messages, shortened to one line of reasonable length.
    private func tokenText(_ token: Token) -> String {
        let utf8 = source.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: token.start)
        let to = utf8.index(utf8.startIndex, offsetBy: token.end)
        let text = String(source[from..<to])
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        if firstLine.count > 40 { return firstLine.prefix(39) + "…" }
        return firstLine.count < text.count ? firstLine + "…" : text
    }

    // MARK: Errors and limits

    /// Records a syntax error unless it merely repeats an earlier one, and returns the
    /// failure to throw.
    private func report(_ issue: @autoclosure () -> CELIssue, at tokenIndex: Int) -> ParseFailure {
        hadSyntaxError = true
        let kind = tokens[tokenIndex].kind
        let repeatsEarlier =
            tokenIndex == lastErrorTokenIndex || kind == .invalid || (kind == .endOfInput && quietAtEnd)
        if !repeatsEarlier { issues.add(issue()) }
        lastErrorTokenIndex = tokenIndex
        return .syntax
    }

    /// "unexpected token `x`; expected …" at the current token.
    private func unexpected(expected: DiagnosticText, help: DiagnosticText? = nil) -> ParseFailure {
        let found = current.kind == .endOfInput ? nil : tokenText(current)
        return report(ParserMessages.unexpected(found, expected: expected, at: current.range, help: help), at: index)
    }

    private func expect(_ kind: TokenKind, _ expected: DiagnosticText) throws(ParseFailure) -> Token {
        guard current.kind == kind else { throw unexpected(expected: expected) }
        return advance()
    }

    /// Goes `levels` deeper, failing if that passes the limit. Callers undo it with
    /// `depth -= levels` in a `defer` registered after a successful call.
    private func descend(_ levels: Int = 1) throws(ParseFailure) {
        guard depth + levels <= options.maxDepth else {
            issues.add(ParserMessages.tooDeep(limit: options.maxDepth, at: current.range))
            throw .depthLimit
        }
        depth += levels
    }

    // MARK: Node construction

    private func call(_ id: Int32, _ function: String, _ args: [Expr], _ range: TextRange) -> Expr {
        Expr(id: id, .call(target: nil, function: function, args: args), range: range)
    }

    private func span(_ first: Expr, _ last: Expr) -> TextRange {
        TextRange(Int(first.range.start), Int(last.range.end))
    }

    // MARK: Expressions

    /// `Expr = ConditionalOr ["?" ConditionalOr ":" Expr]`
    func parseExpr() throws(ParseFailure) -> Expr {
        try descend()
        defer { depth -= 1 }
        let condition = try parseLogicalOr()
        guard current.kind == .question else { return condition }
        advance()
        let id = makeID()
        try descend()
        defer { depth -= 1 }
        let whenTrue = try parseLogicalOr()
        _ = try expect(.colon, ParserMessages.colonOfConditional)
        let whenFalse = try parseExpr()
        return call(id, Operator.conditional, [condition, whenTrue, whenFalse], span(condition, whenFalse))
    }

    /// `ConditionalOr = [ConditionalOr "||"] ConditionalAnd`
    private func parseLogicalOr() throws(ParseFailure) -> Expr {
        let first = try parseLogicalAnd()
        guard current.kind == .logicalOr else { return first }
        var chain = LogicalChain(first: first)
        defer { depth -= chain.levels }
        while current.kind == .logicalOr {
            try extend(&chain)
            chain.terms.append(try parseLogicalAnd())
        }
        return chain.balancedTree(function: Operator.logicalOr)
    }

    /// `ConditionalAnd = [ConditionalAnd "&&"] Relation`
    private func parseLogicalAnd() throws(ParseFailure) -> Expr {
        let first = try parseBinary()
        guard current.kind == .logicalAnd else { return first }
        var chain = LogicalChain(first: first)
        defer { depth -= chain.levels }
        while current.kind == .logicalAnd {
            try extend(&chain)
            chain.terms.append(try parseBinary())
        }
        return chain.balancedTree(function: Operator.logicalAnd)
    }

    /// Consumes the operator of a `&&`/`||` chain, before its next term.
    private func extend(_ chain: inout LogicalChain) throws(ParseFailure) {
        advance()
        chain.operatorIDs.append(makeID())
        // The balanced tree of n terms is ⌈log₂ n⌉ deep: count levels as they appear.
        if (1 << chain.levels) < chain.terms.count + 1 {
            try descend()
            chain.levels += 1
        }
    }

    /// The terms of `a || b || …` (or `&&`), parsed in a loop and then built into a
    /// balanced tree, as cel-go does: the operators are associative, so a chain of n
    /// terms nests only log₂ n deep.
    private struct LogicalChain {
        var terms: [Expr]
        var operatorIDs: [Int32] = []
        /// Depth levels taken for the tree so far.
        var levels = 0

        init(first: Expr) { terms = [first] }

        func balancedTree(function: String) -> Expr {
            func build(_ low: Int, _ high: Int) -> Expr {
                if low == high { return terms[low] }
                let middle = (low + high + 1) / 2
                let left = build(low, middle - 1)
                let right = build(middle, high)
                return Expr(
                    id: operatorIDs[middle - 1], .call(target: nil, function: function, args: [left, right]),
                    range: TextRange(Int(left.range.start), Int(right.range.end)))
            }
            return build(0, terms.count - 1)
        }
    }

    private static func binaryOperator(_ kind: TokenKind) -> (function: String, precedence: Int)? {
        switch kind {
        case .equal: (Operator.equals, 1)
        case .notEqual: (Operator.notEquals, 1)
        case .less: (Operator.less, 1)
        case .lessEqual: (Operator.lessEquals, 1)
        case .greater: (Operator.greater, 1)
        case .greaterEqual: (Operator.greaterEquals, 1)
        case .inKeyword: (Operator.in, 1)
        case .plus: (Operator.add, 2)
        case .minus: (Operator.subtract, 2)
        case .star: (Operator.multiply, 3)
        case .slash: (Operator.divide, 3)
        case .percent: (Operator.modulo, 3)
        default: nil
        }
    }

    /// Relations, `+ -` and `* / %`, all left-associative, parsed by one
    /// precedence-climbing loop with explicit stacks instead of one function per level.
    private func parseBinary() throws(ParseFailure) -> Expr {
        var operands = [try parseUnary()]
        guard Self.binaryOperator(current.kind) != nil else { return operands[0] }
        var pending: [(function: String, precedence: Int, id: Int32)] = []
        var levels = 0
        defer { depth -= levels }
        func reduce() {
            let op = pending.removeLast()
            let right = operands.removeLast()
            let left = operands.removeLast()
            operands.append(call(op.id, op.function, [left, right], span(left, right)))
        }
        while let (function, precedence) = Self.binaryOperator(current.kind) {
            advance()
            let id = makeID()
            while let top = pending.last, top.precedence >= precedence { reduce() }
            pending.append((function, precedence, id))
            // Each operator can add a level to the left-nested tree.
            try descend()
            levels += 1
            operands.append(try parseUnary())
        }
        while !pending.isEmpty { reduce() }
        return operands[0]
    }

    private static func isNumber(_ kind: TokenKind) -> Bool {
        switch kind {
        case .int, .double: true
        default: false
        }
    }

    /// `"!" {"!"} Member | "-" {"-"} Member | Member`, as a loop. A `-` directly before
    /// an int or double literal belongs to the literal (`-1` is the constant -1, as in
    /// cel-go), which is what makes `-9223372036854775808` expressible.
    private func parseUnary() throws(ParseFailure) -> Expr {
        let kind = current.kind
        guard kind == .bang || kind == .minus else { return try parseMember() }
        var operators: [(id: Int32, start: Int)] = []
        var levels = 0
        defer { depth -= levels }
        while current.kind == kind, !(kind == .minus && Self.isNumber(peek(1).kind)) {
            try descend()
            levels += 1
            let token = advance()
            operators.append((makeID(), token.start))
        }
        // The grammar allows a run of one operator only: `!-x` needs parentheses (but
        // `!-1` is fine, since `-1` is a literal).
        if current.kind == .bang || (current.kind == .minus && !Self.isNumber(peek(1).kind)) {
            throw report(ParserMessages.mixedUnaryOperators(at: current.range), at: index)
        }
        let function = kind == .bang ? Operator.logicalNot : Operator.negate
        var operand = try parseMember()
        for op in operators.reversed() {
            operand = call(op.id, function, [operand], TextRange(op.start, Int(operand.range.end)))
        }
        return operand
    }

    /// A primary followed by any number of `.name`, `.name(args)` and `[index]`.
    private func parseMember() throws(ParseFailure) -> Expr {
        var expr = try parsePrimary()
        var levels = 0
        defer { depth -= levels }
        while true {
            switch current.kind {
            case .dot:
                advance()
                let name = try expectSelector(expected: ParserMessages.fieldOrMethodName)
                try descend()
                levels += 1
                if current.kind == .leftParen {
                    if case .quotedIdentifier = name.token.kind {
                        throw report(ParserMessages.quotedMethodName(at: name.token.range), at: index - 1)
                    }
                    let id = makeID()
                    advance()
                    let (args, close) = try parseArguments()
                    let range = TextRange(Int(expr.range.start), close.end)
                    expr = makeReceiverCall(target: expr, function: name.text, args: args, id: id, range: range)
                } else {
                    let range = TextRange(Int(expr.range.start), name.token.end)
                    expr = Expr(id: makeID(), .select(operand: expr, field: name.text, testOnly: false), range: range)
                }
            case .leftBracket:
                advance()
                let id = makeID()
                try descend()
                levels += 1
                let position = try parseExpr()
                let close = try expect(.rightBracket, ParserMessages.closingBracket)
                expr = call(id, Operator.index, [expr, position], TextRange(Int(expr.range.start), close.end))
            default:
                return expr
            }
        }
    }

    /// A name after `.` or in a message field (SELECTOR): any identifier, reserved words
    /// included, or a backtick-quoted name; only the keywords `true`, `false`, `null` and
    /// `in` are excluded (they are not identifier tokens).
    private func expectSelector(expected: DiagnosticText) throws(ParseFailure) -> (text: String, token: Token) {
        switch current.kind {
        case .identifier(let name), .quotedIdentifier(let name):
            return (name, advance())
        default:
            throw unexpected(expected: expected)
        }
    }

    private func checkNotReserved(_ name: String, at range: TextRange) {
        if CELParser.reservedWords.contains(name) {
            issues.add(ParserMessages.reservedIdentifier(name, at: range))
        }
    }

    private func parsePrimary() throws(ParseFailure) -> Expr {
        let token = current
        switch token.kind {
        case .identifier:
            return try parseNamePrimary(leadingDot: nil)
        case .dot:
            advance()
            guard case .identifier = current.kind else { throw unexpected(expected: ParserMessages.nameAfterLeadingDot) }
            return try parseNamePrimary(leadingDot: token)
        case .leftParen:
            advance()
            var inner = try parseExpr()
            let close = try expect(.rightParen, ParserMessages.closingParenthesis)
            // The parentheses belong to the node's text, so ranges of enclosing nodes
            // (`-(1)`) cover them too.
            inner.range = TextRange(token.start, close.end)
            return inner
        case .leftBracket:
            return try parseList()
        case .leftBrace:
            return try parseMap()
        case .invalid:
            // The lexer has reported this text; `report` only records the failure.
            throw report(ParserMessages.unexpected(nil, expected: ParserMessages.anExpression, at: token.range), at: index)
        case .quotedIdentifier:
            throw report(ParserMessages.quotedNameOutsideSelection(at: token.range), at: index)
        default:
            // Literals live in their own function to keep this frame, which is on the
            // recursion path, small.
            guard let literal = parseLiteral() else { throw unexpected(expected: ParserMessages.anExpression) }
            return literal
        }
    }

    /// A literal token (with a folded `-` for negative numbers), or nil if the current
    /// token is not a literal.
    private func parseLiteral() -> Expr? {
        let token = current
        switch token.kind {
        case .int(let magnitude):
            advance()
            var value: Int64 = 0
            if let magnitude, magnitude <= UInt64(Int64.max) {
                value = Int64(magnitude)
            } else {
                issues.add(ParserMessages.intOutOfRange(tokenText(token), at: token.range))
            }
            return Expr(id: makeID(), .constant(.int(value)), range: token.range)
        case .minus where Self.isNumber(peek(1).kind):
            return parseNegativeLiteral()
        case .uint(let value):
            return literal(.uint(value))
        case .double(let value):
            return literal(.double(value))
        case .string(let value):
            return literal(.string(value))
        case .bytes(let value):
            return literal(.bytes(value))
        case .trueKeyword:
            return literal(.bool(true))
        case .falseKeyword:
            return literal(.bool(false))
        case .nullKeyword:
            return literal(.null)
        default:
            return nil
        }
    }

    private func literal(_ value: Constant) -> Expr {
        let token = advance()
        return Expr(id: makeID(), .constant(value), range: token.range)
    }

    private func parseNegativeLiteral() -> Expr {
        let minus = advance()
        let number = advance()
        let range = TextRange(minus.start, number.end)
        let value: Constant
        switch number.kind {
        case .int(let magnitude):
            if let magnitude, magnitude <= UInt64(Int64.max) + 1 {
                value = .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            } else {
                issues.add(ParserMessages.intOutOfRange("-" + tokenText(number), at: range))
                value = .int(0)
            }
        case .double(let double):
            value = .double(-double)
        default:
            preconditionFailure("parseUnary only folds `-` into int and double literals")
        }
        return Expr(id: makeID(), .constant(value), range: range)
    }

    /// An identifier, a global call `f(…)` or a message construction `a.b.Msg{…}`, with
    /// an optional leading dot that is kept in the name (`.x`, `.f`, `.pkg.Msg`).
    private func parseNamePrimary(leadingDot: Token?) throws(ParseFailure) -> Expr {
        let prefix = leadingDot == nil ? "" : "."
        let start = leadingDot?.start ?? current.start
        if let segments = structNameSegments() {
            return try parseStruct(typeName: prefix + segments.joined(separator: "."), start: start)
        }
        let nameToken = advance()
        guard case .identifier(let name) = nameToken.kind else { preconditionFailure("caller checked") }
        checkNotReserved(name, at: nameToken.range)
        if current.kind == .leftParen {
            let id = makeID()
            advance()
            let (args, close) = try parseArguments()
            return makeGlobalCall(function: prefix + name, args: args, id: id, range: TextRange(start, close.end))
        }
        return Expr(id: makeID(), .ident(prefix + name), range: TextRange(start, nameToken.end))
    }

    /// If the tokens at the current position are `name (. name)* {`, the names of a
    /// message construction; otherwise nil and nothing is consumed.
    private func structNameSegments() -> [String]? {
        var lookahead = index
        var segments: [String] = []
        while true {
            guard case .identifier(let name) = tokens[lookahead].kind else { return nil }
            segments.append(name)
            lookahead += 1
            switch tokens[lookahead].kind {
            case .leftBrace:
                index = lookahead
                return segments
            case .dot:
                lookahead += 1
            default:
                return nil
            }
        }
    }

    /// `Name{field: value, …}`; the current token is the `{`.
    private func parseStruct(typeName: String, start: Int) throws(ParseFailure) -> Expr {
        advance()
        let id = makeID()
        var fields: [FieldInitializer] = []
        let close = try parseDelimited(closer: .rightBrace, closerText: "}", allowTrailingComma: true) {
            () throws(ParseFailure) in
            let name = try self.expectSelector(expected: ParserMessages.aFieldName)
            let fieldID = self.makeID()
            _ = try self.expect(.colon, ParserMessages.colonAfterFieldName)
            let value = try self.parseExpr()
            fields.append(FieldInitializer(id: fieldID, field: name.text, value: value))
        }
        return Expr(id: id, .structure(typeName: typeName, fields: fields), range: TextRange(start, close.end))
    }

    private func parseList() throws(ParseFailure) -> Expr {
        let open = advance()
        let id = makeID()
        var elements: [Expr] = []
        let close = try parseDelimited(closer: .rightBracket, closerText: "]", allowTrailingComma: true) {
            () throws(ParseFailure) in
            elements.append(try self.parseExpr())
        }
        return Expr(id: id, .list(elements: elements), range: TextRange(open.start, close.end))
    }

    private func parseMap() throws(ParseFailure) -> Expr {
        let open = advance()
        let id = makeID()
        var entries: [MapEntry] = []
        let close = try parseDelimited(closer: .rightBrace, closerText: "}", allowTrailingComma: true) {
            () throws(ParseFailure) in
            let key = try self.parseExpr()
            let entryID = self.makeID()
            _ = try self.expect(.colon, ParserMessages.colonAfterMapKey)
            let value = try self.parseExpr()
            entries.append(MapEntry(id: entryID, key: key, value: value))
        }
        return Expr(id: id, .map(entries: entries), range: TextRange(open.start, close.end))
    }

    /// Call arguments after the `(`, through the `)`.
    private func parseArguments() throws(ParseFailure) -> (args: [Expr], close: Token) {
        var args: [Expr] = []
        let close = try parseDelimited(closer: .rightParen, closerText: ")", allowTrailingComma: false) {
            () throws(ParseFailure) in
            args.append(try self.parseExpr())
        }
        return (args, close)
    }

    /// Parses `[element {"," element} [","]] closer` after the opening bracket. A syntax
    /// error inside an element skips to the next `,` or the closer at the same nesting,
    /// so one list can report several errors; every iteration consumes a `,` or ends.
    private func parseDelimited(
        closer: TokenKind, closerText: String, allowTrailingComma: Bool,
        element: () throws(ParseFailure) -> Void
    ) throws(ParseFailure) -> Token {
        if current.kind == closer { return advance() }
        while true {
            do {
                try element()
            } catch {
                if error == .depthLimit { throw error }
                skipToDelimiter()
            }
            guard current.kind == .comma else { break }
            advance()
            if current.kind == closer {
                if !allowTrailingComma {
                    _ = report(
                        ParserMessages.unexpected(
                            tokenText(current), expected: ParserMessages.anExpression, at: current.range,
                            help: ParserMessages.trailingComma), at: index)
                }
                break
            }
        }
        return try expect(closer, ParserMessages.commaOr(closerText))
    }

    /// Skips to the next `,` or closing bracket that is not nested inside brackets
    /// opened during the skip, or to the end of the input.
    private func skipToDelimiter() {
        var nesting = 0
        while true {
            switch current.kind {
            case .endOfInput:
                return
            case .leftParen, .leftBracket, .leftBrace:
                nesting += 1
            case .rightParen, .rightBracket, .rightBrace:
                if nesting == 0 { return }
                nesting -= 1
            case .comma:
                if nesting == 0 { return }
            default:
                break
            }
            advance()
        }
    }

    // MARK: Macros

    private func makeGlobalCall(function: String, args: [Expr], id: Int32, range: TextRange) -> Expr {
        if options.macros, let expanded = expandGlobalMacro(function: function, args: args, id: id, range: range) {
            return expanded
        }
        return Expr(id: id, .call(target: nil, function: function, args: args), range: range)
    }

    private func makeReceiverCall(target: Expr, function: String, args: [Expr], id: Int32, range: TextRange) -> Expr {
        if options.macros,
            let expanded = expandReceiverMacro(target: target, function: function, args: args, id: id, range: range)
        {
            return expanded
        }
        return Expr(id: id, .call(target: target, function: function, args: args), range: range)
    }
}
