public import CELCommon
public import CELRuntime

/// A request field reached by slot from a known object type: reading it is a few array
/// loads and identity checks, with no name lookup and no CEL evaluation.
///
/// Each step checks that the object there has the type the path was resolved against,
/// so a request built by hand with other types reads as "absent" rather than as the
/// wrong field; callers then fall back to evaluating CEL, which reports properly.
public struct FieldPath: Sendable, CustomStringConvertible {
    /// The field names from the root, joined (`order.status`).
    public let description: String
    private let steps: [Step]

    /// The type is kept as an identifier: comparing it costs no reference counting.
    /// The types themselves stay alive in the schema, which lives as long as the policy
    /// set that holds this path.
    private struct Step: Sendable {
        let type: ObjectIdentifier
        let slot: Int
    }

    /// The declared type of the field the path ends at.
    public let type: CELType

    /// Resolves `names` (`["order", "status"]`) from `root`; nil when a step is not a
    /// declared field of an object.
    public init?(_ names: [String], from root: ObjectType) {
        guard !names.isEmpty else { return nil }
        var steps: [Step] = []
        var type = CELType.object(root)
        for name in names {
            guard case .object(let object) = type, let slot = object.slot(of: name) else { return nil }
            steps.append(Step(type: ObjectIdentifier(object), slot: slot))
            type = object.fields[slot].type
        }
        self.steps = steps
        self.type = type
        self.description = names.joined(separator: ".")
    }

    /// The field's value, or nil when it (or an object on the way) is absent or not of
    /// the resolved type.
    @inlinable @inline(__always)
    public func read(from root: ObjectValue) -> Value? { read(root) }

    @usableFromInline
    func read(_ root: ObjectValue) -> Value? {
        var object = root
        var index = 0
        while true {
            let step = steps[index]
            guard ObjectIdentifier(object.type) == step.type, let value = object.fields[step.slot] else { return nil }
            index += 1
            if index == steps.count { return value }
            guard case .object(let next) = value else { return nil }
            object = next
        }
    }
}
