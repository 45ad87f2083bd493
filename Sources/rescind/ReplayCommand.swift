import ArgumentParser
import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// `rescind replay`: what a policy change would do to real traffic, before it ships.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Decide recorded requests with two policy sets and report what changes.",
        discussion: """
            Every request in --requests (JSON Lines: decision-log entries, see \
            docs/decision-log.md, or one request per line, mixed) is decided by the baseline \
            and the candidate. The report counts decisions by (baseline effect → candidate \
            effect), the rules and tiers responsible for each flip, changed obligations \
            (refund amounts, deadlines moved, obligations added or removed) and shows the \
            first --samples requests of each kind of change with both explanations.

            --baseline and --candidate are policy folders or git:REV, the policy folder as \
            it is at a git revision (read with read-only git). The folder read at REV is \
            the path in git:REV:path when given, else --policies-path, else the other \
            side's folder, else Policies.

            --fail-on METRIC>LIMIT (repeatable) fails the run (exit 5) when a count passes \
            its limit, a number of requests or a percentage of those replayed. Metrics: \
            FROM->TO (effects allow, review, deny, invalid, any), changed, deciding-rules, \
            obligations, TYPE.FIELD (refund.amount), TYPE.added, TYPE.removed, TYPE.*, \
            bad-lines.

            Exit codes: 0 the report was made and no threshold was exceeded, 3 invalid \
            policies on either side, 5 a --fail-on threshold was exceeded, 64 usage error.

            In CI, a pull request's policies against its base branch (Examples/ci/policy-replay.yml):
              rescind replay --requests Examples/ci/sample-requests.jsonl \\
                  --baseline git:origin/main --candidate Policies --format markdown \\
                  --fail-on 'allow->deny>1%' --fail-on 'refund.amount>0'

            Examples:
              rescind replay --requests Examples/ci/sample-requests.jsonl \\
                  --baseline Policies --candidate Policies
              rescind replay --requests Examples/ci/sample-requests.jsonl \\
                  --baseline Policies --candidate Policies --format json |
                  jq -c .transitions
              rescind replay --requests Examples/ci/sample-requests.jsonl \\
                  --baseline Policies --candidate Policies --format markdown \\
                  --fail-on 'any->deny>1%' --fail-on 'refund.amount>0' > replay.md
            """)

    @Option(
        help: ArgumentHelp("The requests, one per line (decision-log entries or plain requests), or -.", valueName: "FILE"),
        completion: .file(extensions: ["jsonl", "ndjson"]))
    var requests: String

    @Option(
        help: ArgumentHelp("The policies in force: a folder, or git:REV.", valueName: "DIR|git:REV"),
        completion: .directory)
    var baseline: String

    @Option(
        help: ArgumentHelp("The policies proposed: a folder, or git:REV.", valueName: "DIR|git:REV"),
        completion: .directory)
    var candidate: String

    @Option(
        help: ArgumentHelp("The policy folder read at a git:REV side (default: the other side's folder, else Policies).", valueName: "DIR"),
        completion: .directory)
    var policiesPath: String?

    @Option(help: "Output format: human, json or markdown.")
    var format: ReplayFormat = .human

    @Option(help: ArgumentHelp("Sample requests shown per kind of change, with both explanations.", valueName: "N"))
    var samples = 3

    @Option(
        name: .customLong("fail-on"),
        help: ArgumentHelp("Fail (exit 5) when METRIC passes LIMIT, e.g. 'allow->deny>1%'; repeatable.", valueName: "METRIC>LIMIT"),
        completion: .list(["allow->deny>0", "any->deny>1%", "changed>5%", "refund.amount>0", "bad-lines>0"]))
    var failOn: [String] = []

    @Option(
        help: ArgumentHelp(
            "The language of reasons; overrides each request's `locale` (matched as `eval --locale` is).",
            valueName: "en|zh-CN"),
        completion: .list(PolicyOptions.locales))
    var locale: String?

    @Option(help: ArgumentHelp("Threads deciding requests (default: one per processor).", valueName: "N"))
    var jobs: Int?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @OptionGroup(title: "Request limits")
    var requestLimitOptions: RequestLimitOptions

    func validate() throws {
        if samples < 0 { throw ValidationError("--samples `\(samples)`: give 0 or more") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs `\(jobs)`: give 1 or more") }
        _ = try sources()
        _ = try thresholds()
    }

    func run() throws {
        let thresholds = try thresholds()
        let sources = try sources()
        let sides = [(name: "baseline", spec: baseline), (name: "candidate", spec: candidate)]
        var loaded: [ReplaySide] = []
        var invalid = false
        for (index, side) in sides.enumerated() {
            let (policies, source, commit, recompile) = try load(sources[index], other: sources[1 - index])
            guard let policySet = policies.policySet else {
                invalid = true
                FileHandle.standardError.write(Data("error: the \(side.name) `\(side.spec)` has errors:\n".utf8))
                FileHandle.standardError.write(Data(render(
                    policies.diagnostics, sources: policies.sources, format: .human,
                    locale: DiagnosticLanguage.preferred(locale)).utf8))
                continue
            }
            loaded.append(ReplaySide(policySet: policySet, source: source, commit: commit, recompile: recompile))
        }
        if invalid { throw RescindExit.invalidInput }
        let policySets = loaded.map(\.policySet)
        let unknown = thresholds.compactMap { $0.unknownName(in: policySets) }
        if !unknown.isEmpty { throw ValidationError(unknown.map(\.message).joined(separator: "\n")) }
        // Each side matches the tag to its own locales; a tag either lacks is refused.
        for side in policySets { _ = try PolicyOptions.match(locale, in: side) }

        guard let reader = LineReader(path: requests) else { throw ValidationError("cannot open `\(requests)`") }
        let replay = Replay(
            baseline: loaded[0], candidate: loaded[1], samples: samples, locale: locale,
            requestLimits: try requestLimitOptions.limits())
        var report = replay.run(reader, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        report.check(thresholds)
        let output = switch format {
        case .human: report.text
        case .json: report.json
        case .markdown: report.markdown
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        let exceeded = report.checks.filter(\.exceeded)
        if !exceeded.isEmpty {
            let list = exceeded.map { "`\($0.threshold.spec)`: \($0.measured)" }.joined(separator: "; ")
            FileHandle.standardError.write(Data(
                "replay: \(exceeded.count) of \(report.checks.count) --fail-on thresholds exceeded: \(list)\n".utf8))
            throw RescindExit.replayThresholdExceeded
        }
    }

    private func thresholds() throws -> [ReplayThreshold] {
        try failOn.map { spec in
            switch ReplayThreshold.parse(spec) {
            case .success(let threshold): return threshold
            case .failure(let error): throw ValidationError(error.message)
            }
        }
    }

    /// The two sides as given: folders or `git:REV[:path]`.
    private func sources() throws -> [PolicySource] {
        try [baseline, candidate].map { spec in
            do {
                return try PolicySource(spec)
            } catch let failure as GitPolicyRevision.Failure {
                throw ValidationError(failure.message)
            }
        }
    }

    /// One side's policies (a folder, or the policy folder at a git revision), and how to
    /// compile them again for another thread.
    private func load(_ source: PolicySource, other: PolicySource) throws -> (
        LoadedPolicies, source: String, commit: String?, recompile: @Sendable () -> PolicySet?
    ) {
        switch source.load(
            defaultFolder: PolicySource.defaultFolder(policiesPath: policiesPath, other: other),
            limits: try limitOptions.limits()) {
        case .success(let loaded):
            let reload = loaded.reload
            return (loaded.policies, source.spec, loaded.commit, { reload().policySet })
        case .failure(let failure): throw ValidationError("`\(source.spec)`: \(failure.message)")
        }
    }
}

/// `rescind replay --format`.
enum ReplayFormat: String, CaseIterable, ExpressibleByArgument {
    case human, json, markdown
}
