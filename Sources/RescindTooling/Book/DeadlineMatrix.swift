import CELCommon
import RescindEngine

/// The refund deadline cases by payment method, worked out from the compiled plan: when
/// `applies_when` and every case's `when` are enum tests only (`Shortcut.enumTests`), every
/// combination of the tested enum values is tried, the first case that holds is taken
/// (as deciding does), and each method gets the case most combinations reach and the
/// earlier cases that some reach instead. Nil when a condition is not enum tests alone,
/// the method is not tested, or a method's other cases do not all come before its
/// usual one (the table could then not be read as "usually N, else M when …").
struct DeadlineMatrix {
    struct Column {
        /// The index of the case most combinations reach.
        let usual: Int
        /// Earlier cases some combinations reach, in case order.
        let exceptions: [Int]
    }

    struct Method {
        let value: String
        let initiate: Column
        let expect: Column
    }

    /// The method field's enum name, for the glossary.
    let enumeration: String
    let methods: [Method]

    /// The most combinations tried.
    static let maxCombinations = 100_000

    init?(refunds: RefundPolicy, method path: String) {
        var fields: [String: [String]] = [:]
        let conditions = [refunds.appliesWhen] + refunds.initiateWithin.map(\.when) + refunds.expectWithin.map(\.when)
        for condition in conditions.compactMap({ $0 }) {
            guard Self.collect(condition, into: &fields) else { return nil }
        }
        guard let methodValues = fields[path], let enumeration = Self.enumName(path, in: conditions) else { return nil }
        let names = fields.keys.sorted()
        let total = names.reduce(1) { $0 * max(1, fields[$1]!.count) }
        guard total <= Self.maxCombinations else { return nil }
        // Per method value: how many combinations reach each case.
        var initiateCounts: [String: [Int: Int]] = [:], expectCounts: [String: [Int: Int]] = [:]
        for number in 0..<total {
            var combination: [String: Int] = [:]
            var rest = number
            for name in names {
                let count = fields[name]!.count
                combination[name] = rest % count
                rest /= count
            }
            guard Self.holds(refunds.appliesWhen, combination) == true else { continue }
            let method = methodValues[combination[path]!]
            guard let initiate = refunds.initiateWithin.firstIndex(where: { Self.holds($0.when, combination) == true }),
                let expect = refunds.expectWithin.firstIndex(where: { Self.holds($0.when, combination) == true })
            else { continue }
            initiateCounts[method, default: [:]][initiate, default: 0] += 1
            expectCounts[method, default: [:]][expect, default: 0] += 1
        }
        func column(_ counts: [Int: Int]) -> Column? {
            guard let usual = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key
            else { return nil }
            let exceptions = counts.keys.filter { $0 != usual }.sorted()
            guard exceptions.allSatisfy({ $0 < usual }) else { return nil }
            return Column(usual: usual, exceptions: exceptions)
        }
        var methods: [Method] = []
        for value in methodValues {
            guard let initiate = initiateCounts[value], let expect = expectCounts[value] else { continue }
            guard let first = column(initiate), let second = column(expect) else { return nil }
            methods.append(Method(value: value, initiate: first, expect: second))
        }
        guard !methods.isEmpty else { return nil }
        self.enumeration = enumeration
        self.methods = methods
    }

    /// The name of the enum a tested field holds (`payment_method`).
    private static func enumName(_ path: String, in conditions: [Condition?]) -> String? {
        func find(_ condition: Condition) -> String? {
            switch condition {
            case .expression(let expression):
                guard case .enumTests(let tests) = expression.shortcut else { return nil }
                for test in tests where test.field.path.description == path {
                    if case .enumString(let enumeration) = test.field.path.type { return enumeration.name }
                }
                return nil
            case .all(let items), .any(let items): return items.lazy.compactMap(find).first
            case .not(let inner): return find(inner)
            }
        }
        return conditions.lazy.compactMap { $0.flatMap(find) }.first
    }

    /// Records the enum fields a condition tests; false when some part is not an enum test.
    private static func collect(_ condition: Condition, into fields: inout [String: [String]]) -> Bool {
        switch condition {
        case .expression(let expression):
            guard case .enumTests(let tests) = expression.shortcut else { return false }
            for test in tests { fields[test.field.path.description] = test.field.values }
            return true
        case .all(let items), .any(let items):
            return items.allSatisfy { collect($0, into: &fields) }
        case .not(let inner):
            return collect(inner, into: &fields)
        }
    }

    /// Whether a condition holds for a combination (field path → ordinal); a missing
    /// condition holds.
    private static func holds(_ condition: Condition?, _ combination: [String: Int]) -> Bool? {
        guard let condition else { return true }
        switch condition {
        case .expression(let expression):
            guard case .enumTests(let tests) = expression.shortcut else { return nil }
            for test in tests {
                guard let ordinal = combination[test.field.path.description] else { return nil }
                if test.accepted & (1 << UInt64(ordinal)) == 0 { return false }
            }
            return true
        case .all(let items):
            for item in items {
                guard let value = holds(item, combination) else { return nil }
                if !value { return false }
            }
            return true
        case .any(let items):
            for item in items {
                guard let value = holds(item, combination) else { return nil }
                if value { return true }
            }
            return false
        case .not(let inner):
            return holds(inner, combination).map { !$0 }
        }
    }
}
