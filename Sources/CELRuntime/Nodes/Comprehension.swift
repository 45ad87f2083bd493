/// A fold over a list's elements or a map's keys (the expansion of `all`, `exists`,
/// `exists_one`, `map` and `filter`). Each iteration is charged its loop body's size
/// against the cost limit, so runaway nesting stops instead of hanging.
final class ComprehensionNode: Node, @unchecked Sendable {
    let iterSlot: Int
    let accuSlot: Int
    let range: Node
    let accuInit: Node
    let condition: Node
    let step: Node
    let result: Node
    let iterationCost: Int

    init(
        id: Int32, iterSlot: Int, accuSlot: Int, range: Node, accuInit: Node, condition: Node,
        step: Node, result: Node, iterationCost: Int
    ) {
        self.iterSlot = iterSlot
        self.accuSlot = accuSlot
        self.range = range
        self.accuInit = accuInit
        self.condition = condition
        self.step = step
        self.result = result
        self.iterationCost = iterationCost
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value {
        let items: [Value]
        switch range.eval(&frame) {
        case .list(let list): items = list
        case .map(let map): items = map.keys
        case .error(let e): return .error(e)
        case let other:
            return fail(EvalError(.noMatchingOverload, "cannot iterate over a value of type '\(other.runtimeType.name)'"))
        }
        // Each comprehension owns its two slots, so no saving is needed; they are
        // cleared afterwards to release what they hold.
        defer {
            frame.locals[iterSlot] = .null
            frame.locals[accuSlot] = .null
        }
        frame.locals[accuSlot] = accuInit.eval(&frame)
        for item in items {
            if !frame.charge(iterationCost) { return .error(frame.abort!) }
            frame.locals[iterSlot] = item
            if case .bool(false) = condition.eval(&frame) { break }
            frame.locals[accuSlot] = step.eval(&frame)
            if let abort = frame.abort { return .error(abort) }
        }
        return result.eval(&frame)
    }
}
