extension Decision {
    /// Whether `other` (possibly from another policy set) has the same effect, decided
    /// by the same rules and tiers (by id, in order). Compares in place: replay asks this
    /// of every request twice decided, and building the id lists would cost more.
    package func decidesLike(_ other: Decision) -> Bool {
        guard effect == other.effect else { return false }
        return deciding.elementsEqual(other.deciding) {
            policySet.outcomes[$0].id == other.policySet.outcomes[$1].id
        }
    }

    /// Whether a deciding rule or tier brings obligations of its own (besides the
    /// refund): only then must `obligations` be rendered to compare two decisions.
    package var hasRuleObligations: Bool {
        let carriesObligations = policySet.outcomeTexts.carriesObligations
        return deciding.contains { carriesObligations[$0] }
    }
}
