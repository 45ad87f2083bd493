import ArgumentParser
import CELRuntime
import Foundation
import RescindEngine
import RescindHistory
import RescindJSON

/// `rescind history purge`: deletes the events no threshold counts any more.
struct HistoryPurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete the events older than a cut from the history store.",
        discussion: """
            Deletes every event (recorded or retracted) whose `at` is before the cut. \
            Give the cut with --before, or let the policy set give it with --policies: \
            now, minus the longest window a threshold counts the history over, minus \
            --margin (default 168h, seven days, so a late request still finds its \
            history). "Now" is this machine's clock (purging is an operation, not a \
            decision); --now sets it.

            Examples:
              rescind history purge --history sqlite:history.db --policies Policies
              rescind history purge --history sqlite:history.db --before 2026-01-01T00:00:00Z
            """)

    @OptionGroup var historyOptions: HistoryOptions

    @Option(
        help: ArgumentHelp("Delete the events before this instant (RFC 3339 with an offset).", valueName: "RFC3339"))
    var before: String?

    @Option(
        help: ArgumentHelp(
            "The policy folder: the cut is now minus its longest history window minus --margin.", valueName: "DIR"),
        completion: .directory)
    var policies: String?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @Option(
        help: ArgumentHelp(
            "Kept beyond the longest window, with --policies (a duration: `168h`, `30m`).", valueName: "DURATION"))
    var margin: String?

    @Option(help: ArgumentHelp("The instant taken as now, with --policies (RFC 3339).", valueName: "RFC3339"))
    var now: String?

    @Option(help: "How the result is printed.")
    var format: HistoryOutputFormat = .human

    /// Seven days beyond the longest window, unless --margin says otherwise.
    static let defaultMargin = "168h"

    func validate() throws {
        switch (before, policies) {
        case (nil, nil): throw ValidationError("give the cut: --before RFC3339, or --policies DIR")
        case (.some, .some): throw ValidationError("give either --before or --policies, not both")
        case (.some, nil):
            if margin != nil { throw ValidationError("--margin goes with --policies, not --before") }
            if now != nil { throw ValidationError("--now goes with --policies, not --before") }
        case (nil, .some): break
        }
        if let before, HistoryInstant.parsing(before) == nil {
            throw ValidationError(
                "--before `\(before)` is not an RFC 3339 timestamp with an offset (e.g. `2026-03-01T10:00:00Z`)")
        }
        if let now, HistoryInstant.parsing(now) == nil {
            throw ValidationError(
                "--now `\(now)` is not an RFC 3339 timestamp with an offset (e.g. `2026-03-01T10:00:00Z`)")
        }
        if let margin {
            guard let duration = CELDuration(parsing: margin), duration.seconds >= 0, duration.nanos >= 0 else {
                throw ValidationError("--margin `\(margin)` is not a duration that is not negative (e.g. `168h`, `30m`)")
            }
        }
    }

    func run() async throws {
        let location = try historyOptions.requiredLocation()
        let cut = try self.cut()
        let store = try await HistoryOptions.open(location, queryTimeout: .seconds(600))
        let purged: Int
        do {
            purged = try await store.purge(before: cut)
        } catch {
            await store.close()
            throw HistoryFailure.report(error)
        }
        await store.close()
        let text: String
        switch format {
        case .human:
            text = "purged \(purged) \(purged == 1 ? "event" : "events") before \(cut.rfc3339) from \(location)\n"
        case .json:
            text = JSONWriter.text { out in
                out.object { out in
                    out.member("history", string: location.description)
                    out.member("before", string: cut.rfc3339)
                    out.member("purged", integer: purged)
                }
            } + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// `--before`, or now minus the set's longest window minus the margin.
    func cut() throws -> HistoryInstant {
        if let before { return HistoryInstant.parsing(before)! }
        let policySet = try PolicyOptions.loadPolicySet(from: policies!, limits: try limitOptions.limits())
        guard let history = policySet.history else {
            throw ValidationError(
                "`\(policies!)` has no `history:` section, so no window says what is still counted; give --before")
        }
        let margin = CELDuration(parsing: margin ?? Self.defaultMargin)!
        let now = self.now.flatMap(HistoryInstant.parsing) ?? HistoryInstant(microseconds: Self.wallClockMicroseconds())
        func micros(_ duration: CELDuration) -> Int64 { duration.seconds * 1_000_000 + Int64(duration.nanos) / 1_000 }
        return now.adding(microseconds: -(micros(history.window) + micros(margin)))
    }

    /// The wall clock, in microseconds since the epoch.
    static func wallClockMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
