import CELChecker
import CELCommon
import CELParser
import Foundation
import Testing

/// Type-checks the cel-spec conformance tests that run without protobuf messages: every
/// one of them evaluates (to a value or a runtime error), so the checker must accept
/// them all, and deduce the expected type where the test states one.
@Suite struct ConformanceCheckTests {
    static let coreFiles = [
        "basic", "comparisons", "conversions", "fields", "fp_math", "integer_math", "lists", "logic", "macros",
        "namespace", "parse", "plumbing", "string", "timestamps",
    ]

    /// `$CEL_CONFORMANCE_DIR`, else `../shared/cel-conformance` next to the package.
    static let directory: URL? = {
        if let path = ProcessInfo.processInfo.environment["CEL_CONFORMANCE_DIR"] {
            return URL(fileURLWithPath: path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/cel-conformance")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    @Test(.enabled(if: Self.directory != nil, "CEL conformance JSON not found: set CEL_CONFORMANCE_DIR or put it at ../shared/cel-conformance"))
    func coreFilesCheckWithoutErrors() throws {
        let directory = try #require(Self.directory)
        var sweep = Sweep()
        for file in Self.coreFiles {
            for test in try ConformanceTest.load(directory.appendingPathComponent("\(file).json"), file: file)
            where !test.needsProtoMessages && !test.checkOnly && !test.disableCheck {
                sweep.run(test)
            }
        }
        sweep.printSummary("conformance check sweep")
        #expect(sweep.failures.isEmpty, "\(sweep.failures.count) failures:\n\(sweep.failures.prefix(40).joined(separator: "\n"))")
        #expect(sweep.passed > 1000)
    }

    /// The core tests that turn checking off and expect an error are ill-typed
    /// expressions (undeclared names, wrong argument types, float map keys): the checker
    /// should reject them statically.
    ///
    /// Known exception: `null < null` and friends check, as in cel-go, because `null` is
    /// assignable to timestamps and durations (cel-go's legacy nullability), so the
    /// timestamp and duration orderings match; they fail at runtime instead.
    @Test(.enabled(if: Self.directory != nil, "CEL conformance JSON not found: set CEL_CONFORMANCE_DIR or put it at ../shared/cel-conformance"))
    func illTypedTestsAreRejected() throws {
        let acceptedLikeCelGo: Set<String> = ["null < null", "null > null", "null <= null", "null >= null"]
        let directory = try #require(Self.directory)
        var accepted: [String] = []
        var rejected = 0
        for file in Self.coreFiles {
            for test in try ConformanceTest.load(directory.appendingPathComponent("\(file).json"), file: file)
            where !test.needsProtoMessages && test.errorClass == "unchecked" && !acceptedLikeCelGo.contains(test.expr) {
                guard let environment = test.environment, let parsed = CELParser().parse(test.expr).0 else { continue }
                let (_, issues) = Checker(environment: environment).check(parsed)
                if issues.contains(where: { $0.severity == .error }) { rejected += 1 } else { accepted.append("\(test.id): `\(test.expr)`") }
            }
        }
        print("ill-typed tests: \(rejected) rejected, \(accepted.count) accepted")
        for id in accepted { print("  accepted: \(id)") }
        #expect(accepted.isEmpty)
    }

    @Test(.enabled(if: Self.directory != nil, "CEL conformance JSON not found: set CEL_CONFORMANCE_DIR or put it at ../shared/cel-conformance"))
    func typeDeductionsMatch() throws {
        let directory = try #require(Self.directory)
        var sweep = Sweep()
        for test in try ConformanceTest.load(directory.appendingPathComponent("type_deduction.json"), file: "type_deduction")
        where !test.needsProtoMessages && !test.expr.contains("optional.") {
            sweep.run(test)
        }
        sweep.printSummary("type deduction sweep")
        #expect(sweep.failures.isEmpty, "\(sweep.failures.joined(separator: "\n"))")
        #expect(sweep.passed >= 15)
    }
}

/// Runs conformance tests through the parser and checker, collecting failures.
private struct Sweep {
    var passed = 0
    /// Tests whose declarations use types only protobuf has.
    var skipped: [String] = []
    /// Tests the parser rejects: the parser's own tests own those, so they are listed
    /// but do not fail the checker's sweep.
    var unparsed: [String] = []
    var failures: [String] = []

    mutating func run(_ test: ConformanceTest) {
        guard let environment = test.environment else {
            skipped.append(test.id)
            return
        }
        let (parsed, parseIssues) = CELParser().parse(test.expr)
        guard let parsed, !parseIssues.contains(where: { $0.severity == .error }) else {
            unparsed.append("\(test.id): \(parseIssues.first?.message ?? "no tree")")
            return
        }
        let (checked, issues) = Checker(environment: environment).check(parsed)
        if !issues.isEmpty {
            failures.append("\(test.id): `\(test.expr)`: \(issues.map(\.description).joined(separator: "; "))")
        } else if let expected = test.deducedType, checked.resultType != expected {
            failures.append("\(test.id): `\(test.expr)`: deduced \(checked.resultType), expected \(expected)")
        } else {
            passed += 1
        }
    }

    func printSummary(_ title: String) {
        print("\(title): \(passed) passed, \(failures.count) failed, \(unparsed.count) not parsed, "
            + "\(skipped.count) skipped (protobuf-only declarations)")
        for id in unparsed { print("  not parsed: \(id)") }
        for id in skipped { print("  skipped: \(id)") }
    }
}

/// The parts of a conformance test (format `cel-conformance-json/1`) the checker needs.
private struct ConformanceTest {
    var id: String
    var expr: String
    var container: String
    var disableCheck: Bool
    var checkOnly: Bool
    var needsProtoMessages: Bool
    /// `unchecked`, `check` or `eval` for tests expecting an error; nil otherwise.
    var errorClass: String?
    /// The declarations, or nil when one uses a type the checker cannot express.
    var environment: TypeEnvironment?
    var deducedType: CELType?

    static func load(_ url: URL, file: String) throws -> [ConformanceTest] {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        var tests: [ConformanceTest] = []
        for (sectionIndex, section) in (root["sections"] as? [[String: Any]] ?? []).enumerated() {
            for (testIndex, test) in (section["tests"] as? [[String: Any]] ?? []).enumerated() {
                let name = "\(file)/\(section["name"] as? String ?? "")/\(test["name"] as? String ?? "")"
                tests.append(ConformanceTest(json: test, id: "\(name) [\(sectionIndex).\(testIndex)]"))
            }
        }
        return tests
    }

    init(json: [String: Any], id: String) {
        self.id = id
        expr = json["expr"] as? String ?? ""
        container = json["container"] as? String ?? ""
        disableCheck = json["disable_check"] as? Bool ?? false
        checkOnly = json["check_only"] as? Bool ?? false
        let meta = json["meta"] as? [String: Any]
        needsProtoMessages = meta?["needs_proto_messages"] as? Bool ?? false
        errorClass = meta?["error_class"] as? String
        environment = Self.environment(json["type_env"] as? [[String: Any]] ?? [], container: container)
        if let expect = json["expect"] as? [String: Any], let typed = expect["typed_result"] as? [String: Any] {
            deducedType = Self.celType(typed["deduced_type"])
        }
    }

    private static func environment(_ declarations: [[String: Any]], container: String) -> TypeEnvironment? {
        var environment = TypeEnvironment(container: container)
        for declaration in declarations {
            guard let name = declaration["name"] as? String else { return nil }
            if let ident = declaration["ident"] as? [String: Any] {
                guard let type = celType(ident["type"]) else { return nil }
                environment.declareVariable(name, type)
            } else if let function = declaration["function"] as? [String: Any] {
                var overloads: [OverloadDecl] = []
                for overload in function["overloads"] as? [[String: Any]] ?? [] {
                    guard let result = celType(overload["result_type"]) else { return nil }
                    var params: [CELType] = []
                    for param in overload["params"] as? [Any] ?? [] {
                        guard let type = celType(param) else { return nil }
                        params.append(type)
                    }
                    overloads.append(OverloadDecl(
                        id: overload["overload_id"] as? String ?? "", member: overload["is_instance_function"] as? Bool ?? false,
                        params: params, result: result, typeParams: overload["type_params"] as? [String] ?? []))
                }
                environment.declare(FunctionDecl(name: name, overloads: overloads))
            }
        }
        return environment
    }

    /// Converts a JSON `Type` (README "Type"); nil for protobuf-only kinds.
    static func celType(_ json: Any?) -> CELType? {
        guard let object = json as? [String: Any], let (kind, value) = object.first.map({ ($0.key, $0.value) })
        else { return nil }
        switch kind {
        case "dyn": return .dyn
        case "null": return .null
        case "error": return .error
        case "primitive":
            switch value as? String {
            case "BOOL": return .bool
            case "INT64": return .int
            case "UINT64": return .uint
            case "DOUBLE": return .double
            case "STRING": return .string
            case "BYTES": return .bytes
            default: return nil
            }
        case "well_known":
            switch value as? String {
            case "TIMESTAMP": return .timestamp
            case "DURATION": return .duration
            case "ANY": return .dyn
            default: return nil
            }
        case "list": return celType(value).map { .list($0) }
        case "map":
            guard let entry = value as? [String: Any], let key = celType(entry["key"]), let val = celType(entry["value"])
            else { return nil }
            return .map(key, val)
        case "message":
            // CEL's built-in timestamp and duration, spelled as their protobuf messages.
            switch value as? String {
            case "google.protobuf.Timestamp": return .timestamp
            case "google.protobuf.Duration": return .duration
            default: return nil
            }
        case "type_param": return (value as? String).map { .typeParam($0) }
        case "type": return value is NSNull ? .type(nil) : celType(value).map { .type($0) }
        case "abstract":
            guard let abstract = value as? [String: Any], let name = abstract["name"] as? String else { return nil }
            var params: [CELType] = []
            for param in abstract["params"] as? [Any] ?? [] {
                guard let type = celType(param) else { return nil }
                params.append(type)
            }
            return .opaque(name, params)
        default:
            return nil  // other messages, wrappers, functions: not expressible without protobuf
        }
    }
}
