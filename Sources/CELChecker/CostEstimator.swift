import CELCommon

/// The sizes the cost estimator assumes for values whose size a checked expression does
/// not reveal (variables, fields, function results).
package struct CostAssumptions: Sendable, Hashable {
    /// The largest number of elements of a list.
    package var listSize: UInt64
    /// The largest number of entries of a map.
    package var mapSize: UInt64
    /// The largest length of a string or bytes value.
    package var stringSize: UInt64
    /// Tighter bounds for particular variables or fields, by qualified path (`order.items`).
    package var sizes: [String: UInt64]

    /// Assumptions with the given defaults (1000 elements, entries and characters).
    package init(listSize: UInt64 = 1000, mapSize: UInt64 = 1000, stringSize: UInt64 = 1000, sizes: [String: UInt64] = [:]) {
        self.listSize = listSize
        self.mapSize = mapSize
        self.stringSize = stringSize
        self.sizes = sizes
    }
}

/// A lower and an upper bound of the cost of evaluating an expression, in abstract
/// steps (roughly one per node visited, more for operations that scan strings or
/// collections).
package struct CostEstimate: Sendable, Hashable, CustomStringConvertible {
    package var min: UInt64
    package var max: UInt64

    package init(min: UInt64, max: UInt64) {
        self.min = min
        self.max = max
    }

    package static let zero = CostEstimate(min: 0, max: 0)

    package var description: String { "[\(min), \(max)]" }

    static func + (a: CostEstimate, b: CostEstimate) -> CostEstimate {
        CostEstimate(min: a.min.saturatingAdd(b.min), max: a.max.saturatingAdd(b.max))
    }

    static func + (a: CostEstimate, steps: UInt64) -> CostEstimate {
        CostEstimate(min: a.min.saturatingAdd(steps), max: a.max.saturatingAdd(steps))
    }
}

/// The largest worst-case cost an expression may have, and the size assumptions used to
/// estimate it.
package struct CostLimit: Sendable, Hashable {
    package var maxCost: UInt64
    package var assumptions: CostAssumptions

    package init(maxCost: UInt64, assumptions: CostAssumptions = CostAssumptions()) {
        self.maxCost = maxCost
        self.assumptions = assumptions
    }
}

/// Estimates the cost of evaluating a checked expression without evaluating it.
///
/// The estimate is sound under its assumptions: evaluation never costs more than
/// `max` when no list, map or string exceeds the assumed sizes. Comprehensions cost
/// their range times their body, so nested macros multiply.
package struct CostEstimator: Sendable {
    package var assumptions: CostAssumptions

    package init(assumptions: CostAssumptions = CostAssumptions()) {
        self.assumptions = assumptions
    }

    /// The estimated cost of evaluating `checked`.
    package func estimate(_ checked: CheckedExpr) -> CostEstimate {
        var walk = CostWalk(checked: checked, assumptions: assumptions)
        return walk.cost(checked.expr)
    }

    /// A `cel-cost-limit` issue when the worst-case cost of `checked` exceeds `limit`.
    package func enforce(_ limit: UInt64, on checked: CheckedExpr) -> CELIssue? {
        let worst = estimate(checked).max
        guard worst > limit else { return nil }
        return CheckerMessages.costLimitExceeded(estimate: worst, limit: limit, at: checked.expr.range)
    }
}

/// A bound on the size (length, element or entry count) of a value.
private struct SizeRange {
    var min: UInt64
    var max: UInt64

    static func exactly(_ n: UInt64) -> SizeRange { SizeRange(min: n, max: n) }
    static func upTo(_ n: UInt64) -> SizeRange { SizeRange(min: 0, max: n) }
}

/// One estimation: walks the tree, tracking the sizes of comprehension variables.
private struct CostWalk {
    let checked: CheckedExpr
    let assumptions: CostAssumptions
    /// Sizes of comprehension variables in scope (the accumulator of `map` grows by one
    /// element per iteration, so it is bounded by the range, not the default list size).
    var localSizes: [String: SizeRange] = [:]

    /// Cost of scanning `n` units (characters, elements): a tenth of a step each, as cel-go
    /// counts string and list traversals.
    static func scan(_ n: UInt64) -> UInt64 { n == 0 ? 0 : (n - 1) / 10 + 1 }

    init(checked: CheckedExpr, assumptions: CostAssumptions) {
        self.checked = checked
        self.assumptions = assumptions
    }

    mutating func cost(_ expr: Expr) -> CostEstimate {
        switch expr.kind {
        case .constant:
            return .zero
        case .ident:
            return CostEstimate(min: 1, max: 1)
        case .select(let operand, _, _):
            return cost(operand) + 1
        case .list(let elements):
            return elements.reduce(CostEstimate(min: 10, max: 10)) { $0 + cost($1) }
        case .map(let entries):
            return entries.reduce(CostEstimate(min: 30, max: 30)) { $0 + cost($1.key) + cost($1.value) }
        case .structure(_, let fields):
            return fields.reduce(CostEstimate(min: 40, max: 40)) { $0 + cost($1.value) }
        case .call(let target, let function, let args):
            return callCost(expr, target: target, function: function, args: args)
        case .comprehension(let comprehension):
            return comprehensionCost(comprehension)
        }
    }

    private mutating func callCost(_ expr: Expr, target: Expr?, function: String, args: [Expr]) -> CostEstimate {
        let operands = (target.map { [$0] } ?? []) + args
        switch function {
        case Operator.logicalAnd, Operator.logicalOr:
            // Short-circuits: at least the first operand, at most both.
            let costs = operands.map { cost($0) }
            return CostEstimate(min: costs.first?.min ?? 0, max: costs.reduce(0) { $0.saturatingAdd($1.max) })
        case Operator.conditional where operands.count == 3:
            let condition = cost(operands[0])
            let (whenTrue, whenFalse) = (cost(operands[1]), cost(operands[2]))
            return condition + CostEstimate(min: Swift.min(whenTrue.min, whenFalse.min),
                                            max: Swift.max(whenTrue.max, whenFalse.max))
        default:
            let argumentCost = operands.reduce(CostEstimate.zero) { $0 + cost($1) }
            return argumentCost + CostEstimate(min: 1, max: UInt64(1).saturatingAdd(scanCost(expr, function, operands)))
        }
    }

    /// The extra worst-case cost of calls that traverse their operands.
    private mutating func scanCost(_ call: Expr, _ function: String, _ operands: [Expr]) -> UInt64 {
        var overloads: [String] = []
        if case .function(let ids)? = checked.references[call.id] { overloads = ids }
        switch function {
        case "contains", "startsWith", "endsWith", "string", "bytes":
            return operands.reduce(0) { $0.saturatingAdd(Self.scan(size($1).max)) }
        case "matches":
            // Regular expressions: proportional to the text times the pattern.
            guard operands.count == 2 else { return 0 }
            return Self.scan(size(operands[0]).max.saturatingMultiply(Swift.max(1, size(operands[1]).max)))
        case Operator.add:
            let concatenates = overloads.contains { ["add_string", "add_bytes", "add_list"].contains($0) }
            return concatenates ? Self.scan(operands.reduce(0) { $0.saturatingAdd(size($1).max) }) : 0
        case Operator.equals, Operator.notEquals:
            guard operands.count == 2, operands.allSatisfy({ isSized(type(of: $0)) }) else { return 0 }
            return Self.scan(Swift.min(size(operands[0]).max, size(operands[1]).max))
        case Operator.less, Operator.lessEquals, Operator.greater, Operator.greaterEquals:
            guard operands.count == 2, operands.allSatisfy({ isSized(type(of: $0)) }) else { return 0 }
            return Self.scan(Swift.min(size(operands[0]).max, size(operands[1]).max))
        case Operator.in:
            guard operands.count == 2 else { return 0 }
            if case .map = type(of: operands[1]) { return 0 }
            return size(operands[1]).max
        default:
            return 0
        }
    }

    private mutating func comprehensionCost(_ comprehension: Comprehension) -> CostEstimate {
        let range = cost(comprehension.iterRange)
        let initial = cost(comprehension.accuInit)
        let iterations = size(comprehension.iterRange)

        let saved = localSizes
        localSizes[comprehension.iterVar] = defaultSize(elementType(of: comprehension.iterRange))
        localSizes[comprehension.accuVar] = .upTo(iterations.max)
        let perIteration = cost(comprehension.loopCondition) + cost(comprehension.loopStep)
        localSizes[comprehension.iterVar] = saved[comprehension.iterVar]  // out of scope in the result
        let result = cost(comprehension.result)
        localSizes = saved

        // The loop may stop early (all/exists) unless its condition is the constant `true`.
        let runsToEnd = comprehension.loopCondition.kind == .constant(.bool(true))
        let minIterations = runsToEnd ? iterations.min : 0
        let loop = CostEstimate(min: perIteration.min.saturatingMultiply(minIterations),
                                max: perIteration.max.saturatingMultiply(iterations.max))
        return range + initial + loop + result
    }

    // MARK: - Sizes

    /// Bounds on the size of the value of `expr`.
    private mutating func size(_ expr: Expr) -> SizeRange {
        switch expr.kind {
        case .constant(.string(let text)): return .exactly(UInt64(text.unicodeScalars.count))
        case .constant(.bytes(let bytes)): return .exactly(UInt64(bytes.count))
        case .list(let elements): return .exactly(UInt64(elements.count))
        case .map(let entries): return SizeRange(min: entries.isEmpty ? 0 : 1, max: UInt64(entries.count))
        case .ident(let name):
            if let local = localSizes[name] { return local }
            if case .variable(let variable)? = checked.references[expr.id],
               let declared = assumptions.sizes[variable.hasPrefix(".") ? String(variable.dropFirst()) : variable]
            {
                return .upTo(declared)
            }
        case .select:
            if let path = path(of: expr), let declared = assumptions.sizes[path] { return .upTo(declared) }
        case .call(_, Operator.add, let args) where args.count == 2:
            let (a, b) = (size(args[0]), size(args[1]))
            return SizeRange(min: a.min.saturatingAdd(b.min), max: a.max.saturatingAdd(b.max))
        case .comprehension(let comprehension) where comprehension.macro == "map":
            return size(comprehension.iterRange)
        case .comprehension(let comprehension) where comprehension.macro == "filter":
            return .upTo(size(comprehension.iterRange).max)
        default:
            break
        }
        return defaultSize(type(of: expr))
    }

    /// `order.items` for a select chain rooted at a declared variable.
    private func path(of expr: Expr) -> String? {
        switch expr.kind {
        case .ident(let name) where localSizes[name] == nil:
            return name.hasPrefix(".") ? String(name.dropFirst()) : name
        case .select(let operand, let field, _):
            return path(of: operand).map { "\($0).\(field)" }
        default:
            return nil
        }
    }

    private func defaultSize(_ type: CELType) -> SizeRange {
        switch type {
        case .list: .upTo(assumptions.listSize)
        case .map: .upTo(assumptions.mapSize)
        case .string, .enumString, .bytes: .upTo(assumptions.stringSize)
        // A `dyn` may be any of those: assume the largest.
        case .dyn, .error, .typeParam:
            .upTo(Swift.max(assumptions.listSize, assumptions.mapSize, assumptions.stringSize))
        default: .exactly(1)
        }
    }

    private func isSized(_ type: CELType) -> Bool {
        switch type {
        case .list, .map, .string, .enumString, .bytes, .dyn: true
        default: false
        }
    }

    private func type(of expr: Expr) -> CELType { checked.types[expr.id] ?? .dyn }

    private func elementType(of expr: Expr) -> CELType {
        switch type(of: expr) {
        case .list(let element), .map(let element, _): element
        default: .dyn
        }
    }
}

extension UInt64 {
    fileprivate func saturatingAdd(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    fileprivate func saturatingMultiply(_ other: UInt64) -> UInt64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
