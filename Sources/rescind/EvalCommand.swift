import ArgumentParser
import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindHistory
import RescindPolicy

/// `rescind eval`: decide one request, or a stream of them, against a policy set.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Decide cancellation requests against a policy set.",
        discussion: """
            Exit codes for one request: 0 allow, 1 deny, 2 review, 3 invalid policies or request, \
            64 usage error. With --jsonl every line gets a decision (or an error object with its \
            line number) and the exit code is 0 unless the policies are invalid.

            With --history (or $RESCIND_HISTORY) and a policy set that declares `history:`, \
            each request's buyer history is read from the store before deciding \
            (docs/history.md); a set with `request_lists: refuse` needs it. A store that \
            cannot be opened exits 6.

            Examples:
              rescind eval --policies Policies Examples/requests/buyer-paid-card.json
              rescind eval --policies Policies --locale en \\
                  Examples/requests/buyer-after-shipment.json
              rescind eval --policies Policies --json --explain \\
                  Examples/requests/abuse-review.json
              rescind eval --policies Policies - < Examples/requests/support-verified.json
              jq -c . Examples/requests/*.json |
                  rescind eval --policies Policies --jsonl -
              rescind eval --policies Policies --history sqlite:history.db \\
                  Examples/requests/buyer-no-history.json
            """)

    @OptionGroup var options: PolicyOptions

    @OptionGroup var historyOptions: HistoryOptions

    @Argument(help: "The request JSON file, or - for standard input.", completion: .file(extensions: ["json"]))
    var request: String?

    @Option(
        help: ArgumentHelp("Decide one request per line (a file, or - for standard input).", valueName: "FILE"),
        completion: .file(extensions: ["jsonl", "ndjson"]))
    var jsonl: String?

    @Flag(help: "Print the decision as JSON.")
    var json = false

    @Flag(help: "Include the explanation.")
    var explain = false

    func validate() throws {
        if request == nil && jsonl == nil { throw ValidationError("give a request file (or -), or --jsonl FILE") }
        if request != nil && jsonl != nil { throw ValidationError("give either a request file or --jsonl, not both") }
    }

    func run() async throws {
        let policySet = try options.loadPolicySet()
        let locale = try options.matchedLocale(in: policySet)
        let location = try historyOptions.location()
        if policySet.history != nil, let location {
            try await decideWithHistory(location, policySet, locale)
            return
        }
        if let history = policySet.history, history.refusesRequestLists {
            // Deciding without the store would count nothing: the set takes the list
            // from the store only.
            throw ValidationError(
                "`\(policySet.name)` takes `\(history.list)` from the history store (`request_lists: refuse`): give "
                    + "--history LOCATION or $\(HistoryOptions.environmentVariable)")
        }
        if let jsonl {
            let decisionOptions = DecisionOptions(locale: locale, explain: explain)
            try stream(jsonl, policySet, try options.decoder(for: policySet), decisionOptions)
            return
        }
        try options.decide(request!, with: policySet, explain: explain, output: json ? .json : .text(.all))
    }

    /// One decision (or error object) per input line, written as it goes.
    private func stream(_ path: String, _ policySet: PolicySet, _ decoder: RequestDecoder, _ options: DecisionOptions) throws {
        guard let reader = LineReader(path: path) else { throw ValidationError("cannot open `\(path)`") }
        var output = BufferedOutput()
        // Whatever is decided is written before waiting for more input, so a reader of
        // a slow stream (a pipe, a terminal) gets each decision as its line arrives.
        while let bytes = reader.next(beforeReading: { output.flush() }) {
            switch decoder.decode(bytes) {
            case .success(let decoded): output.writeLine(policySet.decide(decoded.root, options: options))
            case .failure(let error): output.writeLine(error.errorObject(line: reader.number))
            }
        }
        output.flush()
    }
}

/// Collects output and writes it to standard output in large blocks: one write per
/// decision would cost more than the decision.
struct BufferedOutput {
    /// How much is collected before it is written: few system calls over a file. A slow
    /// input does not hold decisions back, as `stream` flushes whenever it is about to
    /// wait for more input.
    static let blockSize = 1 << 20

    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(Self.blockSize + 4096) }

    /// `text` and a newline.
    mutating func writeLine(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        endLine()
    }

    /// A decision's JSON and a newline, written straight into the buffer.
    mutating func writeLine(_ decision: Decision) {
        decision.writeJSON(into: &buffer)
        endLine()
    }

    private mutating func endLine() {
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.blockSize { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

// MARK: - With the history store

extension EvalCommand {
    /// Decides the request (or each `--jsonl` line) with its buyer's history settled
    /// from the store at `location` (`HistoryLookup`), as `rescind serve` does.
    private func decideWithHistory(_ location: HistoryLocation, _ policySet: PolicySet, _ locale: String?) async throws {
        let store = try await HistoryOptions.open(location, queryTimeout: .seconds(2))
        let lookup = HistoryLookup(store: store)
        let outcome: Result<Void, any Error>
        do {
            if let jsonl {
                try await streamWithHistory(jsonl, policySet, lookup, DecisionOptions(locale: locale, explain: explain))
            } else {
                try await decideOneWithHistory(request!, policySet, lookup, locale)
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await store.close()
        try outcome.get()
    }

    /// One request: printed as without the store, and the exit code by its effect; a
    /// request that carries a list the set refuses is an invalid request (3).
    private func decideOneWithHistory(_ path: String, _ policySet: PolicySet, _ lookup: HistoryLookup, _ locale: String?)
        async throws
    {
        let output: DecisionOutput = json ? .json : .text(.all)
        let bytes: [UInt8]
        if path == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read `\(path)`")
            }
            bytes = Array(data)
        }
        func reject(_ error: RequestError) -> ExitCode {
            FileHandle.standardError.write(Data(error.humanDescription(in: DiagnosticLanguage.preferred(options.locale)).utf8))
            if output == .json { FileHandle.standardOutput.write(Data((error.errorObject(line: nil) + "\n").utf8)) }
            return RescindExit.invalidInput
        }
        switch try self.options.decoder(for: policySet).decode(bytes) {
        case .failure(let error):
            throw reject(error)
        case .success(let decoded):
            switch await lookup.settle(decoded.root, for: policySet) {
            case .refused(let path, let message):
                throw reject(Self.refusal(path: path, message: message))
            case .decide(let settled):
                let decision = settled.decide(with: policySet, locale: locale, explain: explain)
                FileHandle.standardOutput.write(Data(output.render(decision).utf8))
                switch decision.effect {
                case .allow: return
                case .deny: throw RescindExit.deny
                case .review: throw RescindExit.review
                }
            }
        }
    }

    /// `--jsonl` with the store: one decision (or error object) per line, in order.
    private func streamWithHistory(
        _ path: String, _ policySet: PolicySet, _ lookup: HistoryLookup, _ options: DecisionOptions
    ) async throws {
        guard let reader = LineReader(path: path) else { throw ValidationError("cannot open `\(path)`") }
        let decoder = try self.options.decoder(for: policySet)
        var output = BufferedOutput()
        while let bytes = reader.next(beforeReading: { output.flush() }) {
            switch decoder.decode(bytes) {
            case .failure(let error):
                output.writeLine(error.errorObject(line: reader.number))
            case .success(let decoded):
                switch await lookup.settle(decoded.root, for: policySet) {
                case .refused(let path, let message):
                    output.writeLine(Self.refusal(path: path, message: message).errorObject(line: reader.number))
                case .decide(let settled):
                    output.writeLine(
                        settled.decide(with: policySet, locale: options.locale, explain: options.explain))
                }
            }
        }
        output.flush()
    }

    /// A request that carries the list the set takes from the store only, reported as
    /// the service reports it (`request-history-refused`, at the list's path).
    static func refusal(path: String, message: String) -> RequestError {
        HistoryLookup.requestError(path: path, message: message)
    }
}
