import CELCommon
import CELParser
import RescindDiagnostics
import Testing

/// Parses `source`, failing the test if there are any issues or no tree.
func parseOK(
    _ source: String, options: CELParser.Options = .init(), sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> Expr {
    let (parsed, issues) = CELParser(options: options).parse(source)
    #expect(issues.isEmpty, "unexpected issues for \(source): \(issues)", sourceLocation: sourceLocation)
    guard let parsed else {
        Issue.record("no tree for \(source)", sourceLocation: sourceLocation)
        return Expr(id: 0, .constant(.null))
    }
    return parsed.expr
}

/// The issues for `source` (which must have at least one).
func parseIssues(
    _ source: String, options: CELParser.Options = .init(), sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [CELIssue] {
    let (_, issues) = CELParser(options: options).parse(source)
    #expect(!issues.isEmpty, "expected issues for \(source)", sourceLocation: sourceLocation)
    expectTranslated(issues, sourceLocation: sourceLocation)
    return issues
}

/// Every issue a test makes is written in zh-CN too, keeping the English's backticked
/// parts (see `Diagnostic.translationProblems`).
func expectTranslated(_ issues: [CELIssue], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let problems = issues.flatMap { $0.diagnostic { _ in nil }.translationProblems }
    #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
}

/// The S-expression of the parse of `source`.
func tree(_ source: String, options: CELParser.Options = .init(), sourceLocation: Testing.SourceLocation = #_sourceLocation)
    -> String
{
    sexpr(parseOK(source, options: options, sourceLocation: sourceLocation))
}

/// The human rendering of all issues, as a user would see them on the command line.
func rendered(
    _ source: String, options: CELParser.Options = .init(), sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> String {
    let (_, issues) = CELParser(options: options).parse(source)
    expectTranslated(issues, sourceLocation: sourceLocation)
    let file = SourceFile(path: "<expr>", text: source)
    let renderer = HumanRenderer(sources: SourceMap([file]), color: false)
    return issues.map { renderer.render($0.diagnostic(in: file)) }.joined()
}

/// A compact, fully parenthesized rendering of an AST that shows every node's kind:
/// operators as their spec function names, `sel`/`has` for selections, and
/// comprehensions with all their parts.
func sexpr(_ e: Expr) -> String {
    switch e.kind {
    case .constant(let value):
        switch value {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .uint(let u): return "\(u)u"
        case .double(let d): return "\(d)d"
        case .string(let s): return "\"\(s)\""
        case .bytes(let b): return "b[\(b.map(String.init).joined(separator: " "))]"
        }
    case .ident(let name):
        return name
    case .select(let operand, let field, let testOnly):
        return "\(testOnly ? "has" : "sel")(\(sexpr(operand)), \(field))"
    case .call(let target, let function, let args):
        let prefix = target.map { sexpr($0) + "." } ?? ""
        return "\(prefix)\(function)(\(args.map(sexpr).joined(separator: ", ")))"
    case .list(let elements):
        return "[\(elements.map(sexpr).joined(separator: ", "))]"
    case .map(let entries):
        return "{\(entries.map { "\(sexpr($0.key)): \(sexpr($0.value))" }.joined(separator: ", "))}"
    case .structure(let typeName, let fields):
        return "\(typeName){\(fields.map { "\($0.field): \(sexpr($0.value))" }.joined(separator: ", "))}"
    case .comprehension(let c):
        return "\(c.macro)[\(c.iterVar) in \(sexpr(c.iterRange)); \(c.accuVar) = \(sexpr(c.accuInit)); "
            + "while \(sexpr(c.loopCondition)); \(c.accuVar) = \(sexpr(c.loopStep)); \(sexpr(c.result))]"
    }
}

/// The tree with every id set to 0, for comparing shapes.
func withoutIDs(_ e: Expr) -> Expr {
    let kind: ExprKind
    switch e.kind {
    case .constant, .ident:
        kind = e.kind
    case .select(let operand, let field, let testOnly):
        kind = .select(operand: withoutIDs(operand), field: field, testOnly: testOnly)
    case .call(let target, let function, let args):
        kind = .call(target: target.map(withoutIDs), function: function, args: args.map(withoutIDs))
    case .list(let elements):
        kind = .list(elements: elements.map(withoutIDs))
    case .map(let entries):
        kind = .map(entries: entries.map { MapEntry(id: 0, key: withoutIDs($0.key), value: withoutIDs($0.value)) })
    case .structure(let typeName, let fields):
        kind = .structure(
            typeName: typeName, fields: fields.map { FieldInitializer(id: 0, field: $0.field, value: withoutIDs($0.value)) })
    case .comprehension(let c):
        kind = .comprehension(
            Comprehension(
                iterVar: c.iterVar, iterRange: withoutIDs(c.iterRange), accuVar: c.accuVar,
                accuInit: withoutIDs(c.accuInit), loopCondition: withoutIDs(c.loopCondition),
                loopStep: withoutIDs(c.loopStep), result: withoutIDs(c.result), macro: c.macro))
    }
    return Expr(id: 0, kind, range: e.range)
}

/// Every node of a tree, with map entry and field initializer ids, in pre-order.
func allIDs(_ e: Expr) -> [Int32] {
    var ids = [e.id]
    switch e.kind {
    case .constant, .ident:
        break
    case .select(let operand, _, _):
        ids += allIDs(operand)
    case .call(let target, _, let args):
        if let target { ids += allIDs(target) }
        for arg in args { ids += allIDs(arg) }
    case .list(let elements):
        for element in elements { ids += allIDs(element) }
    case .map(let entries):
        for entry in entries { ids += [entry.id] + allIDs(entry.key) + allIDs(entry.value) }
    case .structure(_, let fields):
        for field in fields { ids += [field.id] + allIDs(field.value) }
    case .comprehension(let c):
        for part in [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result] { ids += allIDs(part) }
    }
    return ids
}

/// Every node with its range, in pre-order (for checking that ranges nest).
func allNodes(_ e: Expr) -> [Expr] {
    var nodes = [e]
    switch e.kind {
    case .constant, .ident:
        break
    case .select(let operand, _, _):
        nodes += allNodes(operand)
    case .call(let target, _, let args):
        if let target { nodes += allNodes(target) }
        for arg in args { nodes += allNodes(arg) }
    case .list(let elements):
        for element in elements { nodes += allNodes(element) }
    case .map(let entries):
        for entry in entries { nodes += allNodes(entry.key) + allNodes(entry.value) }
    case .structure(_, let fields):
        for field in fields { nodes += allNodes(field.value) }
    case .comprehension(let c):
        for part in [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result] { nodes += allNodes(part) }
    }
    return nodes
}

/// The text a range covers.
func text(of range: TextRange, in source: String) -> String {
    let bytes = Array(source.utf8)
    return String(decoding: bytes[Int(range.start)..<Int(range.end)], as: UTF8.self)
}
