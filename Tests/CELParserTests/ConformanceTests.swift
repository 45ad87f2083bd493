import CELCommon
import CELParser
import Foundation
import Testing

/// The expressions of the CEL conformance suite (JSON form, see its README), found via
/// `$CEL_CONFORMANCE_DIR` or `../shared/cel-conformance` next to the package.
enum ConformanceCorpus {
    static let directory: URL? = {
        var candidates: [URL] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["CEL_CONFORMANCE_DIR"] {
            candidates.append(URL(fileURLWithPath: fromEnvironment))
        }
        // Tests/CELParserTests/ConformanceTests.swift → package root → ../shared.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/cel-conformance"))
        return candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("parse.json").path)
        }
    }()

    static let isAvailable = directory != nil

    /// Files whose syntax this parser does not cover: `optionals.json` needs the
    /// optional-field syntax (`a.?b`, `[?x]`), which the shared AST does not model, and
    /// `block_ext.json` is optimizer output that also uses it and names macro variables
    /// `cel.iterVar(0, 0)`, which only a `cel.block`-aware parser accepts.
    static let excludedFiles: Set<String> = ["index.json", "optionals.json", "block_ext.json"]

    struct Case: CustomStringConvertible {
        var file: String
        var name: String
        var expr: String
        var description: String { "\(file) \(name): \(expr)" }
    }

    /// Every test expression that does not need protobuf messages.
    static let cases: [Case] = {
        guard let directory else { return [] }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var cases: [Case] = []
        for file in files.sorted() where file.hasSuffix(".json") && !excludedFiles.contains(file) {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
                let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let sections = root["sections"] as? [[String: Any]]
            else { continue }
            for section in sections {
                for test in section["tests"] as? [[String: Any]] ?? [] {
                    let meta = test["meta"] as? [String: Any]
                    guard meta?["needs_proto_messages"] as? Bool == false, let expr = test["expr"] as? String else {
                        continue
                    }
                    cases.append(Case(file: file, name: test["name"] as? String ?? "?", expr: expr))
                }
            }
        }
        return cases
    }()
}

@Suite("Conformance corpus", .enabled(
    if: ConformanceCorpus.isAvailable,
    "CEL conformance JSON not found: set CEL_CONFORMANCE_DIR or put it at ../shared/cel-conformance"))
struct ConformanceTests {
    @Test func corpusIsLoaded() {
        // parse.json alone has 193 runnable expressions; all files together far more.
        #expect(ConformanceCorpus.cases.filter { $0.file == "parse.json" }.count == 193)
        #expect(ConformanceCorpus.cases.count > 1500)
    }

    @Test func everyExpressionParses() {
        var failures: [String] = []
        for test in ConformanceCorpus.cases {
            let (parsed, issues) = CELParser().parse(test.expr)
            if parsed == nil || !issues.isEmpty {
                failures.append("\(test): \(issues)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(20).joined(separator: "\n"))")
    }

    @Test func unparseRoundTrips() {
        var failures: [String] = []
        for test in ConformanceCorpus.cases {
            guard let parsed = CELParser().parse(test.expr).0 else { continue }
            let text = Unparser.unparse(parsed.expr)
            let (reparsed, issues) = CELParser().parse(text)
            guard let reparsed, issues.isEmpty else {
                failures.append("\(test)\n  unparsed: \(text)\n  issues: \(issues)")
                continue
            }
            if withoutIDs(reparsed.expr) != withoutIDs(parsed.expr) {
                failures.append("\(test)\n  unparsed: \(text)\n  before: \(sexpr(parsed.expr))\n  after:  \(sexpr(reparsed.expr))")
            }
            // Canonical text is a fixed point.
            if Unparser.unparse(reparsed.expr) != text {
                failures.append("\(test)\n  not a fixed point: \(text)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(10).joined(separator: "\n"))")
    }
}

