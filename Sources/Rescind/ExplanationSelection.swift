import RescindDiagnostics
import RescindEngine

/// Which rules and thresholds an explanation shows: all of them, or only those named
/// (`rescind explain --rule`). The decision itself (effect, reasons, obligations) and
/// what would change it are always shown whole: they belong to the request, not to
/// one rule.
public struct ExplanationSelection: Sendable, Hashable {
    /// The rule ids to show; nil shows every rule.
    private let ruleIDs: Set<String>?
    /// The threshold ids to show; nil shows every threshold.
    private let thresholdIDs: Set<String>?
    /// The names that were asked for, deduplicated, in policy order (empty for `all`).
    public let names: [String]

    /// Every rule and threshold.
    public static let all = ExplanationSelection(ruleIDs: nil, thresholdIDs: nil, names: [])

    private init(ruleIDs: Set<String>?, thresholdIDs: Set<String>?, names: [String]) {
        self.ruleIDs = ruleIDs
        self.thresholdIDs = thresholdIDs
        self.names = names
    }

    /// Whether everything is shown.
    public var isAll: Bool { ruleIDs == nil && thresholdIDs == nil }

    /// A name that is no rule, threshold or tier of the policy set.
    public struct UnknownName: Sendable, Hashable {
        /// The name as given.
        public let name: String
        /// "did you mean `x`?", when a known name is close.
        public let help: String?
    }

    /// The unknown names of a failed `only(_:in:)`, in the order given.
    public struct UnknownNames: Error, Sendable, Hashable {
        /// Each unknown name once, with its suggestion.
        public let names: [UnknownName]
    }

    /// Every name `only(_:in:)` accepts, in policy order: rule ids, then each threshold's
    /// id followed by its tiers' ids.
    package static func names(in policySet: PolicySet) -> [String] {
        policySet.rules.map(\.id) + policySet.thresholds.flatMap { [$0.id] + $0.tiers.map(\.id) }
    }

    /// Only the named rules and thresholds. A tier's id names its threshold, since the
    /// decision lists tiers (`abuse-review`) where the explanation shows the threshold
    /// that reached them. Fails with every unknown name, not just the first.
    package static func only(
        _ names: [String], in policySet: PolicySet
    ) -> Result<ExplanationSelection, UnknownNames> {
        let wanted = Set(names)
        let known = Self.names(in: policySet)
        let unknown = uniqued(names).filter { !known.contains($0) }
        guard unknown.isEmpty else {
            return .failure(UnknownNames(names: unknown.map {
                UnknownName(name: $0, help: Suggestions.didYouMean($0, in: known)?.en)
            }))
        }
        let rules = Set(policySet.rules.map(\.id).filter(wanted.contains))
        let thresholds = Set(policySet.thresholds.filter { threshold in
            wanted.contains(threshold.id) || threshold.tiers.contains { wanted.contains($0.id) }
        }.map(\.id))
        return .success(ExplanationSelection(
            ruleIDs: rules, thresholdIDs: thresholds, names: known.filter(wanted.contains)))
    }

    /// Whether the explanation shows this rule.
    public func shows(_ rule: RuleExplanation) -> Bool { ruleIDs?.contains(rule.id) ?? true }

    /// Whether the explanation shows this threshold.
    public func shows(_ threshold: ThresholdExplanation) -> Bool { thresholdIDs?.contains(threshold.id) ?? true }

    private static func uniqued(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}
