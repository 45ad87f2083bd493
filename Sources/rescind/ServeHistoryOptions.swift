import ArgumentParser
import Foundation
import RescindHistory
import RescindServer

/// `rescind serve`'s history flags (issue 14; docs/server.md, "History"). Each has an
/// environment variable, read when the flag is not given.
struct ServeHistoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Keep the cancellation history here: sqlite:PATH or postgres://USER@HOST/DB (RESCIND_HISTORY).",
        valueName: "LOCATION"))
    var history: String?

    @Option(help: ArgumentHelp(
        "The most a history store call may take, in milliseconds; a lookup that takes longer decides by on_history_unavailable (default 500).",
        valueName: "MS"))
    var historyTimeout: Int?

    @Option(help: ArgumentHelp(
        "Days events are kept past the longest window a threshold counts (default 7).", valueName: "DAYS"))
    var historyRetentionDays: Int?

    @Option(help: ArgumentHelp(
        "Seconds between purges of events past retention; 0 never purges (default 3600).", valueName: "SECONDS"))
    var historyPurgeInterval: Int?

    func apply(to configuration: inout ServerConfiguration, environment: [String: String]) throws {
        let settings = FlagOrVariable(environment: environment)
        guard let text = settings.text(history, "RESCIND_HISTORY") else {
            let given = [
                ("--history-timeout", historyTimeout != nil), ("--history-retention-days", historyRetentionDays != nil),
                ("--history-purge-interval", historyPurgeInterval != nil),
            ].filter(\.1).map(\.0)
            if let flag = given.first {
                throw ValidationError("\(flag) needs a history store: give --history LOCATION (or RESCIND_HISTORY)")
            }
            return
        }
        let location: HistoryLocation
        do {
            location = try HistoryLocation(parsing: text)
        } catch {
            throw ValidationError("--history: \(error.location.map { "\($0): " } ?? "")\(error.message)")
        }
        var history = HistoryConfiguration(location: location)
        if let timeout = try settings.value(historyTimeout, "RESCIND_HISTORY_TIMEOUT", "a number of milliseconds") {
            guard timeout > 0 else { throw ValidationError("--history-timeout must be positive; found `\(timeout)`") }
            history.timeout = .milliseconds(timeout)
        }
        if let days = try settings.value(historyRetentionDays, "RESCIND_HISTORY_RETENTION_DAYS", "a number of days") {
            guard days >= 0 else { throw ValidationError("--history-retention-days must be 0 or more; found `\(days)`") }
            history.retentionMargin = .seconds(days * 86_400)
        }
        if let seconds = try settings.value(historyPurgeInterval, "RESCIND_HISTORY_PURGE_INTERVAL", "a number of seconds") {
            guard seconds >= 0 else {
                throw ValidationError("--history-purge-interval must be 0 or more; found `\(seconds)`")
            }
            history.purgeInterval = seconds == 0 ? nil : .seconds(seconds)
        }
        configuration.history = history
    }
}
