import ArgumentParser
import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// The options `eval` and `explain` share, and the one-request path they both take:
/// load the policies, read and decode the request, decide, print, exit by effect.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The policy folder.", valueName: "DIR"), completion: .directory)
    var policies: String = "Policies"

    @Option(
        help: ArgumentHelp(
            "The language of the reasons and the explanation; overrides the request's `locale`. Matched to the "
                + "policy set's locales as a BCP 47 tag (`zh`, `zh-Hans`, `zh_CN` → `zh-CN`); one it has no texts in is "
                + "a usage error. Also the language of the diagnostics when the policies fail to load.",
            valueName: "en|zh-CN"),
        completion: .list(PolicyOptions.locales))
    var locale: String?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @OptionGroup(title: "Request limits")
    var requestLimitOptions: RequestLimitOptions

    /// A decoder for `policySet`'s requests within the request limits.
    func decoder(for policySet: PolicySet) throws -> RequestDecoder {
        RequestDecoder(schema: policySet.schema, limits: try requestLimitOptions.limits())
    }

    /// The locales the policy language requires by default (`locales:` in
    /// `policy_set`); offered as completions, though a policy set may declare others.
    static let locales = ["en", "zh-CN"]

    /// `--locale` matched to the set's locales (see `LocaleMatcher`); nil when not given.
    /// A language the set has no texts in is a usage error, never a silent fallback.
    func matchedLocale(in policySet: PolicySet) throws -> String? {
        try Self.match(locale, in: policySet)
    }

    /// `tag` matched to `policySet`'s locales; a usage error when it matches none.
    static func match(_ tag: String?, in policySet: PolicySet) throws -> String? {
        guard let tag else { return nil }
        guard let matched = policySet.localeMatcher.match(tag) else {
            throw ValidationError(
                "--locale `\(tag)`: `\(policySet.name)` has no texts in this language; "
                    + "its locales are \(Suggestions.quotedList(policySet.locales, conjunction: "and"))")
        }
        return matched
    }

    /// The compiled policy set; with errors, prints the diagnostics and exits 3.
    func loadPolicySet() throws -> PolicySet {
        try Self.loadPolicySet(
            from: policies, locale: DiagnosticLanguage.preferred(locale), limits: try limitOptions.limits())
    }

    /// The compiled policy set in `folder`, loaded within `limits`; with errors, prints the diagnostics in
    /// `format` on `output` and exits 3.
    static func loadPolicySet(
        from folder: String, format: DiagnosticFormat = .human, output: FileHandle = .standardError,
        locale: Diagnostic.Locale = .en, limits: PolicyLimits
    ) throws -> PolicySet {
        let loaded = LoadedPolicies.load(paths: [folder], limits: limits)
        keepUntilExit(loaded)
        guard let policySet = loaded.policySet else {
            output.write(Data(render(loaded.diagnostics, sources: loaded.sources, format: format, locale: locale).utf8))
            throw RescindExit.invalidInput
        }
        return policySet
    }

    /// Decides the request at `path` (a file, or - for standard input), prints it as
    /// `output` asks and exits by its effect. A bad request prints its errors on
    /// standard error (and, for JSON output, the error object on standard output) and
    /// exits 3.
    func decide(_ path: String, with policySet: PolicySet, explain: Bool, output: DecisionOutput) throws {
        let bytes = try readInput(path)
        switch try decoder(for: policySet).decode(bytes) {
        case .failure(let error):
            FileHandle.standardError.write(Data(error.humanDescription(in: DiagnosticLanguage.preferred(locale)).utf8))
            if output == .json { FileHandle.standardOutput.write(Data((error.errorObject(line: nil) + "\n").utf8)) }
            throw RescindExit.invalidInput
        case .success(let decoded):
            let decision = policySet.decide(
                decoded.root, options: DecisionOptions(locale: try matchedLocale(in: policySet), explain: explain))
            FileHandle.standardOutput.write(Data(output.render(decision).utf8))
            switch decision.effect {
            case .allow: return
            case .deny: throw RescindExit.deny
            case .review: throw RescindExit.review
            }
        }
    }

    private func readInput(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read `\(path)`")
        }
        return Array(data)
    }
}

/// How one decision is printed.
enum DecisionOutput: Equatable {
    /// For people, with the selected part of the explanation.
    case text(ExplanationSelection)
    /// The decision JSON services read, on one line.
    case json
    /// Markdown for a pull request or a ticket, with the selected part of the explanation.
    case markdown(ExplanationSelection)

    func render(_ decision: Decision) -> String {
        switch self {
        case .text(let selection): decision.text(showing: selection)
        case .json: decision.json + "\n"
        case .markdown(let selection): decision.markdown(showing: selection)
        }
    }
}
