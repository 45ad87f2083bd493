import CEL
import CELChecker
import CELCommon
import Testing

/// Every overload the checker accepts has something to run: a runtime implementation in
/// the environment's function registry, or one of the few the planner builds in itself.
/// Without this, an overload declared but never implemented type-checks at load and then
/// fails every decision that reaches it.
@Suite struct DeclaredOverloadsTests {
    /// The operators the planner evaluates with nodes of its own, for every overload the
    /// checker declares (`Planner.planCall`: logic, the conditional, equality, ordering
    /// and arithmetic across kinds, indexing, `in`); extensions add overloads of these
    /// to the registry (decimal `+`, `<`), which the planner consults first.
    static let plannedOperators: Set<String> = [
        Operator.conditional, Operator.logicalAnd, Operator.logicalOr, Operator.logicalNot, Operator.notStrictlyFalse,
        Operator.equals, Operator.notEquals, Operator.less, Operator.lessEquals, Operator.greater, Operator.greaterEquals,
        Operator.add, Operator.subtract, Operator.multiply, Operator.divide, Operator.modulo, Operator.negate,
        Operator.index, Operator.in,
    ]

    /// `function: overload-id` of each declared overload with nothing to run.
    static func unimplemented(in environment: CELEnvironment) -> [String] {
        var missing: [String] = []
        for function in StandardLibrary.declarations + environment.functionDeclarations
        where !plannedOperators.contains(function.name) {
            for overload in function.overloads where environment.functions.overload(id: overload.id) == nil {
                missing.append("\(function.name): \(overload.id)")
            }
        }
        return missing
    }

    @Test func everyDeclaredOverloadIsImplemented() {
        let environment = CELEnvironment.rescind()
        let missing = Self.unimplemented(in: environment)
        #expect(missing.isEmpty, "declared without an implementation:\n\(missing.joined(separator: "\n"))")
        // The sweep covers real functions, not only operators.
        let swept = (StandardLibrary.declarations + environment.functionDeclarations)
            .filter { !Self.plannedOperators.contains($0.name) }.flatMap(\.overloads)
        #expect(swept.count > 50, "\(swept.count) overloads swept")
    }

    /// The check finds an overload declared to the checker with no implementation.
    @Test func aDeclarationWithoutImplementationIsFound() {
        var environment = CELEnvironment.rescind()
        environment.functionDeclarations.append(
            FunctionDecl(name: "ghost", overloads: [OverloadDecl(id: "ghost_string", params: [.string], result: .bool)]))
        #expect(Self.unimplemented(in: environment) == ["ghost: ghost_string"])
    }
}
