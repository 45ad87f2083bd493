import ArgumentParser
import Dispatch
import Foundation
import Logging
import RescindServer

extension LogFormat: ExpressibleByArgument {}
extension DecisionLogDurability: ExpressibleByArgument {}

/// `rescind serve`'s operations flags: the decision log and the log format. Each has an
/// environment variable, read when the flag is not given (docs/server.md).
struct ServeOperationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Append every decision to this JSON Lines file (docs/decision-log.md).", valueName: "PATH"),
        completion: .file(extensions: ["jsonl"]))
    var decisionLog: String?

    @Option(help: ArgumentHelp(
        "Rotate the decision log before it passes this size; 0 never rotates (default 104857600).", valueName: "BYTES"))
    var decisionLogMaxBytes: Int?

    @Option(help: ArgumentHelp("Rotated decision logs kept, PATH.1 (newest) to PATH.N (default 5).", valueName: "N"))
    var decisionLogKeep: Int?

    @Option(help: ArgumentHelp(
        "The fraction of decisions logged, chosen by request id (default 1: all).", valueName: "RATE"))
    var decisionLogSample: Double?

    @Option(help: ArgumentHelp(
        "Entries waiting to be written, in bytes; beyond, entries are dropped and counted (default 16777216).",
        valueName: "BYTES"))
    var decisionLogBufferBytes: Int?

    @Option(help: ArgumentHelp(
        "Rejected requests logged per second at most; the rest are counted, not logged (default 100).",
        valueName: "PER-SECOND"))
    var decisionLogErrorRate: Double?

    @Option(help: ArgumentHelp(
        "When a decision is answered: async (at once), write (after write(2)), fsync (after fdatasync) (default async).",
        valueName: "MODE"))
    var decisionLogDurability: DecisionLogDurability?

    @Option(help: ArgumentHelp("The service's own logs; json writes one object per line (default text).", valueName: "format"))
    var logFormat: LogFormat?

    /// Sets the decision log and the log format of `configuration`: flags first, then
    /// `environment`, then the defaults.
    func apply(to configuration: inout ServerConfiguration, environment: [String: String]) throws {
        let settings = FlagOrVariable(environment: environment)
        func value<T: LosslessStringConvertible>(_ flag: T?, _ name: String, _ what: String) throws -> T? {
            try settings.value(flag, name, what)
        }
        configuration.logFormat =
            try value(logFormat, "RESCIND_LOG_FORMAT", "`text` or `json`") ?? configuration.logFormat

        let path = try value(decisionLog, "RESCIND_DECISION_LOG", "a path")
        guard let path else {
            // A flag that would do nothing is a mistake worth saying; the variables are
            // ignored, as a deployment may set them all and the path only where it logs.
            let given = [
                ("--decision-log-max-bytes", decisionLogMaxBytes != nil), ("--decision-log-keep", decisionLogKeep != nil),
                ("--decision-log-sample", decisionLogSample != nil),
                ("--decision-log-buffer-bytes", decisionLogBufferBytes != nil),
                ("--decision-log-error-rate", decisionLogErrorRate != nil),
                ("--decision-log-durability", decisionLogDurability != nil),
            ].filter(\.1).map(\.0)
            if let flag = given.first {
                throw ValidationError("\(flag) needs a decision log: give --decision-log PATH (or RESCIND_DECISION_LOG)")
            }
            configuration.decisionLog = nil
            return
        }
        var log = DecisionLogConfiguration(path: path)
        log.maxBytes = try value(decisionLogMaxBytes, "RESCIND_DECISION_LOG_MAX_BYTES", "a number of bytes") ?? log.maxBytes
        log.keep = try value(decisionLogKeep, "RESCIND_DECISION_LOG_KEEP", "a number") ?? log.keep
        log.sampleRate = try value(decisionLogSample, "RESCIND_DECISION_LOG_SAMPLE", "a number from 0 to 1") ?? log.sampleRate
        log.bufferBytes =
            try value(decisionLogBufferBytes, "RESCIND_DECISION_LOG_BUFFER_BYTES", "a number of bytes") ?? log.bufferBytes
        log.errorRate =
            try value(decisionLogErrorRate, "RESCIND_DECISION_LOG_ERROR_RATE", "a number of entries a second") ?? log.errorRate
        log.durability =
            try value(decisionLogDurability, "RESCIND_DECISION_LOG_DURABILITY", "`async`, `write` or `fsync`") ?? log.durability
        guard log.errorRate >= 0, log.errorRate.isFinite else {
            throw ValidationError("--decision-log-error-rate (RESCIND_DECISION_LOG_ERROR_RATE) must be 0 or more; found `\(log.errorRate)`")
        }
        guard log.maxBytes >= 0 else { throw ValidationError("--decision-log-max-bytes (RESCIND_DECISION_LOG_MAX_BYTES) must be 0 or more; found `\(log.maxBytes)`") }
        guard log.keep >= 0 else { throw ValidationError("--decision-log-keep (RESCIND_DECISION_LOG_KEEP) must be 0 or more; found `\(log.keep)`") }
        guard (0...1).contains(log.sampleRate) else {
            throw ValidationError("--decision-log-sample (RESCIND_DECISION_LOG_SAMPLE) must be from 0 to 1; found `\(log.sampleRate)`")
        }
        guard log.bufferBytes > 0 else {
            throw ValidationError("--decision-log-buffer-bytes (RESCIND_DECISION_LOG_BUFFER_BYTES) must be positive; found `\(log.bufferBytes)`")
        }
        configuration.decisionLog = log
    }
}

/// Sends every logger of the process to the chosen format (swift-log can be set up once).
func bootstrapLogging(_ format: LogFormat) {
    switch format {
    case .text: break  // swift-log's default: text on standard error
    case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
    }
}

/// How `rescind serve` reads a setting: the flag when given, else the environment
/// variable (an empty one counts as unset), else nil for the caller's default.
struct FlagOrVariable {
    let environment: [String: String]

    /// The flag, or the variable parsed as `T`; a variable that does not parse is a
    /// usage error naming it, what it must be and what it holds.
    func value<T: LosslessStringConvertible>(_ flag: T?, _ name: String, _ what: String) throws -> T? {
        if let flag { return flag }
        guard let text = environment[name], !text.isEmpty else { return nil }
        guard let value = T(text) else { throw ValidationError("\(name) must be \(what); found `\(text)`") }
        return value
    }

    /// The flag, or the variable as text.
    func text(_ flag: String?, _ name: String) -> String? {
        flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
