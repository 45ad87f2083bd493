import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// Policy test files loaded against a policy set: every case's request built and
/// decoded, every expectation checked against the policy's rules, tiers and obligation
/// types. Nothing runs while any diagnostic is an error.
package struct PolicyTestPlan: Sendable {
    /// The policy set the cases are decided by.
    package let policySet: PolicySet
    /// One suite per `kind: tests` file, in path order; none when any diagnostic is an error.
    package let suites: [PolicyTestSuite]
    /// Every problem in the test files and the request files they name.
    package let diagnostics: Diagnostics
    /// The test files and request files read, to render diagnostics with their lines.
    package let sources: SourceMap

    /// Every case, suite by suite.
    package var cases: [PolicyTestCase] { suites.flatMap(\.cases) }

    /// The test files under `paths`: `*.tests.yaml` / `*.tests.yml` in folders (searched
    /// recursively, hidden entries skipped), and files named directly whatever their
    /// name; sorted, each once.
    package static func testFiles(in paths: [String]) -> [String] {
        var files: Set<String> = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            guard isDirectory.boolValue else {
                files.insert(path)
                continue
            }
            // As policy files are found: through a link, hidden entries (a ConfigMap's `..data`) skipped.
            for relative in PolicyLoader.folderFiles(path) where PolicyLoader.isTestFile(relative) {
                files.insert((path as NSString).appendingPathComponent(relative))
            }
        }
        return files.sorted()
    }

    /// Loads the test files under `paths` for `policySet`. `edited` gives texts that
    /// replace files on disk, by path as found under `paths` (the workbench's unsaved
    /// edits): includes and request files are still resolved next to them on disk.
    package static func load(
        paths: [String], policySet: PolicySet, limits: YAMLLimits = .default, edited: [String: String] = [:]
    ) -> PolicyTestPlan {
        var loader = TestPlanLoader(policySet: policySet, limits: limits)
        loader.edited = Dictionary(edited.map { (normalizedPath($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
        let files = testFiles(in: paths)
        if files.isEmpty { loader.diagnostics.append(TestMessages.noFiles(paths)) }
        var suites: [PolicyTestSuite] = []
        for file in files {
            guard let document = loader.document(file), document.kind == .tests else { continue }
            suites.append(PolicyTestSuite(file: file, cases: loader.cases(of: document)))
        }
        // A case whose expectations have an error would test something else than written.
        return PolicyTestPlan(
            policySet: policySet, suites: loader.diagnostics.hasErrors ? [] : suites,
            diagnostics: Diagnostics(loader.diagnostics.sorted()), sources: loader.sources)
    }
}

/// The state of loading test files: documents and request files read so far (each once),
/// and the diagnostics.
struct TestPlanLoader {
    let policySet: PolicySet
    let vocabulary: PolicyVocabulary
    let limits: YAMLLimits
    let decoder: RequestDecoder
    var diagnostics = Diagnostics()
    var sources = SourceMap()
    /// Documents by normalized path; nil when the file could not be read as one.
    private var documents: [String: TestDocument?] = [:]
    /// Request files (`file:`) by normalized path.
    var requestFiles: [String: YAMLNode?] = [:]
    /// Request errors already reported: a broken fixture is reported once, not once per case.
    var reported: Set<String> = []
    /// Texts replacing test files on disk, by normalized path.
    var edited: [String: String] = [:]

    init(policySet: PolicySet, limits: YAMLLimits) {
        self.policySet = policySet
        self.vocabulary = PolicyVocabulary(policySet)
        self.limits = limits
        self.decoder = RequestDecoder(schema: policySet.schema)
    }

    /// The document of a test file, read once.
    mutating func document(_ path: String) -> TestDocument? {
        let key = normalizedPath(path)
        if let known = documents[key] { return known }
        documents[key] = .some(nil)  // an include cycle reads as "not readable" instead of looping
        let loaded = edited[key].map { YAMLLoader(limits: limits).load(text: $0, path: path) }
            ?? YAMLLoader(limits: limits).load(contentsOf: path)
        sources.add(loaded.source)
        diagnostics.append(contentsOf: loaded.diagnostics)
        var document: TestDocument?
        if !loaded.diagnostics.hasErrors {
            if loaded.documents.count > 1 {
                diagnostics.append(TestMessages.invalid(
                    "a test file holds one YAML document; this one has \(loaded.documents.count)",
                    at: loaded.documents[1].span, help: "move the other cases into the first document's `cases:`"))
            }
            if let first = loaded.documents.first {
                document = readDocument(first, file: path)
            } else {
                diagnostics.append(TestMessages.invalid(
                    "the test file is empty", at: loaded.source.span(from: 0, to: 0),
                    help: "start it with `kind: tests` and a list of `cases:`"))
            }
        }
        documents[key] = .some(document)
        return document
    }

    // MARK: - Scopes

    /// The fixtures, generators and defaults a test file's requests may use: its own and
    /// those of the files it includes.
    struct Scope {
        var fixtures: [String: (name: Located<String>, spec: YAMLNode)] = [:]
        var generators: [String: (name: Located<String>, generator: RequestGenerator)] = [:]
        var defaultRequest: YAMLNode?
        var defaultLocale: Located<String>?
        /// Fixtures built so far (nil: failed, already reported).
        var built: [String: YAMLNode?] = [:]
    }

    /// The scope of `document`: included files first, its own definitions over them
    /// (defaults), or next to them (fixtures and generators, whose names must differ).
    mutating func scope(of document: TestDocument, visiting: [String] = []) -> Scope {
        var scope = Scope()
        let directory = (document.file as NSString).deletingLastPathComponent
        for include in document.includes {
            let path = relative(include.value, to: directory)
            let key = normalizedPath(path)
            guard !visiting.contains(key) else {
                diagnostics.append(.error(
                    .testBadInclude, "`\(include.value)` includes itself, through the files it includes", at: include.span))
                continue
            }
            guard FileManager.default.fileExists(atPath: path) else {
                diagnostics.append(.error(
                    .testBadInclude, "no file `\(include.value)` (looked for `\(normalizedPath(path))`)", at: include.span,
                    help: siblingSuggestion(for: path)))
                continue
            }
            guard let included = self.document(path) else { continue }
            guard included.kind == .fixtures else {
                diagnostics.append(.error(
                    .testBadInclude, "`\(include.value)` is a `kind: tests` file; only `kind: fixtures` files can be included",
                    at: include.span, help: "move the shared fixtures into a `kind: fixtures` file and include that"))
                continue
            }
            let inner = self.scope(of: included, visiting: visiting + [normalizedPath(document.file), key])
            merge(inner, into: &scope)
        }
        var own = Scope()
        for (name, spec) in document.fixtures { own.fixtures[name.value] = (name, spec) }
        for (name, generator) in document.generators { own.generators[name.value] = (name, generator) }
        own.defaultRequest = document.defaultRequest
        own.defaultLocale = document.defaultLocale
        merge(own, into: &scope)
        return scope
    }

    private mutating func merge(_ other: Scope, into scope: inout Scope) {
        for (name, fixture) in other.fixtures.sorted(by: { $0.key < $1.key }) {
            if let first = scope.fixtures[name] {
                diagnostics.append(TestMessages.duplicate("fixture", name, at: fixture.name.span, first: first.name.span))
            } else {
                scope.fixtures[name] = fixture
            }
        }
        for (name, generator) in other.generators.sorted(by: { $0.key < $1.key }) {
            if let first = scope.generators[name] {
                diagnostics.append(TestMessages.duplicate("generator", name, at: generator.name.span, first: first.name.span))
            } else {
                scope.generators[name] = generator
            }
        }
        if let request = other.defaultRequest { scope.defaultRequest = request }
        if let locale = other.defaultLocale { scope.defaultLocale = locale }
    }

    /// `path` as written in a file in `directory`: relative to it, unless absolute.
    func relative(_ path: String, to directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    /// "did you mean `x`?" among the files beside a missing one.
    func siblingSuggestion(for path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return Suggestions.didYouMean((path as NSString).lastPathComponent, in: names)
    }

    // MARK: - Cases

    /// The runnable cases of a `kind: tests` document; cases whose request or
    /// expectations have errors are reported and left out.
    mutating func cases(of document: TestDocument) -> [PolicyTestCase] {
        var scope = scope(of: document)
        var result: [PolicyTestCase] = []
        for model in document.cases {
            guard let spec = model.request ?? scope.defaultRequest else {
                diagnostics.append(TestMessages.badRequest(
                    "case `\(model.name.value)` has no `request`", at: model.name.span,
                    help: "give the case a `request:`, or every case one with `defaults: request:`"))
                continue
            }
            let locale = model.locale?.value ?? scope.defaultLocale?.value
            guard let table = model.table else {
                guard !model.expect.isEmpty else {
                    diagnostics.append(.error(
                        .testNoExpectations, "case `\(model.name.value)` expects nothing, so it can never fail",
                        at: model.name.span, help: "add `expect:` with at least the `effect`"))
                    continue
                }
                guard let tree = request(spec, in: &scope, forCase: true),
                    let decoded = decode(tree, caseName: model.name.value, caseSpan: model.name.span)
                else { continue }
                result.append(PolicyTestCase(
                    name: model.name.value, file: document.file, location: model.span, request: decoded,
                    locale: locale, expectations: model.expect))
                continue
            }
            result += rows(of: table, model, spec: spec, locale: locale, file: document.file, in: &scope)
        }
        return result
    }

    /// One case per row: the case's request with the row's values set, and the case's
    /// expectations with the row's over them.
    private mutating func rows(
        of table: TableModel, _ model: CaseModel, spec: YAMLNode, locale: String?, file: String, in scope: inout Scope
    ) -> [PolicyTestCase] {
        // `expect.NAME` is always an expectation; a bare expectation name is one unless the
        // request has a field of that name (the reference schema's `reason`).
        let requestFields = Set(policySet.schema.root.fields.map(\.name))
        func expectation(_ column: String) -> String? {
            if column.hasPrefix("expect.") { return String(column.dropFirst("expect.".count)) }
            return Self.expectationKeys.contains(column) && !requestFields.contains(column) ? column : nil
        }
        var unknownColumns: Set<String> = []
        for column in table.columns {
            guard let key = expectation(column.value), !Self.expectationKeys.contains(key) else { continue }
            diagnostics.append(TestMessages.unknown(
                "an expectation", key, at: column.span, known: Self.expectationKeys, in: "a case"))
            unknownColumns.insert(column.value)
        }
        let expectationColumns = Set(table.columns.map(\.value).filter {
            expectation($0).map(Self.expectationKeys.contains) ?? false
        })
        if expectationColumns.isEmpty && model.expect.isEmpty {
            diagnostics.append(.error(
                .testNoExpectations, "table `\(model.name.value)` expects nothing, so it can never fail",
                at: table.span, help: "add a column such as `effect` or `tier`, or `expect:` for every row"))
            return []
        }
        guard let base = request(spec, in: &scope, forCase: true) else { return [] }
        var result: [PolicyTestCase] = []
        for row in table.rows {
            let cells = row.sequence ?? []
            var expectations = Expectations()
            var assignments: [(key: Located<String>, value: YAMLNode)] = []
            for (column, cell) in zip(table.columns, cells) where !unknownColumns.contains(column.value) {
                if expectationColumns.contains(column.value), let key = expectation(column.value) {
                    readExpectation(key, cell, into: &expectations)
                } else {
                    assignments.append((column, cell))
                }
            }
            let values = zip(table.columns, cells)
                .filter { !expectationColumns.contains($0.0.value) && !unknownColumns.contains($0.0.value) }
                .map { "\($0.0.value): \($0.1.scalar?.text ?? $0.1.description)" }
            let name = "\(model.name.value) [\(values.joined(separator: ", "))]"
            guard let tree = assign(assignments, to: base, in: &scope),
                let decoded = decode(tree, caseName: name, caseSpan: row.span)
            else { continue }
            result.append(PolicyTestCase(
                name: name, file: file, location: row.span, request: decoded, locale: locale,
                expectations: model.expect.overridden(by: expectations)))
        }
        return result
    }
}

/// A path with `.` and `name/..` removed, lexically (Foundation leaves `a/../b` as is on
/// Linux): the key a file is read under once, and the name diagnostics show.
func normalizedPath(_ path: String) -> String {
    let absolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for part in path.split(separator: "/") where part != "." {
        if part == "..", let last = parts.last, last != ".." {
            parts.removeLast()
        } else if part == "..", absolute {
            continue
        } else {
            parts.append(part)
        }
    }
    let joined = parts.joined(separator: "/")
    return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
}
