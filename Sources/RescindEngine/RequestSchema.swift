public import CELCommon
public import CELRuntime

/// The shape of a cancellation request, as the policy set's `schema` declares it:
/// the root object type (each top-level field a CEL variable), the enums, and the
/// values absent optional fields take. Built once by the policy compiler; immutable.
public struct RequestSchema: Sendable {
    /// The request object. Nested objects are `.object` fields with their own types.
    public let root: ObjectType
    /// Enums by name, for messages and validation.
    public let enums: [String: StringEnum]
    /// Explicit defaults: object type name → field slot → value used when the field is
    /// absent. Optional fields without one are zero-filled (see `docs/policy-language.md`).
    public let defaults: [String: [Int: Value]]

    public init(root: ObjectType, enums: [String: StringEnum] = [:], defaults: [String: [Int: Value]] = [:]) {
        self.root = root
        self.enums = enums
        self.defaults = defaults
    }
}
