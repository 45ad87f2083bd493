import CELCommon
import RescindDiagnostics

/// Type-checks parsed CEL expressions against a `TypeEnvironment`.
///
/// Checking infers a type for every node, resolves every identifier and call, and
/// reports problems as `CELIssue`s (stage `.check`). The returned `CheckedExpr` carries
/// a rewritten tree: identifiers and `a.b.c` select chains that name declared variables
/// become single identifiers holding the fully qualified name (with a leading `.` when a
/// comprehension variable of the same name would otherwise shadow it), and calls of
/// namespaced functions (`ns.f(x)`) become global calls of `ns.f`.
package struct Checker: Sendable {
    /// The declarations expressions are checked against.
    package var environment: TypeEnvironment
    /// When set, expressions whose estimated worst-case cost exceeds the limit are
    /// rejected with a `cel-cost-limit` issue.
    package var costLimit: CostLimit?

    /// A checker for `environment`, optionally enforcing a cost limit.
    package init(environment: TypeEnvironment = TypeEnvironment(), costLimit: CostLimit? = nil) {
        self.environment = environment
        self.costLimit = costLimit
    }

    /// Checks `parsed`, returning the annotated expression and any issues. The result is
    /// only fit for evaluation when no issue is an error.
    package func check(_ parsed: ParsedExpr) -> (CheckedExpr, [CELIssue]) {
        var pass = CheckPass(environment: environment, source: parsed.source)
        let rewritten = pass.visit(parsed.expr)
        let checked = CheckedExpr(
            parsed: ParsedExpr(expr: rewritten, source: parsed.source, nextID: parsed.nextID),
            types: pass.finalTypes(), references: pass.references)
        var issues = pass.issues
        if let costLimit, !issues.contains(where: { $0.severity == .error }),
           let issue = CostEstimator(assumptions: costLimit.assumptions).enforce(costLimit.maxCost, on: checked)
        {
            issues.append(issue)
        }
        return (checked, issues)
    }

    /// Checks `parsed` and also requires its result to be assignable to `expected`
    /// (`dyn` results pass and are checked at runtime). `role` names the expression in
    /// the message: "condition must be a `bool`, found `int`".
    package func check(
        _ parsed: ParsedExpr, expecting expected: CELType,
        role: DiagnosticText = .en("condition", zh: "条件")
    ) -> (CheckedExpr, [CELIssue]) {
        let (checked, checkIssues) = check(parsed)
        var issues = checkIssues
        let found = checked.resultType
        var substitution = TypeSubstitution()
        if !issues.contains(where: { $0.severity == .error }), !substitution.unify(found, expected) {
            issues.append(CheckerMessages.wrongResultType(
                role: role, expected: expected, found: found, at: checked.expr.range))
        }
        return (checked, issues)
    }
}

/// The state of checking one expression: inferred types, type-parameter bindings,
/// references, the comprehension scopes in effect, and the issues found.
struct CheckPass {
    let environment: TypeEnvironment
    /// The UTF-8 bytes of the source, to narrow some error ranges to a field name.
    private let sourceBytes: [UInt8]
    private var substitution = TypeSubstitution()
    private var types: [Int32: CELType] = [:]
    private(set) var references: [Int32: Reference] = [:]
    private(set) var issues: [CELIssue] = []
    /// Comprehension variables, innermost scope last.
    private var scopes: [[String: CELType]] = []
    private var freshTypeParamCount = 0

    init(environment: TypeEnvironment, source: String) {
        self.environment = environment
        self.sourceBytes = Array(source.utf8)
    }

    /// The types of all nodes with every type parameter resolved; parameters nothing
    /// constrained (the element type of `[]`) become `dyn`.
    func finalTypes() -> [Int32: CELType] {
        types.mapValues { substitution.substitute($0, unboundToDyn: true) }
    }

    // MARK: - Traversal

    /// Checks `expr` and its children, returning it with resolved names rewritten.
    mutating func visit(_ expr: Expr) -> Expr {
        switch expr.kind {
        case .constant(let constant):
            setType(expr, constant.type)
            return expr
        case .ident(let name):
            return visitIdent(expr, name)
        case .select(let operand, let field, let testOnly):
            return visitSelect(expr, operand: operand, field: field, testOnly: testOnly)
        case .call(let target, let function, let args):
            return visitCall(expr, target: target, function: function, args: args)
        case .list(let elements):
            return visitList(expr, elements)
        case .map(let entries):
            return visitMap(expr, entries)
        case .structure(let typeName, let fields):
            report(CheckerMessages.messageConstruction(typeName, at: expr.range))
            let checkedFields = fields.map { field in
                FieldInitializer(id: field.id, field: field.field, value: visit(field.value))
            }
            setType(expr, .error)
            return expr.with(.structure(typeName: typeName, fields: checkedFields))
        case .comprehension(let comprehension):
            return visitComprehension(expr, comprehension)
        }
    }

    // MARK: - Names

    /// What a (possibly dotted) name resolved to.
    private enum Resolution {
        /// A comprehension variable or declared variable; `name` is what the runtime
        /// looks up (fully qualified, `.`-prefixed when a local shadows it).
        case variable(name: String, type: CELType)
        /// A type name such as `int`, denoting `type`.
        case typeName(name: String, denoted: CELType)
    }

    /// Resolves `name` (`x`, `a.b.c` or `.x`) the way CEL does: comprehension variables
    /// first, then declared variables and type names through the container's candidate
    /// names, most qualified first.
    private func resolve(_ name: String) -> Resolution? {
        let isRooted = name.hasPrefix(".")
        if !isRooted {
            let root = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
            if let local = lookupLocal(root) {
                // A local variable's fields are selected, never part of a qualified name.
                return root == name ? .variable(name: name, type: local) : nil
            }
        }
        for candidate in environment.candidateNames(for: name) {
            if let type = environment.variables[candidate] {
                let shadowed = lookupLocal(candidate) != nil
                return .variable(name: shadowed ? "." + candidate : candidate, type: type)
            }
            if let denoted = StandardLibrary.typeNames[candidate] {
                return .typeName(name: candidate, denoted: denoted)
            }
        }
        return nil
    }

    /// Records a resolution for `expr`, which becomes a single identifier.
    private mutating func apply(_ resolution: Resolution, to expr: Expr) -> Expr {
        switch resolution {
        case .variable(let name, let type):
            setType(expr, type)
            references[expr.id] = .variable(name)
            return expr.with(.ident(name))
        case .typeName(let name, let denoted):
            setType(expr, .type(denoted))
            references[expr.id] = .typeName(denoted)
            return expr.with(.ident(name))
        }
    }

    private mutating func visitIdent(_ expr: Expr, _ name: String) -> Expr {
        if let resolution = resolve(name) { return apply(resolution, to: expr) }
        report(CheckerMessages.undeclaredReference(
            name, at: expr.range, suggestion: suggestName(for: name), declared: declaredVariableNames(),
            isEnumValue: isEnumValue(name)))
        setType(expr, .error)
        return expr
    }

    /// Whether `name` is a value of an enum reachable from the declared variables: then
    /// `order.status == cancelled` meant the string `"cancelled"`. Only on the error path.
    private func isEnumValue(_ name: String) -> Bool {
        var seen: Set<String> = []
        var pending = Array(environment.variables.values)
        while let type = pending.popLast() {
            switch type {
            case .enumString(let values): if values.contains(name) { return true }
            case .list(let element): pending.append(element)
            case .map(let key, let value): pending += [key, value]
            case .object(let object):
                if seen.insert(object.name).inserted { pending += object.fields.map(\.type) }
            default: break
            }
        }
        return false
    }

    private func lookupLocal(_ name: String) -> CELType? {
        for scope in scopes.reversed() {
            if let type = scope[name] { return type }
        }
        return nil
    }

    /// The names visible here, for did-you-mean: locals, declared variables (also as
    /// written inside the container and by their first segment) and type names.
    private func visibleNames() -> Set<String> {
        var names = Set(scopes.flatMap(\.keys))
        let containerPrefix = environment.container.isEmpty ? "" : environment.container + "."
        for name in environment.variables.keys {
            names.insert(name)
            if !containerPrefix.isEmpty, name.hasPrefix(containerPrefix) {
                names.insert(String(name.dropFirst(containerPrefix.count)))
            }
            if let root = name.split(separator: ".").first { names.insert(String(root)) }
        }
        names.formUnion(StandardLibrary.typeNames.keys)
        names.remove("__result__")
        return names
    }

    /// The variables in scope by the names an expression would use, for notes.
    private func declaredVariableNames() -> [String] {
        let containerPrefix = environment.container.isEmpty ? "" : environment.container + "."
        let globals = environment.variables.keys.map { name in
            !containerPrefix.isEmpty && name.hasPrefix(containerPrefix) ? String(name.dropFirst(containerPrefix.count)) : name
        }
        let locals = scopes.flatMap(\.keys).filter { $0 != "__result__" }
        return Array(Set(globals + locals)).sorted()
    }

    private func suggestName(for name: String) -> String? {
        let bare = name.hasPrefix(".") ? String(name.dropFirst()) : name
        return Suggestions.closest(to: bare, in: visibleNames().sorted())
    }

    /// `["a", "b", "c"]` for the select chain `a.b.c` (not `has()` tests); nil for
    /// anything else.
    private func qualifiedParts(_ expr: Expr) -> [String]? {
        switch expr.kind {
        case .ident(let name):
            return [name]
        case .select(let operand, let field, false):
            return qualifiedParts(operand).map { $0 + [field] }
        default:
            return nil
        }
    }

    /// Whether `name` is the first segment of some declared qualified variable, such as
    /// `a` for `a.b.c`, so an unresolved chain `a.b.x` is reported as a whole.
    private func isNamespacePrefix(_ name: String) -> Bool {
        let prefixes = environment.candidateNames(for: name).map { $0 + "." }
        return environment.variables.keys.contains { key in prefixes.contains { key.hasPrefix($0) } }
    }

    // MARK: - Field selection

    private mutating func visitSelect(_ expr: Expr, operand: Expr, field: String, testOnly: Bool) -> Expr {
        if !testOnly, let parts = qualifiedParts(expr) {
            let name = parts.joined(separator: ".")
            if let resolution = resolve(name) { return apply(resolution, to: expr) }
            let prefixResolves = (1..<parts.count).contains { resolve(parts[0..<$0].joined(separator: ".")) != nil }
            if !prefixResolves, isNamespacePrefix(parts[0]) {
                let qualifiedNames = environment.variables.keys.sorted()
                let suggestion = Suggestions.closest(to: name, in: qualifiedNames) ?? suggestName(for: parts[0])
                report(CheckerMessages.undeclaredReference(
                    name, at: expr.range, suggestion: suggestion, declared: declaredVariableNames()))
                setType(expr, .error)
                return expr
            }
        }
        let checkedOperand = visit(operand)
        let operandType = substitution.substitute(type(of: checkedOperand))
        let fieldType = selectField(field, of: operandType, in: expr)
        setType(expr, testOnly ? .bool : substitution.substitute(fieldType))
        return expr.with(.select(operand: checkedOperand, field: field, testOnly: testOnly))
    }

    private mutating func selectField(_ field: String, of type: CELType, in expr: Expr) -> CELType {
        switch type {
        case .map(_, let value):
            return value
        case .object(let object):
            if let declared = object.field(field) { return declared.type }
            let suggestion = Suggestions.closest(to: field, in: object.fieldNames)
            report(CheckerMessages.unknownField(field, of: object, at: fieldRange(field, in: expr),
                                                suggestion: suggestion))
            return .error
        case .typeParam:
            _ = substitution.unify(.dyn, type)
            return .dyn
        case .dyn, .error:
            return .dyn
        default:
            report(CheckerMessages.noFieldSelection(field, on: type, at: expr.range))
            return .error
        }
    }

    /// The range of just the field name of a select node (`totl` in `order.totl` or
    /// `has(order.totl)`), when the source spells it; else the whole node.
    private func fieldRange(_ field: String, in expr: Expr) -> TextRange {
        lastOccurrence(of: "." + field, in: expr.range).map { TextRange(Int($0.start) + 1, Int($0.end)) } ?? expr.range
    }

    /// The range of a call's function name (`sise` in `x.sise()`), else the whole call.
    private func functionNameRange(_ function: String, in expr: Expr, target: Expr?) -> TextRange {
        let searched = target.map { TextRange(Int($0.range.end), Int(expr.range.end)) } ?? expr.range
        guard let found = firstOccurrence(of: function, in: searched) else { return expr.range }
        return found
    }

    private func firstOccurrence(of text: String, in range: TextRange) -> TextRange? {
        occurrences(of: text, in: range).first
    }

    private func lastOccurrence(of text: String, in range: TextRange) -> TextRange? {
        occurrences(of: text, in: range).last
    }

    /// Where `text` occurs in the source within `range` (byte offsets). Used only to
    /// narrow error ranges, so a miss merely widens the underline.
    private func occurrences(of text: String, in range: TextRange) -> [TextRange] {
        let needle = Array(text.utf8)
        let lower = max(0, Int(range.start))
        let upper = min(sourceBytes.count, Int(range.end))
        guard !needle.isEmpty, upper - lower >= needle.count else { return [] }
        return (lower...(upper - needle.count)).compactMap { start in
            sourceBytes[start..<(start + needle.count)].elementsEqual(needle)
                ? TextRange(start, start + needle.count) : nil
        }
    }

    // MARK: - Calls

    private mutating func visitCall(_ expr: Expr, target: Expr?, function: String, args: [Expr]) -> Expr {
        // `ns.f(x)` is a call of the namespaced function `ns.f` when one is declared.
        if let target, let parts = qualifiedParts(target),
           let namespaced = environment.resolveFunction(parts.joined(separator: ".") + "." + function)
        {
            let checkedArgs = args.map { visit($0) }
            resolveOverload(expr, namespaced, target: nil, args: checkedArgs)
            return expr.with(.call(target: nil, function: namespaced.name, args: checkedArgs))
        }
        let checkedTarget = target.map { visit($0) }
        let checkedArgs = args.map { visit($0) }
        guard let declaration = environment.resolveFunction(function) else {
            let names = environment.functions.map(\.name).filter { Operator.display($0) == nil && !$0.hasPrefix("@") }
            report(CheckerMessages.unknownFunction(function, at: functionNameRange(function, in: expr, target: target),
                                                   suggestion: Suggestions.closest(to: function, in: names)))
            setType(expr, .error)
            return expr.with(.call(target: checkedTarget, function: function, args: checkedArgs))
        }
        if function == Operator.logicalAnd || function == Operator.logicalOr {
            checkLogical(expr, declaration, args: checkedArgs)
        } else if function == Operator.conditional, checkedTarget == nil, checkedArgs.count == 3,
                  !substitution.unify(type(of: checkedArgs[0]), .bool)
        {
            report(CheckerMessages.typeMismatch(expected: .bool, found: resolvedType(of: checkedArgs[0]),
                                                at: checkedArgs[0].range))
            setType(expr, .error)
        } else {
            resolveOverload(expr, declaration, target: checkedTarget, args: checkedArgs)
        }
        return expr.with(.call(target: checkedTarget, function: declaration.name, args: checkedArgs))
    }

    /// `&&` and `||` accept any operands assignable to `bool`, reported one by one.
    private mutating func checkLogical(_ expr: Expr, _ declaration: FunctionDecl, args: [Expr]) {
        var valid = true
        for arg in args where !substitution.unify(type(of: arg), .bool) {
            report(CheckerMessages.logicalOperandNotBool(declaration.name, found: resolvedType(of: arg), at: arg.range))
            valid = false
        }
        setType(expr, valid ? .bool : .error)
        if valid { references[expr.id] = .function(overloads: declaration.overloads.map(\.id)) }
    }

    /// Finds the overloads of `declaration` the argument types fit, instantiating each
    /// overload's type parameters afresh. Several may fit (arguments of type `dyn`); the
    /// result type is then their common result or `dyn`.
    private mutating func resolveOverload(_ expr: Expr, _ declaration: FunctionDecl, target: Expr?, args: [Expr]) {
        let operands = (target.map { [$0] } ?? []) + args
        let argumentTypes = operands.map { type(of: $0) }
        let isMember = target != nil
        var matched: [String] = []
        var resultType: CELType?
        for overload in declaration.overloads where overload.isMember == isMember {
            guard overload.params.count == argumentTypes.count else { continue }
            let (params, result) = instantiate(overload)
            guard substitution.unify(argumentTypes, params) else { continue }
            matched.append(overload.id)
            let overloadResult = substitution.substitute(result)
            if resultType == nil {
                resultType = overloadResult
            } else if resultType != .dyn, resultType != overloadResult {
                resultType = .dyn
            }
        }
        guard let resultType else {
            reportNoOverload(expr, declaration, isMember: isMember, operands: operands)
            setType(expr, .error)
            return
        }
        setType(expr, resultType)
        references[expr.id] = .function(overloads: matched)
        checkEnumLiterals(declaration.name, operands: operands)
    }

    /// The parameter and result types of `overload` with its type parameters renamed to
    /// fresh ones, so two calls of one generic function do not share bindings.
    private mutating func instantiate(_ overload: OverloadDecl) -> (params: [CELType], result: CELType) {
        guard !overload.typeParams.isEmpty else { return (overload.params, overload.result) }
        var renaming: [String: CELType] = [:]
        for name in overload.typeParams { renaming[name] = freshTypeParam() }
        return (overload.params.map { $0.renamingTypeParams(renaming) }, overload.result.renamingTypeParams(renaming))
    }

    private mutating func freshTypeParam() -> CELType {
        defer { freshTypeParamCount += 1 }
        return .typeParam("_var\(freshTypeParamCount)")
    }

    /// Explains why no overload fit: the wrong call style, the wrong number of
    /// arguments, or argument types no overload accepts.
    private mutating func reportNoOverload(_ expr: Expr, _ declaration: FunctionDecl, isMember: Bool, operands: [Expr]) {
        let sameStyle = declaration.overloads.filter { $0.isMember == isMember }
        let nameRange = functionNameRange(declaration.name, in: expr, target: isMember ? operands.first : nil)
        if sameStyle.isEmpty {
            let unary = declaration.overloads.allSatisfy { $0.params.count == 1 }
            report(isMember ? CheckerMessages.callAsFunction(declaration.name, unary: unary, at: nameRange)
                            : CheckerMessages.callAsMethod(declaration.name, at: nameRange))
            return
        }
        let sameArity = sameStyle.filter { $0.params.count == operands.count }
        if sameArity.isEmpty {
            let receiverCount = isMember ? 1 : 0
            let expected = Set(sameStyle.map { $0.params.count - receiverCount })
            report(CheckerMessages.wrongArgumentCount(
                declaration.name, expected: Array(expected), found: operands.count - receiverCount,
                isMember: isMember, at: nameRange))
            return
        }
        let types = operands.map { resolvedType(of: $0) }
        // `order.total > 5000.0` with a `decimal` total: the number as written, to offer
        // it as `decimal("5000.0")`.
        var literalConversion: (function: String, literal: String)?
        if let function = types.compactMap({ textConversion(to: $0) }).first,
            let literal = operands.first(where: isNumberLiteral)
        {
            let bytes = sourceBytes[max(0, Int(literal.range.start))..<min(sourceBytes.count, Int(literal.range.end))]
            literalConversion = (function, String(decoding: bytes, as: UTF8.self))
        }
        report(CheckerMessages.noMatchingOverload(
            declaration.name, receiver: isMember ? types.first : nil, arguments: Array(types.dropFirst(isMember ? 1 : 0)),
            candidates: sameArity, at: expr.range, literalConversion: literalConversion))
    }

    /// The function that makes a value of an extension's opaque type from text, when one
    /// is declared under the type's name (a library's `decimal(string) -> decimal`).
    private func textConversion(to type: CELType) -> String? {
        guard case .opaque(let name, let params) = type, params.isEmpty,
            let function = environment.function(named: name),
            function.overloads.contains(where: { !$0.isMember && $0.params == [.string] && $0.result == type })
        else { return nil }
        return name
    }

    /// An int, uint or double literal, possibly negated (`5000`, `5000.0`, `-1.5`).
    private func isNumberLiteral(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .constant(.int), .constant(.uint), .constant(.double): true
        case .call(nil, Operator.negate, let args): args.count == 1 && isNumberLiteral(args[0])
        default: false
        }
    }

    // MARK: - Enum literals

    /// Rejects string literals that cannot equal an enum-typed operand: in
    /// `order.status == "shiped"`, `"shiped" != order.status`, `order.status in ["paid",
    /// "shiped"]` and `"shiped" in order.statuses`.
    private mutating func checkEnumLiterals(_ function: String, operands: [Expr]) {
        guard operands.count == 2 else { return }
        let (lhs, rhs) = (operands[0], operands[1])
        switch function {
        case Operator.equals, Operator.notEquals:
            checkEnumLiteral(rhs, against: resolvedType(of: lhs))
            checkEnumLiteral(lhs, against: resolvedType(of: rhs))
        case Operator.in:
            if case .enumString = resolvedType(of: lhs), case .list(let elements) = rhs.kind {
                for element in elements { checkEnumLiteral(element, against: resolvedType(of: lhs)) }
            }
            switch resolvedType(of: rhs) {
            case .list(let element), .map(let element, _): checkEnumLiteral(lhs, against: element)
            default: break
            }
        default:
            break
        }
    }

    private mutating func checkEnumLiteral(_ literal: Expr, against type: CELType) {
        guard case .enumString(let enumType) = type, case .constant(.string(let value)) = literal.kind,
              !enumType.contains(value)
        else { return }
        report(CheckerMessages.invalidEnumValue(value, of: enumType, at: literal.range))
    }

    // MARK: - Literals

    private mutating func visitList(_ expr: Expr, _ elements: [Expr]) -> Expr {
        var elementType: CELType?
        let checked = elements.map { element -> Expr in
            let checkedElement = visit(element)
            elementType = join(elementType, type(of: checkedElement))
            return checkedElement
        }
        setType(expr, .list(elementType ?? freshTypeParam()))
        return expr.with(.list(elements: checked))
    }

    private mutating func visitMap(_ expr: Expr, _ entries: [MapEntry]) -> Expr {
        var keyType: CELType?
        var valueType: CELType?
        let checked = entries.map { entry -> MapEntry in
            let key = visit(entry.key)
            let value = visit(entry.value)
            checkMapKey(key)
            keyType = join(keyType, type(of: key))
            valueType = join(valueType, type(of: value))
            return MapEntry(id: entry.id, key: key, value: value)
        }
        setType(expr, .map(keyType ?? freshTypeParam(), valueType ?? freshTypeParam()))
        return expr.with(.map(entries: checked))
    }

    /// The element type of a literal so far, joined with the next element's: the more
    /// general of the two when they agree, else `dyn` (mixed lists are allowed).
    private mutating func join(_ previous: CELType?, _ next: CELType) -> CELType {
        guard let previous else { return next }
        if substitution.unify(previous, next) { return TypeSubstitution.mostGeneral(previous, next) }
        return .dyn
    }

    private mutating func checkMapKey(_ key: Expr) {
        switch resolvedType(of: key) {
        case .int, .uint, .bool, .string, .enumString, .dyn, .error, .typeParam: return
        case let other: report(CheckerMessages.invalidMapKey(other, at: key.range))
        }
    }

    // MARK: - Comprehensions

    private mutating func visitComprehension(_ expr: Expr, _ comprehension: Comprehension) -> Expr {
        var result = comprehension
        result.iterRange = visit(comprehension.iterRange)
        result.accuInit = visit(comprehension.accuInit)
        let accumulatorType = type(of: result.accuInit)
        let rangeType = substitution.substitute(type(of: result.iterRange))

        let elementType: CELType
        switch rangeType {
        case .list(let element): elementType = element
        case .map(let key, _): elementType = key
        case .dyn, .error, .typeParam:
            _ = substitution.unify(.dyn, rangeType)
            elementType = .dyn
        default:
            report(CheckerMessages.notIterable(rangeType, macro: comprehension.macro, at: result.iterRange.range))
            elementType = .error
        }

        // The accumulator is visible in the loop and the result; the iteration variable
        // only in the loop. Both shadow outer names.
        scopes.append([comprehension.accuVar: accumulatorType])
        scopes.append([comprehension.iterVar: elementType])
        result.loopCondition = visit(comprehension.loopCondition)
        expect(.bool, for: result.loopCondition)
        result.loopStep = visit(comprehension.loopStep)
        expect(accumulatorType, for: result.loopStep)
        scopes.removeLast()
        result.result = visit(comprehension.result)
        scopes.removeLast()

        setType(expr, substitution.substitute(type(of: result.result)))
        return expr.with(.comprehension(result))
    }

    private mutating func expect(_ expected: CELType, for expr: Expr) {
        guard !substitution.unify(expected, type(of: expr)) else { return }
        report(CheckerMessages.typeMismatch(
            expected: substitution.substitute(expected, unboundToDyn: true), found: resolvedType(of: expr),
            at: expr.range))
    }

    // MARK: - Bookkeeping

    private mutating func setType(_ expr: Expr, _ type: CELType) { types[expr.id] = type }

    /// The type recorded for a checked node (`error` if it has none, which would be a
    /// checker bug, but must not crash a policy load).
    private func type(of expr: Expr) -> CELType { types[expr.id] ?? .error }

    /// The recorded type with bindings applied, for messages and decisions.
    private func resolvedType(of expr: Expr) -> CELType {
        substitution.substitute(type(of: expr), unboundToDyn: true)
    }

    private mutating func report(_ issue: CELIssue) { issues.append(issue) }
}

extension Expr {
    /// The same node (id and range) with another kind.
    fileprivate func with(_ kind: ExprKind) -> Expr { Expr(id: id, kind, range: range) }
}

extension Constant {
    /// The type of a literal.
    var type: CELType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        }
    }
}

extension CELType {
    /// The type with type parameters renamed by `renaming` (others kept).
    func renamingTypeParams(_ renaming: [String: CELType]) -> CELType {
        switch self {
        case .typeParam(let name): renaming[name] ?? self
        case .list(let element): .list(element.renamingTypeParams(renaming))
        case .map(let key, let value): .map(key.renamingTypeParams(renaming), value.renamingTypeParams(renaming))
        case .type(let inner): .type(inner?.renamingTypeParams(renaming))
        case .opaque(let name, let params): .opaque(name, params.map { $0.renamingTypeParams(renaming) })
        default: self
        }
    }
}
