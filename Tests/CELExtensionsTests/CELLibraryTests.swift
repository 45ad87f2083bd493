import CEL
import CELCommon
import CELRuntime
import RescindCELLibrary
import Testing

/// How a host adds functions to CEL (`CELLibrary`), and that standard CEL has none of
/// Rescind's without it.
@Suite struct CELLibraryTests {
    /// `greet(string) -> string`, as a host would write a library.
    static let greeting = CELLibrary(name: "greeting", functions: [
        CELLibrary.Function(
            declaration: FunctionDecl(name: "greet", overloads: [
                OverloadDecl(id: "greet_string", params: [.string], result: .string)
            ]),
            implementations: ["greet_string": .unary { name in
                guard case .string(let name) = name else { return .error(EvalError(.noMatchingOverload, "greet")) }
                return .string("hello, " + name)
            }],
            constantFoldable: true)
    ])

    @Test func standardCELHasNoDecimalFunctions() {
        let result = CELEnvironment().compile(#"decimal("1.5") > decimal("1")"#)
        #expect(result.program == nil)
        #expect(result.failedStage == .check)
    }

    @Test func standardCELHasNoCalendarFunctions() {
        let result = CELEnvironment().compile(#"isBusinessDay(timestamp("2026-01-05T00:00:00Z"), "cn-mainland")"#)
        #expect(result.program == nil)
        #expect(result.failedStage == .check)
    }

    @Test func theRescindLibraryAddsThem() throws {
        let program = try CELEnvironment(libraries: [.rescind()]).compile(#"decimal("1.5") > decimal("1")"#).get()
        #expect(try program.evaluate().get() == .bool(true))
    }

    @Test func aHostLibraryIsCheckedAndRun() throws {
        let environment = CELEnvironment(variables: ["who": .string], libraries: [Self.greeting])
        let program = try environment.compile("greet(who)").get()
        #expect(program.resultType == .string)
        #expect(try program.evaluate(["who": .string("ana")]).get() == .string("hello, ana"))
        // The checker knows the library's signature.
        #expect(environment.compile("greet(1)").failedStage == .check)
    }

    /// A runtime-only host (no checker) registers the implementations alone.
    @Test func aRuntimeOnlyHostRegistersImplementations() throws {
        var functions = FunctionRegistry.standard
        functions.add(Self.greeting)
        let program = try CELEnvironment(functions: functions).compileUnchecked(#"greet("bo")"#).get()
        #expect(try program.evaluate().get() == .string("hello, bo"))
    }
}
