import ArgumentParser
import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// `rescind eval`: decide one request, or a stream of them, against a policy set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Decide cancellation requests against a policy set.",
        discussion: """
            Exit codes for one request: 0 allow, 1 deny, 2 review, 3 invalid policies or request, \
            64 usage error. With --jsonl every line gets a decision (or an error object with its \
            line number) and the exit code is 0 unless the policies are invalid.

            Examples:
              rescind eval --policies Policies Examples/requests/buyer-paid-card.json
              rescind eval --policies Policies --locale en \\
                  Examples/requests/buyer-after-shipment.json
              rescind eval --policies Policies --json --explain \\
                  Examples/requests/abuse-review.json
              rescind eval --policies Policies - < Examples/requests/support-verified.json
              jq -c . Examples/requests/*.json |
                  rescind eval --policies Policies --jsonl -
            """)

    @OptionGroup var options: PolicyOptions

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

    func run() throws {
        let policySet = try options.loadPolicySet()
        let locale = try options.matchedLocale(in: policySet)
        if let jsonl {
            let decisionOptions = DecisionOptions(locale: locale, explain: explain)
            try stream(jsonl, policySet, RequestDecoder(schema: policySet.schema), decisionOptions)
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
