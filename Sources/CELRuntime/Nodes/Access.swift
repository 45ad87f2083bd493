import CELCommon

/// Reads a variable from the activation by slot.
final class GlobalNode: Node, @unchecked Sendable {
    let slot: Int

    init(id: Int32, slot: Int) {
        self.slot = slot
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value { frame.globals[slot] }
}

/// Reads a comprehension variable by local slot.
final class LocalNode: Node, @unchecked Sendable {
    let slot: Int

    init(id: Int32, slot: Int) {
        self.slot = slot
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value { frame.locals[slot] }
}

/// A dotted name that could not be resolved at plan time (unchecked programs): tries
/// each candidate variable, longest name first, and selects the remaining fields from
/// the first one that is bound. Falls back to a type name (e.g.
/// `google.protobuf.Timestamp`) and otherwise reports an undeclared reference.
final class ResolvingNameNode: Node, @unchecked Sendable {
    struct Candidate {
        let slot: Int
        let fields: [String]
    }

    let candidates: [Candidate]
    let fallback: Value

    init(id: Int32, candidates: [Candidate], fallback: Value) {
        self.candidates = candidates
        self.fallback = fallback
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value {
        for candidate in candidates where Activation.isBound(frame.globals[candidate.slot]) {
            var value = frame.globals[candidate.slot]
            for field in candidate.fields {
                value = SelectNode.select(value, field)
                if case .error = value { return locate(value) }
            }
            return value
        }
        return locate(fallback)
    }
}

/// `operand.field` on a map (by string key) or an object (by field name).
final class SelectNode: Node, @unchecked Sendable {
    let operand: Node
    let field: String

    init(id: Int32, operand: Node, field: String) {
        self.operand = operand
        self.field = field
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        locate(SelectNode.select(operand.eval(&frame), field))
    }

    static func select(_ value: Value, _ field: String) -> Value {
        switch value {
        case .map(let map):
            return map[string: field] ?? .error(EvalError(.noSuchKey, "no such key: `\(field)`"))
        case .object(let object):
            guard let slot = object.type.slot(of: field) else {
                return .error(EvalError(.noSuchField, "no such field `\(field)` in `\(object.type.name)`"))
            }
            return object.fields[slot] ?? .error(EvalError(.noSuchKey, "no such key: `\(field)` (the field is absent)"))
        case .error:
            return value
        default:
            return .error(EvalError(
                .unsupportedFieldSelection, "type '\(value.runtimeType.name)' does not support field selection"))
        }
    }
}

/// `operand.field` where the checker proved the operand is an object of a known type:
/// the field is read by slot. A value of another type (possible through `dyn`) takes
/// the generic path.
final class ObjectFieldNode: Node, @unchecked Sendable {
    let operand: Node
    let type: ObjectType
    let slot: Int
    let field: String

    init(id: Int32, operand: Node, type: ObjectType, slot: Int, field: String) {
        self.operand = operand
        self.type = type
        self.slot = slot
        self.field = field
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        let value = operand.eval(&frame)
        if case .object(let object) = value, object.type === type {
            if let field = object.fields[slot] { return field }
            return fail(EvalError(.noSuchKey, "no such key: `\(field)` (the field is absent)"))
        }
        return locate(SelectNode.select(value, field))
    }
}

/// `variable.field` where the variable is declared as an object type: reads the field
/// straight out of the activation slot, without copying the object value.
final class VariableObjectFieldNode: Node, @unchecked Sendable {
    let variableSlot: Int
    let type: ObjectType
    let slot: Int
    let field: String

    init(id: Int32, variableSlot: Int, type: ObjectType, slot: Int, field: String) {
        self.variableSlot = variableSlot
        self.type = type
        self.slot = slot
        self.field = field
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value {
        switch frame.globals[variableSlot] {
        case .object(let object) where object.type === type:
            if let field = object.fields[slot] { return field }
            return fail(EvalError(.noSuchKey, "no such key: `\(field)` (the field is absent)"))
        case let value:
            return locate(SelectNode.select(value, field))
        }
    }
}

/// `has(operand.field)`: key presence on maps, field presence on objects.
final class HasFieldNode: Node, @unchecked Sendable {
    let operand: Node
    let field: String

    init(id: Int32, operand: Node, field: String) {
        self.operand = operand
        self.field = field
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        let value = operand.eval(&frame)
        switch value {
        case .map(let map): return .bool(map[string: field] != nil)
        case .object(let object):
            guard let slot = object.type.slot(of: field) else {
                return fail(EvalError(.noSuchField, "no such field `\(field)` in `\(object.type.name)`"))
            }
            return .bool(object.fields[slot] != nil)
        case .error: return value
        default:
            return fail(EvalError(
                .unsupportedFieldSelection, "type '\(value.runtimeType.name)' does not support field selection"))
        }
    }
}

/// `operand[index]` on lists (int, uint or integral double index) and maps.
final class IndexNode: Node, @unchecked Sendable {
    let operand: Node
    let index: Node

    init(id: Int32, operand: Node, index: Node) {
        self.operand = operand
        self.index = index
        super.init(id: id)
    }

    override var children: [Node] { [operand, index] }

    override func eval(_ frame: inout Frame) -> Value {
        let container = operand.eval(&frame)
        if case .error = container { return container }
        let key = index.eval(&frame)
        if case .error = key { return key }
        return locate(IndexNode.index(container, key))
    }

    static func index(_ container: Value, _ key: Value) -> Value {
        switch container {
        case .list(let list):
            let position: Int64
            switch key {
            case .int(let i): position = i
            case .uint(let u): position = u > UInt64(Int64.max) ? -1 : Int64(u)
            case .double(let d):
                guard d == d.rounded(.towardZero), d > -9.2e18, d < 9.2e18 else {
                    return .fail(.invalidArgument, "invalid list index \(doubleLiteral(d)): not an integer")
                }
                position = Int64(d)
            default: return .error(.noMatchingOverload("_[_]", container, key))
            }
            guard position >= 0, position < list.count else {
                return .fail(.indexOutOfBounds, "index out of bounds: \(position) (list size \(list.count))")
            }
            return list[Int(position)]
        case .map(let map):
            return map[key] ?? .error(.noSuchKey(key))
        default:
            return .error(.noMatchingOverload("_[_]", container, key))
        }
    }
}
