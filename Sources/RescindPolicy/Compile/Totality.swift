import CEL
import CELCommon
import CELParser
import RescindDiagnostics
import RescindEngine

/// Proves that a refund case table (`initiate_within`, `expect_within`) has a case for
/// every request its refunds apply to, as far as enum values decide it.
///
/// The conditions are read as formulas over enum tests (`order.payment_method ==
/// "card"`, `order.status in [...]`, their negations, `&&`, `||`, `!`, `all:`, `any:`,
/// `not:`); anything else is unknown. For every combination of the values of the enum
/// fields the table and `applies_when` test (the product is bounded), either
/// `applies_when` surely fails (no refund is due) or some case surely holds; otherwise
/// the table has a gap. Unknown conditions are read conservatively: a case that holds
/// only "maybe" covers nothing, an `applies_when` that holds "maybe" needs a case. A
/// case without `when` covers everything.
struct Totality {
    let shortcuts: ShortcutFinder

    /// The most combinations tried; a table testing more is not checked.
    static let maxCombinations = 100_000
    /// The most gaps reported per table.
    static let maxReported = 3

    /// A condition read as a formula over enum tests.
    indirect enum Formula {
        case test(path: String, passing: Set<String>)
        case constant(Bool)
        case unknown
        case and([Formula])
        case or([Formula])
        case not(Formula)
    }

    /// The diagnostics for one table, located at `span` (the table's key).
    func check(
        table: String, cases: [ConditionModel?], appliesWhen: ConditionModel?, at span: SourceSpan
    ) -> [Diagnostic] {
        var enums: [String: [String]] = [:]
        let applies = appliesWhen.map { formula($0, &enums) } ?? .constant(true)
        let formulas = cases.map { $0.map { formula($0, &enums) } ?? .constant(true) }
        let fields = enums.keys.sorted()
        var combinations = 1
        for field in fields {
            combinations *= max(enums[field]!.count, 1)
            if combinations > Self.maxCombinations { return [] }
        }

        // Every combination the refunds apply to (or may), and those no case surely covers.
        var applicable: [[Int]] = []
        var gaps: [[Int]] = []
        var ordinals = Array(repeating: 0, count: fields.count)
        for _ in 0..<combinations {
            let assignment = Dictionary(uniqueKeysWithValues: fields.indices.map { (fields[$0], enums[fields[$0]]![ordinals[$0]]) })
            if evaluate(applies, assignment) != false {
                applicable.append(ordinals)
                if !formulas.contains(where: { evaluate($0, assignment) == true }) { gaps.append(ordinals) }
            }
            // Next combination, the last field fastest.
            var position = fields.count - 1
            while position >= 0 {
                ordinals[position] += 1
                if ordinals[position] < enums[fields[position]]!.count { break }
                ordinals[position] = 0
                position -= 1
            }
        }
        guard !gaps.isEmpty else { return [] }
        guard !fields.isEmpty else {
            return [PolicyMessages.noRefundFallback(table, at: span)]
        }

        // Name the value most to blame for each gap: the one whose combinations are most
        // often uncovered (`credit_installment`, not the `changed_mind` it was tried with).
        var diagnostics: [Diagnostic] = []
        while !gaps.isEmpty && diagnostics.count < Self.maxReported {
            var best: (field: Int, value: Int, share: Double, count: Int)?
            for field in fields.indices {
                for value in enums[fields[field]]!.indices {
                    let uncovered = gaps.count(where: { $0[field] == value })
                    guard uncovered > 0 else { continue }
                    let share = Double(uncovered) / Double(applicable.count(where: { $0[field] == value }))
                    if best == nil || share > best!.share || (share == best!.share && uncovered > best!.count) {
                        best = (field, value, share, uncovered)
                    }
                }
            }
            guard let best else { break }
            let name = fields[best.field]
            let value = enums[name]![best.value]
            // When only some combinations with the value lack a case, show one.
            var example: [(String, String)] = []
            if best.share < 1, let first = gaps.first(where: { $0[best.field] == best.value }) {
                example = fields.indices.filter { $0 != best.field }.map { (fields[$0], enums[fields[$0]]![first[$0]]) }
            }
            diagnostics.append(PolicyMessages.noRefundCase(table, field: name, value: value, example: example, at: span))
            gaps.removeAll { $0[best.field] == best.value }
        }
        return diagnostics
    }

    /// Three-valued: nil when unknown.
    private func evaluate(_ formula: Formula, _ assignment: [String: String]) -> Bool? {
        switch formula {
        case .test(let path, let passing): return assignment[path].map { passing.contains($0) }
        case .constant(let value): return value
        case .unknown: return nil
        case .and(let items):
            var result: Bool? = true
            for item in items {
                switch evaluate(item, assignment) {
                case false?: return false
                case nil: result = nil
                default: break
                }
            }
            return result
        case .or(let items):
            var result: Bool? = false
            for item in items {
                switch evaluate(item, assignment) {
                case true?: return true
                case nil: result = nil
                default: break
                }
            }
            return result
        case .not(let inner): return evaluate(inner, assignment).map { !$0 }
        }
    }

    private func formula(_ condition: ConditionModel, _ enums: inout [String: [String]]) -> Formula {
        switch condition {
        case .expression(let text):
            guard let parsed = CELParser().parse(text.source).0 else { return .unknown }
            return formula(parsed.expr, &enums)
        case .all(let items, _): return .and(items.map { formula($0, &enums) })
        case .any(let items, _): return .or(items.map { formula($0, &enums) })
        case .not(let inner, _): return .not(formula(inner, &enums))
        }
    }

    private func formula(_ expr: Expr, _ enums: inout [String: [String]]) -> Formula {
        let recognizer = EnumTestRecognizer(enumType: shortcuts.requestEnumType)
        if let test = recognizer.test(expr), let field = shortcuts.requestField(test.path) {
            enums[field.description] = test.enumeration.values
            return .test(path: field.description, passing: test.passing)
        }
        switch expr.kind {
        case .constant(.bool(let value)): return .constant(value)
        case .call(nil, Operator.logicalAnd, let args): return .and(args.map { formula($0, &enums) })
        case .call(nil, Operator.logicalOr, let args): return .or(args.map { formula($0, &enums) })
        case .call(nil, Operator.logicalNot, let args) where args.count == 1: return .not(formula(args[0], &enums))
        default: return .unknown
        }
    }
}
