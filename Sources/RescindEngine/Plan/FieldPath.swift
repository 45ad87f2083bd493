import CELCommon
import CELRuntime
import RescindUnsafe

/// A request field reached by slot from a known object type: reading it is a few array
/// loads and identity checks, with no name lookup and no CEL evaluation.
///
/// Each step checks that the object there has the type the path was resolved against,
/// so a request built by hand with other types reads as "absent" rather than as the
/// wrong field; callers then fall back to evaluating CEL, which reports properly.
///
/// A class: shortcuts, formulas and window counts hold and pass paths around on every
/// decision, and a reference is one count to adjust where a struct of a name, steps
/// and a type would be several.
@usableFromInline package final class FieldPath: Sendable, CustomStringConvertible {
    /// The field names from the root, joined (`order.status`).
    @usableFromInline package let description: String
    /// A table, not an array: a read then touches no reference count.
    private let steps: ArenaTable<Step>
    /// Owns `steps`' memory.
    private let arena: PlanArena

    /// The type is kept as an identifier: comparing it costs no reference counting.
    /// The types themselves stay alive in the schema, which lives as long as the policy
    /// set that holds this path.
    private struct Step: Sendable {
        let type: ObjectIdentifier
        let slot: Int
    }

    /// The declared type of the field the path ends at.
    package let type: CELType

    /// Resolves `names` (`["order", "status"]`) from `root`; nil when a step is not a
    /// declared field of an object. Its table goes in `arena` (a plan's, or its own).
    package init?(_ names: [String], from root: ObjectType, in arena: PlanArena = PlanArena(initialBlockSize: 64)) {
        guard !names.isEmpty else { return nil }
        var steps: [Step] = []
        var type = CELType.object(root)
        for name in names {
            guard case .object(let object) = type, let slot = object.slot(of: name) else { return nil }
            steps.append(Step(type: ObjectIdentifier(object), slot: slot))
            type = object.fields[slot].type
        }
        self.steps = arena.table(steps)
        self.arena = arena
        self.type = type
        self.description = names.joined(separator: ".")
    }

    /// The slot of a one-step path resolved against `type`, else nil.
    func directSlot(in type: ObjectType) -> Int? {
        guard steps.count == 1, steps[0].type == ObjectIdentifier(type) else { return nil }
        return steps[0].slot
    }

    /// The field's value, or nil when it (or an object on the way) is absent or not of
    /// the resolved type.
    @inlinable @inline(__always)
    package func read(from root: ObjectValue) -> Value? { read(root) }

    @usableFromInline
    func read(_ root: ObjectValue) -> Value? {
        // Intermediate objects are kept alive by the root, which the caller holds for
        // the whole call: walk them unretained, so a read costs no reference counting
        // but for the value returned.
        var object = UnownedRef(root)
        let steps = self.steps
        let last = steps.count - 1
        // Steps before the last only pass an object on: it is looked at in place and
        // taken unretained, never copied out as a `Value`.
        for index in 0..<last {
            let step = steps[index]
            let next: UnownedRef<ObjectValue>? = object.withObject { object in
                guard ObjectIdentifier(object.type) == step.type else { return nil }
                return object.withFields { fields in
                    guard case .object(let child)? = fields[step.slot] else { return nil }
                    return UnownedRef(child)
                }
            }
            guard let next else { return nil }
            object = next
        }
        let step = steps[last]
        return object.withObject { object in
            guard ObjectIdentifier(object.type) == step.type else { return nil }
            return object.field(step.slot)
        }
    }
}
