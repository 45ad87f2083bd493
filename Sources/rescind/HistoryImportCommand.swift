import ArgumentParser
import Foundation
import RescindEngine
import RescindHistory
import RescindJSON

/// `rescind history import`: cancellation events (JSON lines) or a decision log into the
/// history store.
struct HistoryImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import cancellation events, or the allowed decisions of a decision log, into the history store.",
        discussion: """
            FILE holds one JSON object a line (blank lines are skipped), either events \
            (`{"order_id", "buyer_id", "seller_id", "at", "initiator", "reason", \
            "request_id", "status"?}`, docs/history.md) or a decision log \
            (docs/decision-log.md), told apart by the first line's keys. From a decision \
            log, every decision whose effect is `allow` becomes the event its request \
            records; the buyer is the policy set's `history.buyer`, so a decision log \
            needs --policies. Rejected requests and deny or review decisions are skipped.

            Every line is read before anything is written: a line that is not a valid \
            event (or entry) is reported as FILE:LINE: error: … with its JSON path, and \
            nothing is imported (exit 3). An order id already recorded as the same \
            cancellation is a duplicate (nothing changes); recorded as a different one, \
            it is a conflict: reported, not written, and the import exits 7 after \
            importing the rest.

            Examples:
              rescind history import --history sqlite:history.db events.jsonl
              rescind history import --history sqlite:history.db --policies Policies \\
                  --format json decisions.log
              RESCIND_HISTORY=sqlite:history.db rescind history import - < events.jsonl
            """)

    @OptionGroup var historyOptions: HistoryOptions

    @Option(
        help: ArgumentHelp(
            "The policy folder whose `history.buyer` names the buyer (needed for a decision log).",
            valueName: "DIR"),
        completion: .directory)
    var policies: String?

    @Option(help: "How the summary is printed.")
    var format: HistoryOutputFormat = .human

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @Option(
        help: ArgumentHelp(
            "Events a transaction (default: 250000 for SQLite, 10000 for PostgreSQL).", valueName: "N"))
    var batchSize: Int?

    @Argument(
        help: "The events (JSON lines) or decision log, or - for standard input.",
        completion: .file(extensions: ["jsonl", "ndjson", "log"]))
    var file: String

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1; found `\(batchSize)`") }
    }

    func run() async throws {
        let location = try historyOptions.requiredLocation()
        let started = ContinuousClock.now
        let bytes = try readInput()
        let name = file == "-" ? "<stdin>" : file
        let lines = ImportLines(bytes)
        let kind = lines.firstLine.map(ImportInput.detect) ?? .events
        var read: ImportRead
        switch kind {
        case .events:
            read = ImportRead.events(lines)
        case .decisionLog:
            guard let policies else {
                throw ValidationError(
                    "`\(name)` is a decision log: give --policies DIR, whose `history.buyer` names the buyer of each "
                        + "decision")
            }
            let policySet = try PolicyOptions.loadPolicySet(from: policies, limits: try limitOptions.limits())
            guard policySet.history != nil else {
                throw ValidationError(
                    "`\(policies)` has no `history:` section: a decision log is imported with the policy set's "
                        + "`history.buyer`")
            }
            read = ImportRead.decisionLog(lines, policySet)
        }
        if !read.errors.isEmpty {
            var text = ""
            for error in read.errors.prefix(Self.shownErrors) { text += located(error, in: name) + "\n" }
            if read.errors.count > Self.shownErrors {
                text += "… and \(read.errors.count - Self.shownErrors) more bad lines\n"
            }
            text += "error: nothing imported: \(read.errors.count) bad \(read.errors.count == 1 ? "line" : "lines")\n"
            FileHandle.standardError.write(Data(text.utf8))
            throw RescindExit.invalidInput
        }
        let store = try await HistoryOptions.open(location, queryTimeout: .seconds(60))
        let summary: ImportSummary
        do {
            let batch = batchSize ?? { if case .sqlite = location { 250_000 } else { 10_000 } }()
            summary = try await store.import(events: read.events, batchSize: batch)
        } catch {
            await store.close()
            throw HistoryFailure.report(error)
        }
        await store.close()
        let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1_000_000
        let conflicts = locate(summary.conflicts, read)
        for conflict in conflicts {
            FileHandle.standardError.write(Data((located(conflict, in: name) + "\n").utf8))
        }
        let report = ImportReport(
            file: name, location: location.description, input: kind, events: read.events.count,
            skipped: read.skipped, imported: summary.recorded, duplicates: summary.duplicates,
            conflicts: conflicts, seconds: seconds)
        FileHandle.standardOutput.write(Data((format == .json ? report.json : report.human).utf8))
        if !conflicts.isEmpty { throw RescindExit.historyConflicts }
    }

    /// At most this many bad lines are printed (the count of all is).
    static let shownErrors = 20

    private func readInput() throws -> [UInt8] {
        if file == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read `\(file)`")
        }
        return Array(data)
    }

    /// `FILE:LINE: error: PATH: message` (or `FILE:LINE:COLUMN: error: message` for JSON
    /// that does not parse).
    private func located(_ error: LineError, in name: String) -> String {
        var prefix = "\(name):\(error.line)"
        if let column = error.column { prefix += ":\(column)" }
        return "\(prefix): error: " + (error.path.map { "\($0): " } ?? "") + error.message
    }

    /// The conflicts with the lines they came from: the store names the order id; the
    /// lines are those of that order that differ from its first line in the input (the
    /// one recorded, or the stored event's duplicate), or every line of the order when
    /// the stored event differs from all of them.
    private func locate(_ conflicts: [HistoryError], _ read: ImportRead) -> [LineError] {
        guard !conflicts.isEmpty else { return [] }
        var counts: [String: Int] = [:]
        var messages: [String: String] = [:]
        var unnamed: [LineError] = []
        for conflict in conflicts {
            guard let orderID = conflict.orderID else {
                unnamed.append(LineError(line: 0, path: nil, message: conflict.message))
                continue
            }
            counts[orderID, default: 0] += 1
            if messages[orderID] == nil { messages[orderID] = conflict.message }
        }
        var lines: [String: [Int]] = [:]
        for (index, event) in read.events.enumerated() where counts[event.orderID] != nil {
            lines[event.orderID, default: []].append(index)
        }
        var located: [LineError] = []
        for (orderID, count) in counts {
            let indexes = lines[orderID] ?? []
            guard let first = indexes.first else { continue }
            let differing = indexes.filter { !read.events[$0].isSameCancellation(as: read.events[first]) }
            let chosen = differing.count == count ? differing : indexes
            for index in chosen {
                located.append(LineError(line: read.lineNumbers[index], path: nil, message: messages[orderID]!))
            }
        }
        return located.sorted { $0.line < $1.line } + unnamed
    }
}

/// What kind of file an import reads.
enum ImportInput: String {
    case events
    case decisionLog = "decision-log"

    /// A decision log's line has a `request` and a `decision` or `error` member;
    /// anything else is read as an event (and reported as one when it is not).
    static func detect(_ line: ArraySlice<UInt8>) -> ImportInput {
        DecisionLogFormat.envelope(of: Array(line)).request != nil ? .decisionLog : .events
    }
}

/// The non-blank lines of an input, with their numbers.
struct ImportLines: Sequence {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The first line that is not blank.
    var firstLine: ArraySlice<UInt8>? {
        var iterator = makeIterator()
        return iterator.next()?.bytes
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0
        var number = 0

        mutating func next() -> (number: Int, bytes: ArraySlice<UInt8>)? {
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                number += 1
                let line = bytes[start..<end]
                start = end + 1
                if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) { return (number, line) }
            }
            return nil
        }
    }
}

/// An input line's problem, located.
struct LineError: Equatable {
    var line: Int
    var column: Int? = nil
    /// The JSON path (`$.at`), when the problem is a member's.
    var path: String?
    var message: String
}

/// Everything an import read, before anything is written.
struct ImportRead {
    var events: [CancellationEvent] = []
    /// The input line of each event, for locating conflicts.
    var lineNumbers: [Int] = []
    /// Decision-log lines that record nothing (rejected requests, deny and review).
    var skipped = 0
    var errors: [LineError] = []

    /// Event lines (`CancellationEventReader`).
    static func events(_ lines: ImportLines) -> ImportRead {
        var read = ImportRead()
        read.events.reserveCapacity(lines.bytes.count / 160)
        read.lineNumbers.reserveCapacity(lines.bytes.count / 160)
        for (number, line) in lines {
            do {
                read.events.append(try CancellationEventReader.event(fromLine: line, lineNumber: number))
                read.lineNumbers.append(number)
            } catch {
                read.errors.append(Self.lineError(error, line: number))
            }
        }
        return read
    }

    /// A decision log's lines: each allowed decision's request becomes the event it
    /// records (`HistoryLookup.event(recording:buyer:set:)`).
    static func decisionLog(_ lines: ImportLines, _ set: PolicySet) -> ImportRead {
        var read = ImportRead()
        let decoder = RequestDecoder(schema: set.schema)
        for (number, line) in lines {
            let bytes = Array(line)
            let envelope = DecisionLogFormat.envelope(of: bytes)
            guard let range = envelope.request else {
                read.errors.append(
                    LineError(line: number, path: "$", message: ImportMessages.notDecisionLogEntry))
                continue
            }
            if envelope.requestIsString {
                read.skipped += 1
                continue
            }
            guard let effect = decisionEffect(of: bytes) else {
                read.errors.append(LineError(line: number, path: "$.decision", message: ImportMessages.noEffect))
                continue
            }
            guard effect == "allow" else {
                read.skipped += 1
                continue
            }
            switch decoder.decode(Array(bytes[range])) {
            case .failure(let error):
                let path = error.path == "$" ? "$.request" : "$.request" + error.path.dropFirst()
                read.errors.append(LineError(line: number, path: path, message: error.message))
            case .success(let decoded):
                do {
                    let event = try HistoryLookup.event(
                        recording: decoded.root, buyer: set.historyBuyer(of: decoded.root), set: set)
                    read.events.append(event)
                    read.lineNumbers.append(number)
                } catch {
                    read.errors.append(LineError(line: number, path: "$.request", message: error.message))
                }
            }
        }
        return read
    }

    /// `decision.effect` of a log line; nil when the line has no decision object with a
    /// string `effect`.
    static func decisionEffect(of line: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let decision = object["decision"] as? [String: Any]
        else { return nil }
        return decision["effect"] as? String
    }

    /// The reader's location (`line 3, $.at` or `line 3, column 17`) as a `LineError`.
    static func lineError(_ error: HistoryError, line: Int) -> LineError {
        var result = LineError(line: line, path: nil, message: error.message)
        guard let location = error.location, let comma = location.firstIndex(of: ",") else { return result }
        let rest = location[location.index(after: comma)...].drop { $0 == " " }
        if rest.hasPrefix("column "), let column = Int(rest.dropFirst("column ".count)) {
            result.column = column
        } else if rest.hasPrefix("$") {
            result.path = String(rest)
        }
        return result
    }
}

/// The import's messages, together.
enum ImportMessages {
    static let notDecisionLogEntry =
        "not a decision-log entry (a `request` and a `decision` or `error` member), though the first line is one"
    static let noEffect = "the entry's `decision` has no `effect`"
}

/// What `rescind history import` prints.
struct ImportReport {
    var file: String
    var location: String
    var input: ImportInput
    var events: Int
    var skipped: Int
    var imported: Int
    var duplicates: Int
    var conflicts: [LineError]
    var seconds: Double

    var eventsPerSecond: Int { seconds > 0 ? Int((Double(events) / seconds).rounded()) : events }

    var human: String {
        var text = "imported \(file) into \(location)\n"
        text += "  read:       \(events) \(events == 1 ? "event" : "events")"
        if input == .decisionLog {
            text += " from allowed decisions (\(skipped) other \(skipped == 1 ? "entry" : "entries") skipped)"
        }
        text += "\n"
        text += "  imported:   \(imported)\n"
        text += "  duplicates: \(duplicates)\n"
        text += "  conflicts:  \(conflicts.count)\n"
        text += "  time:       \(String(format: "%.2f", seconds)) s (\(eventsPerSecond) events/s)\n"
        return text
    }

    var json: String {
        JSONWriter.text { out in
            out.object { out in
                out.member("file", string: file)
                out.member("history", string: location)
                out.member("input", string: input.rawValue)
                out.member("events", integer: events)
                out.member("skipped", integer: skipped)
                out.member("imported", integer: imported)
                out.member("duplicates", integer: duplicates)
                out.key("conflicts")
                out.array { out in
                    for conflict in conflicts {
                        out.element()
                        out.object { out in
                            out.member("line", integer: conflict.line)
                            out.member("message", string: conflict.message)
                        }
                    }
                }
                out.member("seconds", json: String(format: "%.3f", seconds))
                out.member("events_per_second", integer: eventsPerSecond)
            }
        } + "\n"
    }
}
