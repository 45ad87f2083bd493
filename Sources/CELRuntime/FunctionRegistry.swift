import CELCommon

/// The implementation of one function overload. Arguments never include errors: the
/// call node propagates an erroneous argument before calling the implementation.
package enum FunctionBody: Sendable {
    case unary(@Sendable (Value) -> Value)
    case binary(@Sendable (Value, Value) -> Value)
    case ternary(@Sendable (Value, Value, Value) -> Value)
    /// Any number of arguments (receiver first for member calls).
    case variadic(@Sendable ([Value]) -> Value)

    /// The fixed number of arguments, or nil for variadic bodies.
    package var arity: Int? {
        switch self {
        case .unary: 1
        case .binary: 2
        case .ternary: 3
        case .variadic: nil
        }
    }

    package func call(_ args: [Value]) -> Value {
        switch self {
        case .unary(let f): f(args[0])
        case .binary(let f): f(args[0], args[1])
        case .ternary(let f): f(args[0], args[1], args[2])
        case .variadic(let f): f(args)
        }
    }
}

/// One overload of a function: an id (as the checker resolves calls to), the kinds of
/// arguments it accepts (nil = any kind), and its body.
@usableFromInline package struct FunctionOverload: Sendable {
    package let id: String
    package let function: String
    /// Called as `target.f(args)`; the target is the first argument.
    package let isMember: Bool
    /// The runtime kind each argument must have, nil for "any". Used to dispatch calls
    /// that the checker did not resolve to a single overload.
    @usableFromInline package let argumentKinds: [ValueKind?]
    package let body: FunctionBody
    /// Whether a call with constant arguments may be evaluated once at plan time: true
    /// for pure functions; false for anything reading the clock or other state.
    package let constantFoldable: Bool

    package init(
        id: String, function: String, member: Bool = false, argumentKinds: [ValueKind?], body: FunctionBody,
        constantFoldable: Bool = false
    ) {
        precondition(body.arity == nil || body.arity == argumentKinds.count, "overload \(id): arity mismatch")
        self.id = id
        self.function = function
        self.isMember = member
        self.argumentKinds = argumentKinds
        self.body = body
        self.constantFoldable = constantFoldable
    }

    /// An overload whose argument kinds come from a declaration's parameter types.
    package init(function: String, declaration: OverloadDecl, body: FunctionBody, constantFoldable: Bool = false) {
        self.init(
            id: declaration.id, function: function, member: declaration.isMember,
            argumentKinds: declaration.params.map { ValueKind($0) }, body: body, constantFoldable: constantFoldable)
    }

    /// Whether runtime arguments have the kinds this overload takes.
    @inlinable
    func accepts(_ a: Value, _ b: Value) -> Bool {
        guard argumentKinds.count == 2 else { return false }
        if let kind = argumentKinds[0], a.kind != kind { return false }
        if let kind = argumentKinds[1], b.kind != kind { return false }
        return true
    }

    package func accepts(_ args: [Value]) -> Bool {
        guard args.count == argumentKinds.count else { return false }
        for (arg, kind) in zip(args, argumentKinds) {
            if let kind, arg.kind != kind { return false }
        }
        return true
    }
}

/// The functions a program may call, by overload id (for checked calls) and by name
/// (for dynamic dispatch on runtime argument kinds). A value type: start from
/// `FunctionRegistry.standard`, add extensions, and hand it to the planner.
package struct FunctionRegistry: Sendable {
    private(set) var byID: [String: FunctionOverload] = [:]
    private(set) var byName: [String: [FunctionOverload]] = [:]
    /// Extra type names that identifiers may denote (e.g. `decimal`), beyond CEL's own.
    package private(set) var typeNames: [String: TypeValue] = [:]

    /// An empty registry (not even the operators' helpers); most callers want `.standard`.
    package init() {}

    /// The CEL standard library, with cel-go's overload ids.
    package static let standard: FunctionRegistry = {
        var registry = FunctionRegistry()
        StandardLibrary.register(into: &registry)
        return registry
    }()

    /// Adds an overload; one with the same id replaces the earlier one.
    package mutating func add(_ overload: FunctionOverload) {
        if let existing = byID[overload.id] {
            byName[existing.function]?.removeAll { $0.id == overload.id }
        }
        byID[overload.id] = overload
        byName[overload.function, default: []].append(overload)
    }

    /// Adds several overloads.
    package mutating func add(_ overloads: [FunctionOverload]) {
        for overload in overloads { add(overload) }
    }

    /// Convenience for the common shapes.
    package mutating func add(
        _ function: String, id: String, member: Bool = false, _ kinds: [ValueKind?], _ body: FunctionBody,
        constantFoldable: Bool = false
    ) {
        add(FunctionOverload(
            id: id, function: function, member: member, argumentKinds: kinds, body: body,
            constantFoldable: constantFoldable))
    }

    /// Declares an identifier that denotes a type value (e.g. `decimal`), so that
    /// `type(x) == decimal` works.
    package mutating func addTypeName(_ name: String) {
        typeNames[name] = TypeValue(name)
    }

    /// The overload with an id.
    package func overload(id: String) -> FunctionOverload? { byID[id] }

    /// All overloads of a function name.
    package func overloads(named name: String) -> [FunctionOverload] { byName[name] ?? [] }

    /// Whether any overload of `name` exists.
    package func hasFunction(_ name: String) -> Bool { !(byName[name]?.isEmpty ?? true) }
}
