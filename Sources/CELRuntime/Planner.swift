import CELCommon

/// Options for turning expressions into programs.
package struct PlannerOptions: Sendable {
    /// The container (namespace) for resolving names in unchecked expressions: with
    /// `com.example`, `x` means the first bound of `com.example.x`, `com.x`, `x`.
    package var container: String
    package var limits: EvaluationLimits
    /// Evaluate constant-only subexpressions (`duration("30m")`, literal lists) once,
    /// at plan time.
    package var foldConstants: Bool
    /// Variables given slots first, in this order, whether or not the expression reads
    /// them. Programs planned with the same list share one layout, so one activation per
    /// request serves all of a policy set's expressions.
    package var globals: [String] {
        didSet { globalsLayout = ActivationLayout(names: globals) }
    }
    /// The layout of `globals` alone, made once: every program that reads no other
    /// variable shares it (its tables), instead of a copy per program — a 10,000-rule
    /// set plans as many programs.
    private(set) var globalsLayout: ActivationLayout

    package init(
        container: String = "", limits: EvaluationLimits = EvaluationLimits(), foldConstants: Bool = true,
        globals: [String] = []
    ) {
        self.container = container
        self.limits = limits
        self.foldConstants = foldConstants
        self.globals = globals
        self.globalsLayout = ActivationLayout(names: globals)
    }
}

/// Turns checked or unchecked expressions into `Program`s.
///
/// With a `CheckedExpr`, identifiers and calls are bound through the checker's
/// references (variables to slots, calls to overload ids) and object field selections
/// become slot reads. With a plain `ParsedExpr`, names resolve at run time against
/// what the activation binds and calls dispatch on runtime argument kinds.
package struct Planner: Sendable {
    package let functions: FunctionRegistry
    package let options: PlannerOptions

    package init(functions: FunctionRegistry = .standard, options: PlannerOptions = PlannerOptions()) {
        self.functions = functions
        self.options = options
    }

    /// Plans a type-checked expression.
    package func plan(_ checked: CheckedExpr) -> (Program?, [CELIssue]) {
        build(checked.parsed, checked: checked)
    }

    /// Plans an expression without type information (dynamic dispatch).
    package func plan(_ parsed: ParsedExpr) -> (Program?, [CELIssue]) {
        build(parsed, checked: nil)
    }

    private func build(_ parsed: ParsedExpr, checked: CheckedExpr?) -> (Program?, [CELIssue]) {
        let plain = PlanBuilder(functions: functions, options: options, checked: checked, traced: false)
        for name in options.globals where plain.globalSlots[name] == nil {
            plain.globalSlots[name] = plain.globalNames.count
            plain.globalNames.append(name)
        }
        let root = plain.plan(parsed.expr)
        guard plain.issues.isEmpty else { return (nil, plain.issues) }
        // The traced plan shares the slot table so one activation serves both.
        let traced = PlanBuilder(functions: functions, options: options, checked: checked, traced: true)
        traced.globalNames = plain.globalNames
        traced.globalSlots = plain.globalSlots
        let tracedRoot = traced.plan(parsed.expr)
        let program = Program(
            layout: traced.globalNames.count == options.globals.count
                ? options.globalsLayout : ActivationLayout(names: traced.globalNames),
            limits: options.limits,
            root: root, tracedRoot: tracedRoot, localCount: Swift.max(plain.localCount, traced.localCount))
        return (program, [])
    }
}

/// The state of planning one expression.
final class PlanBuilder {
    let functions: FunctionRegistry
    let options: PlannerOptions
    let checked: CheckedExpr?
    let traced: Bool

    var globalNames: [String] = []
    var globalSlots: [String: Int] = [:]
    /// Comprehension variables in scope, innermost last.
    private var scopes: [(name: String, slot: Int)] = []
    private(set) var localCount = 0
    private var nesting = 0
    private(set) var issues: [CELIssue] = []
    /// `com.example.`, `com.`, `` for container `com.example`.
    private let containerPrefixes: [String]

    init(functions: FunctionRegistry, options: PlannerOptions, checked: CheckedExpr?, traced: Bool) {
        self.functions = functions
        self.options = options
        self.checked = checked
        self.traced = traced
        var prefixes: [String] = []
        var parts = options.container.split(separator: ".").map(String.init)
        while !parts.isEmpty {
            prefixes.append(parts.joined(separator: ".") + ".")
            parts.removeLast()
        }
        prefixes.append("")
        self.containerPrefixes = prefixes
    }

    func plan(_ expr: Expr) -> Node {
        let node = planNode(expr)
        return traced ? TraceNode(node) : node
    }

    private func globalSlot(_ name: String) -> Int {
        if let slot = globalSlots[name] { return slot }
        let slot = globalNames.count
        globalNames.append(name)
        globalSlots[name] = slot
        return slot
    }

    private func localSlot(_ name: String) -> Int? {
        scopes.last { $0.name == name }?.slot
    }

    private func planNode(_ expr: Expr) -> Node {
        let id = expr.id
        switch expr.kind {
        case .constant(let constant):
            return ConstNode(id: id, Value(constant))

        case .ident(let rawName):
            let rootScoped = rawName.hasPrefix(".")
            let name = rootScoped ? String(rawName.dropFirst()) : rawName
            if !rootScoped, let slot = localSlot(name) { return LocalNode(id: id, slot: slot) }
            if let node = referencedNode(expr) { return node }
            return resolveName(id: id, parts: name.split(separator: ".").map(String.init), rootScoped: rootScoped)

        case .select(let operand, let field, let testOnly):
            if testOnly { return fold(HasFieldNode(id: id, operand: plan(operand), field: field)) }
            if let node = referencedNode(expr) { return node }
            if let (parts, rootScoped) = qualifiedName(expr) {
                return resolveName(id: id, parts: parts, rootScoped: rootScoped)
            }
            let operandNode = plan(operand)
            if case .object(let type)? = checked?.types[operand.id], let slot = type.slot(of: field) {
                if let variable = operandNode as? GlobalNode {
                    return VariableObjectFieldNode(
                        id: id, variableSlot: variable.slot, type: type, slot: slot, field: field)
                }
                return ObjectFieldNode(id: id, operand: operandNode, type: type, slot: slot, field: field)
            }
            return fold(SelectNode(id: id, operand: operandNode, field: field))

        case .call(let target, let function, let args):
            if target == nil, let node = planOperator(id: id, function: function, args: args) { return node }
            return planCall(expr, target: target, function: function, args: args)

        case .list(let elements):
            return fold(ListNode(id: id, elements.map(plan)))

        case .map(let entries):
            return fold(MapNode(id: id, keys: entries.map { plan($0.key) }, values: entries.map { plan($0.value) }))

        case .structure(let typeName, _):
            issues.append(CELIssue(
                .plan, "cel-unsupported",
                .en("object construction `\(typeName){…}` is not supported", zh: "不支持构造对象 `\(typeName){…}`"),
                at: expr.range))
            return ConstNode(id: id, .fail(.invalidArgument, "object construction is not supported"))

        case .comprehension(let comprehension):
            return planComprehension(expr, comprehension)
        }
    }

    /// A node for an identifier or select the checker resolved to a variable or type.
    private func referencedNode(_ expr: Expr) -> Node? {
        switch checked?.references[expr.id] {
        case .variable(let name)?:
            // A root-scoped `.y` names the variable `y`.
            GlobalNode(id: expr.id, slot: globalSlot(name.hasPrefix(".") ? String(name.dropFirst()) : name))
        case .typeName(let type)?: ConstNode(id: expr.id, .type(TypeValue(type.runtimeTypeName)))
        default: nil
        }
    }

    /// The dotted name a select chain spells (`a.b.c`), if its root is an identifier that
    /// is neither a comprehension variable nor already resolved by the checker.
    private func qualifiedName(_ expr: Expr) -> (parts: [String], rootScoped: Bool)? {
        var parts: [String] = []
        var current = expr
        while true {
            switch current.kind {
            case .select(let operand, let field, false):
                if current.id != expr.id, checked?.references[current.id] != nil { return nil }
                parts.append(field)
                current = operand
            case .ident(let rawName):
                let rootScoped = rawName.hasPrefix(".")
                let name = rootScoped ? String(rawName.dropFirst()) : rawName
                if !rootScoped, localSlot(name) != nil { return nil }
                if checked?.references[current.id] != nil { return nil }
                parts.append(contentsOf: name.split(separator: ".").reversed().map(String.init))
                return (parts.reversed(), rootScoped)
            default:
                return nil
            }
        }
    }

    /// Resolves a (possibly dotted) name per CEL's rules: longest variable name first,
    /// each tried in every enclosing container namespace, remaining parts selected as
    /// fields; failing that, a type name; failing that, an undeclared-reference error.
    private func resolveName(id: Int32, parts: [String], rootScoped: Bool) -> Node {
        let prefixes = rootScoped ? [""] : containerPrefixes
        var candidates: [ResolvingNameNode.Candidate] = []
        for length in stride(from: parts.count, through: 1, by: -1) {
            for prefix in prefixes {
                let name = prefix + parts[0..<length].joined(separator: ".")
                candidates.append(.init(slot: globalSlot(name), fields: Array(parts[length...])))
            }
        }
        let fullName = parts.joined(separator: ".")
        if let type = TypeValue.builtinNames[fullName] ?? functions.typeNames[fullName] {
            return ResolvingNameNode(id: id, candidates: candidates, fallback: .type(type))
        }
        if candidates.count == 1, candidates[0].fields.isEmpty {
            return GlobalNode(id: id, slot: candidates[0].slot)
        }
        let undeclared = EvalError(.undeclaredReference, "undeclared reference to '\(fullName)'")
        return ResolvingNameNode(id: id, candidates: candidates, fallback: .error(undeclared))
    }

    // MARK: Operators

    private func planOperator(id: Int32, function: String, args: [Expr]) -> Node? {
        func extensions(_ name: String) -> [FunctionOverload] { functions.overloads(named: name) }
        switch (function, args.count) {
        case (Operator.logicalAnd, 2): return fold(AndNode(id: id, plan(args[0]), plan(args[1])))
        case (Operator.logicalOr, 2): return fold(OrNode(id: id, plan(args[0]), plan(args[1])))
        case (Operator.logicalNot, 1): return fold(NotNode(id: id, plan(args[0])))
        case (Operator.conditional, 3):
            return fold(ConditionalNode(id: id, plan(args[0]), plan(args[1]), plan(args[2])))
        case (Operator.notStrictlyFalse, 1): return fold(NotStrictlyFalseNode(id: id, plan(args[0])))
        case (Operator.equals, 2): return fold(EqualsNode(id: id, plan(args[0]), plan(args[1]), negated: false))
        case (Operator.notEquals, 2): return fold(EqualsNode(id: id, plan(args[0]), plan(args[1]), negated: true))
        case (Operator.less, 2), (Operator.lessEquals, 2), (Operator.greater, 2), (Operator.greaterEquals, 2):
            let op: ComparisonOperator =
                switch function {
                case Operator.less: .less
                case Operator.lessEquals: .lessEquals
                case Operator.greater: .greater
                default: .greaterEquals
                }
            return fold(CompareNode(id: id, plan(args[0]), plan(args[1]), op: op, extensions: extensions(function)))
        case (Operator.add, 2), (Operator.subtract, 2), (Operator.multiply, 2), (Operator.divide, 2), (Operator.modulo, 2):
            let op: ArithmeticOperator =
                switch function {
                case Operator.add: .add
                case Operator.subtract: .subtract
                case Operator.multiply: .multiply
                case Operator.divide: .divide
                default: .modulo
                }
            return fold(ArithmeticNode(id: id, plan(args[0]), plan(args[1]), op: op, extensions: extensions(function)))
        case (Operator.negate, 1): return fold(NegateNode(id: id, plan(args[0]), extensions: extensions(function)))
        case (Operator.index, 2): return fold(IndexNode(id: id, operand: plan(args[0]), index: plan(args[1])))
        case (Operator.in, 2):
            let element = plan(args[0])
            let container = plan(args[1])
            if case .list(let values)? = container.constantValue, element.constantValue == nil {
                let strings = values.compactMap { value -> String? in
                    if case .string(let s) = value { return s }
                    return nil
                }
                if strings.count == values.count {
                    return InConstantStringsNode(id: id, element, strings: strings)
                }
            }
            return fold(InNode(id: id, element, container))
        default:
            return nil
        }
    }

    // MARK: Function calls

    private func planCall(_ expr: Expr, target: Expr?, function: String, args: [Expr]) -> Node {
        let id = expr.id
        let argExprs = (target.map { [$0] } ?? []) + args
        let argNodes = argExprs.map(plan)

        // `dyn(x)` only informs the checker.
        if function == "dyn", argNodes.count == 1, !traced { return argNodes[0] }

        var candidates: [FunctionOverload] = []
        if case .function(let ids)? = checked?.references[id] {
            candidates = ids.compactMap { functions.overload(id: $0) }
        }
        if candidates.isEmpty {
            candidates = functions.overloads(named: function).filter {
                $0.argumentKinds.count == argNodes.count
            }
        }
        guard !candidates.isEmpty else {
            let message =
                functions.hasFunction(function)
                ? "no matching overload for '\(function)' with \(argNodes.count) argument(s)"
                : "unbound function '\(function)'"
            let code: EvalError.Code = functions.hasFunction(function) ? .noMatchingOverload : .unboundFunction
            return ConstNode(id: id, .fail(code, message))
        }

        // `matches` charges the regex engine's work to the evaluation cost; a constant
        // regex is compiled once.
        if candidates.allSatisfy({ $0.function == "matches" }), argNodes.count == 2 {
            var compiled: CompiledRegex?
            if case .string(let pattern)? = argNodes[1].constantValue,
                case .success(let regex) = CompiledRegex.compile(pattern)
            {
                compiled = regex
            }
            return MatchesNode(id: id, argNodes[0], pattern: argNodes[1], compiled: compiled)
        }

        let node: Node
        if candidates.count == 1, kindsAreGuaranteed(candidates[0], argExprs) {
            switch candidates[0].body {
            case .unary(let f): node = UnaryCallNode(id: id, argNodes[0], f)
            case .binary(let f): node = BinaryCallNode(id: id, argNodes[0], argNodes[1], f)
            default: node = CallNode(id: id, argNodes, candidates[0].body)
            }
        } else {
            node = DynamicCallNode(id: id, function: function, argNodes, candidates: candidates)
        }
        return candidates.allSatisfy(\.constantFoldable) ? fold(node) : node
    }

    /// Whether every argument is statically known to have the kind the overload takes,
    /// so the call can skip runtime kind checks.
    private func kindsAreGuaranteed(_ overload: FunctionOverload, _ args: [Expr]) -> Bool {
        guard overload.argumentKinds.count == args.count else { return false }
        for (kind, arg) in zip(overload.argumentKinds, args) {
            guard let kind else { continue }
            guard let type = checked?.types[arg.id], ValueKind(type) == kind else { return false }
        }
        return true
    }

    // MARK: Comprehensions

    private func planComprehension(_ expr: Expr, _ c: Comprehension) -> Node {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > options.limits.maxComprehensionNesting {
            issues.append(CELIssue(
                .plan, "cel-nesting-limit",
                .en(
                    "macros nest more than \(options.limits.maxComprehensionNesting) levels deep",
                    zh: "宏嵌套超过 \(options.limits.maxComprehensionNesting) 层"),
                at: expr.range,
                help: .en(
                    "split the expression or raise the comprehension nesting limit",
                    zh: "请拆分表达式，或调高推导式的嵌套上限")))
            return ConstNode(id: expr.id, .fail(.limitExceeded, "comprehension nesting limit exceeded"))
        }
        let range = plan(c.iterRange)
        let accuInit = plan(c.accuInit)
        let iterSlot = localCount
        let accuSlot = localCount + 1
        localCount += 2
        scopes.append((c.accuVar, accuSlot))
        scopes.append((c.iterVar, iterSlot))
        let condition = plan(c.loopCondition)
        let step = planStep(c.loopStep, accuVar: c.accuVar, accuSlot: accuSlot)
        scopes.removeLast()
        let result = plan(c.result)
        scopes.removeLast()
        let iterationCost = 1 + loopCost(c.loopCondition) + loopCost(c.loopStep)
        return ComprehensionNode(
            id: expr.id, iterSlot: iterSlot, accuSlot: accuSlot, range: range, accuInit: accuInit,
            condition: condition, step: step, result: result, iterationCost: iterationCost)
    }

    /// Plans a loop step, turning `accu + [e]` (also under `c ? … : accu`, as `filter`
    /// expands) into an in-place append.
    private func planStep(_ step: Expr, accuVar: String, accuSlot: Int) -> Node {
        switch step.kind {
        case .call(nil, Operator.conditional, let args) where args.count == 3:
            return ConditionalNode(
                id: step.id, plan(args[0]), planStep(args[1], accuVar: accuVar, accuSlot: accuSlot),
                planStep(args[2], accuVar: accuVar, accuSlot: accuSlot))
        case .call(nil, Operator.add, let args)
        where args.count == 2 && args[0].kind == .ident(accuVar) && localSlot(accuVar) == accuSlot:
            guard case .list(let elementExprs) = args[1].kind else { break }
            let elements = elementExprs.map(plan)
            let accu = LocalNode(id: args[0].id, slot: accuSlot)
            let generic = ArithmeticNode(
                id: step.id, accu, ListNode(id: args[1].id, elements), op: .add,
                extensions: functions.overloads(named: Operator.add))
            return AppendToAccumulatorNode(id: step.id, slot: accuSlot, elements: elements, fallback: generic)
        default:
            break
        }
        return plan(step)
    }

    /// The number of nodes evaluated per loop iteration, not counting the loop bodies of
    /// nested comprehensions (which charge for themselves).
    private func loopCost(_ expr: Expr) -> Int {
        switch expr.kind {
        case .constant, .ident: return 1
        case .select(let operand, _, _): return 1 + loopCost(operand)
        case .call(let target, _, let args): return 1 + (target.map(loopCost) ?? 0) + args.reduce(0) { $0 + loopCost($1) }
        case .list(let elements): return 1 + elements.reduce(0) { $0 + loopCost($1) }
        case .map(let entries): return 1 + entries.reduce(0) { $0 + loopCost($1.key) + loopCost($1.value) }
        case .structure(_, let fields): return 1 + fields.reduce(0) { $0 + loopCost($1.value) }
        case .comprehension(let c): return 1 + loopCost(c.iterRange) + loopCost(c.accuInit) + loopCost(c.result)
        }
    }

    // MARK: Constant folding

    /// Replaces a node whose inputs are all constants by its value, computed now.
    private func fold(_ node: Node) -> Node {
        guard options.foldConstants, !traced, node.children.allSatisfy({ $0.constantValue != nil }) else { return node }
        let value = withUnsafeTemporaryAllocation(of: Value.self, capacity: 1) { scratch -> Value in
            let base = scratch.baseAddress!
            base.initialize(to: .null)
            defer { base.deinitialize(count: 1) }
            var frame = Frame(
                globals: UnsafePointer(base), locals: base, costLimit: options.limits.costLimit,
                maxListSize: options.limits.maxListSize, trace: nil)
            let value = node.eval(&frame)
            return frame.abort.map(Value.error) ?? value
        }
        return ConstNode(id: node.id, value)
    }
}

extension Value {
    /// The value of a literal.
    package init(_ constant: Constant) {
        switch constant {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .uint(let u): self = .uint(u)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .bytes(let b): self = .bytes(b)
        }
    }
}
