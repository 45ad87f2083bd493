import ArgumentParser
import Foundation
import RescindEngine

/// The bounds on each request `eval`, `explain` and `replay` decode (docs/limits.md):
/// a flag and a `RESCIND_MAX_REQUEST_*` variable each, the flag first. `serve` takes
/// the shape limits (`RequestShapeOptions`) and keeps its own `--max-body-bytes` for
/// the size.
struct RequestLimitOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The largest request (one line of JSON lines), in bytes or with a unit; also RESCIND_MAX_REQUEST_BYTES "
                + "(default 1MiB).",
            valueName: "SIZE"))
    var maxRequestBytes: String?

    @OptionGroup var shape: RequestShapeOptions

    /// The limits: each flag, else its variable, else the default; a bad value is a
    /// usage error naming where it came from.
    func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RequestLimits {
        var limits = try shape.limits(environment: environment)
        if let value = try RequestShapeOptions.read(
            maxRequestBytes, "--max-request-bytes", "RESCIND_MAX_REQUEST_BYTES", .bytes, environment: environment)
        {
            limits.maxBytes = value
        }
        return limits
    }

    /// Fails (exit 64) on a bad flag or variable before anything is loaded.
    func validate() throws {
        _ = try limits()
    }
}

/// The request limits other than the size: nesting, array length, errors reported.
/// `serve` takes these as they are; `eval`, `explain` and `replay` with the size too.
struct RequestShapeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The deepest nesting of objects and arrays in a request; also RESCIND_MAX_REQUEST_DEPTH (default 32, "
                + "at most 1000).",
            valueName: "N"))
    var maxRequestDepth: String?

    @Option(
        help: ArgumentHelp(
            "The most elements in one array of a request; also RESCIND_MAX_REQUEST_LIST_LENGTH (default 10000).",
            valueName: "N"))
    var maxRequestListLength: String?

    @Option(
        help: ArgumentHelp(
            "The most errors reported for one request; also RESCIND_MAX_REQUEST_ERRORS (default 20).",
            valueName: "N"))
    var maxRequestErrors: String?

    /// Fails (exit 64) on a bad flag or variable before anything is loaded.
    func validate() throws {
        _ = try limits()
    }

    /// The default limits with these applied: each flag, else its variable.
    func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RequestLimits {
        var limits = RequestLimits.default
        if let value = try Self.read(
            maxRequestDepth, "--max-request-depth", "RESCIND_MAX_REQUEST_DEPTH", .count,
            ceiling: PolicyLimitOptions.depthCeiling, environment: environment)
        {
            limits.maxDepth = value
        }
        if let value = try Self.read(
            maxRequestListLength, "--max-request-list-length", "RESCIND_MAX_REQUEST_LIST_LENGTH", .count,
            environment: environment)
        {
            limits.maxListLength = value
        }
        if let value = try Self.read(
            maxRequestErrors, "--max-request-errors", "RESCIND_MAX_REQUEST_ERRORS", .count, environment: environment)
        {
            limits.maxErrors = value
        }
        return limits
    }

    /// The flag's value, else the variable's, read as `unit`; nil when neither is set.
    static func read(
        _ flag: String?, _ name: String, _ variable: String, _ unit: PolicyLimitOptions.Unit, ceiling: Int? = nil,
        environment: [String: String]
    ) throws -> Int? {
        if let flag { return try PolicyLimitOptions.number(flag, as: unit, ceiling: ceiling, name: name) }
        guard let text = environment[variable], !text.isEmpty else { return nil }
        return try PolicyLimitOptions.number(text, as: unit, ceiling: ceiling, name: variable)
    }
}
