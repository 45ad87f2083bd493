extension Decision {
    /// Whether `other` (possibly from another policy set) has the same effect, decided
    /// by the same rules and tiers (by id, in order). Compares in place: replay asks this
    /// of every request twice decided, and building the id lists would cost more.
    public func decidesLike(_ other: Decision) -> Bool {
        guard effect == other.effect else { return false }
        var mine = matched.lazy.filter { self.policySet.outcomes[$0].effect == self.effect }.makeIterator()
        var theirs = other.matched.lazy.filter { other.policySet.outcomes[$0].effect == other.effect }.makeIterator()
        while true {
            switch (mine.next(), theirs.next()) {
            case (nil, nil): return true
            case (let index?, let otherIndex?):
                if policySet.outcomes[index].id != other.policySet.outcomes[otherIndex].id { return false }
            default: return false
            }
        }
    }

    /// Whether a deciding rule or tier brings obligations of its own (besides the
    /// refund): only then must `obligations` be rendered to compare two decisions.
    public var hasRuleObligations: Bool {
        matched.contains { policySet.outcomes[$0].effect == effect && !policySet.outcomes[$0].obligations.isEmpty }
    }
}
