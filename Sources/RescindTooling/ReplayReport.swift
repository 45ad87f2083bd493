import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// What a replay found, ready to print (`text`, `json`, `markdown`) and to check
/// against `--fail-on` thresholds. Every list is in a fixed order, so the same input
/// always gives the same report.
package struct ReplayReport: Sendable {
    /// The policies in force, and those proposed.
    package let baseline: ReplaySide
    package let candidate: ReplaySide
    /// Lines read (empty lines are skipped), of which decision-log entries; the rest are
    /// plain requests.
    package let lines: Int
    package let logEntries: Int
    /// Lines neither policy set could decide, and the first few of them.
    package let badLines: Int
    package let badLineSamples: [ReplayBadLine]
    /// Entries missing from the decision log, by boot then number: `seq` numbers not in
    /// the input between the first and the last of a boot's (docs/decision-log.md).
    package let gaps: [SequenceGap]
    /// Boots (`boot_id`) whose entries carry `seq`; 0 for input without them.
    package let sequencedBoots: Int
    /// Entries whose `history` logged the events the history store supplied: replayed
    /// with those events, without the store.
    package let historyEntries: Int
    /// Of those, the entries each side decided without the events because its policies
    /// do not take them: no `history:` section, or (the candidate) one over another list
    /// than the baseline's (`HistoryTaking`, docs/replay.md).
    package let historyNotSupplied: (baseline: Int, candidate: Int)
    /// Requests by (baseline, candidate) effect, unchanged pairs too, in effect order.
    package let transitions: [(from: ReplayEffect, to: ReplayEffect, count: Int)]
    /// Requests with any change: a flip, other deciding rules, or changed obligations.
    package let changed: Int
    /// Requests whose obligations changed (under the same effect), in all and by type.
    package let obligationRequests: Int
    package let obligationTypeRequests: [String: Int]
    /// Every kind of change seen, in kind order (flips, deciding rules, obligations).
    package let changes: [ChangeSummary]
    /// The first requests of each kind, decided again with explanations, in kind order.
    package let samples: [ReplaySample]
    /// How many samples were kept per kind at most.
    package let sampleLimit: Int
    /// The `--fail-on` thresholds, checked.
    package var checks: [ReplayCheck] = []

    /// Requests decided by at least one side: every line but the bad ones.
    package var replayed: Int { lines - badLines }
    package var plainRequests: Int { lines - logEntries }
    /// Entries missing in all the gaps.
    package var missingEntries: Int { gaps.reduce(0) { $0 + $1.missing.count } }
    /// "gaps: 2, 700 entries missing (seq 1001–1650 missing in boot …; …)", the first
    /// `shown` gaps listed; nil for input without sequence numbers.
    func gapSummary(shown: Int = 5) -> String? {
        guard sequencedBoots > 0 else { return nil }
        let boots = "\(sequencedBoots) boot\(sequencedBoots == 1 ? "" : "s")"
        guard !gaps.isEmpty else { return "gaps: 0 (\(boots))" }
        let missing = missingEntries
        var text = "gaps: \(gaps.count) in \(boots), \(missing) entr\(missing == 1 ? "y" : "ies") missing ("
        text += gaps.prefix(shown).map(\.text).joined(separator: "; ")
        if gaps.count > shown { text += "; \(gaps.count - shown) more" }
        return text + ")"
    }
    /// "history: 12 entries replayed with the store's events they logged; the candidate
    /// took none of them (…)"; nil when no entry logged any.
    var historySummary: String? {
        guard historyEntries > 0 else { return nil }
        var text = "history: \(historyEntries) entr\(historyEntries == 1 ? "y" : "ies") replayed with the store's events they logged"
        var sides: [String] = []
        if historyNotSupplied.baseline > 0 {
            sides.append("the baseline decided \(historyNotSupplied.baseline) without them (its policies have no `history:`)")
        }
        if historyNotSupplied.candidate > 0 {
            let list = baseline.policySet.history.map { " for `\($0.list)`" } ?? ""
            sides.append("the candidate decided \(historyNotSupplied.candidate) without them (its policies take no history\(list))")
        }
        if !sides.isEmpty { text += "; " + sides.joined(separator: "; ") }
        return text
    }
    /// Effect flips (including to and from `invalid`).
    package var flips: Int { transitions.filter { $0.from != $0.to }.reduce(0) { $0 + $1.count } }
    /// Requests with the same effect but other deciding rules.
    package var decidingRuleChanges: Int {
        changes.filter { if case .decidingRules = $0.change { true } else { false } }.reduce(0) { $0 + $1.requests }
    }
    /// Whether some `--fail-on` threshold was exceeded.
    package var failed: Bool { checks.contains(where: \.exceeded) }

    /// One kind of change: how many requests, and for flips and deciding-rule changes
    /// the causes, for obligation fields how the values moved.
    package struct ChangeSummary: Sendable {
        /// The kind of change.
        package let change: ReplayChange
        /// The requests that show it.
        package let requests: Int
        /// Most requests first, then by rule.
        package let causes: [(cause: ReplayCause, requests: Int)]
        /// Requests counted for causes beyond the first 64 distinct ones.
        package let otherCauses: Int
        /// How the values moved, for an obligation field.
        package let stats: FieldChangeStats?
    }

    init(baseline: ReplaySide, candidate: ReplaySide, tally: ReplayTally, samples: [ReplaySample], sampleLimit: Int) {
        self.baseline = baseline
        self.candidate = candidate
        lines = tally.lines
        logEntries = tally.logEntries
        badLines = tally.badLines
        badLineSamples = tally.badLineSamples
        gaps = tally.sequence.gaps
        sequencedBoots = tally.sequence.boots.count
        historyEntries = tally.historyEntries
        historyNotSupplied = tally.historyNotSupplied
        var transitions: [(from: ReplayEffect, to: ReplayEffect, count: Int)] = []
        for from in ReplayEffect.allCases {
            for to in ReplayEffect.allCases {
                let count = tally.transitions[from.index * ReplayEffect.allCases.count + to.index]
                if count > 0 { transitions.append((from, to, count)) }
            }
        }
        self.transitions = transitions
        changed = tally.changed
        obligationRequests = tally.obligationRequests
        obligationTypeRequests = tally.obligationTypeRequests
        changes = tally.counts.keys.sorted().map { change in
            let counter = tally.causes[change] ?? ReplayTally.causeCounter
            // Most requests first, then by cause: a total order, so the output is stable.
            let causes = counter.sorted(by: <).sorted { ($1.count, $0.key) < ($0.count, $1.key) }
            return ChangeSummary(
                change: change, requests: tally.counts[change]!, causes: causes.map { ($0.key, $0.count) },
                otherCauses: counter.other, stats: tally.fieldStats[change])
        }
        self.samples = samples
        self.sampleLimit = sampleLimit
    }

    /// Checks `thresholds` (in the order given) and keeps the results in `checks`.
    package mutating func check(_ thresholds: [ReplayThreshold]) {
        checks = thresholds.map { $0.check(self) }
    }

    /// A count with its share of the requests replayed: "12 (1.20%)".
    func share(_ count: Int) -> String { "\(count) (\(percentText(count, of: replayed)))" }
}

/// A sample request: the kind of change it shows, where it was, and both decisions
/// with their explanations.
package struct ReplaySample: Sendable {
    /// A decision, or the first error of a schema that rejected the request.
    package enum Outcome: Sendable {
        case decided(Decision)
        case rejected(RequestError)
    }

    /// The kind of change it is a sample of.
    package let change: ReplayChange
    /// Its line number in the input.
    package let line: Int
    /// The request's `id`, when it has one.
    package let requestID: String?
    /// The two decisions, with their explanations.
    package let baseline: Outcome
    package let candidate: Outcome
    /// The obligation differences, as text ("refund.amount 129.99 → 123.49 (-6.50)").
    package let differences: [String]
    /// The rules and tiers that made the flip or the deciding-rule change.
    package let causes: [ReplayCause]
    /// The kind under which the same request was shown before, when it was: the text
    /// and Markdown reports then do not repeat its decisions.
    package private(set) var shownUnder: ReplayChange?

    init(
        change: ReplayChange, line: Int, requestID: String?, baseline: Outcome, candidate: Outcome,
        differences: [String], causes: [ReplayCause]
    ) {
        self.change = change
        self.line = line
        self.requestID = requestID
        self.baseline = baseline
        self.candidate = candidate
        self.differences = differences
        self.causes = causes
    }

    /// The same request as the sample of another kind of change.
    func again(as change: ReplayChange) -> ReplaySample {
        var sample = ReplaySample(
            change: change, line: line, requestID: requestID, baseline: baseline, candidate: candidate,
            differences: differences, causes: causes)
        sample.shownUnder = shownUnder ?? self.change
        return sample
    }

    /// "line 17, request `req-42`".
    package var title: String { "line \(line)" + (requestID.map { ", request `\($0)`" } ?? "") }
}
