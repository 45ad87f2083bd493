/// One signature of a function. `id` is the overload id shared by the checker (which
/// resolves calls to ids) and the runtime (which binds ids to implementations). The
/// standard library uses cel-go's overload ids (e.g. `add_int64`, `size_string`).
public struct OverloadDecl: Sendable, Hashable {
    public var id: String
    /// Called as `target.f(args)` rather than `f(target, args)`; `params[0]` is the target.
    public var isMember: Bool
    public var params: [CELType]
    public var result: CELType
    /// Names of the `.typeParam`s used in `params` and `result`.
    public var typeParams: [String]

    public init(id: String, member: Bool = false, params: [CELType], result: CELType, typeParams: [String] = []) {
        self.id = id
        self.isMember = member
        self.params = params
        self.result = result
        self.typeParams = typeParams
    }
}

/// A function name and all its overloads.
public struct FunctionDecl: Sendable, Hashable {
    public var name: String
    public var overloads: [OverloadDecl]

    public init(name: String, overloads: [OverloadDecl]) {
        self.name = name
        self.overloads = overloads
    }
}
