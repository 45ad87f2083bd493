import Foundation
import Testing

@Suite("rescind book")
struct BookCommandTests {
    /// The rendered examples under docs/book/, by locale and format.
    static let examples: [(locale: String, format: String, file: String)] = [
        ("en", "markdown", "docs/book/policy-book.en.md"),
        ("zh-CN", "markdown", "docs/book/policy-book.zh-CN.md"),
        ("en", "html", "docs/book/policy-book.en.html"),
        ("zh-CN", "html", "docs/book/policy-book.zh-CN.html"),
    ]

    @Test("docs/book is current: the committed books are what the binary writes today")
    func committedBooksAreCurrent() throws {
        for example in Self.examples {
            let run = try CLI.run(["book", "--policies", "Policies", "--locale", example.locale, "--format", example.format])
            #expect(run.status == 0, "\(run.stderr)")
            let committed = try String(contentsOf: CLI.packageRoot.appendingPathComponent(example.file), encoding: .utf8)
            // A message, not the two books side by side: they are tens of kilobytes.
            if run.stdout != committed {
                Issue.record("\(example.file) is out of date: run Scripts/render-book.sh and commit the result")
            }
        }
    }

    @Test("--output writes the same bytes as standard output; markdown and en are the defaults")
    func outputFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-book-\(UUID().uuidString).md")
        defer { try? FileManager.default.removeItem(at: file) }
        let written = try CLI.run(["book", "--policies", "Policies", "--output", file.path])
        #expect(written.status == 0)
        #expect(written.stdout.isEmpty)
        let printed = try CLI.run(["book", "--policies", "Policies"])
        #expect(try String(contentsOf: file, encoding: .utf8) == printed.stdout)
        #expect(printed.stdout.hasPrefix("<a id=\"top\"></a>\n\n# Policy book: marketplace-cancellations 2026.12\n"))
        #expect(printed.stdout.contains("f014fcd1be15"))
    }

    @Test("a language the set has no texts in is a usage error")
    func unknownLocale() throws {
        let run = try CLI.run(["book", "--policies", "Policies", "--locale", "fr"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--locale `fr`"))
        #expect(run.stdout.isEmpty)
    }

    @Test("policies with errors: the diagnostics on standard error, exit 3, no book")
    func brokenPolicies() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-book-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "kind: rules\nrules:\n  - id: x\n    effect: allow\n    when: order.status == \"paid\"\n"
            .write(to: folder.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["book", "--policies", folder.path])
        #expect(run.status == 3)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("error"))
    }
}
