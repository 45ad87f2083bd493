import ArgumentParser
import Foundation
import CELRuntime
import RescindHistory

/// `rescind history`: the cancellation history Rescind keeps for the repeat-canceller
/// thresholds (docs/history.md): import events or a decision log, count, purge.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Import, count and purge the cancellation history store.",
        discussion: """
            The store is named by --history or, when the flag is absent, by the \
            RESCIND_HISTORY environment variable: `sqlite:PATH` (a file, created when \
            missing) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&schema=…]`.

            Exit codes: 0 success, 3 invalid input (a bad event or decision-log line: nothing \
            is imported), 6 the history store cannot be opened or did not answer, 7 import: \
            some events conflict with recorded ones (the others are imported), 64 usage error.

            Examples:
              rescind history import --history sqlite:history.db events.jsonl
              rescind history import --history sqlite:history.db --policies Policies decisions.log
              rescind history stats --history sqlite:history.db --format json
              rescind history purge --history sqlite:history.db --policies Policies
              rescind history purge --history sqlite:history.db --before 2026-01-01T00:00:00Z
            """,
        subcommands: [HistoryImportCommand.self, HistoryStatsCommand.self, HistoryPurgeCommand.self]
    )
}

extension RescindExit {
    /// The history store cannot be opened (a missing server, a file that cannot be
    /// created, a schema newer than this build) or did not answer in time.
    static let historyUnavailable = ExitCode(6)
    /// `rescind history import`: some events conflict with recorded ones; the others
    /// were imported.
    static let historyConflicts = ExitCode(7)
}

/// `--history LOCATION`, shared by `rescind history …` and `rescind eval`.
struct HistoryOptions: ParsableArguments {
    /// The environment variable that names the store when `--history` is not given.
    static let environmentVariable = "RESCIND_HISTORY"

    @Option(
        help: ArgumentHelp(
            "Where the history is kept: `sqlite:PATH` or `postgres://USER@HOST/DATABASE` "
                + "(default: $RESCIND_HISTORY).",
            valueName: "LOCATION"))
    var history: String?

    /// The location's text: the flag, else the environment variable (an empty one counts
    /// as unset); nil when neither names one.
    func locationText(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let history { return history }
        guard let text = environment[Self.environmentVariable], !text.isEmpty else { return nil }
        return text
    }

    /// Whether the location came from the environment (for messages).
    var fromEnvironment: Bool { history == nil }

    /// The location, read; nil when none is given. A location that does not read is a
    /// usage error naming where it came from.
    func location() throws -> HistoryLocation? {
        guard let text = locationText() else { return nil }
        do {
            return try HistoryLocation(parsing: text)
        } catch {
            let source = fromEnvironment ? "$\(Self.environmentVariable)" : "--history"
            throw ValidationError("\(source) `\(text)`: \(error.location.map { "\($0): " } ?? "")\(error.message)")
        }
    }

    /// The location, which the command needs: a usage error when neither the flag nor
    /// the environment gives one.
    func requiredLocation() throws -> HistoryLocation {
        guard let location = try location() else {
            throw ValidationError(
                "give the history store with --history LOCATION or $\(Self.environmentVariable) "
                    + "(`sqlite:PATH` or `postgres://USER@HOST/DATABASE`)")
        }
        return location
    }

    /// Opens the store at `location`; a store that cannot be opened is reported on
    /// standard error and exits 6.
    static func open(_ location: HistoryLocation, queryTimeout: Duration) async throws -> any HistoryStore {
        do {
            return try await location.open(queryTimeout: queryTimeout)
        } catch {
            throw HistoryFailure.report(error)
        }
    }
}

/// How a store's failure ends a command: printed as `error[history-KIND]: …` and the exit
/// code its kind calls for.
enum HistoryFailure {
    static func report(_ error: HistoryError, output: FileHandle = .standardError) -> ExitCode {
        output.write(Data("error[history-\(error.kind.rawValue)]: \(error.message)\n".utf8))
        return exitCode(error.kind)
    }

    static func exitCode(_ kind: HistoryError.Kind) -> ExitCode {
        switch kind {
        case .invalidEvent: RescindExit.invalidInput
        case .conflict: RescindExit.historyConflicts
        case .invalidLocation: ExitCode.validationFailure
        case .timeout, .unavailable, .schema, .closed: RescindExit.historyUnavailable
        }
    }
}

/// How `rescind history` subcommands print their summary.
enum HistoryOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json
}

extension HistoryInstant {
    /// RFC 3339 text (with an offset; at most microseconds) as an instant; nil otherwise.
    static func parsing(_ text: String) -> HistoryInstant? {
        guard let timestamp = CELTimestamp(rfc3339: text), timestamp.nanos % 1_000 == 0 else { return nil }
        return HistoryInstant(flooring: timestamp)
    }
}
