import CELCommon

/// Functions beyond CEL's standard library, as a host adds them: each function's
/// declaration for the checker and its implementations for the runtime, keyed by the
/// same overload ids, so that what type-checks is what runs. The standard library is
/// always there; a library joins it when the host builds an environment
/// (`CELEnvironment(libraries: [...])`, or `FunctionRegistry.add(_:)` for a runtime-only
/// host) — the shape of cel-go's `cel.Lib` and cel-java's extension libraries.
///
/// A library is consulted at compile time only: the planner binds each call to its
/// overload once, so a library's functions cost a decision what built-in ones do.
package struct CELLibrary: Sendable {
    /// One function: what the checker sees and what the runtime runs.
    package struct Function: Sendable {
        package let declaration: FunctionDecl
        /// By overload id; an overload without one is declared only (the checker accepts
        /// it, the runtime reports "no matching overload").
        package let implementations: [String: FunctionBody]
        /// Pure functions are folded at plan time when their arguments are constants.
        package let constantFoldable: Bool

        package init(declaration: FunctionDecl, implementations: [String: FunctionBody], constantFoldable: Bool = false) {
            self.declaration = declaration
            self.implementations = implementations
            self.constantFoldable = constantFoldable
        }
    }

    /// A name for messages and listings, such as `rescind`.
    package let name: String
    package var functions: [Function]

    package init(name: String, functions: [Function]) {
        self.name = name
        self.functions = functions
    }

    /// The declarations, for the checker.
    package var declarations: [FunctionDecl] { functions.map(\.declaration) }

    /// The runtime overloads, one per implemented overload id.
    package var overloads: [FunctionOverload] {
        functions.flatMap { function in
            function.declaration.overloads.compactMap { overload in
                function.implementations[overload.id].map {
                    FunctionOverload(
                        function: function.declaration.name, declaration: overload, body: $0,
                        constantFoldable: function.constantFoldable)
                }
            }
        }
    }
}

extension FunctionRegistry {
    /// Registers a library's implementations. A host that also type-checks gives the
    /// checker the library's declarations (`CELEnvironment.add(_:)` does both).
    package mutating func add(_ library: CELLibrary) {
        add(library.overloads)
    }
}
