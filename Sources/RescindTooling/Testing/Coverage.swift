import CEL
import CELRuntime
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// What a test run exercised of a policy set: which rules matched, which tiers were
/// reached, which obligations and refund cases were produced, and for every boundary
/// (a comparison in a condition, a tier's `at_least`, a threshold's window) whether
/// some case fell on each side of it and some case sat exactly on it.
package struct CoverageReport: Sendable {
    /// A case, as coverage names it.
    package struct CaseReference: Sendable, Hashable {
        /// The test file.
        package let file: String
        /// The case's name (a table row's includes its values).
        package let name: String
    }

    /// The kinds of item counted.
    package enum Kind: String, Sendable, CaseIterable {
        case rule
        case tier
        case obligation
        case refundCase = "refund_case"
        case boundary

        /// The kind's key in the JSON report's `kinds`.
        package var key: String {
            switch self {
            case .rule: "rules"
            case .tier: "tiers"
            case .obligation: "obligations"
            case .refundCase: "refund_cases"
            case .boundary: "boundary_sides"
            }
        }

        /// The kind's name in a summary, plural.
        package var plural: String {
            switch self {
            case .rule: "rules"
            case .tier: "tiers"
            case .obligation: "obligations"
            case .refundCase: "refund cases"
            case .boundary: "boundary sides"
            }
        }
    }

    /// A rule, tier, obligation template or refund case, and the first case that exercised it.
    package struct Item: Sendable {
        /// What it is.
        package let kind: Kind
        /// Stable across runs: `rule:buyer-before-shipment`, `obligation:abuse-block#0`, …
        package let id: String
        /// For people: "rule `buyer-before-shipment`".
        package let title: String
        /// Where the policy writes it.
        package let location: SourceReference
        /// The first case that exercised it; nil when none did.
        package let coveredBy: CaseReference?
    }

    /// One side of a boundary.
    package struct Side: Sendable {
        /// `true`, `false` or `equal` for a comparison; `inside`, `outside` or `edge` for a window.
        package let name: String
        /// What it takes, in words: "where it fails", "with an item exactly 720h old".
        package let meaning: String
        /// The first case on this side; nil when none was.
        package let coveredBy: CaseReference?
    }

    /// A comparison with its sides.
    package struct BoundaryCoverage: Sendable {
        /// Stable across runs: `rule:system-payment-timeout:1`, `tier:abuse-warn`, `window:repeat-canceller`.
        package let id: String
        /// What it belongs to: "rule `system-payment-timeout`".
        package let owner: String
        /// The comparison as written, or as the threshold implies it (`count >= 3`, `window 720h`).
        package let expression: String
        /// For people: "`seller_stats.orders_30d > 0` of rule `seller-stockout-rate`".
        package let title: String
        /// Where the comparison (or the tier, or the threshold) is written.
        package let location: SourceReference
        /// Holds, fails and equal (for a window: inside, outside and edge).
        package let sides: [Side]
    }

    /// Rules, tiers, obligations and refund cases, in policy order.
    package let items: [Item]
    /// Boundaries in policy order.
    package let boundaries: [BoundaryCoverage]

    /// Items plus boundary sides.
    package var total: Int { items.count + boundaries.reduce(0) { $0 + $1.sides.count } }

    /// Covered items plus covered boundary sides.
    package var covered: Int {
        items.filter { $0.coveredBy != nil }.count
            + boundaries.reduce(0) { $0 + $1.sides.filter { $0.coveredBy != nil }.count }
    }

    /// Covered and total, by kind (boundaries by side).
    package func count(_ kind: Kind) -> (covered: Int, total: Int) {
        guard kind == .boundary else {
            let ofKind = items.filter { $0.kind == kind }
            return (ofKind.filter { $0.coveredBy != nil }.count, ofKind.count)
        }
        let sides = boundaries.flatMap(\.sides)
        return (sides.filter { $0.coveredBy != nil }.count, sides.count)
    }

    /// The percentage covered, rounded down to a tenth so that "100.0" means everything:
    /// `98.4`. An empty policy set is fully covered.
    package var percentText: String {
        guard total > 0 else { return "100.0" }
        let tenths = covered * 1000 / total
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Whether the coverage is at least `minimum` percent (compared exactly).
    package func meets(_ minimum: Double) -> Bool {
        total == 0 || Double(covered) * 100 >= minimum * Double(total)
    }
}

/// Collects coverage case by case. Boundaries are observed with a traced evaluation of
/// the conditions the decision evaluated, in the order it evaluated them (`all` stops
/// at the first false, `any` at the first true, thresholds only when they apply,
/// refunds only for an allow), so a side counts only where the decision reached it.
struct CoverageRecorder {
    let policySet: PolicySet
    /// Item id → the first case that exercised it.
    private var hits: [String: CoverageReport.CaseReference] = [:]
    /// Boundary side id (`id#side`) → the first case on that side.
    private var sides: [String: CoverageReport.CaseReference] = [:]
    /// Where each compiled condition's boundaries are reported.
    private let boundaryIDs: [ObjectIdentifier: String]

    init(policySet: PolicySet) {
        self.policySet = policySet
        var ids: [ObjectIdentifier: String] = [:]
        for site in Self.conditionSites(of: policySet) {
            for (expression, id) in site.leaves { ids[ObjectIdentifier(expression)] = id }
        }
        boundaryIDs = ids
    }

    mutating func record(_ testCase: PolicyTestCase, _ decision: Decision) {
        let reference = CoverageReport.CaseReference(file: testCase.file, name: testCase.name)
        let request = testCase.request
        let matched = Set(decision.matchedRules)
        for rule in policySet.rules {
            _ = walk(rule.condition, request, reference)
            if matched.contains(rule.id) { hit("rule:\(rule.id)", reference) }
        }
        for threshold in policySet.thresholds {
            for tier in threshold.tiers where matched.contains(tier.id) { hit("tier:\(tier.id)", reference) }
            let suspended = policySet.rules.contains { matched.contains($0.id) && $0.suspends.contains(threshold.id) }
            if suspended { continue }
            if let applies = threshold.appliesWhen, !walk(applies, request, reference) { continue }
            guard case .int(let count) = policySet.trace(threshold.count, for: request).value else { continue }
            for tier in threshold.tiers {
                observe("tier:\(tier.id)", holds: count >= tier.atLeast, equal: count == tier.atLeast, reference)
            }
            guard let timestamps = threshold.countedTimestamps,
                case .list(let values) = policySet.trace(timestamps, for: request).value,
                case .timestamp(let at)? = request["at"], let negated = threshold.window.negated,
                let start = at.adding(negated)
            else { continue }
            for case .timestamp(let time) in values where time <= at {
                observe("window:\(threshold.id)", holds: time > start, equal: time == start, reference, sides: Self.windowSides)
            }
        }
        if decision.effect == .allow, let refunds = policySet.refunds,
            refunds.appliesWhen.map({ walk($0, request, reference) }) ?? true
        {
            let fee = refunds.fee.firstIndex { $0.when.map { walk($0, request, reference) } ?? true }
            hit(fee.map { "refund:fee#\($0)" } ?? "refund:fee-none", reference)
            let initiate = refunds.initiateWithin.firstIndex { $0.when.map { walk($0, request, reference) } ?? true }
            if let initiate { hit("refund:initiate#\(initiate)", reference) }
            let expect = refunds.expectWithin.firstIndex { $0.when.map { walk($0, request, reference) } ?? true }
            if let expect { hit("refund:expect#\(expect)", reference) }
        }
        // A rule's obligations appear in the order written, so the nth from a source is its nth template.
        var seen: [String: Int] = [:]
        for obligation in decision.obligations {
            if obligation.source == "refunds" && obligation.type == "refund" {
                hit("refund:obligation", reference)
                continue
            }
            let index = seen[obligation.source, default: 0]
            seen[obligation.source] = index + 1
            hit("obligation:\(obligation.source)#\(index)", reference)
        }
    }

    /// Whether a condition holds, evaluated as a decision evaluates it (an error does
    /// not hold), observing the boundaries of every expression it reaches.
    private mutating func walk(_ condition: Condition, _ request: ObjectValue, _ reference: CoverageReport.CaseReference) -> Bool {
        switch condition {
        case .expression(let expression):
            let (value, trace) = policySet.trace(expression, for: request)
            if let id = boundaryIDs[ObjectIdentifier(expression)] {
                for (index, boundary) in expression.boundaries.enumerated() {
                    guard case .bool(let holds)? = trace[boundary.id] else { continue }
                    var equal = false
                    if let left = trace[boundary.left], let right = trace[boundary.right] { equal = celEquals(left, right) }
                    observe("\(id):\(index)", holds: holds, equal: equal, reference)
                }
            }
            if case .bool(let holds) = value { return holds }
            return false
        case .all(let conditions):
            for condition in conditions where !walk(condition, request, reference) { return false }
            return true
        case .any(let conditions):
            for condition in conditions where walk(condition, request, reference) { return true }
            return false
        case .not(let inner):
            return !walk(inner, request, reference)
        }
    }

    private mutating func hit(_ id: String, _ reference: CoverageReport.CaseReference) {
        if hits[id] == nil { hits[id] = reference }
    }

    /// The names of a comparison's sides: holds, fails, both sides equal.
    private static let comparisonSides = (holds: "true", fails: "false", equal: "equal")
    /// A window's: an item inside it, outside it, exactly on its edge.
    private static let windowSides = (holds: "inside", fails: "outside", equal: "edge")

    private mutating func observe(
        _ id: String, holds: Bool, equal: Bool, _ reference: CoverageReport.CaseReference,
        sides names: (holds: String, fails: String, equal: String) = comparisonSides
    ) {
        for side in [holds ? names.holds : names.fails] + (equal ? [names.equal] : []) where sides["\(id)#\(side)"] == nil {
            sides["\(id)#\(side)"] = reference
        }
    }

    // MARK: - The report

    func report() -> CoverageReport {
        CoverageReport(items: items(), boundaries: boundaries())
    }

    private func items() -> [CoverageReport.Item] {
        var items: [CoverageReport.Item] = []
        func add(_ kind: CoverageReport.Kind, _ id: String, _ title: String, _ location: SourceReference) {
            items.append(CoverageReport.Item(kind: kind, id: id, title: title, location: location, coveredBy: hits[id]))
        }
        for rule in policySet.rules { add(.rule, "rule:\(rule.id)", "rule `\(rule.id)`", rule.location) }
        for threshold in policySet.thresholds {
            for tier in threshold.tiers {
                add(.tier, "tier:\(tier.id)", "tier `\(tier.id)` of `\(threshold.id)`", tier.location)
            }
        }
        if let refunds = policySet.refunds { add(.obligation, "refund:obligation", "`refund` (refunds)", refunds.location) }
        for rule in policySet.rules {
            for (index, template) in rule.obligations.enumerated() {
                add(.obligation, "obligation:\(rule.id)#\(index)", "`\(template.type)` of rule `\(rule.id)`", template.location)
            }
        }
        for threshold in policySet.thresholds {
            for tier in threshold.tiers {
                for (index, template) in tier.obligations.enumerated() {
                    add(.obligation, "obligation:\(tier.id)#\(index)", "`\(template.type)` of tier `\(tier.id)`", template.location)
                }
            }
        }
        if let refunds = policySet.refunds {
            for (index, fee) in refunds.fee.enumerated() {
                add(.refundCase, "refund:fee#\(index)", "fee when \(Self.describe(fee.when))", Self.location(fee.when, refunds))
            }
            if !refunds.fee.isEmpty, !refunds.fee.contains(where: { $0.when == nil }) {
                add(.refundCase, "refund:fee-none", "no fee (no fee case applies)", refunds.location)
            }
            for (index, option) in refunds.initiateWithin.enumerated() {
                add(.refundCase, "refund:initiate#\(index)", "initiate within \(Self.days(option.value)) when "
                    + Self.describe(option.when), Self.location(option.when, refunds))
            }
            for (index, option) in refunds.expectWithin.enumerated() {
                add(.refundCase, "refund:expect#\(index)", "expected within \(Self.days(option.value)) when "
                    + Self.describe(option.when), Self.location(option.when, refunds))
            }
        }
        return items
    }

    private func boundaries() -> [CoverageReport.BoundaryCoverage] {
        var result: [CoverageReport.BoundaryCoverage] = []
        func sides(_ id: String, _ names: [(String, String)]) -> [CoverageReport.Side] {
            names.map { CoverageReport.Side(name: $0.0, meaning: $0.1, coveredBy: self.sides["\(id)#\($0.0)"]) }
        }
        func comparisonSides(_ id: String) -> [CoverageReport.Side] {
            let names = Self.comparisonSides
            return sides(id, [
                (names.holds, "where it holds"), (names.fails, "where it fails"), (names.equal, "where both sides are equal"),
            ])
        }
        for site in Self.conditionSites(of: policySet) {
            if let threshold = site.threshold {
                for tier in threshold.tiers {
                    let expression = "count >= \(tier.atLeast)"
                    result.append(CoverageReport.BoundaryCoverage(
                        id: "tier:\(tier.id)", owner: "tier `\(tier.id)` of `\(threshold.id)`", expression: expression,
                        title: "`\(expression)` of tier `\(tier.id)` of `\(threshold.id)`", location: tier.location,
                        sides: comparisonSides("tier:\(tier.id)")))
                }
                if threshold.countedTimestamps != nil {
                    let window = Self.durationText(threshold.window)
                    let id = "window:\(threshold.id)"
                    result.append(CoverageReport.BoundaryCoverage(
                        id: id, owner: "threshold `\(threshold.id)`", expression: "window \(window)",
                        title: "the \(window) window of threshold `\(threshold.id)`", location: threshold.location,
                        sides: sides(id, [
                            (Self.windowSides.holds, "with an item less than \(window) old (counted)"),
                            (Self.windowSides.fails, "with an item more than \(window) old (not counted)"),
                            (Self.windowSides.equal, "with an item exactly \(window) old (not counted)"),
                        ])))
                }
                continue
            }
            for (expression, id) in site.leaves {
                for (index, boundary) in expression.boundaries.enumerated() {
                    result.append(CoverageReport.BoundaryCoverage(
                        id: "\(id):\(index)", owner: site.owner, expression: boundary.source,
                        title: "`\(boundary.source)` of \(site.owner)", location: boundary.location,
                        sides: comparisonSides("\(id):\(index)")))
                }
            }
        }
        return result
    }

    /// The places conditions are written, in policy order, each with its leaf
    /// expressions and the id their boundaries are reported under. A threshold's own
    /// boundaries (tiers, window) come as a site with `threshold` set, after its `applies_when`.
    private static func conditionSites(of policySet: PolicySet)
        -> [(owner: String, leaves: [(CompiledExpression, String)], threshold: Threshold?)]
    {
        var sites: [(owner: String, leaves: [(CompiledExpression, String)], threshold: Threshold?)] = []
        func site(_ owner: String, _ prefix: String, _ conditions: [Condition?]) {
            let expressions = conditions.compactMap { $0 }.flatMap(leaves)
            sites.append((owner, expressions.enumerated().map { ($0.element, "\(prefix)/\($0.offset)") }, nil))
        }
        for rule in policySet.rules { site("rule `\(rule.id)`", "rule:\(rule.id)", [rule.condition]) }
        for threshold in policySet.thresholds {
            site("threshold `\(threshold.id)`", "threshold:\(threshold.id)", [threshold.appliesWhen])
            sites.append(("threshold `\(threshold.id)`", [], threshold))
        }
        if let refunds = policySet.refunds {
            site(
                "refunds", "refunds",
                [refunds.appliesWhen] + refunds.fee.map(\.when) + refunds.initiateWithin.map(\.when)
                    + refunds.expectWithin.map(\.when))
        }
        return sites
    }

    private static func leaves(_ condition: Condition) -> [CompiledExpression] {
        switch condition {
        case .expression(let expression): [expression]
        case .all(let conditions), .any(let conditions): conditions.flatMap(leaves)
        case .not(let inner): leaves(inner)
        }
    }

    private static func describe(_ condition: Condition?) -> String {
        guard let condition else { return "always (no condition)" }
        return leaves(condition).map { "`\($0.source)`" }.joined(separator: ", ")
    }

    private static func location(_ condition: Condition?, _ refunds: RefundPolicy) -> SourceReference {
        condition.flatMap { leaves($0).first?.location } ?? refunds.location
    }

    private static func days(_ count: Int) -> String { "\(count) business day\(count == 1 ? "" : "s")" }

    /// `720h`, `30m`, `90s`: the largest unit that divides the duration.
    private static func durationText(_ duration: CELDuration) -> String {
        let seconds = duration.seconds
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
