import ArgumentParser
import Foundation
import Rescind

/// `rescind eval`: decide one request, or a stream of them, against a policy set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Decide cancellation requests against a policy set.",
        discussion: """
            Exit codes for one request: 0 allow, 1 deny, 2 review, 3 invalid policies or request.
            With --jsonl every line gets a decision (or an error object) and the exit code is 0
            unless the policies are invalid.

            Examples:
              rescind eval --policies Policies Examples/requests/buyer-paid-card.json
              rescind eval --policies Policies --json --explain Examples/requests/abuse-review.json
              cat requests.jsonl | rescind eval --policies Policies --jsonl -
            """)

    @Option(help: "The policy folder.")
    var policies: String = "Policies"

    @Argument(help: "The request JSON file, or - for standard input.")
    var request: String?

    @Option(help: ArgumentHelp("Decide one request per line (a file, or - for standard input).", valueName: "FILE"))
    var jsonl: String?

    @Flag(help: "Print the decision as JSON.")
    var json = false

    @Flag(help: "Include the explanation.")
    var explain = false

    @Option(help: "The language of the reasons (en, zh-CN); overrides the request's `locale`.")
    var locale: String?

    func validate() throws {
        if request == nil && jsonl == nil { throw ValidationError("give a request file (or -), or --jsonl FILE") }
        if request != nil && jsonl != nil { throw ValidationError("give either a request file or --jsonl, not both") }
    }

    func run() throws {
        let loaded = LoadedPolicies.load(paths: [policies])
        guard let policySet = loaded.policySet else {
            FileHandle.standardError.write(Data(render(loaded.diagnostics, sources: loaded.sources, format: .human).utf8))
            throw RescindExit.invalidInput
        }
        let decoder = RequestDecoder(schema: policySet.schema)
        let options = DecisionOptions(locale: locale, explain: explain)
        if let jsonl {
            try stream(jsonl, policySet, decoder, options)
            return
        }
        let bytes = try readInput(request!)
        switch decoder.decode(bytes) {
        case .failure(let error):
            FileHandle.standardError.write(Data(Self.describe(error).utf8))
            if json { FileHandle.standardOutput.write(Data((Self.errorJSON(error, line: nil) + "\n").utf8)) }
            throw RescindExit.invalidInput
        case .success(let decoded):
            let decision = policySet.decide(decoded.root, options: options)
            FileHandle.standardOutput.write(Data(((json ? decision.json : decision.text) + (json ? "\n" : "")).utf8))
            switch decision.effect {
            case .allow: return
            case .deny: throw RescindExit.deny
            case .review: throw RescindExit.review
            }
        }
    }

    /// One decision (or error object) per input line, written as it goes.
    private func stream(_ path: String, _ policySet: PolicySet, _ decoder: RequestDecoder, _ options: DecisionOptions) throws {
        guard let input = path == "-" ? fdopen(STDIN_FILENO, "r") : fopen(path, "r") else {
            throw ValidationError("cannot open `\(path)`")
        }
        defer { if path != "-" { fclose(input) } }
        var output = BufferedOutput()
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        var number = 0
        while true {
            let length = getline(&line, &capacity, input)
            if length < 0 { break }
            number += 1
            var count = length
            while count > 0, line![count - 1] == 10 || line![count - 1] == 13 { count -= 1 }
            if count == 0 { continue }
            let bytes = UnsafeRawBufferPointer(start: line, count: count)
            switch decoder.decode(bytes) {
            case .success(let decoded): output.write(policySet.decide(decoded.root, options: options).json)
            case .failure(let error): output.write(Self.errorJSON(error, line: number))
            }
            output.write("\n")
        }
        free(line)
        output.flush()
    }

    private func readInput(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read `\(path)`")
        }
        return Array(data)
    }

    static func describe(_ error: RequestError) -> String {
        error.errors.map { item in
            "error[\(item.code)]: \(item.path): \(item.message)\n" + (item.help.map { "  = help: \($0)\n" } ?? "")
        }.joined()
    }

    /// `{"error": {"code", "message", "path"}}`, with the input line number when streaming.
    static func errorJSON(_ error: RequestError, line: Int?) -> String {
        var text = "{\"error\":{\"code\":\(jsonString(error.code.rawValue)),\"message\":\(jsonString(error.message)),\"path\":\(jsonString(error.path))"
        if let help = error.help { text += ",\"help\":\(jsonString(help))" }
        if let line { text += ",\"line\":\(line)" }
        return text + "}}"
    }
}

/// Collects output and writes it in large blocks: one write per decision would cost
/// more than the decision.
struct BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
