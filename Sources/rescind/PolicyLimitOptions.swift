import ArgumentParser
import Foundation
import Rescind
import RescindYAML

/// The limits on loading a policy set, shared by every command that loads one
/// (docs/limits.md). Each is a flag and a `RESCIND_*` variable: the flag wins, then the
/// variable, then the default, which assumes the policy files may be hostile.
struct PolicyLimitOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The largest policy file, in bytes or with a unit (`512KiB`, `4MiB`); also RESCIND_MAX_FILE_SIZE "
                + "(default 1MiB). See docs/limits.md.",
            valueName: "SIZE"))
    var maxFileSize: String?

    @Option(
        help: ArgumentHelp(
            "The deepest nesting of YAML collections in a policy file, aliases included; also "
                + "RESCIND_MAX_YAML_DEPTH (default 64, at most 1000).",
            valueName: "N"))
    var maxYamlDepth: String?

    @Option(
        help: ArgumentHelp(
            "The most nodes YAML aliases may expand to in one file; also RESCIND_MAX_ALIAS_EXPANSION (default 10000).",
            valueName: "N"))
    var maxAliasExpansion: String?

    @Option(
        help: ArgumentHelp(
            "The most YAML errors reported for one file before reading it stops; also RESCIND_MAX_ERRORS (default 100).",
            valueName: "N"))
    var maxErrors: String?

    @Option(
        help: ArgumentHelp(
            "The longest CEL condition, in bytes or with a unit; also RESCIND_MAX_EXPRESSION_LENGTH (default 100000).",
            valueName: "SIZE"))
    var maxExpressionLength: String?

    @Option(
        help: ArgumentHelp(
            "The deepest nesting of a CEL condition; also RESCIND_MAX_EXPRESSION_DEPTH (default 200, at most 1000).",
            valueName: "N"))
    var maxExpressionDepth: String?

    /// Nesting is read by recursive code (the YAML tree, the CEL parser, checker and
    /// planner): past this a thread's stack could run out, so no setting goes beyond it.
    static let depthCeiling = 1000

    /// One limit: its flag, its variable, how its value reads, and where it goes.
    private struct Setting {
        let flag: String
        let variable: String
        let value: String?
        let unit: Unit
        let ceiling: Int?
        let apply: (inout PolicyLimits, Int) -> Void
    }

    /// How a value reads: a plain count, or a size that may carry a unit.
    enum Unit { case count, bytes }

    private var settings: [Setting] {
        [
            Setting(
                flag: "--max-file-size", variable: "RESCIND_MAX_FILE_SIZE", value: maxFileSize, unit: .bytes,
                ceiling: nil, apply: { $0.yaml.maxFileSize = $1 }),
            Setting(
                flag: "--max-yaml-depth", variable: "RESCIND_MAX_YAML_DEPTH", value: maxYamlDepth, unit: .count,
                ceiling: Self.depthCeiling, apply: { $0.yaml.maxDepth = $1 }),
            Setting(
                flag: "--max-alias-expansion", variable: "RESCIND_MAX_ALIAS_EXPANSION", value: maxAliasExpansion,
                unit: .count, ceiling: nil, apply: { $0.yaml.maxAliasExpansion = $1 }),
            Setting(
                flag: "--max-errors", variable: "RESCIND_MAX_ERRORS", value: maxErrors, unit: .count, ceiling: nil,
                apply: { $0.yaml.maxErrors = $1 }),
            Setting(
                flag: "--max-expression-length", variable: "RESCIND_MAX_EXPRESSION_LENGTH", value: maxExpressionLength,
                unit: .bytes, ceiling: nil, apply: { $0.maxExpressionLength = $1 }),
            Setting(
                flag: "--max-expression-depth", variable: "RESCIND_MAX_EXPRESSION_DEPTH", value: maxExpressionDepth,
                unit: .count, ceiling: Self.depthCeiling, apply: { $0.maxExpressionDepth = $1 }),
        ]
    }

    /// Fails (exit 64) on a bad flag or variable before anything is loaded.
    func validate() throws {
        _ = try limits()
    }

    /// The limits: each flag, else its variable, else the default. A value that is not
    /// a positive number (or size) within range is a usage error naming the flag or the
    /// variable it came from.
    func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PolicyLimits {
        var limits = PolicyLimits.default
        for setting in settings {
            let given: (name: String, text: String)
            if let value = setting.value {
                given = (setting.flag, value)
            } else if let value = environment[setting.variable], !value.isEmpty {
                given = (setting.variable, value)
            } else {
                continue
            }
            setting.apply(&limits, try Self.number(given.text, as: setting.unit, ceiling: setting.ceiling, name: given.name))
        }
        return limits
    }

    /// The limits from the environment alone (for shell completion, which has no flags
    /// parsed); the defaults when a variable is bad.
    static func fromEnvironment() -> PolicyLimits {
        (try? PolicyLimitOptions.parse([]).limits()) ?? .default
    }

    /// Reads `text` as a positive count, or for `.bytes` a size with an optional unit:
    /// `B`, `KiB`/`MiB`/`GiB` (powers of 1024), `KB`/`MB`/`GB` (powers of 1000), in any case.
    static func number(_ text: String, as unit: Unit, ceiling: Int?, name: String) throws -> Int {
        let what =
            unit == .bytes
            ? "a positive size in bytes, or with a unit (`512KiB`, `4MiB`)" : "a positive whole number"
        func bad() -> ValidationError { ValidationError("\(name) `\(text)`: must be \(what)") }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let suffix = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard !digits.isEmpty else { throw bad() }
        let multiplier: Int
        switch (unit, suffix) {
        case (_, ""): multiplier = 1
        case (.bytes, "b"): multiplier = 1
        case (.bytes, "kib"), (.bytes, "k"): multiplier = 1 << 10
        case (.bytes, "mib"), (.bytes, "m"): multiplier = 1 << 20
        case (.bytes, "gib"), (.bytes, "g"): multiplier = 1 << 30
        case (.bytes, "kb"): multiplier = 1_000
        case (.bytes, "mb"): multiplier = 1_000_000
        case (.bytes, "gb"): multiplier = 1_000_000_000
        default: throw bad()
        }
        guard let number = Int(digits) else {
            throw ValidationError("\(name) `\(text)`: too large")
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ValidationError("\(name) `\(text)`: too large") }
        guard value > 0 else { throw bad() }
        if let ceiling, value > ceiling {
            throw ValidationError("\(name) `\(text)`: must be at most \(ceiling)")
        }
        return value
    }
}
