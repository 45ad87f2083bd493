import CELCommon
import CELParser

/// Compilations shared by expressions that differ only in the string literal given to a
/// conversion function: `order.total > decimal("120.50")` and
/// `order.total > decimal("99")` have one shape, `order.total > decimal("…")`. A large
/// policy set writes thousands of such thresholds; each is parsed and type-checked once
/// per shape, and a later one takes the checked tree with its literal put in (and every
/// offset after it moved), then is planned as usual.
///
/// Sound for a function whose type-checking does not look at the literal's value: its
/// argument is typed `string` whatever it says (`decimal`, `timestamp`, `duration`).
/// What the value means is found later, by the planner folding the call and by the
/// caller's checks of constant calls, exactly as for a fresh compile.
package final class CELShapeCache {
    /// The functions whose single string-literal argument is lifted out of the shape.
    package let liftedFunctions: [String]
    private var entries: [String: Entry] = [:]
    /// How many compilations took an earlier instance's trees.
    package private(set) var reused = 0

    /// One compiled instance of a shape: its trees and where its literals are.
    private struct Entry {
        let parsed: ParsedExpr
        let checked: CheckedExpr
        /// The ids of the literals' constant nodes, in source order (the same in both trees).
        let literalIDs: [Int32]
        /// Their quoted tokens in the entry's source.
        let literalRanges: [TextRange]
    }

    /// A literal found in a text: the byte range of its quoted token.
    struct Literal {
        let start: Int
        let end: Int
        let value: String
    }

    package init(liftingArgumentsOf functions: [String]) {
        liftedFunctions = functions
    }

    /// The text's shape (the text with each lifted literal emptied) and its literals; nil
    /// when it has none, or one written in a way this does not read (escapes, other quotes).
    func shape(of source: String) -> (key: String, literals: [Literal])? {
        let bytes = Array(source.utf8)
        var literals: [Literal] = []
        var key: [UInt8] = []
        var copied = 0
        var index = 0
        while index < bytes.count {
            guard let (quote, close) = liftedLiteral(in: bytes, at: index) else {
                index += 1
                continue
            }
            literals.append(Literal(
                start: quote, end: close + 1, value: String(decoding: bytes[(quote + 1)..<close], as: UTF8.self)))
            key += bytes[copied...quote]
            copied = close
            index = close + 1
        }
        guard !literals.isEmpty else { return nil }
        key += bytes[copied...]
        return (String(decoding: key, as: UTF8.self), literals)
    }

    /// When a lifted function's call starts at `index` (`decimal("`, not preceded by a
    /// name character or a dot), the offsets of the literal's opening and closing quotes.
    private func liftedLiteral(in bytes: [UInt8], at index: Int) -> (Int, Int)? {
        if index > 0 {
            let before = bytes[index - 1]
            if before == UInt8(ascii: ".") || isIdentifierPart(before) { return nil }
        }
        for name in liftedFunctions {
            let utf8 = name.utf8
            guard bytes.count - index > utf8.count + 1, bytes[index..<(index + utf8.count)].elementsEqual(utf8),
                bytes[index + utf8.count] == UInt8(ascii: "("), bytes[index + utf8.count + 1] == UInt8(ascii: "\"")
            else { continue }
            let quote = index + utf8.count + 1
            var close = quote + 1
            while close < bytes.count, bytes[close] != UInt8(ascii: "\"") {
                // Escapes and line breaks are left to the parser.
                if bytes[close] == UInt8(ascii: "\\") || bytes[close] == UInt8(ascii: "\n") { return nil }
                close += 1
            }
            guard close + 1 < bytes.count, bytes[close + 1] == UInt8(ascii: ")") else { return nil }
            return (quote, close)
        }
        return nil
    }

    /// The checked trees for `source`, from an earlier instance of its shape.
    func instance(of source: String, key: String, literals: [Literal]) -> (ParsedExpr, CheckedExpr)? {
        guard let entry = entries[key], entry.literalIDs.count == literals.count else { return nil }
        let old = entry.literalRanges
        // A node's offset moves by how much longer each literal before it got.
        var shifts: [(at: Int32, by: Int32)] = []
        var values: [Int32: (value: String, range: TextRange)] = [:]
        var total: Int32 = 0
        for (position, literal) in literals.enumerated() {
            let range = old[position]
            total += Int32(literal.end - literal.start) - (range.end - range.start)
            shifts.append((range.end, total))
            values[entry.literalIDs[position]] = (literal.value, TextRange(literal.start, literal.end))
        }
        func moved(_ offset: Int32) -> Int32 {
            var result = offset
            for shift in shifts.reversed() where shift.at <= offset {
                result = offset + shift.by
                break
            }
            return result
        }
        func rewrite(_ expr: Expr) -> Expr {
            if let literal = values[expr.id] {
                return Expr(id: expr.id, .constant(.string(literal.value)), range: literal.range)
            }
            return expr.rebuilt(range: TextRange(Int(moved(expr.range.start)), Int(moved(expr.range.end))), rewrite)
        }
        reused += 1
        let parsed = ParsedExpr(expr: rewrite(entry.parsed.expr), source: source, nextID: entry.parsed.nextID)
        let checkedParsed = ParsedExpr(expr: rewrite(entry.checked.parsed.expr), source: source, nextID: entry.checked.parsed.nextID)
        return (parsed, CheckedExpr(parsed: checkedParsed, types: entry.checked.types, references: entry.checked.references))
    }

    /// Keeps a clean compilation of `source` as its shape's instance, when each lifted
    /// literal is, in both trees, the string constant at its token and the only argument
    /// of a global call to its function.
    func remember(key: String, literals: [Literal], parsed: ParsedExpr, checked: CheckedExpr) {
        guard entries[key] == nil else { return }
        var ids: [Int32] = []
        var ranges: [TextRange] = []
        for literal in literals {
            let range = TextRange(literal.start, literal.end)
            guard let parsedID = Self.liftedConstant(in: parsed.expr, at: range, value: literal.value, functions: liftedFunctions),
                Self.liftedConstant(in: checked.parsed.expr, at: range, value: literal.value, functions: liftedFunctions)
                    == parsedID
            else { return }
            ids.append(parsedID)
            ranges.append(range)
        }
        entries[key] = Entry(parsed: parsed, checked: checked, literalIDs: ids, literalRanges: ranges)
    }

    private static func liftedConstant(in root: Expr, at range: TextRange, value: String, functions: [String]) -> Int32? {
        var found: Int32?
        root.walk { expr in
            if case .call(nil, let function, let args) = expr.kind, args.count == 1, functions.contains(function),
                case .constant(.string(let written)) = args[0].kind, written == value, args[0].range == range
            {
                found = args[0].id
            }
            return found == nil
        }
        return found
    }
}

extension Expr {
    /// The node with `range` and each direct sub-expression passed through `transform`.
    func rebuilt(range: TextRange, _ transform: (Expr) -> Expr) -> Expr {
        let kind: ExprKind =
            switch kind {
            case .constant, .ident: kind
            case .select(let operand, let field, let testOnly):
                .select(operand: transform(operand), field: field, testOnly: testOnly)
            case .call(let target, let function, let args):
                .call(target: target.map(transform), function: function, args: args.map(transform))
            case .list(let elements): .list(elements: elements.map(transform))
            case .map(let entries):
                .map(entries: entries.map { MapEntry(id: $0.id, key: transform($0.key), value: transform($0.value)) })
            case .structure(let typeName, let fields):
                .structure(
                    typeName: typeName,
                    fields: fields.map { FieldInitializer(id: $0.id, field: $0.field, value: transform($0.value)) })
            case .comprehension(var c):
                {
                    c.iterRange = transform(c.iterRange)
                    c.accuInit = transform(c.accuInit)
                    c.loopCondition = transform(c.loopCondition)
                    c.loopStep = transform(c.loopStep)
                    c.result = transform(c.result)
                    return .comprehension(c)
                }()
            }
        return Expr(id: id, kind, range: range)
    }
}
