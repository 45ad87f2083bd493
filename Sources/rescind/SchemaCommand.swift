import ArgumentParser
import Foundation
import RescindDiagnostics
import RescindTooling

/// `rescind schema`: the JSON Schemas editors validate policy and test files with
/// (docs/editors.md); docs/schema/ holds them as this command prints them.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of a policy or test file kind, for editors.",
        discussion: """
            Without KIND, lists the kinds. With KIND, prints its JSON Schema (draft 2020-12). \
            With --output-dir, writes KIND.json (every kind's, or only KIND's) into DIR: \
            Scripts/render-schemas.sh regenerates docs/schema/ this way. Policy files point \
            their editor to these with a first line such as
              # yaml-language-server: $schema=../docs/schema/rules.json
            Exit 0, or 64 on a usage error (an unknown kind).

            Examples:
              rescind schema
              rescind schema rules
              rescind schema --output-dir docs/schema
            """)

    @Argument(
        help: ArgumentHelp(
            "The kind: \(PolicyFileKind.allCases.map(\.name).joined(separator: ", ")) (or a document kind such as policy_set).",
            valueName: "KIND"),
        completion: .list(PolicyFileKind.allCases.map(\.name)))
    var kind: String?

    @Option(
        name: .customLong("output-dir"),
        help: ArgumentHelp("Write the schemas into this folder as KIND.json files.", valueName: "DIR"),
        completion: .directory)
    var outputDirectory: String?

    func run() throws {
        var kinds = PolicyFileKind.allCases
        if let kind {
            guard let named = PolicyFileKind.named(kind) else {
                let known = "the kinds are " + Suggestions.quotedList(PolicyFileKind.allCases.map(\.name), conjunction: "and")
                throw ValidationError(
                    "unknown kind `\(kind)`; " + (PolicyFileKind.suggestion(for: kind).map { "\($0) " } ?? "") + known)
            }
            kinds = [named]
        }
        if let outputDirectory {
            try write(kinds, into: outputDirectory)
        } else if kind == nil {
            FileHandle.standardOutput.write(Data(Self.list().utf8))
        } else {
            FileHandle.standardOutput.write(Data(PolicyJSONSchema.text(for: kinds[0]).utf8))
        }
    }

    private func write(_ kinds: [PolicyFileKind], into folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create `\(folder)`: \(error.localizedDescription)")
        }
        for kind in kinds {
            let path = (folder as NSString).appendingPathComponent(kind.fileName)
            guard FileManager.default.createFile(atPath: path, contents: Data(PolicyJSONSchema.text(for: kind).utf8))
            else { throw ValidationError("cannot write `\(path)`") }
        }
        let count = kinds.count
        FileHandle.standardError.write(Data("wrote \(count) schema\(count == 1 ? "" : "s") to \(folder)\n".utf8))
    }

    /// One line per kind: its name, the `kind:` its documents declare, what it is.
    static func list() -> String {
        let rows = PolicyFileKind.allCases.map { ($0.name, "kind: \($0.documentKind)", $0.summary) }
        let first = rows.map(\.0.count).max() ?? 0, second = rows.map(\.1.count).max() ?? 0
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        return rows.map { "\(pad($0.0, first))  \(pad($0.1, second))  \($0.2)" }.joined(separator: "\n") + "\n"
    }
}
