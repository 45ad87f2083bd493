/// One signature of a function. `id` is the overload id shared by the checker (which
/// resolves calls to ids) and the runtime (which binds ids to implementations). The
/// standard library uses cel-go's overload ids (e.g. `add_int64`, `size_string`).
package struct OverloadDecl: Sendable, Hashable {
    package var id: String
    /// Called as `target.f(args)` rather than `f(target, args)`; `params[0]` is the target.
    package var isMember: Bool
    package var params: [CELType]
    package var result: CELType
    /// Names of the `.typeParam`s used in `params` and `result`.
    package var typeParams: [String]

    package init(id: String, member: Bool = false, params: [CELType], result: CELType, typeParams: [String] = []) {
        self.id = id
        self.isMember = member
        self.params = params
        self.result = result
        self.typeParams = typeParams
    }
}

/// A function name and all its overloads.
package struct FunctionDecl: Sendable, Hashable {
    package var name: String
    package var overloads: [OverloadDecl]

    package init(name: String, overloads: [OverloadDecl]) {
        self.name = name
        self.overloads = overloads
    }
}
