import CEL
import CELChecker
import CELCommon
import CELRuntime
import RescindCELLibrary
import Testing

/// Every overload the checker accepts has something to run: a runtime implementation in
/// the environment's function registry, or one of the few the planner builds in itself.
/// Without this, an overload declared but never implemented type-checks at load and then
/// fails every decision that reaches it. Checked for each library on its own — the
/// standard library, and Rescind's — and for the two together as policies use them.
@Suite struct DeclaredOverloadsTests {
    /// The operators the planner evaluates with nodes of its own, for every overload the
    /// checker declares (`Planner.planCall`: logic, the conditional, equality, ordering
    /// and arithmetic across kinds, indexing, `in`); libraries add overloads of these
    /// to the registry (decimal `+`, `<`), which the planner consults first.
    static let plannedOperators: Set<String> = [
        Operator.conditional, Operator.logicalAnd, Operator.logicalOr, Operator.logicalNot, Operator.notStrictlyFalse,
        Operator.equals, Operator.notEquals, Operator.less, Operator.lessEquals, Operator.greater, Operator.greaterEquals,
        Operator.add, Operator.subtract, Operator.multiply, Operator.divide, Operator.modulo, Operator.negate,
        Operator.index, Operator.in,
    ]

    /// `function: overload-id` of each overload `declarations` declares with nothing to
    /// run in `registry`. Operators the planner builds in count as implemented only for
    /// the standard library's overloads: a library's operator overloads (decimal `_+_`)
    /// run from the registry, so they must be there.
    static func unimplemented(
        _ declarations: [FunctionDecl], in registry: FunctionRegistry, plannerBuildsOperators: Bool
    ) -> [String] {
        var missing: [String] = []
        for function in declarations where !(plannerBuildsOperators && plannedOperators.contains(function.name)) {
            for overload in function.overloads where registry.overload(id: overload.id) == nil {
                missing.append("\(function.name): \(overload.id)")
            }
        }
        return missing
    }

    /// What `unimplemented` finds in an environment: the standard declarations and the
    /// environment's own, against its registry.
    static func unimplemented(in environment: CELEnvironment) -> [String] {
        unimplemented(StandardLibrary.declarations, in: environment.functions, plannerBuildsOperators: true)
            + unimplemented(environment.functionDeclarations, in: environment.functions, plannerBuildsOperators: false)
    }

    @Test func everyStandardOverloadIsImplemented() {
        let missing = Self.unimplemented(
            StandardLibrary.declarations, in: .standard, plannerBuildsOperators: true)
        #expect(missing.isEmpty, "declared without an implementation:\n\(missing.joined(separator: "\n"))")
        // The sweep covers real functions, not only operators.
        let swept = StandardLibrary.declarations.filter { !Self.plannedOperators.contains($0.name) }.flatMap(\.overloads)
        #expect(swept.count > 50, "\(swept.count) overloads swept")
    }

    /// Rescind's library implements every overload it declares, operators included,
    /// by itself (not through the standard registry).
    @Test func everyRescindOverloadIsImplemented() {
        let library = CELLibrary.rescind()
        var registry = FunctionRegistry()
        registry.add(library)
        let missing = Self.unimplemented(library.declarations, in: registry, plannerBuildsOperators: false)
        #expect(missing.isEmpty, "declared without an implementation:\n\(missing.joined(separator: "\n"))")
        let swept = library.declarations.flatMap(\.overloads)
        #expect(swept.count > 30, "\(swept.count) overloads swept")
    }

    @Test func everyOverloadOfAPolicyEnvironmentIsImplemented() {
        let environment = CELEnvironment(libraries: [.rescind()])
        let missing = Self.unimplemented(in: environment)
        #expect(missing.isEmpty, "declared without an implementation:\n\(missing.joined(separator: "\n"))")
    }

    /// The check finds an overload declared to the checker with no implementation.
    @Test func aDeclarationWithoutImplementationIsFound() {
        var environment = CELEnvironment(libraries: [.rescind()])
        environment.functionDeclarations.append(
            FunctionDecl(name: "ghost", overloads: [OverloadDecl(id: "ghost_string", params: [.string], result: .bool)]))
        #expect(Self.unimplemented(in: environment) == ["ghost: ghost_string"])
    }

    /// A library's operator overload without an implementation is found too: the
    /// planner's built-in operators do not stand in for it.
    @Test func aLibraryOperatorWithoutImplementationIsFound() {
        let library = CELLibrary(name: "half", functions: [
            CELLibrary.Function(
                declaration: FunctionDecl(name: Operator.add, overloads: [
                    OverloadDecl(id: "add_decimal_string", params: [.decimal, .string], result: .decimal)
                ]),
                implementations: [:])
        ])
        let environment = CELEnvironment(libraries: [library])
        #expect(Self.unimplemented(in: environment) == ["_+_: add_decimal_string"])
    }
}
