import ArgumentParser
import Foundation
import RescindEngine

/// The bounds on each request `eval`, `explain` and `replay` decode (docs/limits.md):
/// a flag and a `RESCIND_MAX_REQUEST_*` variable each, the flag first. `serve` keeps
/// its own `--max-body-bytes` for the size.
struct RequestLimitOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The largest request (one line of JSON lines), in bytes or with a unit; also RESCIND_MAX_REQUEST_BYTES "
                + "(default 1MiB).",
            valueName: "SIZE"))
    var maxRequestBytes: String?

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

    /// The limits: each flag, else its variable, else the default; a bad value is a
    /// usage error naming where it came from.
    func limits(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RequestLimits {
        var limits = RequestLimits.default
        func read(_ flag: String?, _ name: String, _ variable: String, _ unit: PolicyLimitOptions.Unit, ceiling: Int? = nil)
            throws -> Int?
        {
            if let flag { return try PolicyLimitOptions.number(flag, as: unit, ceiling: ceiling, name: name) }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            return try PolicyLimitOptions.number(text, as: unit, ceiling: ceiling, name: variable)
        }
        if let value = try read(maxRequestBytes, "--max-request-bytes", "RESCIND_MAX_REQUEST_BYTES", .bytes) {
            limits.maxBytes = value
        }
        if let value = try read(
            maxRequestDepth, "--max-request-depth", "RESCIND_MAX_REQUEST_DEPTH", .count,
            ceiling: PolicyLimitOptions.depthCeiling)
        {
            limits.maxDepth = value
        }
        if let value = try read(
            maxRequestListLength, "--max-request-list-length", "RESCIND_MAX_REQUEST_LIST_LENGTH", .count)
        {
            limits.maxListLength = value
        }
        if let value = try read(maxRequestErrors, "--max-request-errors", "RESCIND_MAX_REQUEST_ERRORS", .count) {
            limits.maxErrors = value
        }
        return limits
    }
}
