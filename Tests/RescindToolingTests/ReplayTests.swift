import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing
import RescindYAML

/// The parts of replay below the command line: reading decision-log lines, `--fail-on`
/// thresholds, and loading a folder from in-memory files with the disk digest.
@Suite("replay")
struct ReplayTests {
    /// The request `DecisionLogLine` finds in `line`, as text, and whether it is an entry.
    static func request(in line: String, quick: Bool = false) -> (String, Bool) {
        var line = line
        return line.withUTF8 { bytes in
            let found = DecisionLogLine.request(in: UnsafeRawBufferPointer(bytes), quick: quick)
            return (String(decoding: found.request, as: UTF8.self), found.isLogEntry)
        }
    }

    @Test("a log entry's request is found whatever the order and spacing of its members", arguments: [
        #"{"decision_id":"d","request":{"id":"r","x":{"a":[1,"}"]}},"decision":{"effect":"allow"}}"#,
        #"{ "decision" : {"effect": "deny"} , "request" : {"id":"r","x":{"a":[1,"}"]}} }"#,
        #"{"request":{"id":"r","x":{"a":[1,"}"]}},"error":{"code":"request-invalid-enum"}}"#,
        #"{"policy":{"name":"p"},"latency_us":12,"logged_at":"2026-11-27T02:00:00Z","request":{"id":"r","x":{"a":[1,"}"]}},"decision":{}}"#,
    ])
    func entries(line: String) {
        for quick in [false, true] {
            let (request, isEntry) = Self.request(in: line, quick: quick)
            #expect(isEntry)
            #expect(request == #"{"id":"r","x":{"a":[1,"}"]}}"#)
        }
    }

    @Test("anything else is a plain request: the whole line", arguments: [
        #"{"id":"r","at":"2026-11-27T10:00:00+08:00"}"#,
        #"{"request":{"id":"r"}}"#,  // no decision: a request with a field named `request`
        #"{"request":7,"decision":{}}"#,  // `request` is neither an object nor a string
        #"{"id": "broken","#,
        #"[1, 2]"#,
        "",
    ])
    func plain(line: String) {
        let (request, isEntry) = Self.request(in: line)
        #expect(!isEntry)
        #expect(request == line)
    }

    /// A rejected request is logged as text: the entry's `request` is a JSON string.
    @Test("a rejected request's entry carries its text")
    func rejectedText() {
        let line = #"{"seq":3,"boot_id":"b","truncated":false,"request":"{\"id\": \"r\u00e9\"}","decision":null,"error":{}}"#
        for quick in [false, true] {
            let (request, isEntry) = Self.request(in: line, quick: quick)
            #expect(isEntry)
            #expect(request == #""{\"id\": \"r\u00e9\"}""#)
            let text = Array(request.utf8).withUnsafeBytes { DecisionLogLine.unquote($0) }
            #expect(text.map { String(decoding: $0, as: UTF8.self) } == #"{"id": "ré"}"#)
        }
    }

    @Test("the quick guess stops at the first `},\"decision\":`; the exact scan reads through the request")
    func quickGuess() {
        let line = #"{"request":{"a":{"b":1},"decision":2},"decision":{}}"#
        #expect(Self.request(in: line, quick: true).0 == #"{"a":{"b":1}"#)  // does not decode: ask again
        #expect(Self.request(in: line).0 == #"{"a":{"b":1},"decision":2}"#)
        // Escaped quotes and backslashes inside strings do not end them.
        let escaped = #"{"request":{"a":"x\"}\\","b":"}"},"decision":{}}"#
        #expect(Self.request(in: escaped).0 == #"{"a":"x\"}\\","b":"}"}"#)
    }

    @Test("--fail-on thresholds parse into metrics and limits")
    func thresholds() throws {
        let cases: [(String, ReplayThreshold.Metric, ReplayThreshold.Limit)] = [
            ("allow->deny>1%", .flips(from: .allow, to: .deny), .percent(1)),
            ("any -> deny > 0", .flips(from: nil, to: .deny), .count(0)),
            ("changed>0.5%", .changed, .percent(Decimal(string: "0.5")!)),
            ("refund.amount>0", .obligation(.obligationField(type: "refund", field: "amount")), .count(0)),
            ("voucher.added>2", .obligation(.obligationAdded(type: "voucher")), .count(2)),
            ("refund.*>0", .obligationType("refund"), .count(0)),
            ("bad-lines>10", .badLines, .count(10)),
        ]
        for (spec, metric, limit) in cases {
            let threshold = try ReplayThreshold.parse(spec).get()
            #expect(threshold.spec == spec)
            #expect(threshold.metric == metric, "\(spec)")
            #expect(threshold.limit == limit, "\(spec)")
        }
    }

    @Test("a folder loaded from memory has the digest of the same folder on disk")
    func digestFromMemory() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = root.appendingPathComponent("Policies").path
        let onDisk = LoadedPolicies.load(paths: [folder])
        let files = try PolicyLoader.policyFiles(in: [folder]).map { path in
            (path: "REV:Policies/" + (path as NSString).lastPathComponent,
             name: (path as NSString).lastPathComponent,
             text: try String(contentsOfFile: path, encoding: .utf8))
        }
        let inMemory = LoadedPolicies.load(folder: "REV:Policies", files: files)
        #expect(onDisk.policySet?.digest != nil)
        #expect(inMemory.policySet?.digest == onDisk.policySet?.digest)
        #expect(inMemory.policySet?.files.first?.hasPrefix("REV:Policies/") == true)

        let empty = LoadedPolicies.load(folder: "REV:Nothing", files: [])
        #expect(empty.policySet == nil)
        #expect(empty.diagnostics.errors.first?.message == "no policy files found in `REV:Nothing`")
    }

    /// A `boot_id` written with escapes is the id it stands for: escaped once in the
    /// report (it was shown with its escapes escaped again, `b\\\"A`) and one boot
    /// however it is escaped (`\u0041` and `A` were two).
    @Test("a boot id with escapes is read as the id it stands for")
    func escapedBootID() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let set = try #require(LoadedPolicies.load(paths: [root.appendingPathComponent("Policies").path]).policySet)
        let request = #"{"id":"r","at":"2026-11-27T10:00:00+08:00"}"#
        let lines = [
            #"{"seq":1,"boot_id":"b\"A","request":"# + request + #","decision":{}}"#,
            #"{"seq":4,"boot_id":"b\"\u0041","request":"# + request + #","decision":{}}"#,
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-boot-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let side = ReplaySide(policySet: set, source: "Policies")
        let report = Replay(baseline: side, candidate: side).run(try #require(LineReader(path: path)))
        #expect(report.sequencedBoots == 1)
        #expect(report.gaps == [SequenceGap(bootID: #"b"A"#, missing: 2...3)])
        #expect(report.json.contains(#""first":[{"boot_id":"b\"A","from":2,"to":3}]"#))
    }
}
