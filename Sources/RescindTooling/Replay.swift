import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// One of the two policy sets a replay compares, and where it came from.
package struct ReplaySide: Sendable {
    /// The compiled policies.
    package let policySet: PolicySet
    /// Where it was read, as given: `Policies`, `git:origin/main`.
    package let source: String
    /// The commit, for a git revision.
    package let commit: String?
    /// Compiles the same policies again, for another thread: threads deciding with one
    /// compiled set contend on the reference counts of its objects, and lose most of
    /// what the second thread brings. nil (or a copy with another digest) shares it.
    package let recompile: (@Sendable () -> PolicySet?)?

    /// A side from its compiled policies and where they came from.
    package init(policySet: PolicySet, source: String, commit: String? = nil, recompile: (@Sendable () -> PolicySet?)? = nil) {
        self.policySet = policySet
        self.source = source
        self.commit = commit
        self.recompile = recompile
    }

    /// A copy of the policy set for another thread (see `recompile`).
    func copy() -> PolicySet {
        guard let copy = recompile?(), copy.digest == policySet.digest else { return policySet }
        return copy
    }

    /// "marketplace-cancellations 2026.12 (sha256:f014fcd1be15)".
    package var identity: String {
        "\(policySet.name) \(policySet.version) (sha256:\(policySet.digest.prefix(12)))"
    }

    /// "git:origin/main (3f2a1bc0d9e4)", or the folder.
    package var sourceText: String { commit.map { "\(source) (\($0.prefix(12)))" } ?? source }
}

/// Replays recorded requests against a baseline and a candidate policy set: every
/// request is decided by both (without explanations), and the differences are counted
/// by kind. Memory is bounded by the number of kinds of change and the samples kept,
/// never by the number of requests; the first `samples` requests of each kind (in
/// input order) are decided again with explanations at the end.
///
/// Deterministic: decisions take their clock from the request, and the input is cut
/// into batches whose tallies merge in input order, so the report is the same for any
/// number of jobs.
package struct Replay: Sendable {
    /// The policies in force.
    package let baseline: ReplaySide
    /// The policies proposed.
    package let candidate: ReplaySide
    /// Sample requests kept per kind of change.
    package let samples: Int
    /// The language of reasons (and of notify obligations' texts, which are compared).
    package let locale: String?
    /// The bounds on each logged request (`--max-request-bytes` and the rest).
    package let requestLimits: RequestLimits
    private let comparer: Comparer

    /// A replay of `baseline` against `candidate`, keeping `samples` requests per kind
    /// of change and rendering reasons in `locale` (default: each request's), decoding
    /// each request within `requestLimits`.
    package init(
        baseline: ReplaySide, candidate: ReplaySide, samples: Int = 3, locale: String? = nil,
        requestLimits: RequestLimits = .default
    ) {
        self.baseline = baseline
        self.candidate = candidate
        self.samples = max(0, samples)
        self.locale = locale
        self.requestLimits = requestLimits
        self.comparer = Comparer(
            baseline: baseline.policySet, candidate: candidate.policySet, locale: locale, limits: requestLimits)
    }

    /// Replays every line of `reader`, deciding batches of lines on `jobs` threads.
    package func run(_ reader: LineReader, jobs: Int = 1) -> ReplayReport {
        let jobs = max(1, jobs)
        // Big enough that reading the next batches and merging tallies, done between
        // rounds on one thread, stay a small part of the time; small enough that the
        // lines in flight stay a few megabytes.
        let batchSize = 2048
        var total = ReplayTally()
        if jobs == 1 {
            // One thread: lines are decided where the reader left them, without copies.
            while let line = reader.next() {
                comparer.compare(line, number: reader.number, into: &total, taken: [:], limit: samples)
            }
            return report(total)
        }
        // Job i decides batch i of each round with comparer i, its own copy of the
        // policies, compiled on its thread the first time it has a batch (a short input
        // never pays for copies it does not use).
        var comparers = [Comparer?](repeating: nil, count: jobs)
        comparers[0] = comparer
        // Reused round after round: fresh batches of megabytes would be mapped and
        // unmapped each time, and the kernel would spend its time zeroing pages.
        var batches = [LineBatch](repeating: LineBatch(), count: jobs)
        comparers.withUnsafeMutableBufferPointer { comparers in
            // Each iteration touches only its own element.
            nonisolated(unsafe) let comparers = comparers
            while true {
                var filled = 0
                while filled < jobs {
                    reader.fill(&batches[filled], limit: batchSize)
                    if batches[filled].count == 0 { break }
                    filled += 1
                }
                if filled == 0 { break }
                let taken = total.sampleCounts, ready = batches, limit = samples
                var tallies = [ReplayTally](repeating: ReplayTally(), count: filled)
                tallies.withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let results = buffer
                    DispatchQueue.concurrentPerform(iterations: filled) { index in
                        if comparers[index] == nil {
                            comparers[index] = Comparer(
                                baseline: baseline.copy(), candidate: candidate.copy(), locale: locale,
                                limits: requestLimits)
                        }
                        let comparer = comparers[index]!
                        var tally = ReplayTally()
                        ready[index].forEach { line, number in
                            comparer.compare(line, number: number, into: &tally, taken: taken, limit: limit)
                        }
                        results[index] = tally
                    }
                }
                for tally in tallies { total.merge(tally, sampleLimit: samples) }
            }
        }
        return report(total)
    }

    /// The report of a tally; the samples are decided again, with explanations, once
    /// per request however many kinds of change it shows.
    private func report(_ tally: ReplayTally) -> ReplayReport {
        var samples: [ReplaySample] = []
        var byLine: [Int: ReplaySample] = [:]
        for (change, references) in tally.samples.sorted(by: { $0.key < $1.key }) {
            for reference in references.prefix(self.samples) {
                if let shown = byLine[reference.line] {
                    samples.append(shown.again(as: change))
                } else {
                    let sample = comparer.sample(reference, change: change)
                    byLine[reference.line] = sample
                    samples.append(sample)
                }
            }
        }
        return ReplayReport(baseline: baseline, candidate: candidate, tally: tally, samples: samples, sampleLimit: self.samples)
    }

    /// The decisions the two sides make of one input line, as `run` makes them (without
    /// explanations): a log entry's request with its logged `history` supplied where
    /// each side takes it, a plain request as it is. A line neither side reads (its
    /// `history` malformed, or its request rejected) gives its error. For checking that
    /// a replay reproduces what a log says was decided.
    package func decisions(of line: [UInt8]) -> (
        baseline: Result<Decision, RequestError>, candidate: Result<Decision, RequestError>
    ) {
        line.withUnsafeBytes { line in
            let read = comparer.read(line)
            let history: [HistoryItem]?
            switch read.history {
            case .failure(let error): return (.failure(error), .failure(error))
            case .success(let items): history = items
            }
            let comparer = comparer
            return read.request.withUnsafeBytes { request in
                let before = comparer.baselineDecoder.decode(request).map {
                    comparer.baseline.decide(
                        $0.root, history: history, takes: comparer.taking.baseline, options: comparer.options)
                }
                let after = comparer.candidateDecoder.decode(request).map {
                    comparer.candidate.decide(
                        $0.root, history: history, takes: comparer.taking.candidate, options: comparer.options)
                }
                return (before, after)
            }
        }
    }
}

/// A request kept as a sample: where it was and its bytes, to be decided again with
/// explanations once the replay is over.
struct SampleReference: Sendable {
    let line: Int
    let request: [UInt8]
    /// The entry's logged `history`, supplied again when the sample is decided.
    var history: [HistoryItem]? = nil
}

/// A line that neither policy set could decide.
package struct ReplayBadLine: Sendable, Hashable {
    /// The line number, counting from 1 (empty lines count).
    package let line: Int
    /// Why the baseline's schema rejected it.
    package let error: RequestError
}

/// What a replay counted, mergeable: the tally of two consecutive parts of the input,
/// merged in order, is the tally of both.
struct ReplayTally: Sendable {
    /// Lines that were not empty.
    var lines = 0
    var logEntries = 0
    var badLines = 0
    /// The first few bad lines.
    var badLineSamples: [ReplayBadLine] = []
    /// Requests by (baseline, candidate) effect, indexed `from * 4 + to`.
    var transitions = [Int](repeating: 0, count: ReplayEffect.allCases.count * ReplayEffect.allCases.count)
    /// Requests with any change.
    var changed = 0
    /// Requests with an obligation change, in all and by obligation type.
    var obligationRequests = 0
    var obligationTypeRequests: [String: Int] = [:]
    /// Requests by kind of change.
    var counts: [ReplayChange: Int] = [:]
    var fieldStats: [ReplayChange: FieldChangeStats] = [:]
    /// Causes of flips and deciding-rule changes, counted by request.
    /// (Bounded: a schema that rejects requests names the paths it rejects, and unknown
    /// fields are named by the input.)
    var causes: [ReplayChange: BoundedCounter<ReplayCause>] = [:]
    var samples: [ReplayChange: [SampleReference]] = [:]
    /// The log entries' `seq` numbers, per boot.
    var sequence = SequenceTally()
    /// Entries with a logged `history` (the store's events), and of them those a side
    /// decided without the events, as it does not take them (`HistoryTaking`).
    var historyEntries = 0
    var historyNotSupplied = (baseline: 0, candidate: 0)

    static let badLineSamples = 5
    static let causeCounter = BoundedCounter<ReplayCause>(capacity: 64)

    var sampleCounts: [ReplayChange: Int] { samples.mapValues(\.count) }

    /// Counts a line neither side could read, keeping the first few.
    mutating func badLine(_ number: Int, _ error: RequestError) {
        badLines += 1
        if badLineSamples.count < Self.badLineSamples {
            badLineSamples.append(ReplayBadLine(line: number, error: error))
        }
    }

    mutating func merge(_ later: ReplayTally, sampleLimit: Int) {
        lines += later.lines
        logEntries += later.logEntries
        badLines += later.badLines
        badLineSamples += later.badLineSamples.prefix(Self.badLineSamples - badLineSamples.count)
        sequence.merge(later.sequence)
        historyEntries += later.historyEntries
        historyNotSupplied.baseline += later.historyNotSupplied.baseline
        historyNotSupplied.candidate += later.historyNotSupplied.candidate
        for index in transitions.indices { transitions[index] += later.transitions[index] }
        changed += later.changed
        obligationRequests += later.obligationRequests
        obligationTypeRequests.merge(later.obligationTypeRequests, uniquingKeysWith: +)
        counts.merge(later.counts, uniquingKeysWith: +)
        for (change, stats) in later.fieldStats { fieldStats[change, default: FieldChangeStats()].merge(stats) }
        for (change, causes) in later.causes { self.causes[change, default: ReplayTally.causeCounter].merge(causes) }
        for (change, references) in later.samples {
            let kept = samples[change, default: []]
            samples[change] = kept + references.prefix(max(0, sampleLimit - kept.count))
        }
    }
}

/// Decides requests under both policy sets and compares the decisions.
private struct Comparer: Sendable {
    let baseline: PolicySet
    let candidate: PolicySet
    let baselineDecoder: RequestDecoder
    let candidateDecoder: RequestDecoder
    let options: DecisionOptions
    /// The effect of every rule and tier, by id, on each side.
    let baselineEffects: [String: Effect]
    let candidateEffects: [String: Effect]
    /// Which sides take a logged `history`.
    let taking: HistoryTaking

    init(baseline: PolicySet, candidate: PolicySet, locale: String?, limits: RequestLimits) {
        self.baseline = baseline
        self.candidate = candidate
        taking = HistoryTaking(baseline: baseline, candidate: candidate)
        baselineDecoder = RequestDecoder(schema: baseline.schema, limits: limits)
        candidateDecoder = RequestDecoder(schema: candidate.schema, limits: limits)
        options = DecisionOptions(locale: locale, explain: false)
        baselineEffects = Self.effects(of: baseline)
        candidateEffects = Self.effects(of: candidate)
    }

    private static func effects(of policySet: PolicySet) -> [String: Effect] {
        var effects: [String: Effect] = [:]
        for rule in policySet.rules { effects[rule.id] = rule.effect }
        for tier in policySet.thresholds.flatMap(\.tiers) { effects[tier.id] = tier.effect }
        return effects
    }

    /// Decides one line's request under both sets and counts what changed.
    func compare(
        _ line: UnsafeRawBufferPointer, number: Int, into tally: inout ReplayTally, taken: [ReplayChange: Int], limit: Int
    ) {
        tally.lines += 1
        var envelope = DecisionLogLine.scan(line, quick: true)
        let isLogEntry = envelope.request != nil
        if isLogEntry { tally.logEntries += 1 }
        var quickEntry = isLogEntry
        if let history = envelope.history, let request = envelope.request, history.lowerBound > request.lowerBound {
            // `history` after the request, not where the service writes it: the quick
            // scan read on from its guess at the request's end, which may be wrong.
            envelope = DecisionLogLine.scan(line)
            quickEntry = false
        }
        let request = envelope.request.map { UnsafeRawBufferPointer(rebasing: line[$0]) } ?? line
        if let seq = envelope.seq, let bootID = envelope.bootID {
            let boot = UnsafeRawBufferPointer(rebasing: line[bootID])
            // The id a string with escapes stands for (service ids are UUIDs, which have none).
            if boot.contains(UInt8(ascii: "\\")),
                let id = DecisionLogLine.unquote(UnsafeRawBufferPointer(rebasing: line[bootID.lowerBound - 1..<bootID.upperBound + 1]))
            {
                id.withUnsafeBytes { tally.sequence.add(seq, boot: $0) }
            } else {
                tally.sequence.add(seq, boot: boot)
            }
        }
        var history: [HistoryItem]?
        if let member = envelope.history {
            switch LoggedHistory.items(in: line, member: member) {
            case .failure(let error):
                tally.badLine(number, error)
                return
            case .success(let items): history = items
            }
        }
        if envelope.requestIsString {
            // A rejected request, kept as text: replayed when whole; a cut one is a bad
            // line (its prefix does not decode), as it should be: it cannot be replayed.
            let text = DecisionLogLine.unquote(request) ?? []
            text.withUnsafeBytes {
                compare(
                    request: $0, history: history, quickEntry: false, line: line, number: number, into: &tally, taken: taken,
                    limit: limit)
            }
            return
        }
        compare(
            request: request, history: history, quickEntry: quickEntry, line: line, number: number, into: &tally, taken: taken,
            limit: limit)
    }

    /// A line's request (a rejected entry's text unquoted) and its logged `history`,
    /// read exactly (no quick guess): for deciding one line on its own.
    func read(_ line: UnsafeRawBufferPointer) -> (request: [UInt8], history: Result<[HistoryItem]?, RequestError>) {
        let envelope = DecisionLogLine.scan(line)
        var request = envelope.request.map { Array(UnsafeRawBufferPointer(rebasing: line[$0])) } ?? Array(line)
        if envelope.requestIsString { request = request.withUnsafeBytes { DecisionLogLine.unquote($0) } ?? [] }
        return (request, DecisionLogLine.history(of: envelope, in: line))
    }

    /// Decides one request (a line's, or its entry's) under both sets and counts what
    /// changed; `quickEntry`: the request was found by the quick scan of an entry, which
    /// may have guessed its end wrong when it does not decode.
    private func compare(
        request: UnsafeRawBufferPointer, history: [HistoryItem]?, quickEntry: Bool, line: UnsafeRawBufferPointer, number: Int,
        into tally: inout ReplayTally, taken: [ReplayChange: Int], limit: Int
    ) {
        var request = request
        var history = history
        var before = baselineDecoder.decode(request)
        var after = candidateDecoder.decode(request)
        if case .failure = before, case .failure = after, quickEntry {
            // The quick guess at the request's end may be what failed: find it exactly,
            // and a `history` after it that the guess read past.
            let exact = DecisionLogLine.scan(line)
            request = exact.request.map { UnsafeRawBufferPointer(rebasing: line[$0]) } ?? line
            if history == nil, let member = exact.history {
                switch LoggedHistory.items(in: line, member: member) {
                case .failure(let error):
                    tally.badLine(number, error)
                    return
                case .success(let items): history = items
                }
            }
            before = baselineDecoder.decode(request)
            after = candidateDecoder.decode(request)
        }
        if case .failure(let error) = before, case .failure = after {
            tally.badLine(number, error)
            return
        }
        if history != nil {
            tally.historyEntries += 1
            if !taking.baseline { tally.historyNotSupplied.baseline += 1 }
            if !taking.candidate { tally.historyNotSupplied.candidate += 1 }
        }
        let decisions = (
            before: (try? before.get()).map {
                baseline.decide($0.root, history: history, takes: taking.baseline, options: options)
            },
            after: (try? after.get()).map {
                candidate.decide($0.root, history: history, takes: taking.candidate, options: options)
            })
        // Most decisions agree; this settles them without building id lists or obligations.
        if let old = decisions.before, let new = decisions.after, old.decidesLike(new), !old.hasRuleObligations,
            !new.hasRuleObligations, old.refund == new.refund
        {
            let effect = ReplayEffect(old.effect).index
            tally.transitions[effect * ReplayEffect.allCases.count + effect] += 1
            return
        }
        let comparison = compare(decisions.before, decisions.after, before, after)
        tally.transitions[comparison.from.index * ReplayEffect.allCases.count + comparison.to.index] += 1
        guard !comparison.changes.isEmpty else { return }

        tally.changed += 1
        var sampled = false
        for change in comparison.changes {
            tally.counts[change, default: 0] += 1
            if !sampled, (taken[change] ?? 0) + (tally.samples[change]?.count ?? 0) < limit { sampled = true }
        }
        if let primary = comparison.changes.first, comparison.primary {
            for cause in comparison.causes { tally.causes[primary, default: ReplayTally.causeCounter].add(cause) }
        }
        if !comparison.differences.isEmpty {
            tally.obligationRequests += 1
            var types: [String] = []
            for difference in comparison.differences {
                if case .obligationField = difference.change {
                    tally.fieldStats[difference.change, default: FieldChangeStats()].add(difference)
                }
                let type = difference.change.obligationType
                if !types.contains(type) { types.append(type) }
            }
            for type in types { tally.obligationTypeRequests[type, default: 0] += 1 }
        }
        if sampled {
            let reference = SampleReference(line: number, request: Array(request), history: history)
            for change in comparison.changes where (taken[change] ?? 0) + (tally.samples[change]?.count ?? 0) < limit {
                tally.samples[change, default: []].append(reference)
            }
        }
    }

    /// The changes between two decisions (nil: rejected), the first of them the flip or
    /// the change of deciding rules when there is one (`primary`).
    func compare(
        _ before: Decision?, _ after: Decision?, _ beforeResult: Result<DecodedRequest, RequestError>,
        _ afterResult: Result<DecodedRequest, RequestError>
    ) -> Comparison {
        guard let before, let after else {
            let from = before.map { ReplayEffect($0.effect) } ?? .invalid
            let to = after.map { ReplayEffect($0.effect) } ?? .invalid
            let rejected = before == nil ? beforeResult : afterResult
            var causes: [ReplayCause] = []
            if case .failure(let error) = rejected {
                causes.append(ReplayCause(
                    rule: Self.shape(of: error.first.path),
                    how: .rejected(byCandidate: after == nil, code: error.first.code.rawValue)))
            }
            return Comparison(from: from, to: to, changes: [.effect(from: from, to: to)], primary: true, causes: causes)
        }
        let from = ReplayEffect(before.effect), to = ReplayEffect(after.effect)
        let oldRules = before.decidingRules, newRules = after.decidingRules
        var changes: [ReplayChange] = []
        if from != to {
            changes.append(.effect(from: from, to: to))
        } else if oldRules != newRules {
            changes.append(.decidingRules(effect: before.effect, from: oldRules, to: newRules))
        }
        let primary = !changes.isEmpty
        var differences: [ObligationDifference] = []
        // A flip changes the obligations wholesale; they are compared under the same effect only.
        if from == to {
            if before.hasRuleObligations || after.hasRuleObligations || before.refund != after.refund {
                let old = before.obligations, new = after.obligations
                if old != new { differences = ObligationDifference.between(old, new) }
            }
        }
        for difference in differences where !changes.contains(difference.change) { changes.append(difference.change) }
        let causes = primary ? causes(before, after, effects: [before.effect, after.effect]) : []
        return Comparison(
            from: from, to: to, changes: changes, primary: primary, causes: causes, differences: differences)
    }

    /// The rules and tiers that match on one side only, or decide differently, among
    /// those whose effect is one of `effects` (the two decisions' effects): a rule of
    /// another effect cannot have moved the decision between them.
    private func causes(_ before: Decision, _ after: Decision, effects: [Effect]) -> [ReplayCause] {
        let old = before.matchedRules, new = after.matchedRules
        var causes: [ReplayCause] = []
        for id in Set(old + new).sorted() {
            let oldEffect = old.contains(id) ? baselineEffects[id] : nil
            let newEffect = new.contains(id) ? candidateEffects[id] : nil
            guard oldEffect.map(effects.contains) == true || newEffect.map(effects.contains) == true else { continue }
            switch (oldEffect, newEffect) {
            case (nil, _?): causes.append(ReplayCause(rule: id, how: .nowMatches))
            case (_?, nil): causes.append(ReplayCause(rule: id, how: .noLongerMatches))
            case (let from?, let to?) where from != to:
                causes.append(ReplayCause(rule: id, how: .effectChanged(from: from, to: to)))
            default: break
            }
        }
        if causes.isEmpty, old.isEmpty, new.isEmpty, before.effect != after.effect {
            causes.append(ReplayCause(rule: "", how: .defaultChanged(from: before.effect, to: after.effect)))
        }
        return causes
    }

    /// A JSON path with list indexes dropped (`$.items[]`), so causes are counted per
    /// field, not per position.
    private static func shape(of path: String) -> String {
        var shape = ""
        var inIndex = false
        for character in path {
            if character == "[" { inIndex = true; shape.append("[") } else if character == "]" {
                inIndex = false
                shape.append("]")
            } else if !inIndex {
                shape.append(character)
            }
        }
        return shape
    }

    /// A kept request decided again by both sets, with explanations.
    func sample(_ reference: SampleReference, change: ReplayChange) -> ReplaySample {
        let explained = DecisionOptions(locale: options.locale, explain: true)
        let before = baselineDecoder.decode(reference.request)
        let after = candidateDecoder.decode(reference.request)
        let old = (try? before.get()).map {
            baseline.decide($0.root, history: reference.history, takes: taking.baseline, options: explained)
        }
        let new = (try? after.get()).map {
            candidate.decide($0.root, history: reference.history, takes: taking.candidate, options: explained)
        }
        let comparison = compare(old, new, before, after)
        let requestID = old?.requestID ?? new?.requestID
        return ReplaySample(
            change: change, line: reference.line, requestID: requestID,
            baseline: old.map { .decided($0) } ?? .rejected(Self.error(before)),
            candidate: new.map { .decided($0) } ?? .rejected(Self.error(after)),
            differences: comparison.differences.map(\.text), causes: comparison.causes)
    }

    private static func error(_ result: Result<DecodedRequest, RequestError>) -> RequestError {
        guard case .failure(let error) = result else { preconditionFailure("a decided request has no error") }
        return error
    }
}

/// Two decisions compared.
struct Comparison {
    let from: ReplayEffect
    let to: ReplayEffect
    /// The kinds of change, the flip or deciding-rules change first when `primary`.
    let changes: [ReplayChange]
    let primary: Bool
    let causes: [ReplayCause]
    var differences: [ObligationDifference] = []
}

extension ReplayChange {
    /// The obligation type of an obligation change; empty for the others.
    var obligationType: String {
        switch self {
        case .obligationField(let type, _), .obligationAdded(let type), .obligationRemoved(let type): type
        case .effect, .decidingRules: ""
        }
    }
}
