import Foundation
import Testing

/// docs/schema/*.json (printed by `rescind schema`): current, valid for the shipped pack
/// under an independent validator (python3-jsonschema's Draft202012Validator, and its
/// Draft7Validator as the YAML language server reads them; run by
/// Scripts/validate-policies-schema.py), and in step with the loader: what the schema
/// rejects `rescind check` / `rescind test` reject too, and documents using every key the
/// loader accepts pass the schema.
@Suite struct JSONSchemaTests {
    static let kinds = ["policy-set", "request-schema", "calendar", "rules", "thresholds", "refunds", "tests", "fixtures"]

    // MARK: - The command and the committed files

    @Test func docsSchemaIsWhatTheCommandPrints() throws {
        let folder = try TemporaryFolder("rescind-schema-current")
        let run = try CLI.run(["schema", "--output-dir", folder.path])
        #expect(run.status == 0, "\(run.stderr)")
        let committed = CLI.packageRoot.appendingPathComponent("docs/schema")
        let printed = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let present = try FileManager.default.contentsOfDirectory(atPath: committed.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(printed == Self.kinds.map { "\($0).json" }.sorted())
        #expect(present == printed, "docs/schema/ holds other files than `rescind schema` writes: run Scripts/render-schemas.sh")
        for name in printed {
            let expected = try String(contentsOf: folder.url.appendingPathComponent(name), encoding: .utf8)
            let actual = (try? String(contentsOf: committed.appendingPathComponent(name), encoding: .utf8)) ?? ""
            if let line = Self.firstDifference(actual, expected) {
                Issue.record("""
                    docs/schema/\(name) is not what `rescind schema` prints (they differ from line \(line)): \
                    run Scripts/render-schemas.sh
                    """)
            }
        }
    }

    /// The first line (1-based) where two texts differ; nil when they are the same.
    static func firstDifference(_ a: String, _ b: String) -> Int? {
        guard a != b else { return nil }
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        return (zip(left, right).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(left.count, right.count)) + 1
    }

    @Test func printsOneKindAndListsThemAll() throws {
        let rules = try CLI.run(["schema", "rules"])
        #expect(rules.status == 0)
        let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent("docs/schema/rules.json"), encoding: .utf8)
        #expect(Self.firstDifference(rules.stdout, committed) == nil, "run Scripts/render-schemas.sh")
        // A document kind names its schema too.
        #expect(try CLI.run(["schema", "policy_set"]).stdout == CLI.run(["schema", "policy-set"]).stdout)
        let list = try CLI.run(["schema"])
        #expect(list.status == 0)
        let names = list.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(names == Self.kinds)
        #expect(list.stdout.contains("kind: schema"))
    }

    @Test func unknownKindIsAUsageErrorWithASuggestion() throws {
        let run = try CLI.run(["schema", "rulez"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("unknown kind `rulez`; did you mean `rules`?"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    /// Every schema: the 2020-12 dialect, an `$id`, a title, a description on every
    /// property, and only keywords draft-07 tools (the YAML language server) share.
    @Test(arguments: kinds) func schemaIsDescribedAndPortable(kind: String) throws {
        let data = try Data(contentsOf: CLI.packageRoot.appendingPathComponent("docs/schema/\(kind).json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect((schema["$id"] as? String)?.hasSuffix("/\(kind).json") == true)
        #expect(schema["title"] is String && schema["description"] is String)
        #expect(schema["additionalProperties"] as? Bool == false)
        var undescribed: [String] = []
        var keywords: Set<String> = []
        var references: Set<String> = []
        // Every key a document may have is described; keys inside an `if` (conditions,
        // not documents) and `const` discriminators (`type: notify`) need not be.
        func walk(_ value: Any, at path: String, inCondition: Bool) {
            if let object = value as? [String: Any] {
                keywords.formUnion(object.keys)
                if let target = object["$ref"] as? String { references.insert(target) }
                if !inCondition, let properties = object["properties"] as? [String: Any] {
                    for (name, property) in properties {
                        guard let property = property as? [String: Any], property["const"] == nil else { continue }
                        // A bare `$ref` is described by its definition (checked below).
                        if property["description"] == nil && property["$ref"] == nil {
                            undescribed.append("\(path)/\(name)")
                        }
                    }
                }
                for (key, inner) in object { walk(inner, at: "\(path)/\(key)", inCondition: inCondition || key == "if") }
            } else if let array = value as? [Any] {
                for (index, inner) in array.enumerated() { walk(inner, at: "\(path)[\(index)]", inCondition: inCondition) }
            }
        }
        walk(schema, at: kind, inCondition: false)
        #expect(undescribed.isEmpty, "keys without a description: \(undescribed.sorted())")
        // Every reference is local and resolves; every definition is used and described.
        let defs = schema["$defs"] as? [String: Any] ?? [:]
        let definitions = Set(defs.keys)
        let undescribedDefinitions = defs.filter { !(($0.value as? [String: Any])?["description"] is String) }.keys
        #expect(undescribedDefinitions.isEmpty, "definitions without a description: \(undescribedDefinitions.sorted())")
        #expect(Set(references.map { $0.replacingOccurrences(of: "#/$defs/", with: "") }) == definitions)
        #expect(references.allSatisfy { $0.hasPrefix("#/$defs/") })
        for keyword in ["prefixItems", "unevaluatedProperties", "$dynamicRef", "dependentRequired", "dependentSchemas"] {
            #expect(!keywords.contains(keyword), "`\(keyword)` is not understood by draft-07 tools")
        }
    }

    // MARK: - Validation with python3-jsonschema

    @Test(.enabled(if: Validator.shouldRun, Validator.skipReason)) func shippedPackIsValid() throws {
        guard Validator.isReady() else { return }
        let folder = CLI.packageRoot.appendingPathComponent("Policies")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count == 12)
        for draft in Validator.drafts {
            let run = try Validator.run(files.map { "Policies/\($0)" }, draft: draft)
            #expect(run.status == 0, "draft \(draft): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("ok: \(files.count) files valid"))
        }
    }

    /// A mistake staff make, written into a copy of the shipped pack: `find` becomes
    /// `replace` in `file`. The schema must reject it (its message containing
    /// `message`), and so must the loader (`rescind check`, or `rescind test` for test files).
    struct Mistake: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let find: String
        let replace: String
        let message: String
        var testDescription: String { name }
        var isTestFile: Bool { file.hasSuffix(".tests.yaml") }
    }

    static let mistakes: [Mistake] = [
        Mistake(
            name: "an unknown key", file: "who-may-cancel.yaml",
            find: "    effect: allow\n    reason:\n      en: \"Order {order.id} has not shipped yet",
            replace: "    efect: allow\n    reason:\n      en: \"Order {order.id} has not shipped yet",
            message: "unknown key `efect` at rules[0].efect"),
        Mistake(
            name: "a rule without effect", file: "who-may-cancel.yaml",
            find: "    effect: deny\n    reason:\n      en: \"Order {order.id} has already been cancelled.\"",
            replace: "    reason:\n      en: \"Order {order.id} has already been cancelled.\"",
            message: "'effect' is a required property at rules[7]"),
        Mistake(
            name: "an effect outside allow, deny and review", file: "who-may-cancel.yaml",
            find: "    effect: deny\n    reason:\n      en: \"Order {order.id} has already been cancelled.\"",
            replace: "    effect: refuse\n    reason:\n      en: \"Order {order.id} has already been cancelled.\"",
            message: "'refuse' is not one of ['allow', 'review', 'deny'] at rules[7].effect"),
        Mistake(
            name: "a tier without at_least", file: "abuse-thresholds.yaml", find: "        at_least: 5\n", replace: "",
            message: "'at_least' is a required property at thresholds[0].tiers[1]"),
        Mistake(
            name: "a duration with a space", file: "abuse-thresholds.yaml", find: "window: 720h", replace: "window: 30 days",
            message: "'30 days' does not match"),
        Mistake(
            name: "a condition written `and:`", file: "who-may-cancel.yaml", find: "    when:\n      all:",
            replace: "    when:\n      and:", message: "is not valid under any of the given schemas at rules[0].when"),
        Mistake(
            name: "a reason under `zh_CN`", file: "who-may-cancel.yaml",
            find: "      zh-CN: \"订单 {order.id} 已取消，无需重复操作。\"", replace: "      zh_CN: \"订单 {order.id} 已取消，无需重复操作。\"",
            message: "'zh_CN' does not match"),
        Mistake(
            name: "an unknown obligation type", file: "abuse-thresholds.yaml", find: "type: warn_account",
            replace: "type: warn_acount", message: "'warn_acount' is not one of"),
        Mistake(
            name: "a notice without `within`", file: "seller-stockout.yaml", find: "        to: buyer\n        within: 24h\n      - type: voucher",
            replace: "        to: buyer\n      - type: voucher", message: "'within' is a required property"),
        Mistake(
            name: "a notice to an unknown recipient", file: "seller-stockout.yaml",
            find: "      - type: notify\n        to: buyer", replace: "      - type: notify\n        to: customer",
            message: "'customer' is not one of ['buyer', 'seller', 'support']"),
        Mistake(
            name: "a refund case without days", file: "refunds.yaml",
            find: "  - when: order.payment_method == \"bank_transfer\"\n    days: 5\n",
            replace: "  - when: order.payment_method == \"bank_transfer\"\n", message: "'days' is a required property at initiate_within[3]"),
        Mistake(
            name: "business days as words", file: "refunds.yaml", find: "    days: 7", replace: "    days: seven",
            message: "'seven' is not of type 'integer'"),
        Mistake(
            name: "a misspelt field spec key", file: "schema.yaml", find: "total: {type: decimal, minimum:",
            replace: "total: {type: decimal, minimun:", message: "unknown key `minimun` at request.order.total.minimun"),
        Mistake(
            name: "a date range written with `to`", file: "calendar-cn-mainland.yaml", find: "\"2026-10-01..2026-10-07\"",
            replace: "\"2026-10-01 to 2026-10-07\"", message: "'2026-10-01 to 2026-10-07' does not match"),
        Mistake(
            name: "years written with a hyphen", file: "calendar-cn-mainland.yaml", find: "years: 2025..2026",
            replace: "years: 2025-2026", message: "'2025-2026' does not match"),
        Mistake(
            name: "a misspelt weekday", file: "calendar-cn-mainland.yaml", find: "weekend: [saturday, sunday]",
            replace: "weekend: [saturday, sundey]", message: "'sundey' does not match"),
        Mistake(
            name: "on_error allows", file: "policy-set.yaml", find: "on_error:\n  effect: review",
            replace: "on_error:\n  effect: allow", message: "'allow' is not one of ['review', 'deny'] at on_error.effect"),
        Mistake(
            name: "an unknown request_lists choice", file: "policy-set.yaml", find: "request_lists: accept",
            replace: "request_lists: sometimes", message: "'sometimes' is not one of ['accept', 'refuse']"),
        Mistake(
            name: "on_history_unavailable without history", file: "policy-set.yaml",
            find: "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n",
            replace: "", message: "'history' is a required property"),
        Mistake(
            name: "a policy set without a version", file: "policy-set.yaml", find: "version: \"2026.12\"\n", replace: "",
            message: "'version' is a required property"),
        Mistake(
            name: "an unknown expectation", file: "who-may-cancel.tests.yaml",
            find: "    expect:\n      effect: allow\n      deciding: [buyer-before-shipment]\n",
            replace: "    expect:\n      efect: allow\n      deciding: [buyer-before-shipment]\n",
            message: "unknown key `efect` at cases[0].expect.efect"),
        Mistake(
            name: "a reason expectation with equals and contains", file: "abuse-thresholds.tests.yaml",
            find: "        rule: abuse-warn\n", replace: "        rule: abuse-warn\n        contains: cancelled\n",
            message: "is valid under each of"),
        Mistake(
            name: "a case expecting nothing", file: "who-may-cancel.tests.yaml",
            find: "    request: system\n    expect:\n      effect: allow\n      obligations: []\n", replace: "    request: system\n",
            message: "is not valid under any of the given schemas at cases[8]"),
        Mistake(
            name: "a request from a fixture and a file", file: "abuse-thresholds.tests.yaml",
            find: "request: {file: ../Examples/requests/abuse-warn.json}",
            replace: "request: {base: buyer, file: ../Examples/requests/abuse-warn.json}", message: "should not be valid under"),
        Mistake(
            name: "a generator spacing that is no duration", file: "fixtures.tests.yaml", find: "spacing: 1h",
            replace: "spacing: hourly", message: "'hourly' does not match"),
        Mistake(
            name: "cases in a fixtures file", file: "fixtures.tests.yaml", find: "kind: fixtures\n",
            replace: "kind: fixtures\ncases: []\n", message: "unknown key `cases`"),
    ]

    @Test(.enabled(if: Validator.shouldRun, Validator.skipReason), arguments: mistakes)
    func mistakeIsRejectedBySchemaAndLoader(_ mistake: Mistake) throws {
        guard Validator.isReady() else { return }
        let pack = try TemporaryFolder("rescind-schema-mistake")
        try pack.copyShippedPack()
        let path = pack.url.appendingPathComponent("Policies/\(mistake.file)")
        let original = try String(contentsOf: path, encoding: .utf8)
        // The mistake must land: a shipped file that changed would otherwise test nothing.
        try #require(original.contains(mistake.find), "`\(mistake.find)` is no longer in Policies/\(mistake.file)")
        try original.replacingOccurrences(of: mistake.find, with: mistake.replace).write(to: path, atomically: true, encoding: .utf8)

        for draft in Validator.drafts {
            let schema = try Validator.run([path.path], draft: draft)
            #expect(schema.status == 1, "the schema (draft \(draft)) accepts \(mistake.name): \(schema.stdout)\(schema.stderr)")
            #expect(schema.stdout.contains(mistake.message), "draft \(draft): \(schema.stdout)")
            #expect(schema.stdout.hasPrefix(path.path + ":"), "failures are located: \(schema.stdout)")
        }

        let loader = try CLI.run(mistake.isTestFile ? ["test", pack.url.appendingPathComponent("Policies").path]
            : ["check", pack.url.appendingPathComponent("Policies").path])
        #expect(loader.status == 3, "the loader accepts \(mistake.name) (exit \(loader.status)): \(loader.stdout)\(loader.stderr)")
    }

    /// A pack using every key the loaders accept (and each form of a value: a condition's
    /// CEL, `all`, `any`, `not` and boolean forms, descriptions as one text and per locale,
    /// every obligation type with every field, a request by fixture, recipe, file and
    /// inline): the loader takes it, and so does the schema.
    @Test(.enabled(if: Validator.shouldRun, Validator.skipReason)) func everyKeyTheLoaderAcceptsValidates() throws {
        guard Validator.isReady() else { return }
        let pack = try TemporaryFolder("rescind-schema-every-key")
        let folder = pack.url.appendingPathComponent("Policies")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in EveryKeyPack.files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let check = try CLI.run(["check", folder.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let tests = try CLI.run(["test", folder.path])
        #expect(tests.status == 0, "\(tests.stdout)\(tests.stderr)")
        let yamlFiles = EveryKeyPack.files.map(\.name).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(yamlFiles.count == 9)
        for draft in Validator.drafts {
            let schema = try Validator.run(yamlFiles.map { folder.appendingPathComponent($0).path }, draft: draft)
            #expect(schema.status == 0, "draft \(draft): \(schema.stdout)\(schema.stderr)")
        }
    }
}

extension JSONSchemaTests {
    /// Every key a schema allows is used by a document of its kind in `EveryKeyPack`, which
    /// the loaders accept: a key added to a schema but not to the loader fails here (once
    /// added to the pack, `rescind check` refuses it).
    @Test(arguments: kinds) func everySchemaKeyIsUsedInThePackTheLoaderAccepts(kind: String) throws {
        let data = try Data(contentsOf: CLI.packageRoot.appendingPathComponent("docs/schema/\(kind).json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let kindProperty = try #require((schema["properties"] as? [String: Any])?["kind"] as? [String: Any])
        let documentKind = try #require(kindProperty["const"] as? String)
        var keys: Set<String> = []
        func walk(_ value: Any, inCondition: Bool) {
            if let object = value as? [String: Any] {
                if !inCondition, let properties = object["properties"] as? [String: Any] { keys.formUnion(properties.keys) }
                for (key, inner) in object where key != "examples" { walk(inner, inCondition: inCondition || key == "if") }
            } else if let array = value as? [Any] {
                for inner in array { walk(inner, inCondition: inCondition) }
            }
        }
        walk(schema, inCondition: false)
        let texts = EveryKeyPack.files.map(\.text).filter { $0.contains("\nkind: \(documentKind)\n") || $0.hasPrefix("kind: \(documentKind)\n") }
        #expect(!texts.isEmpty)
        let unused = keys.filter { key in
            !texts.contains { text in
                text.split(separator: "\n").contains { line in
                    // `key:` as a key: at the start of a line or after `- `, `{`, `,` or `[`.
                    let body = line.drop { $0 == " " || $0 == "-" }
                    return body.hasPrefix("\(key):") || line.contains("{\(key):") || line.contains(", \(key):")
                        || line.contains("[\(key):")
                }
            }
        }
        #expect(unused.isEmpty, "keys of \(kind).json no document of EveryKeyPack uses: \(unused.sorted())")
    }
}

/// Scripts/validate-policies-schema.py, and whether python3 with jsonschema and yaml is here.
enum Validator {
    static let required = ProcessInfo.processInfo.environment["RESCIND_REQUIRE_JSONSCHEMA"] == "1"

    /// The first Python that has both modules: `python3` on PATH, else Debian's own
    /// (/usr/bin/python3, which `apt-get install python3-jsonschema` serves; a pyenv
    /// `python3` earlier on PATH does not see Debian's packages).
    static let interpreter: [String]? = {
        let probe = ["-c", "import jsonschema, yaml; jsonschema.Draft202012Validator"]
        return [["/usr/bin/env", "python3"], ["/usr/bin/python3"]].first { command in
            (try? run(command, probe))?.status == 0
        }
    }()

    static var available: Bool { interpreter != nil }

    /// Run when the validator is here, or when it must be (then its absence fails).
    static var shouldRun: Bool { available || required }

    static let skipReason: Comment = """
        python3 with the jsonschema and yaml modules is not installed (apt-get install python3-jsonschema \
        python3-yaml); RESCIND_REQUIRE_JSONSCHEMA=1 makes this a failure
        """

    /// Whether the validator can run; records a failure when it cannot (the test runs
    /// without it only under RESCIND_REQUIRE_JSONSCHEMA=1).
    static func isReady() -> Bool {
        if !available { Issue.record("RESCIND_REQUIRE_JSONSCHEMA=1 but python3 cannot import jsonschema and yaml") }
        return available
    }

    /// The drafts files are validated as: the schemas' own (2020-12), and draft-07, as the
    /// YAML language server reads them; both must agree.
    static let drafts = ["2020-12", "7"]

    static func run(_ files: [String], draft: String = "2020-12") throws -> CLIRun {
        try python(["Scripts/validate-policies-schema.py", "--schema-dir", "docs/schema", "--draft", draft] + files)
    }

    private static func python(_ arguments: [String]) throws -> CLIRun {
        try run(interpreter ?? ["/usr/bin/env", "python3"], arguments)
    }

    private static func run(_ command: [String], _ arguments: [String]) throws -> CLIRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + arguments
        process.currentDirectoryURL = CLI.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderrReader = PipeReader(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = stderrReader.wait()
        process.waitUntilExit()
        return CLIRun(
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            status: process.terminationStatus)
    }
}

/// A folder under the temporary directory, removed when the value goes.
final class TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Policies/ copied in, beside a link to Examples/ (test files name request files there).
    func copyShippedPack() throws {
        try FileManager.default.copyItem(
            at: CLI.packageRoot.appendingPathComponent("Policies"), to: url.appendingPathComponent("Policies"))
        try FileManager.default.createSymbolicLink(
            at: url.appendingPathComponent("Examples"), withDestinationURL: CLI.packageRoot.appendingPathComponent("Examples"))
    }
}
