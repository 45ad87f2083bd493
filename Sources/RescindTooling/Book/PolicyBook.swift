import CELCommon
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// The policy set as a document to sign off (`rescind book`): every rule, threshold,
/// refund case, calendar entry and request field in words, each with the file and line
/// it comes from. Made from the policy files as written (for places and calendar
/// entries) and the compiled set (for what they decide); the same files always give the
/// same bytes, and nothing in it depends on the day it is rendered.
package struct PolicyBook: Sendable {
    /// The files as read (places, calendar entries, schema fields).
    package let model: PolicyModel
    /// The compiled set (reasons, obligations, conditions, digest).
    package let policySet: PolicySet

    package init(model: PolicyModel, policySet: PolicySet) {
        self.model = model
        self.policySet = policySet
    }

    /// The output formats.
    package enum Format: String, Sendable, CaseIterable {
        case markdown
        case html
    }

    /// Loads, checks and compiles the policy files under `paths` (files or folders, as
    /// `rescind check` takes them): a book when the set has no errors.
    package static func load(paths: [String], limits: PolicyLimits = .default) -> PolicyBookLoad {
        PolicyBookLoad(PolicyLoader(limits: limits.yaml).load(paths: paths), limits: limits)
    }

    /// The same from files in memory (path → text), as an editor holds them.
    package static func load(sources: [(path: String, text: String)], limits: PolicyLimits = .default) -> PolicyBookLoad {
        PolicyBookLoad(PolicyLoader(limits: limits.yaml).load(sources: sources), limits: limits)
    }

    /// The same from one policy folder's files in memory, as the workbench holds them
    /// (`EditedSet`): `name` is the path inside the folder, so the digest the book shows
    /// is the one the same files give on disk, and decisions record.
    package static func load(
        folder: String, files: [(path: String, name: String, text: String)], limits: PolicyLimits = .default
    ) -> PolicyBookLoad {
        PolicyBookLoad(PolicyLoader(limits: limits.yaml).load(folder: folder, files: files), limits: limits)
    }

    /// The book in `locale` (`en`, `zh-CN`; any `zh…` reads Chinese, anything else English),
    /// as a document both writers read.
    package func document(locale: String) -> BookDocument {
        BookBuilder(book: self, locale: locale).build()
    }

    /// The book written out: Markdown, or a whole self-contained HTML page.
    package func render(_ format: Format, locale: String) -> String {
        let document = document(locale: locale)
        switch format {
        case .markdown: return BookMarkdown.render(document)
        case .html: return BookHTML.page(document)
        }
    }

    /// The HTML book without `html`, `head` and `body`, to embed in a page (the
    /// workbench): one `<article class="rescind-book">`; style it with `BookHTML.stylesheet`.
    package func htmlFragment(locale: String) -> String {
        BookHTML.fragment(document(locale: locale))
    }
}

/// A loaded book, or why there is none.
package struct PolicyBookLoad: Sendable {
    /// Nil when the policies have errors.
    package let book: PolicyBook?
    /// Every diagnostic, warnings included, sorted.
    package let diagnostics: Diagnostics
    /// The files read, to render the diagnostics with their lines.
    package let sources: SourceMap

    init(_ loaded: PolicyLoadResult, limits: PolicyLimits) {
        var diagnostics = loaded.diagnostics
        var compiler = PolicyCompiler(options: limits.applied(to: PolicyCompiler.Options()))
        let compiled = compiler.compile(loaded.model, digest: loaded.digest)
        diagnostics.append(contentsOf: compiled.diagnostics)
        let policySet = diagnostics.hasErrors ? nil : compiled.policySet
        book = policySet.map { PolicyBook(model: loaded.model, policySet: $0) }
        self.diagnostics = Diagnostics(diagnostics.sorted())
        sources = loaded.sources
    }
}
