import ArgumentParser
import Foundation
import RescindDiagnostics
import RescindTooling

/// `rescind book`: the policy set as a document to sign off.
struct BookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Write the policy set as a readable document for sign-off (Markdown or HTML).",
        discussion: """
            Every rule in plain words (who, which orders, which reasons, the effect, the \
            reason text and obligations), thresholds as tables of tiers, refund fees and \
            deadlines, the calendar's holidays and make-up workdays by year, the history \
            settings and the request's fields, each with the file and line it comes from, \
            and the set's name, version and digest. Conditions the compiler understands \
            are put into words; any other is shown as written. The same files always give \
            the same bytes. See docs/book.md.

            Exit 0 when written, 3 when the policies have errors (printed on standard \
            error), 64 on a usage error. `--output FILE` writes the book to FILE instead \
            of standard output.

            Examples:
              rescind book --policies Policies > policy-book.md
              rescind book --policies Policies --locale zh-CN > policy-book.zh-CN.md
              rescind book --locale zh-CN --format html > policy-book.zh-CN.html
            """)

    @Option(help: ArgumentHelp("The policy folder.", valueName: "DIR"), completion: .directory)
    var policies: String = "Policies"

    @Option(
        help: ArgumentHelp(
            "The book's language: `en` or `zh-CN` (matched to the set's locales as `--locale` is elsewhere).",
            valueName: "en|zh-CN"),
        completion: .list(PolicyOptions.locales))
    var locale: String = "en"

    @Option(help: ArgumentHelp("Output format: markdown or html (one self-contained page).", valueName: "markdown|html"))
    var format: PolicyBook.Format = .markdown

    @Option(help: ArgumentHelp("Write the book to FILE instead of standard output.", valueName: "FILE"),
            completion: .file(extensions: ["md", "html"]))
    var output: String?

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    func run() throws {
        let loaded = PolicyBook.load(paths: [policies], limits: try limitOptions.limits())
        guard let book = loaded.book else {
            let text = render(loaded.diagnostics, sources: loaded.sources, format: .human)
            FileHandle.standardError.write(Data(text.utf8))
            throw RescindExit.invalidInput
        }
        // A language the set has no texts in is a usage error, never a silent fallback.
        let matched = try PolicyOptions.match(locale, in: book.policySet) ?? locale
        let text = book.render(format, locale: matched)
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw ValidationError("--output `\(output)`: cannot write the file (\(error.localizedDescription))")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

extension PolicyBook.Format: ExpressibleByArgument {}
