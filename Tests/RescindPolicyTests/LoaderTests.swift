import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Finding policy files on disk, the digest, and files with several documents.
@Suite("policy loader")
struct LoaderTests {
    /// A fresh temporary folder holding `files` (relative path → text).
    static func folder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("rescind-loader-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("files are found recursively; *.tests.yaml and other extensions are ignored")
    func findsFilesRecursively() throws {
        let root = try Self.folder([
            "policy-set.yaml": PolicyFixture.policySet,
            "schema/schema.yml": PolicyFixture.schema,
            "a/b/c/calendar.yaml": PolicyFixture.calendar,
            "a/rules.yaml": PolicyFixture.rules,
            "a/rules.tests.yaml": "this: [is not even valid",
            "a/b/more.tests.yml": "neither: [is this",
            "README.md": "# not a policy",
            "notes.txt": "kind: nonsense",
        ])
        defer { try? FileManager.default.removeItem(at: root) }

        let files = PolicyLoader.policyFiles(in: [root.path]).map { String($0.dropFirst(root.path.count + 1)) }
        #expect(files == ["a/b/c/calendar.yaml", "a/rules.yaml", "policy-set.yaml", "schema/schema.yml"])

        let loaded = LoadedPolicies.load(paths: [root.path])
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.items)")
        let set = try #require(loaded.policySet)
        #expect(set.files.count == 4)
        #expect(set.rules.map(\.id) == ["buyer-may-cancel"])
        #expect(set.calendars.names == ["cn-mainland"])
    }

    @Test("a single file path is loaded as given, unless it is a test file; a folder without policies is an error")
    func explicitFileAndEmptyFolder() throws {
        let root = try Self.folder(["only.tests.yaml": "kind: rules\nrules: []\n", "rules.txt": "kind: rules\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(PolicyLoader.policyFiles(in: [root.path]).isEmpty)
        let loaded = LoadedPolicies.load(paths: [root.path])
        #expect(loaded.policySet == nil)
        #expect(loaded.diagnostics.items.map(\.code.rawValue).contains("policy-no-files"))

        let other = root.appendingPathComponent("rules.txt").path
        #expect(PolicyLoader.policyFiles(in: [other]) == [other])
        // `rescind check Policies/*.yaml` names the test files too: they are not policies.
        let tests = root.appendingPathComponent("only.tests.yaml").path
        #expect(PolicyLoader.policyFiles(in: [tests, other]) == [other])
    }

    @Test("the digest is stable for the same content and changes with one byte")
    func digest() throws {
        let sources = PolicyFixture.sources()
        let first = PolicyLoader().load(sources: sources).digest
        let second = PolicyLoader().load(sources: sources).digest
        #expect(first == second)
        #expect(first.count == 64)
        #expect(first.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // The order files are given in does not matter (they are sorted by path).
        #expect(PolicyLoader().load(sources: sources.reversed()).digest == first)

        // One byte more (a trailing space in a comment-free line) changes the digest.
        var changed = PolicyFixture.sources()
        let index = try #require(changed.firstIndex { $0.path == "p/rules.yaml" })
        changed[index].text += " "
        #expect(PolicyLoader().load(sources: changed).digest != first)

        // So does one byte changed in place, and a renamed file.
        var flipped = PolicyFixture.sources()
        flipped[index].text = flipped[index].text.replacingOccurrences(of: "Buyers may", with: "buyers may")
        #expect(PolicyLoader().load(sources: flipped).digest != first)
        var renamed = PolicyFixture.sources()
        renamed[index].path = "p/rules2.yaml"
        #expect(PolicyLoader().load(sources: renamed).digest != first)

        // From disk, the digest names files by their path inside the folder given, so it
        // does not depend on where the folder is or how its path is spelt, and equals the
        // digest of the same files loaded from memory under those names.
        let files = Dictionary(uniqueKeysWithValues: sources.map { ($0.path, $0.text) })
        let root = try Self.folder(files)
        let elsewhere = try Self.folder(files)
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: elsewhere)
        }
        let spellings = [root.path, root.path + "/", root.path + "/p/../", elsewhere.path]
        for spelling in spellings {
            let set = try #require(LoadedPolicies.load(paths: [spelling]).policySet, "\(spelling)")
            #expect(set.digest == first, "\(spelling)")
        }
        let inMemory = try #require(LoadedPolicies.load(sources: sources).policySet)
        #expect(inMemory.digest == first)
        // A file given directly is named by its file name.
        let single = root.appendingPathComponent("p/rules.yaml").path
        #expect(PolicyLoader().load(paths: [single]).digest
            == PolicyLoader().load(sources: [(path: "rules.yaml", text: PolicyFixture.rules)]).digest)
    }

    @Test("several documents in one file")
    func multipleDocuments() throws {
        let text = [PolicyFixture.policySet, PolicyFixture.schema, PolicyFixture.calendar, PolicyFixture.rules]
            .joined(separator: "---\n")
        let loaded = LoadedPolicies.load(sources: [(path: "all.yaml", text: text)])
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.items)")
        let set = try #require(loaded.policySet)
        #expect(set.name == "test-set")
        #expect(set.files == ["all.yaml"])
        #expect(set.rules.map(\.id) == ["buyer-may-cancel"])
        #expect(set.calendars.names == ["cn-mainland"])
        // Rule locations point into the right document of the file.
        let rulesStart = text.components(separatedBy: "\n").firstIndex { $0.contains("- id: buyer-may-cancel") }
        #expect(set.rules[0].location.line == (rulesStart ?? -1) + 1)
    }

    @Test("two rules documents in one file, and a problem in the second is located there")
    func multipleRulesDocuments() throws {
        let second = PolicyFixture.rules("""
              - id: seller-may-not-cancel
                when: actor.role == "sellr"
                effect: deny
                reason:
                  en: Sellers may not cancel.
                  zh-CN: 卖家不可以取消。

            """)
        let loaded = PolicyFixture.load(["p/rules.yaml": PolicyFixture.rules + "---\n" + second])
        #expect(loaded.policySet == nil)
        let error = try #require(loaded.diagnostics.errors.first)
        #expect(error.span?.file == "p/rules.yaml")
        #expect(error.span?.start.line == 13)
        #expect(error.span?.start.column == 25)
    }
}
