import CEL
import CELCommon
import RescindDiagnostics
import RescindEngine

/// Compiles CEL written in policy files against the request schema, reporting problems
/// at their position in the YAML file.
struct ExpressionCompiler {
    /// A copy given another environment (`item`, `count`, `fee` declared) starts a cache
    /// of its own: a cached compilation holds only for the environment it was made in.
    var environment: CELEnvironment {
        didSet {
            cache = ExpressionCache()
            shapes = Self.shapeCache()
        }
    }
    /// What each text compiled to, in this environment.
    private(set) var cache = ExpressionCache()
    /// Parses and type-checks by shape: thresholds such as `order.total > decimal("…")`
    /// differ only in their literal, which the checker reads as a `string` whatever it says.
    private(set) var shapes = Self.shapeCache()

    private static func shapeCache() -> CELShapeCache {
        CELShapeCache(liftingArgumentsOf: ["decimal", "timestamp", "duration"])
    }
    /// Variables that are part of the request, whose reads explanations show.
    let requestVariables: Set<String>
    /// Calendar names the policy set defines; calendar functions name one as a literal.
    let calendars: [String]
    /// Finds ways to decide expressions without CEL; shared by the whole policy set.
    let shortcuts: ShortcutFinder

    static let calendarFunctions: Set<String> = ["addBusinessDays", "endOfDay", "isBusinessDay"]

    init(environment: CELEnvironment, requestVariables: Set<String>, calendars: [String], shortcuts: ShortcutFinder) {
        self.environment = environment
        self.requestVariables = requestVariables
        self.calendars = calendars
        self.shortcuts = shortcuts
    }

    /// Compiles `text`; on failure reports located diagnostics and returns nil.
    /// `expecting` checks the result type (`bool` for conditions).
    func compile(
        _ text: ExpressionText, expecting: CELType?, role: DiagnosticText, diagnostics: inout Diagnostics
    ) -> (expression: CompiledExpression, program: CELProgram)? {
        let key = ExpressionCache.Key(source: text.source, expecting: expecting)
        if let entry = cache.entries[key] {
            return (entry.compiled(at: text, boundaries: expecting == .bool ? boundaries(in: entry.program.parsed.expr, text) : []), entry.program)
        }
        let result = environment.compile(text.source, shapes: shapes)
        for issue in result.issues {
            diagnostics.append(issue.diagnostic { locate($0, in: text) })
        }
        guard let program = result.program else { return nil }
        if !checkCalendarNames(program.parsed.expr, text, &diagnostics) { return nil }
        if !checkConstants(program.parsed.expr, text, &diagnostics) { return nil }
        if let expecting, !accepts(program.resultType, expecting) {
            diagnostics.append(PolicyMessages.resultType(
                role: role, expected: "\(expecting)", found: "\(program.resultType)", at: text.span))
            return nil
        }
        let location = SourceReference(file: text.span.file, line: text.span.start.line, column: text.span.start.column)
        let observed = program.checked.map { observedPaths($0.expr) } ?? []
        let shortcut = program.checked.map { shortcuts.shortcut(for: $0) } ?? .none
        let boundaries = expecting == .bool ? boundaries(in: program.parsed.expr, text) : []
        let compiled = CompiledExpression(
            program: program.program, source: text.source, location: location, observed: observed, shortcut: shortcut,
            boundaries: boundaries, formula: program.checked.flatMap { shortcuts.formula(for: $0, shortcut: shortcut) })
        // Only a clean compilation is reused: one with warnings reports them at each site.
        if result.issues.isEmpty, !cache.seen.insert(key).inserted {
            cache.entries[key] = ExpressionCache.Entry(program: program, template: compiled)
        }
        return (compiled, program)
    }

    /// An unknown calendar named as a literal is a load error, not an evaluation error.
    private func checkCalendarNames(_ root: Expr, _ text: ExpressionText, _ diagnostics: inout Diagnostics) -> Bool {
        var ok = true
        root.walk { expr in
            if case .call(_, let function, let args) = expr.kind, Self.calendarFunctions.contains(function),
                let last = args.last, case .constant(.string(let name)) = last.kind, !calendars.contains(name)
            {
                diagnostics.append(PolicyMessages.unknownCalendar(name, at: locate(last.range, in: text), known: calendars))
                ok = false
            }
            return true
        }
        return ok
    }

    /// Calls with literal arguments only are evaluated now: one that fails is a load error
    /// at the literal, since it would fail (and fail open) on every request.
    private func checkConstants(_ root: Expr, _ text: ExpressionText, _ diagnostics: inout Diagnostics) -> Bool {
        let failures = ConstantChecks(environment: environment).failures(in: root)
        for failure in failures {
            diagnostics.append(PolicyMessages.invalidConstant(failure, at: locate(failure.range, in: text)))
        }
        return failures.isEmpty
    }

    private func accepts(_ actual: CELType, _ expected: CELType) -> Bool {
        actual == .dyn || actual.erased == expected.erased
            || (expected == .decimal && actual == .int)
    }

    /// File position of an offset range inside an expression.
    func locate(_ range: TextRange, in text: ExpressionText) -> SourceSpan {
        if let positions = text.origin.positions, let last = positions.last {
            // The index of the Unicode scalar at a UTF-8 offset.
            func index(_ offset: Int32) -> Int {
                text.source.utf8.prefix(Int(max(offset, 0))).lazy.filter { $0 & 0xC0 != 0x80 }.count
            }
            let after = SourceLocation(line: last.line, column: last.column + 1)
            let first = index(range.start)
            let start = first < positions.count ? positions[first] : after
            let stop = index(max(range.start, range.end))
            var end = start
            if stop > first {
                let final = stop - 1 < positions.count ? positions[stop - 1] : last
                end = SourceLocation(line: final.line, column: final.column + 1)
            }
            return SourceSpan(file: text.span.file, start: start, end: end)
        }
        func position(_ offset: Int32) -> SourceLocation {
            var line = 0
            var column = 0
            var index = 0
            for byte in text.source.utf8 {
                if index >= Int(offset) { break }
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 0
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
                index += 1
            }
            let starts = text.origin.lineStarts
            let start = starts[min(line, starts.count - 1)]
            return SourceLocation(line: start.line + (line >= starts.count ? line - starts.count + 1 : 0), column: start.column + column)
        }
        return SourceSpan(file: text.span.file, start: position(range.start), end: position(max(range.start, range.end)))
    }

    /// The outermost field paths over request variables (`order.status`), with the ids
    /// of the nodes that read them.
    private func observedPaths(_ root: Expr) -> [ObservedPath] {
        var paths: [ObservedPath] = []
        var seen: Set<String> = []
        func path(_ expr: Expr) -> String? {
            switch expr.kind {
            case .ident(let name): return requestVariables.contains(name) ? name : nil
            case .select(let operand, let field, false): return path(operand).map { "\($0).\(field)" }
            default: return nil
            }
        }
        func visit(_ expr: Expr, bound: Set<String>) {
            if let text = path(expr), !bound.contains(String(text.prefix { $0 != "." })) {
                if seen.insert(text).inserted {
                    let field = WrittenPath(expr).flatMap(shortcuts.requestField)
                    paths.append(ObservedPath(id: expr.id, path: text, field: field))
                }
                return
            }
            if case .comprehension(let c) = expr.kind {
                // The loop's variables shadow request variables of the same name.
                visit(c.iterRange, bound: bound)
                let inner = bound.union([c.iterVar, c.accuVar])
                for e in [c.accuInit, c.loopCondition, c.loopStep, c.result] { visit(e, bound: inner) }
            } else {
                for child in expr.children { visit(child, bound: bound) }
            }
        }
        visit(root, bound: [])
        return paths
    }
}

/// Compilations by source text and expected type. A large policy set repeats the same
/// tests (`actor.role == "buyer"`, `reason == "stock_out"`) thousands of times: each text
/// is parsed, checked, planned and searched for shortcuts once, and its sites share the
/// program, the shortcut and the paths it reads — only the location (and the coverage
/// boundaries, which carry spans) are each site's own.
final class ExpressionCache {
    struct Key: Hashable {
        let source: String
        let expecting: CELType?
    }

    struct Entry {
        let program: CELProgram
        /// The first site's compilation, whose parts every later site shares.
        let template: CompiledExpression

        func compiled(at text: ExpressionText, boundaries: [Boundary]) -> CompiledExpression {
            CompiledExpression(
                program: template.program, source: template.source,
                location: SourceReference(file: text.span.file, line: text.span.start.line, column: text.span.start.column),
                observed: template.observed, shortcut: template.shortcut, boundaries: boundaries, formula: template.formula)
        }
    }

    var entries: [Key: Entry] = [:]
    var seen: Set<Key> = []
}
