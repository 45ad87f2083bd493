import CEL
import CELCommon
import CELRuntime
import Foundation
import Testing

/// Runs the official CEL conformance tests (cel-spec's simple tests, converted to
/// JSON; see the README next to the data) through parse → check → plan → evaluate.
///
/// The data is found at `$CEL_CONFORMANCE_DIR`, else `../shared/cel-conformance`
/// relative to the package root. Tests listed in `Skipped.json` are reported as
/// skipped with their reason; every other selected test must pass.
@Suite struct ConformanceTests {
    /// The core files (no protobuf messages needed).
    static let files = [
        "basic", "comparisons", "conversions", "fields", "fp_math", "integer_math", "lists", "logic",
        "macros", "namespace", "parse", "plumbing", "string", "timestamps",
    ]

    /// Without the data (a user's clone) the test is reported as skipped, not passed.
    @Test(.enabled(
        if: ConformanceData.directory() != nil,
        "CEL conformance JSON not found: set CEL_CONFORMANCE_DIR or put it at ../shared/cel-conformance"))
    func conformance() throws {
        let directory = try #require(ConformanceData.directory())
        let skipped = try SkipList.load()
        var failures: [String] = []
        var totals = (passed: 0, failed: 0, skipped: 0)
        for file in Self.files {
            let url = directory.appendingPathComponent("\(file).json")
            let data = try Data(contentsOf: url)
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var counts = (passed: 0, failed: 0, skipped: 0)
            for section in root["sections"] as? [[String: Any]] ?? [] {
                let sectionName = section["name"] as? String ?? ""
                for test in section["tests"] as? [[String: Any]] ?? [] {
                    let meta = test["meta"] as? [String: Any] ?? [:]
                    if meta["needs_proto_messages"] as? Bool == true || test["check_only"] as? Bool == true { continue }
                    let name = test["name"] as? String ?? ""
                    if skipped.contains(file: file, section: sectionName, name: name) {
                        counts.skipped += 1
                        continue
                    }
                    if let problem = ConformanceCase(test).run() {
                        counts.failed += 1
                        failures.append("\(file)/\(sectionName)/\(name): `\(test["expr"] as? String ?? "")`: \(problem)")
                    } else {
                        counts.passed += 1
                    }
                }
            }
            print("conformance \(file).json: \(counts.passed) passed, \(counts.failed) failed, \(counts.skipped) skipped")
            totals.passed += counts.passed
            totals.failed += counts.failed
            totals.skipped += counts.skipped
        }
        print("conformance total: \(totals.passed) passed, \(totals.failed) failed, \(totals.skipped) skipped")
        for failure in failures { print("FAIL \(failure)") }
        #expect(failures.isEmpty, "\(failures.count) conformance failures:\n\(failures.joined(separator: "\n"))")
    }
}

/// Where the conformance JSON lives.
enum ConformanceData {
    static var defaultDirectory: URL {
        // Tests/CELConformanceTests/ConformanceTests.swift → package root → ../shared/cel-conformance
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/cel-conformance")
    }

    static func directory() -> URL? {
        let candidate = ProcessInfo.processInfo.environment["CEL_CONFORMANCE_DIR"].map { URL(fileURLWithPath: $0) }
            ?? defaultDirectory
        let marker = candidate.appendingPathComponent("basic.json").path
        return FileManager.default.fileExists(atPath: marker) ? candidate : nil
    }
}

/// Tests deliberately not run, each with a reason (`Skipped.json`).
struct SkipList {
    struct Entry: Decodable {
        let file: String
        let section: String
        let name: String
        let reason: String
    }

    let entries: [Entry]

    static func load() throws -> SkipList {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Skipped.json")
        return SkipList(entries: try JSONDecoder().decode([Entry].self, from: Data(contentsOf: url)))
    }

    func contains(file: String, section: String, name: String) -> Bool {
        entries.contains { $0.file == file && $0.section == section && $0.name == name }
    }
}

/// One conformance test: compile per its options, bind, evaluate, compare.
struct ConformanceCase {
    let test: [String: Any]

    init(_ test: [String: Any]) { self.test = test }

    /// Nil when the test passes, else what went wrong.
    func run() -> String? {
        let expr = test["expr"] as? String ?? ""
        var environment = CELEnvironment(container: test["container"] as? String ?? "")
        environment.typeCheck = !(test["disable_check"] as? Bool ?? false)
        for decl in test["type_env"] as? [[String: Any]] ?? [] {
            guard let name = decl["name"] as? String, let ident = decl["ident"] as? [String: Any] else { continue }
            environment.variables[name] = JSONDecoding.type(ident["type"])
        }
        let expect = test["expect"] as? [String: Any] ?? [:]
        let errorClass = (test["meta"] as? [String: Any])?["error_class"] as? String
        let compiled = environment.compile(expr)
        guard let program = compiled.program else {
            if errorClass == "check" { return nil }
            return "compile failed: \(compiled.issues.map(\.description).joined(separator: "; "))"
        }
        var bindings: [String: Value] = [:]
        for (name, json) in test["bindings"] as? [String: Any] ?? [:] {
            guard let value = JSONDecoding.value(json) else { return "cannot decode binding \(name)" }
            bindings[name] = value
        }
        let result = program.evaluate(bindings)

        var expected: Any? = expect["value"]
        if let typed = expect["typed_result"] as? [String: Any] { expected = typed["value"] is NSNull ? nil : typed["value"] }
        if expect["error"] != nil || expect["any_error"] != nil {
            if case .success(let value) = result { return "expected an error, got \(value.celLiteral)" }
            return nil
        }
        guard let expected else { return nil }
        guard let expectedValue = JSONDecoding.value(expected) else { return "cannot decode expected value" }
        switch result {
        case .failure(let error): return "expected \(expectedValue.celLiteral), got error: \(error.message)"
        case .success(let value):
            return ConformanceCase.strictlyEqual(value, expectedValue)
                ? nil : "expected \(expectedValue.celLiteral), got \(value.celLiteral)"
        }
    }

    /// Equality for checking results: kinds must match exactly (1 ≠ 1u ≠ 1.0), NaN
    /// matches NaN, maps compare regardless of order.
    static func strictlyEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy(strictlyEqual)
        case (.map(let x), .map(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in zip(x.keys, x.values) {
                guard let index = y.keys.firstIndex(where: { strictlyEqual($0, key) }),
                    strictlyEqual(value, y.values[index])
                else { return false }
            }
            return true
        default: return a.kind == b.kind && a == b
        }
    }
}

/// Decodes the conformance JSON schema's tagged Value and Type objects.
enum JSONDecoding {
    static func value(_ json: Any) -> Value? {
        guard let object = json as? [String: Any], let (tag, payload) = object.first else { return nil }
        switch tag {
        case "null": return .null
        case "bool": return (payload as? Bool).map(Value.bool)
        case "int": return (payload as? String).flatMap { Int64($0) }.map(Value.int)
        case "uint": return (payload as? String).flatMap { UInt64($0) }.map(Value.uint)
        case "double":
            if let text = payload as? String {
                switch text {
                case "NaN": return .double(.nan)
                case "Infinity": return .double(.infinity)
                case "-Infinity": return .double(-.infinity)
                default: return Double(text).map(Value.double)
                }
            }
            return (payload as? NSNumber).map { .double($0.doubleValue) }
        case "string": return (payload as? String).map(Value.string)
        case "bytes": return (payload as? String).flatMap { Data(base64Encoded: $0) }.map { .bytes(Array($0)) }
        case "list":
            guard let items = payload as? [Any] else { return nil }
            var values: [Value] = []
            for item in items {
                guard let v = value(item) else { return nil }
                values.append(v)
            }
            return .list(values)
        case "map":
            guard let entries = payload as? [[String: Any]] else { return nil }
            var pairs: [(key: Value, value: Value)] = []
            for entry in entries {
                guard let k = entry["key"].flatMap(value), let v = entry["value"].flatMap(value) else { return nil }
                pairs.append((k, v))
            }
            return (try? MapValue(entries: pairs)).map(Value.map)
        case "type": return (payload as? String).map { .type(TypeValue($0)) }
        case "timestamp": return (payload as? String).flatMap { CELTimestamp(rfc3339: $0) }.map(Value.timestamp)
        case "duration": return (payload as? String).flatMap { CELDuration(parsing: $0) }.map(Value.duration)
        default: return nil
        }
    }

    static func type(_ json: Any?) -> CELType {
        guard let object = json as? [String: Any], let (tag, payload) = object.first else { return .dyn }
        switch tag {
        case "primitive":
            switch payload as? String {
            case "BOOL": return .bool
            case "INT64": return .int
            case "UINT64": return .uint
            case "DOUBLE": return .double
            case "STRING": return .string
            case "BYTES": return .bytes
            default: return .dyn
            }
        case "null": return .null
        case "well_known", "message":
            switch payload as? String {
            case "TIMESTAMP", "google.protobuf.Timestamp": return .timestamp
            case "DURATION", "google.protobuf.Duration": return .duration
            default: return .dyn
            }
        case "list": return .list(type(payload))
        case "map":
            let entry = payload as? [String: Any] ?? [:]
            return .map(type(entry["key"]), type(entry["value"]))
        case "type": return .type(payload is NSNull ? nil : type(payload))
        default: return .dyn
        }
    }
}
