/// A list literal with at least one non-constant element.
final class ListNode: Node, @unchecked Sendable {
    let elements: [Node]

    init(id: Int32, _ elements: [Node]) {
        self.elements = elements
        super.init(id: id)
    }

    override var children: [Node] { elements }

    override func eval(_ frame: inout Frame) -> Value {
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            let v = element.eval(&frame)
            if case .error = v { return v }
            values.append(v)
        }
        return .list(values)
    }
}

/// A map literal; keys must be int, uint, bool or string and distinct.
final class MapNode: Node, @unchecked Sendable {
    let keys: [Node]
    let values: [Node]

    init(id: Int32, keys: [Node], values: [Node]) {
        self.keys = keys
        self.values = values
        super.init(id: id)
    }

    override var children: [Node] { keys + values }

    override func eval(_ frame: inout Frame) -> Value {
        var entries: [(key: Value, value: Value)] = []
        entries.reserveCapacity(keys.count)
        for (keyNode, valueNode) in zip(keys, values) {
            let key = keyNode.eval(&frame)
            if case .error = key { return key }
            let value = valueNode.eval(&frame)
            if case .error = value { return value }
            entries.append((key, value))
        }
        do {
            return .map(try MapValue(entries: entries))
        } catch {
            switch error {
            case .unsupportedKeyType(let kind):
                return fail(EvalError(.invalidMapKey, "unsupported key type '\(kind.typeName)' in map literal"))
            case .repeatedKey(let key):
                return fail(EvalError(.repeatedMapKey, "repeated key \(key.celLiteral) in map literal"))
            }
        }
    }
}

/// `accu + [e, …]` inside a comprehension step, where `accu` is the accumulator: the
/// elements are appended in place instead of copying the list every iteration, which
/// turns `map`/`filter` from quadratic into linear time.
final class AppendToAccumulatorNode: Node, @unchecked Sendable {
    let slot: Int
    let elements: [Node]
    /// The generic `accu + [e…]`, for an accumulator that is not a list.
    let fallback: Node

    init(id: Int32, slot: Int, elements: [Node], fallback: Node) {
        self.slot = slot
        self.elements = elements
        self.fallback = fallback
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value {
        guard case .list = frame.locals[slot] else { return fallback.eval(&frame) }
        // Evaluate the new elements first: they may read the accumulator.
        var newElements: [Value] = []
        newElements.reserveCapacity(elements.count)
        for element in elements {
            let v = element.eval(&frame)
            if case .error = v { return v }
            newElements.append(v)
        }
        guard case .list(var list) = frame.locals[slot] else { return fallback.eval(&frame) }
        frame.locals[slot] = .null  // drop the slot's reference so `list` is unique
        list.append(contentsOf: newElements)
        if list.count > frame.maxListSize { return frame.listTooLarge() }
        let result = Value.list(list)
        frame.locals[slot] = result
        return result
    }
}
