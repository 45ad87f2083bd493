import CELCommon
import CELRuntime

/// The shape of a cancellation request, as the policy set's `schema` declares it:
/// the root object type (each top-level field a CEL variable), the enums, and the
/// values absent optional fields take. Built once by the policy compiler; immutable.
package struct RequestSchema: Sendable {
    /// The request object. Nested objects are `.object` fields with their own types.
    package let root: ObjectType
    /// Enums by name, for messages and validation.
    package let enums: [String: StringEnum]
    /// Explicit defaults: object type name → field slot → value used when the field is
    /// absent. Optional fields without one are zero-filled (see `docs/policy-language.md`).
    package let defaults: [String: [Int: Value]]
    /// Range constraints: object type name → field slot → the inclusive bounds a value
    /// the request carries must lie within (`minimum` / `maximum` in the schema).
    package let bounds: [String: [Int: FieldBounds]]

    package init(
        root: ObjectType, enums: [String: StringEnum] = [:], defaults: [String: [Int: Value]] = [:],
        bounds: [String: [Int: FieldBounds]] = [:]
    ) {
        self.root = root
        self.enums = enums
        self.defaults = defaults
        self.bounds = bounds
    }
}

/// The inclusive range of an `int`, `decimal` or `timestamp` field. Each bound is nil
/// (unbounded) or a value of the field's own type: `.int`, `.decimal` or `.timestamp`;
/// a bound of another type is ignored by the decoder.
package struct FieldBounds: Sendable, Equatable {
    /// The smallest value allowed (inclusive), or nil for no lower bound.
    package var minimum: Value?
    /// The largest value allowed (inclusive), or nil for no upper bound.
    package var maximum: Value?

    /// A range from its bounds, each of the field's own type.
    package init(minimum: Value? = nil, maximum: Value? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Whether `value` lies within the bounds (both inclusive). Values of a kind the
    /// bounds do not constrain, and values compared with a bound of another kind, pass.
    package func contains(_ value: Value) -> Bool {
        if let minimum, FieldBounds.isLess(value, than: minimum) { return false }
        if let maximum, FieldBounds.isLess(maximum, than: value) { return false }
        return true
    }

    /// `a < b` for two ints, decimals or timestamps; false for any other pair.
    package static func isLess(_ a: Value, than b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): x < y
        case (.decimal(let x), .decimal(let y)): x < y
        case (.timestamp(let x), .timestamp(let y)): x < y
        default: false
        }
    }
}

extension FieldBounds {
    /// "from `0` to `10000000`", "at least `0`", "at most `2100-01-01T00:00:00Z`": the
    /// range as messages name it.
    package var text: String {
        switch (minimum, maximum) {
        case (let minimum?, let maximum?): "from `\(Self.text(of: minimum))` to `\(Self.text(of: maximum))`"
        case (let minimum?, nil): "at least `\(Self.text(of: minimum))`"
        case (nil, let maximum?): "at most `\(Self.text(of: maximum))`"
        case (nil, nil): "unbounded"
        }
    }

    /// `text` in Chinese: "`0` 到 `100`", "不小于 `0`".
    package var chineseText: String {
        switch (minimum, maximum) {
        case (let minimum?, let maximum?): "`\(Self.text(of: minimum))` 到 `\(Self.text(of: maximum))`"
        case (let minimum?, nil): "不小于 `\(Self.text(of: minimum))`"
        case (nil, let maximum?): "不大于 `\(Self.text(of: maximum))`"
        case (nil, nil): "不限"
        }
    }

    /// A bound as a request would write it: `0`, `10000000.5`, `2000-01-01T00:00:00Z`.
    static func text(of value: Value) -> String {
        switch value {
        case .int(let int): String(int)
        case .decimal(let decimal): decimal.description
        case .timestamp(let timestamp): timestamp.rfc3339
        default: value.description
        }
    }
}
