import ArgumentParser
import Foundation
import RescindHistory
import RescindJSON

/// `rescind history stats`: counts over the history store.
struct HistoryStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count the events in the history store.",
        discussion: """
            Prints the events stored (retracted ones among them), the buyers they belong \
            to, the oldest and newest `at` (UTC) and the schema version.

            Examples:
              rescind history stats --history sqlite:history.db
              RESCIND_HISTORY=postgres://rescind@db/rescind rescind history stats --format json
            """)

    @OptionGroup var historyOptions: HistoryOptions

    @Option(help: "How the counts are printed.")
    var format: HistoryOutputFormat = .human

    func run() async throws {
        let location = try historyOptions.requiredLocation()
        let store = try await HistoryOptions.open(location, queryTimeout: .seconds(60))
        let stats: HistoryStats
        do {
            stats = try await store.stats()
        } catch {
            await store.close()
            throw HistoryFailure.report(error)
        }
        await store.close()
        let text = format == .json ? Self.json(stats, location) : Self.human(stats, location)
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func human(_ stats: HistoryStats, _ location: HistoryLocation) -> String {
        """
        history:        \(location)
        schema version: \(stats.schemaVersion)
        events:         \(stats.events) (\(stats.retracted) retracted)
        buyers:         \(stats.buyers)
        oldest:         \(stats.oldest?.rfc3339 ?? "-")
        newest:         \(stats.newest?.rfc3339 ?? "-")

        """
    }

    static func json(_ stats: HistoryStats, _ location: HistoryLocation) -> String {
        JSONWriter.text { out in
            out.object { out in
                out.member("history", string: location.description)
                out.member("schema_version", integer: stats.schemaVersion)
                out.member("events", integer: stats.events)
                out.member("retracted", integer: stats.retracted)
                out.member("buyers", integer: stats.buyers)
                out.member("oldest", string: stats.oldest?.rfc3339)
                out.member("newest", string: stats.newest?.rfc3339)
            }
        } + "\n"
    }
}
