import CELChecker
import CELCommon
import CELParser
import CELRuntime
import RescindDiagnostics

/// Everything an expression may refer to, and how to compile and run it: declared
/// variables with their types, a container for name resolution, the standard library
/// plus the libraries the host adds (`CELLibrary`: declarations for the checker,
/// implementations for the runtime) and limits.
///
///     var env = CELEnvironment(variables: ["order": .object(orderType)])
///     let result = env.compile("order.total > 100")
///     let value = try result.get().evaluate(["order": .object(order)]).get()
///
/// Rescind's own functions (`decimal`, business calendars) are such a library:
/// `CELEnvironment(variables: ..., libraries: [.rescind(calendars: calendars)])`.
package struct CELEnvironment: Sendable {
    package var variables: [String: CELType] { didSet { typeEnvironment = makeTypeEnvironment() } }
    package var container: String { didSet { typeEnvironment = makeTypeEnvironment() } }
    /// Runtime implementations, by overload id and function name.
    package var functions: FunctionRegistry
    /// Declarations the checker sees in addition to the standard library's.
    package var functionDeclarations: [FunctionDecl] { didSet { typeEnvironment = makeTypeEnvironment() } }
    /// What the checker resolves names against, built once from the three above (a policy
    /// set compiles thousands of expressions in one environment; rebuilding the function
    /// table for each was most of the cost of loading a large set).
    private var typeEnvironment = TypeEnvironment(functions: [])
    package var parserOptions: CELParser.Options
    package var limits: EvaluationLimits
    /// Whether `compile` type-checks. The one switch to turn the checker off (then
    /// `compile` behaves like `compileUnchecked`).
    package var typeCheck: Bool
    /// Variables every program gets slots for, in this order (see `PlannerOptions.globals`).
    package var sharedGlobals: [String] = [] {
        didSet { globalsOptions = PlannerOptions(globals: sharedGlobals) }
    }
    /// Planner options for `sharedGlobals`, made when they are set: their layout is then
    /// one table shared by every program compiled here.
    private var globalsOptions = PlannerOptions()

    package init(
        variables: [String: CELType] = [:], container: String = "", functions: FunctionRegistry = .standard,
        functionDeclarations: [FunctionDecl] = [], parserOptions: CELParser.Options = CELParser.Options(),
        limits: EvaluationLimits = EvaluationLimits(), typeCheck: Bool = true, libraries: [CELLibrary] = []
    ) {
        self.variables = variables
        self.container = container
        self.functions = functions
        self.functionDeclarations = functionDeclarations
        self.parserOptions = parserOptions
        self.limits = limits
        self.typeCheck = typeCheck
        for library in libraries { add(library) }
        typeEnvironment = makeTypeEnvironment()
    }

    private func makeTypeEnvironment() -> TypeEnvironment {
        TypeEnvironment(
            container: container, variables: variables, functions: StandardLibrary.declarations + functionDeclarations)
    }

    /// Adds a library: its declarations to the checker's, its implementations to the
    /// runtime's registry. An overload id already present is replaced.
    package mutating func add(_ library: CELLibrary) {
        functionDeclarations += library.declarations
        functions.add(library)
    }

    /// Declares a function for the checker and registers its implementations, given
    /// per overload id. Overloads without an implementation are declared only.
    package mutating func addFunction(
        _ declaration: FunctionDecl, implementations: [String: FunctionBody], constantFoldable: Bool = false
    ) {
        functionDeclarations.append(declaration)
        for overload in declaration.overloads {
            guard let body = implementations[overload.id] else { continue }
            functions.add(FunctionOverload(
                function: declaration.name, declaration: overload, body: body, constantFoldable: constantFoldable))
        }
    }

    /// Parses, type-checks and plans an expression.
    package func compile(_ source: String) -> CompileResult {
        guard typeCheck else { return compileUnchecked(source) }
        let (parsed, parseIssues) = CELParser(options: parserOptions).parse(source)
        guard let parsed, !parseIssues.contains(where: { $0.severity == .error }) else {
            return CompileResult(program: nil, issues: parseIssues)
        }
        let (checked, checkIssues) = Checker(environment: typeEnvironment).check(parsed)
        let issues = parseIssues + checkIssues
        guard !checkIssues.contains(where: { $0.severity == .error }) else {
            return CompileResult(program: nil, issues: issues)
        }
        let (program, planIssues) = planner.plan(checked)
        return CompileResult(
            program: program.map { CELProgram(source: source, parsed: parsed, checked: checked, program: $0) },
            issues: issues + planIssues)
    }

    /// Compiles `source` as `compile(_:)` does, taking the parse and the type-check from
    /// an earlier expression of the same shape in `shapes` when there is one (see
    /// `CELShapeCache`); a clean compilation becomes its shape's instance.
    package func compile(_ source: String, shapes: CELShapeCache) -> CompileResult {
        guard typeCheck, let (key, literals) = shapes.shape(of: source) else { return compile(source) }
        if let (parsed, checked) = shapes.instance(of: source, key: key, literals: literals) {
            let (program, planIssues) = planner.plan(checked)
            return CompileResult(
                program: program.map { CELProgram(source: source, parsed: parsed, checked: checked, program: $0) },
                issues: planIssues)
        }
        let result = compile(source)
        if result.issues.isEmpty, let program = result.program, let checked = program.checked {
            shapes.remember(key: key, literals: literals, parsed: program.parsed, checked: checked)
        }
        return result
    }

    /// Parses and plans an expression without type-checking: names resolve against
    /// the bindings at evaluation time and calls dispatch on runtime argument kinds.
    package func compileUnchecked(_ source: String) -> CompileResult {
        let (parsed, parseIssues) = CELParser(options: parserOptions).parse(source)
        guard let parsed, !parseIssues.contains(where: { $0.severity == .error }) else {
            return CompileResult(program: nil, issues: parseIssues)
        }
        let (program, planIssues) = planner.plan(parsed)
        return CompileResult(
            program: program.map { CELProgram(source: source, parsed: parsed, checked: nil, program: $0) },
            issues: parseIssues + planIssues)
    }

    private var planner: Planner {
        var options = globalsOptions
        options.container = container
        options.limits = limits
        return Planner(functions: functions, options: options)
    }
}

/// The outcome of compiling: a program, or the issues (with the stage that found
/// them) that prevented one. Warnings may accompany a program.
package struct CompileResult: Sendable {
    package let program: CELProgram?
    package let issues: [CELIssue]

    /// The errors among the issues.
    package var errors: [CELIssue] { issues.filter { $0.severity == .error } }

    /// The stage that failed, if compilation failed.
    package var failedStage: CELIssue.Stage? { program == nil ? errors.first?.stage : nil }

    /// The program, or the issues as an error.
    package func get() throws(CompileError) -> CELProgram {
        guard let program else { throw CompileError(issues: issues) }
        return program
    }
}

/// Compilation failed; `issues` says why.
package struct CompileError: Error, Sendable, CustomStringConvertible {
    package let issues: [CELIssue]
    package var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// A compiled expression: its source, AST, type information (when checked) and the
/// executable program. Immutable, thread-safe, reusable.
package final class CELProgram: Sendable {
    package let source: String
    package let parsed: ParsedExpr
    /// The checker's annotations; nil for unchecked compilation.
    package let checked: CheckedExpr?
    package let program: Program

    init(source: String, parsed: ParsedExpr, checked: CheckedExpr?, program: Program) {
        self.source = source
        self.parsed = parsed
        self.checked = checked
        self.program = program
    }

    /// The static type of the result (`dyn` when unchecked).
    package var resultType: CELType { checked?.resultType ?? .dyn }

    /// An activation for repeated evaluation; see `Program.makeActivation`.
    package func makeActivation(_ bindings: [String: Value] = [:]) -> Activation {
        program.makeActivation(bindings)
    }

    /// Evaluates against a prepared activation (the fast path).
    package func evaluate(_ activation: Activation) -> Result<Value, EvalError> {
        program.evaluate(activation)
    }

    /// Evaluates with variables by name.
    package func evaluate(_ bindings: [String: Value] = [:]) -> Result<Value, EvalError> {
        program.evaluate(bindings)
    }

    /// Evaluates and records every sub-expression's value by expression id.
    package func evaluateWithTrace(_ activation: Activation) -> (result: Result<Value, EvalError>, trace: [Int32: Value]) {
        program.evaluateWithTrace(activation)
    }
}
