import CELCommon
import RescindDiagnostics

/// Parses CEL source text into the shared AST (`ParsedExpr`), expanding the standard
/// macros and reporting every problem as a located `CELIssue` of stage `.parse`.
///
///     let (parsed, issues) = CELParser().parse("request.size() < 10")
///
/// The parser never traps or loops on bad input: its recursion is bounded by
/// `Options.maxDepth` and the input by `Options.maxLength`.
package struct CELParser: Sendable {
    /// Settings that change what the parser accepts.
    package struct Options: Sendable, Hashable {
        /// Expand `has`, `all`, `exists`, `exists_one`, `map` and `filter` into
        /// comprehensions (the default). When false they stay ordinary calls.
        package var macros: Bool
        /// How deeply expressions may nest: parentheses, list/map/call nesting, chains of
        /// unary operators, selections, indexes and same-precedence binary operators all
        /// count. The default accepts everything in the CEL conformance suite with room
        /// to spare, while keeping every stage's recursion far from the stack limit.
        package var maxDepth: Int
        /// The longest accepted expression, in UTF-8 bytes.
        package var maxLength: Int

        /// Creates options; the defaults suit policy conditions.
        package init(macros: Bool = true, maxDepth: Int = 200, maxLength: Int = 100_000) {
            self.macros = macros
            self.maxDepth = maxDepth
            self.maxLength = maxLength
        }
    }

    /// The name of the accumulator variable in macro expansions (`__result__`).
    package static let accumulatorVariable = "__result__"

    /// The words that cannot be identifiers or global function names. They remain valid
    /// as field names (`a.if`), receiver-call names (`a.if()`) and message fields.
    package static let reservedWords: Set<String> = [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
        "package", "namespace", "return", "var", "void", "while",
    ]

    package var options: Options

    /// Creates a parser with the given options.
    package init(options: Options = Options()) {
        self.options = options
    }

    /// Parses one expression.
    ///
    /// Returns the AST and all problems found, sorted by position. The AST is nil only
    /// when the input could not be parsed into a complete tree (syntax errors, limits);
    /// with literal, reserved-word or macro errors it is still returned, so callers must
    /// check the issues for errors before using it.
    package func parse(_ source: String) -> (ParsedExpr?, [CELIssue]) {
        let length = source.utf8.count
        guard length <= options.maxLength else {
            return (nil, [ParserMessages.tooLong(length: length, limit: options.maxLength)])
        }
        var lexer = Lexer(bytes: Array(source.utf8), issues: IssueLog())
        let tokens = lexer.tokenize()
        let parser = Parser(
            tokens: tokens, source: source, options: options, issues: lexer.issues,
            quietAtEnd: lexer.reachedEndInsideString)
        let root = parser.parseRoot()
        // Lexer issues come first in the log; present everything in source order.
        let issues = parser.issues.issues.enumerated().sorted {
            ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset)
        }.map(\.element)
        guard let root else { return (nil, issues) }
        return (ParsedExpr(expr: root, source: source, nextID: largestID(in: root) + 1), issues)
    }
}

/// The largest node id in a tree (map entries and field initializers included).
func largestID(in root: Expr) -> Int32 {
    var largest: Int32 = 0
    root.walk { expr in
        largest = max(largest, expr.id)
        switch expr.kind {
        case .map(let entries): largest = entries.reduce(largest) { max($0, $1.id) }
        case .structure(_, let fields): largest = fields.reduce(largest) { max($0, $1.id) }
        default: break
        }
        return true
    }
    return largest
}
