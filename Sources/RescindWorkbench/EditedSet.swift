import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindTooling

/// What the page sends: every file of the folder as the analyst has it (saved or not),
/// and what the call needs besides.
struct WorkbenchBody: Decodable, Sendable {
    struct File: Decodable, Sendable {
        var name: String
        var text: String
    }

    var files: [File]
    /// en or zh-CN: the language of diagnostics' surroundings, reasons and explanations.
    var locale: String?
    /// "try": the request, as JSON text.
    var request: String?
    /// "save": the revision of the folder the page started from.
    var base: String?

    /// The language of diagnostics and diffs; the page offers only en and zh-CN, so
    /// another tag (a hand-made call) gets English.
    var language: Diagnostic.Locale { locale.flatMap(Diagnostic.Locale.init(tag:)) ?? .en }
}

/// The edited files, checked against the folder: names it holds (nothing outside it,
/// nothing new), and every policy file present, so a check sees the whole set.
struct EditedSet: Sendable {
    let folder: String
    let files: [WorkspaceFile]

    init(_ body: WorkbenchBody, onDisk: [WorkspaceFile], folder: String) throws(WorkbenchError) {
        let known = Set(onDisk.map(\.name))
        var seen: Set<String> = []
        var files: [WorkspaceFile] = []
        for file in body.files {
            guard known.contains(file.name) else { throw .unknownFile(file.name) }
            guard seen.insert(file.name).inserted else { throw .badBody("`\(file.name)` is sent twice") }
            files.append(WorkspaceFile(name: file.name, text: file.text))
        }
        for name in known.sorted() where !seen.contains(name) { throw .missingFile(name) }
        self.folder = folder
        self.files = files.sorted { $0.name < $1.name }
    }

    /// The path `rescind check` shows for a file of the folder.
    func path(of name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Loads, checks and compiles the policy files as `rescind check` would the folder
    /// (same paths in diagnostics, same digest for the same texts), with its limits.
    func load(today: CivilDate?, limits: PolicyLimits) -> LoadedPolicies {
        LoadedPolicies.load(
            folder: folder, files: policySources, limits: limits, options: PolicyCompiler.Options(today: today))
    }

    /// The policy files (not tests) as the loaders take them: the path diagnostics show,
    /// the name inside the folder the digest hashes, the text.
    var policySources: [(path: String, name: String, text: String)] {
        files.filter { !$0.isTest }.map { (path: path(of: $0.name), name: $0.name, text: $0.text) }
    }

    /// The policy tests of the edited files against `policySet`: test files come from the
    /// page; their includes and request files resolve next to them on disk. Test files
    /// are read within the same YAML limits as the policies, as `rescind test` reads them.
    func testPlan(for policySet: PolicySet, limits: PolicyLimits) -> PolicyTestPlan {
        let edited = Dictionary(uniqueKeysWithValues: files.filter(\.isTest).map { (path(of: $0.name), $0.text) })
        return PolicyTestPlan.load(paths: [folder], policySet: policySet, limits: limits.yaml, edited: edited)
    }
}
