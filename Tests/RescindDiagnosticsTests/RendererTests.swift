import RescindDiagnostics
import Testing

/// Golden tests of the three renderers: their output is read by people, by tools
/// parsing JSON and by GitHub, so it must stay byte-for-byte stable.
@Suite("Diagnostic renderers")
struct RendererTests {
    static let policy = SourceFile(path: "policy.yaml", text: "name: refunds\nwindow: 30 days\n")

    /// `30 days` on line 2: offsets 22..<29, columns 9..<16.
    static let windowValue = policy.span(from: 22, to: 29)

    static let mismatch = Diagnostic.error(
        "x-type", "expected an integer, found `30 days`", at: windowValue,
        notes: [DiagnosticNote("the unit goes in `unit`")], help: "write `30`")

    @Test("spans from offsets get 1-based character columns")
    func spanFromOffsets() {
        #expect(Self.windowValue.description == "policy.yaml:2:9")
        #expect(Self.windowValue.end == SourceLocation(line: 2, column: 16, offset: 29))
        let accented = SourceFile(path: "a.yaml", text: "clé: été\n")
        #expect(accented.location(ofOffset: 6) == SourceLocation(line: 1, column: 6, offset: 6))
        #expect(accented.line(1) == "clé: été")
        #expect(accented.line(3) == nil)
    }

    @Test("human: caret and underline under the span, then notes and help")
    func humanBasic() {
        let output = HumanRenderer(sources: SourceMap([Self.policy])).render(Self.mismatch)
        #expect(
            output == """
                policy.yaml:2:9: error[x-type]: expected an integer, found `30 days`
                  |
                2 | window: 30 days
                  |         ^~~~~~~
                  = note: the unit goes in `unit`
                  = help: write `30`

                """)
    }

    @Test("human: located notes get their own excerpt; wide gutters; non-ASCII columns")
    func humanNotesAndGutter() {
        let lines = (1...9).map { "k\($0): v" } + ["clé: \"été\"", "clé: autre"]
        let file = SourceFile(path: "big.yaml", text: lines.joined(separator: "\n") + "\n")
        let second = SourceSpan(
            file: "big.yaml", start: SourceLocation(line: 11, column: 1), end: SourceLocation(line: 11, column: 4))
        let first = SourceSpan(
            file: "big.yaml", start: SourceLocation(line: 10, column: 6), end: SourceLocation(line: 10, column: 11))
        let diagnostic = Diagnostic.warning(
            "x-dup", "duplicate key `clé`", at: second, notes: [DiagnosticNote("first value here", span: first)])
        #expect(
            HumanRenderer(sources: SourceMap([file])).render(diagnostic) == """
                big.yaml:11:1: warning[x-dup]: duplicate key `clé`
                   |
                11 | clé: autre
                   | ^~~
                big.yaml:10:6: note: first value here
                   |
                10 | clé: "été"
                   |      ^~~~~

                """)
    }

    @Test("human: a zero-width span gets one caret; a multi-line span underlines to the line end")
    func humanSpanShapes() {
        let file = SourceFile(path: "s.yaml", text: "a: [1,\n  2]\n")
        let point = file.span(from: 3, to: 3)
        let multiLine = file.span(from: 3, to: 11)
        let renderer = HumanRenderer(sources: SourceMap([file]))
        #expect(
            renderer.render(Diagnostic.error("x", "here", at: point)) == """
                s.yaml:1:4: error[x]: here
                  |
                1 | a: [1,
                  |    ^

                """)
        #expect(
            renderer.render(Diagnostic.error("x", "all of it", at: multiLine)) == """
                s.yaml:1:4: error[x]: all of it
                  |
                1 | a: [1,
                  |    ^~~

                """)
    }

    @Test("human: tabs render as one space so the caret stays aligned")
    func humanTabs() {
        let file = SourceFile(path: "t.yaml", text: "a:\n\t- b\n")
        let span = file.span(from: 4, to: 5)
        #expect(
            HumanRenderer(sources: SourceMap([file])).render(Diagnostic.error("x", "after a tab", at: span)) == """
                t.yaml:2:2: error[x]: after a tab
                  |
                2 |  - b
                  |  ^

                """)
    }

    @Test("human: no excerpt without a span or without the file's text")
    func humanWithoutSource() {
        let renderer = HumanRenderer(sources: SourceMap())
        let unlocated = Diagnostic.error("x-io", "cannot read `p.yaml`", at: nil, help: "check the path")
        #expect(renderer.render(unlocated) == "error[x-io]: cannot read `p.yaml`\n  = help: check the path\n")
        #expect(
            renderer.render(Self.mismatch) == """
                policy.yaml:2:9: error[x-type]: expected an integer, found `30 days`
                  = note: the unit goes in `unit`
                  = help: write `30`

                """)
    }

    @Test("human: color wraps parts in ANSI escapes")
    func humanColor() {
        let file = SourceFile(path: "c.yaml", text: "x\n")
        let diagnostic = Diagnostic.error("x", "bad", at: file.span(from: 0, to: 1))
        let output = HumanRenderer(sources: SourceMap([file]), color: true).render(diagnostic)
        let escape = "\u{1B}["
        #expect(
            output == """
                \(escape)1mc.yaml:1:1: \(escape)0m\(escape)1;31merror\(escape)0m\(escape)1;31m[x]\(escape)0m\(escape)1m: bad\(escape)0m
                  |
                1 | x
                  | \(escape)1;31m^\(escape)0m

                """)
    }

    @Test("human: several diagnostics are concatenated in order")
    func humanSequence() {
        let renderer = HumanRenderer(sources: SourceMap())
        let diagnostics: Diagnostics = [.error("a", "one", at: nil), .warning("b", "two", at: nil)]
        #expect(renderer.render(diagnostics) == "error[a]: one\nwarning[b]: two\n")
    }

    @Test("json: stable keys, escapes, optional fields left out")
    func json() {
        let odd = Diagnostic(.note, "x-odd", "tab\there \"quoted\" \\ and \u{01}", at: nil)
        let output = JSONDiagnosticRenderer().render([Self.mismatch, odd])
        #expect(
            output == """
                {"diagnostics":[{"severity":"error","code":"x-type","message":"expected an integer, found `30 days`",\
                "span":{"file":"policy.yaml","start":{"line":2,"column":9},"end":{"line":2,"column":16}},\
                "notes":[{"message":"the unit goes in `unit`"}],"help":"write `30`"},\
                {"severity":"note","code":"x-odd","message":"tab\\there \\"quoted\\" \\\\ and \\u0001"}]}

                """)
        #expect(JSONDiagnosticRenderer().render([]) == "{\"diagnostics\":[]}\n")
    }

    @Test("json: located notes carry their span")
    func jsonNoteSpan() {
        let note = DiagnosticNote(
            "first",
            span: SourceSpan(
                file: "f", start: SourceLocation(line: 1, column: 1), end: SourceLocation(line: 1, column: 2)))
        let diagnostic = Diagnostic.warning("w", "m", at: nil, notes: [note])
        #expect(
            JSONDiagnosticRenderer().object(diagnostic) == """
                {"severity":"warning","code":"w","message":"m","notes":[{"message":"first",\
                "span":{"file":"f","start":{"line":1,"column":1},"end":{"line":1,"column":2}}}]}
                """)
    }

    @Test("github: workflow commands with location, notes and help folded into the message")
    func github() {
        #expect(
            GitHubRenderer().render(Self.mismatch) == """
                ::error file=policy.yaml,line=2,col=9,endLine=2,endColumn=16,title=x-type::\
                expected an integer, found `30 days`%0Anote: the unit goes in `unit`%0Ahelp: write `30`

                """)
    }

    @Test("github: severities, multi-line spans, escaping, no span")
    func githubVariants() {
        let multiLine = SourceSpan(
            file: "dir,a:b.yaml", start: SourceLocation(line: 1, column: 3), end: SourceLocation(line: 4, column: 1))
        let renderer = GitHubRenderer()
        #expect(
            renderer.render(Diagnostic.warning("w", "50% off\r\nnow", at: multiLine)) == """
                ::warning file=dir%2Ca%3Ab.yaml,line=1,col=3,endLine=4,title=w::50%25 off%0D%0Anow

                """)
        #expect(renderer.render(Diagnostic(.note, "n", "fyi", at: nil)) == "::notice title=n::fyi\n")
    }

    @Test("diagnostics sort by file, line and column, keeping insertion order for ties")
    func sorting() {
        func at(_ file: String, _ line: Int, _ column: Int) -> SourceSpan {
            SourceSpan(
                file: file, start: SourceLocation(line: line, column: column),
                end: SourceLocation(line: line, column: column))
        }
        let diagnostics: Diagnostics = [
            .error("c", "3", at: at("b.yaml", 1, 1)),
            .error("b", "2", at: at("a.yaml", 2, 1)),
            .warning("a", "1", at: at("a.yaml", 1, 5)),
            .error("d", "4", at: at("a.yaml", 2, 1)),
        ]
        #expect(diagnostics.sorted().map(\.message) == ["1", "2", "4", "3"])
        #expect(diagnostics.hasErrors)
        #expect(diagnostics.warnings.count == 1)
        #expect(diagnostics.items[0].description == "b.yaml:1:1: error[c]: 3")
    }
}
