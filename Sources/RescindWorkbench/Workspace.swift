import Foundation
import RescindPolicy

/// One file of the folder the workbench edits: a policy file or a policy test file.
package struct WorkspaceFile: Sendable, Hashable {
    /// The path inside the folder (`who-may-cancel.yaml`, `regional/eu.yaml`).
    package var name: String
    package var text: String
    /// `*.tests.yaml`: run by "tests", never loaded as a policy.
    package var isTest: Bool { PolicyLoader.isTestFile(name) }
}

/// The policy folder on disk: what the page starts from, what impact replays against, and
/// where a clean set is saved. Saves are serialized, and refused when the folder changed
/// on disk since the page read it, so two tabs (or an editor beside the page) never
/// overwrite each other's work unseen.
package actor Workspace {
    /// The folder as given on the command line; diagnostics name files under it as
    /// `rescind check` does.
    package nonisolated let folder: String

    package init(folder: String) { self.folder = folder }

    /// Every policy and test file in the folder, by name.
    package func files() throws(WorkbenchError) -> [WorkspaceFile] {
        try Self.read(folder)
    }

    /// A fingerprint of the files on disk (names and texts): what a save must start from.
    package func revision() throws(WorkbenchError) -> String {
        Self.revision(of: try Self.read(folder))
    }

    /// Writes the files whose text differs from disk, each atomically (a temporary file
    /// in the same folder, then a rename), after checking the folder still is at `base`.
    /// Returns the names written and the new revision.
    package func save(_ edited: [WorkspaceFile], base: String) throws(WorkbenchError) -> (written: [String], revision: String) {
        let current = try Self.read(folder)
        guard Self.revision(of: current) == base else { throw .changedOnDisk }
        let onDisk = Dictionary(uniqueKeysWithValues: current.map { ($0.name, $0.text) })
        var written: [String] = []
        for file in edited.sorted(by: { $0.name < $1.name }) where onDisk[file.name] != file.text {
            let path = (folder as NSString).appendingPathComponent(file.name)
            do {
                try Data(file.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw .cannotWrite(file.name, (error as NSError).localizedDescription)
            }
            written.append(file.name)
        }
        return (written, Self.revision(of: try Self.read(folder)))
    }

    static func read(_ folder: String) throws(WorkbenchError) -> [WorkspaceFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notAFolder(folder)
        }
        var files: [WorkspaceFile] = []
        for name in PolicyLoader.folderFiles(folder).sorted()
        where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead(name) }
            guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8(name) }
            files.append(WorkspaceFile(name: name, text: text))
        }
        return files
    }

    static func revision(of files: [WorkspaceFile]) -> String {
        var hash = SHA256()
        for file in files.sorted(by: { $0.name < $1.name }) {
            hash.update(Array(file.name.utf8) + [0])
            hash.update(Array(file.text.utf8) + [0])
        }
        return hash.finalize()
    }
}
