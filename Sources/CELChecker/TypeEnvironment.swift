import CELCommon

/// What an expression may refer to: the container (namespace) names resolve in, the
/// declared variables and the declared functions.
package struct TypeEnvironment: Sendable {
    /// The namespace of the expression, e.g. `com.example`; `""` for none. A name `y`
    /// resolves to the first declared of `com.example.y`, `com.y`, `y`.
    package var container: String
    /// Declared variables by fully qualified name; names may be dotted (`a.b.c`).
    package var variables: [String: CELType]
    /// Functions by name, each with the union of its declared overloads.
    private var functionsByName: [String: FunctionDecl] = [:]
    /// Function names in first-declaration order, so `functions` is deterministic.
    private var functionOrder: [String] = []

    /// An environment with the standard library unless `functions` says otherwise.
    package init(
        container: String = "", variables: [String: CELType] = [:],
        functions: [FunctionDecl] = StandardLibrary.declarations
    ) {
        self.container = container
        self.variables = variables
        declare(functions)
    }

    /// Every declared function, in declaration order.
    package var functions: [FunctionDecl] { functionOrder.compactMap { functionsByName[$0] } }

    /// Declares (or redeclares) a variable.
    package mutating func declareVariable(_ name: String, _ type: CELType) {
        variables[name] = type
    }

    /// Declares a function. Overloads of an already declared name are merged into it; an
    /// overload whose id is already declared replaces the old one, so extensions can
    /// refine a signature without duplicating it.
    package mutating func declare(_ function: FunctionDecl) {
        guard var existing = functionsByName[function.name] else {
            functionsByName[function.name] = function
            functionOrder.append(function.name)
            return
        }
        for overload in function.overloads {
            if let index = existing.overloads.firstIndex(where: { $0.id == overload.id }) {
                existing.overloads[index] = overload
            } else {
                existing.overloads.append(overload)
            }
        }
        functionsByName[function.name] = existing
    }

    /// Declares several functions (see `declare(_:)`).
    package mutating func declare(_ functions: [FunctionDecl]) {
        for function in functions { declare(function) }
    }

    /// A copy with more variables and functions, for building environments fluently.
    package func adding(variables: [String: CELType] = [:], functions: [FunctionDecl] = []) -> TypeEnvironment {
        var copy = self
        copy.variables.merge(variables) { _, new in new }
        copy.declare(functions)
        return copy
    }

    /// The function declared under exactly this name.
    package func function(named name: String) -> FunctionDecl? { functionsByName[name] }

    /// The names `name` may refer to from within the container, most specific first:
    /// in container `a.b`, `x` may be `a.b.x`, `a.x` or `x`. A leading `.` names the
    /// root namespace and bypasses the container.
    package func candidateNames(for name: String) -> [String] {
        if name.hasPrefix(".") { return [String(name.dropFirst())] }
        guard !container.isEmpty else { return [name] }
        var candidates: [String] = []
        var prefix = Substring(container)
        while true {
            candidates.append("\(prefix).\(name)")
            guard let dot = prefix.lastIndex(of: ".") else { break }
            prefix = prefix[..<dot]
        }
        candidates.append(name)
        return candidates
    }

    /// The function `name` resolves to from within the container.
    func resolveFunction(_ name: String) -> FunctionDecl? {
        for candidate in candidateNames(for: name) {
            if let function = functionsByName[candidate] { return function }
        }
        return nil
    }
}
