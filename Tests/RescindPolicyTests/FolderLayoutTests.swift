import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Folders as deployments lay them out: links, a Kubernetes ConfigMap, hidden entries;
/// files that would contribute nothing; the `files:` list.
@Suite("policy folder layouts")
struct FolderLayoutTests {
    /// The minimal set as files at the top of a folder.
    static var plainFiles: [String: String] {
        Dictionary(uniqueKeysWithValues: PolicyFixture.files.map { (String($0.key.dropFirst(2)), $0.value) })
    }

    static func digest(_ path: String) throws -> String {
        let loaded = LoadedPolicies.load(paths: [path])
        #expect(!loaded.diagnostics.hasErrors, "\(PolicyFixture.render(loaded))")
        return try #require(loaded.policySet).digest
    }

    static func codes(_ loaded: LoadedPolicies) -> [String] { loaded.diagnostics.errors.map { "\($0.code)" } }

    @Test("a folder given as a symbolic link loads, with the digest of the folder itself")
    func symlinkedFolder() throws {
        let root = try LoaderTests.folder(Self.plainFiles.mapKeys { "real/\($0)" })
        defer { try? FileManager.default.removeItem(at: root) }
        let link = root.appendingPathComponent("policies").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real")
        #expect(try Self.digest(link) == Self.digest(root.appendingPathComponent("real").path))
        #expect(try Self.digest(link + "/") == Self.digest(link))
    }

    @Test("the ConfigMap layout loads: links into a hidden `..data`, which is not read again")
    func configMapLayout() throws {
        let root = try LoaderTests.folder(Self.plainFiles.mapKeys { "mount/..2026_12_05_10_00_00.1/\($0)" })
        defer { try? FileManager.default.removeItem(at: root) }
        let mount = root.appendingPathComponent("mount").path
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: mount + "/..data", withDestinationPath: "..2026_12_05_10_00_00.1")
        for name in Self.plainFiles.keys {
            try manager.createSymbolicLink(atPath: mount + "/" + name, withDestinationPath: "..data/" + name)
        }
        let plain = try LoaderTests.folder(Self.plainFiles)
        defer { try? FileManager.default.removeItem(at: plain) }
        #expect(PolicyLoader.policyFiles(in: [mount]).count == Self.plainFiles.count)
        #expect(try Self.digest(mount) == Self.digest(plain.path))
    }

    @Test("hidden files and folders are skipped at any depth")
    func hiddenEntriesIgnored() throws {
        var files = Self.plainFiles
        files[".rules.yaml.swp"] = "kind: rules\nrules: [oops"
        files[".git/config.yaml"] = "kind: nonsense"
        files["sub/.hidden/extra.yaml"] = "kind: nonsense"
        let root = try LoaderTests.folder(files)
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = try LoaderTests.folder(Self.plainFiles)
        defer { try? FileManager.default.removeItem(at: plain) }
        #expect(try Self.digest(root.path) == Self.digest(plain.path))
        #expect(PolicyLoader.isHidden("a/.b/c.yaml") && !PolicyLoader.isHidden("a/b.c/d.yaml"))
    }

    @Test("an empty file is an error located at the file, not an empty part of the set")
    func emptyFile() throws {
        for text in ["", "\n", "# only a comment\n"] {
            let loaded = LoadedPolicies.load(sources: PolicyFixture.files.map { ($0.key, $0.value) } + [("p/empty.yaml", text)])
            #expect(loaded.policySet == nil)
            let error = try #require(loaded.diagnostics.errors.first { $0.code == .policyEmptyFile })
            #expect(error.span?.description == "p/empty.yaml:1:1")
        }
        let cut = LoadedPolicies.load(sources: [("p/rules.yaml", PolicyFixture.rules + "---\n")] + PolicyFixture.files
            .filter { $0.key != "p/rules.yaml" }.map { ($0.key, $0.value) })
        #expect(Self.codes(cut) == ["policy-empty-file"])
    }

    @Test("a document without `kind` is an error at the document")
    func documentWithoutKind() throws {
        let loaded = LoadedPolicies.load(
            sources: PolicyFixture.files.map { ($0.key, $0.value) } + [("p/extra.yaml", "# note\nrules: []\n")])
        #expect(Self.codes(loaded) == ["policy-missing-kind"])
        #expect(PolicyFixture.render(loaded).contains("p/extra.yaml:2:1: error[policy-missing-kind]: the document has no `kind`"))
    }

    @Test("`files:` lists the set exactly: a listed file missing and a file not listed are errors")
    func filesList() throws {
        let listed = PolicyFixture.policySet + """
            files:
              - policy-set.yaml
              - schema.yaml
              - calendar.yaml
              - rules.yaml

            """
        var files = Self.plainFiles
        files["policy-set.yaml"] = listed
        let root = try LoaderTests.folder(files)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(Self.codes(LoadedPolicies.load(paths: [root.path])).isEmpty)

        try FileManager.default.removeItem(at: root.appendingPathComponent("calendar.yaml"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("extra"), withIntermediateDirectories: true)
        try "kind: calendar\nname: other\ntime_zone: UTC\n".write(
            to: root.appendingPathComponent("extra/calender.yaml"), atomically: true, encoding: .utf8)
        let loaded = LoadedPolicies.load(paths: [root.path])
        #expect(Set(Self.codes(loaded)) == ["policy-listed-file-missing", "policy-file-not-listed"])
        let text = PolicyFixture.render(loaded)
        #expect(text.contains("policy-set.yaml:12:5: error[policy-listed-file-missing]: `calendar.yaml` is listed in `files` but is not in the policy set"), "\(text)")
        #expect(text.contains("extra/calender.yaml:1:1: error[policy-file-not-listed]: `extra/calender.yaml` is not listed"), "\(text)")
    }
}

extension Dictionary where Key == String {
    fileprivate func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
