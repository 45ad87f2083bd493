import Foundation
import RescindEngine

/// A policy folder loaded, checked and compiled: decides cancellation requests.
///
/// Load once and share: a `PolicyEngine` is immutable and `Sendable`, and deciding does
/// not lock, so any number of threads may decide with one engine at once.
///
///     let engine = try PolicyEngine(folder: "Policies")
///     let decision = try engine.decide(json: requestText, locale: "zh-CN", explain: true)
///     print(decision.text)
public struct PolicyEngine: Sendable {
    private let policySet: PolicySet
    private let decoder: RequestDecoder

    /// The warnings found while loading (errors stop the load); empty for a clean set.
    public let warnings: PolicyDiagnostics

    /// Loads every policy file in `folder`, checks and compiles them.
    ///
    /// - Throws: ``PolicyDiagnostics`` with every error and warning, when there is an
    ///   error; render it (``PolicyDiagnostics/rendered(format:color:)``) to show where.
    public init(folder: String) throws(PolicyDiagnostics) {
        let loaded = LoadedPolicies.load(paths: [folder])
        let diagnostics = PolicyDiagnostics(loaded)
        guard let policySet = loaded.policySet else { throw diagnostics }
        self.init(policySet, warnings: diagnostics)
    }

    /// An engine for a policy set compiled by other means (a test, a server's store).
    package init(_ policySet: PolicySet, warnings: PolicyDiagnostics = PolicyDiagnostics()) {
        self.policySet = policySet
        self.decoder = RequestDecoder(schema: policySet.schema)
        self.warnings = warnings
    }

    /// Checks the policy files in `folder` without keeping the compiled set: every error
    /// and warning, as `rescind check` reports them.
    public static func check(folder: String) -> PolicyDiagnostics {
        PolicyDiagnostics(LoadedPolicies.load(paths: [folder]))
    }

    // MARK: - The policy set

    /// The policy set's `name`.
    public var name: String { policySet.name }
    /// The policy set's `version`.
    public var version: String { policySet.version }
    /// The SHA-256 of the policy files, hex: which exact set made a decision.
    public var digest: String { policySet.digest }
    /// The locales every reason and description has a text in (`en`, `zh-CN`).
    public var locales: [String] { policySet.locales }

    /// `tag` (a BCP 47 tag such as `zh`, `zh-Hans` or `zh_CN`) matched to one of
    /// ``locales``; nil when the set has no texts in that language.
    public func locale(matching tag: String) -> String? { policySet.localeMatcher.match(tag) }

    // MARK: - Deciding

    /// Decodes a request and checks it against the policy set's schema.
    ///
    /// - Throws: ``RequestError`` with every problem found, each at its JSON path.
    public func decode(json: some Collection<UInt8>) throws(RequestError) -> DecodedRequest {
        try decoder.decode(json).get()
    }

    /// Decodes a request given as JSON text (see ``decode(json:)-(Collection<UInt8>)``).
    public func decode(json: String) throws(RequestError) -> DecodedRequest {
        try decoder.decode(json).get()
    }

    /// Decides a decoded request. Deterministic: the clock is the request's `at`, so the
    /// same request against the same set always gets the same decision.
    ///
    /// - Parameters:
    ///   - locale: The language of the reasons and the explanation, overriding the
    ///     request's `locale`; matched as ``locale(matching:)`` does, and used as given
    ///     when it matches none (the texts then fall back to English).
    ///   - explain: Records why: the decision's ``Decision/explanation`` is then set.
    ///   - costBudget: The most CEL work the whole decision may do; nil leaves each
    ///     expression to its own limit. An expression over budget is a problem of the
    ///     decision, and the decision is at least the set's `on_error` effect.
    public func decide(
        _ request: DecodedRequest, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
    ) -> Decision {
        let matched = locale.map { self.locale(matching: $0) ?? $0 }
        return policySet.decide(
            request.root, options: DecisionOptions(locale: matched, explain: explain, costBudget: costBudget))
    }

    /// Decodes a request given as JSON bytes and decides it (see ``decide(_:locale:explain:costBudget:)``).
    ///
    /// - Throws: ``RequestError`` when the request does not match the schema; nothing is decided.
    public func decide(
        json: some Collection<UInt8>, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
    ) throws(RequestError) -> Decision {
        decide(try decode(json: json), locale: locale, explain: explain, costBudget: costBudget)
    }

    /// Decodes a request given as JSON text and decides it (see ``decide(_:locale:explain:costBudget:)``).
    ///
    /// - Throws: ``RequestError`` when the request does not match the schema; nothing is decided.
    public func decide(
        json: String, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
    ) throws(RequestError) -> Decision {
        decide(try decode(json: json), locale: locale, explain: explain, costBudget: costBudget)
    }

    /// Reads a request JSON file and decides it (see ``decide(_:locale:explain:costBudget:)``):
    /// for tools and examples; a service decides the bytes it received with
    /// ``decide(json:locale:explain:costBudget:)-(Collection<UInt8>,_,_,_)``.
    ///
    /// - Throws: ``RequestFileError`` when the file cannot be read, ``RequestError`` when
    ///   the request does not match the schema.
    public func decide(
        file path: String, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
    ) throws -> Decision {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw RequestFileError(path: path) }
        return try decide(json: bytes, locale: locale, explain: explain, costBudget: costBudget)
    }
}

/// A request file that could not be read (``PolicyEngine/decide(file:locale:explain:costBudget:)``).
public struct RequestFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as given.
    public let path: String

    public var description: String { "cannot read `\(path)`" }
}
