import RescindDiagnostics
import RescindYAML
import Testing

@Suite("Documents, duplicate keys and aliases")
struct StructureTests {
    @Test("a file may hold several documents")
    func multipleDocuments() {
        let result = load("a: 1\n---\n- x\n---\n...\n---\nplain\n")
        #expect(result.diagnostics.isEmpty)
        #expect(result.documents == [["a": 1], ["x"], nil, "plain"])
        #expect(result.documents.map(\.span.start.line) == [1, 3, 5, 7])
    }

    @Test("an empty file or a file of comments has no documents")
    func emptyFile() {
        #expect(load("").documents.isEmpty)
        #expect(load("# only a comment\n\n").documents.isEmpty)
        #expect(load("").diagnostics.isEmpty)
    }

    @Test("a duplicate key names both places; the first entry is kept")
    func duplicateKey() throws {
        let result = load("name: a\nlimit: 1\nname: b\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.code == .yamlDuplicateKey)
        #expect(diagnostic.severity == .error)
        #expect(position(try #require(diagnostic.span)) == "3:1-3:5")
        #expect(diagnostic.notes.map(\.message) == ["first defined here"])
        #expect(position(try #require(diagnostic.notes.first?.span)) == "1:1-1:5")
        #expect(result.documents.first == ["name": "a", "limit": 1])
    }

    @Test("keys that are equal as data are duplicates, whatever their spelling")
    func duplicateKeysByValue() {
        let result = load("'a': 1\na: 2\n1: x\n0x1: y\n? [k]\n: 1\n? [k]\n: 2\nb: {c: 1, c: 2}\n")
        #expect(codes(result.diagnostics) == Array(repeating: "yaml-duplicate-key", count: 4))
        #expect(result.diagnostics.map { $0.span!.start.line } == [2, 4, 7, 9])
    }

    @Test("every duplicate is reported, not only the first")
    func allDuplicatesReported() {
        let result = load("a: 1\nb: 2\na: 3\nb: 4\na: 5\n")
        #expect(result.diagnostics.count == 3)
    }

    @Test("aliases resolve to the anchored node and remember where it is")
    func aliases() throws {
        let root = try #require(document("base: &defaults {fee: 5, refund: true}\ncopy: *defaults\n"))
        let mapping = try #require(root.mapping)
        let copy = try #require(mapping["copy"])
        #expect(copy == mapping["base"])
        #expect(position(copy.span) == "2:7-2:16")
        #expect(copy.alias?.name == "defaults")
        #expect(position(try #require(copy.alias?.anchoredSpan)) == "1:7-1:39")
        #expect(mapping["base"]?.anchor == "defaults")
    }

    @Test("an undefined alias is a located error with a suggestion")
    func undefinedAlias() throws {
        let result = load("a: &limits 3\nb: *limit\nc: *nothing\n")
        #expect(codes(result.diagnostics) == ["yaml-undefined-alias", "yaml-undefined-alias"])
        let first = result.diagnostics.items[0]
        #expect(position(try #require(first.span)) == "2:4-2:10")
        #expect(first.message == "alias `*limit` refers to no anchor defined before it")
        #expect(first.help == "did you mean `*limits`?")
        #expect(result.diagnostics.items[1].help == "define the anchor with `&nothing` on a node before this alias")
    }

    @Test("anchors do not carry over to the next document")
    func anchorsArePerDocument() {
        let result = load("a: &x 1\n---\nb: *x\n")
        #expect(codes(result.diagnostics) == ["yaml-undefined-alias"])
    }

    @Test("an alias inside its own anchored node is reported, not followed")
    func recursiveAlias() {
        let result = load("a: &loop\n  b: *loop\n")
        #expect(codes(result.diagnostics) == ["yaml-recursive-alias"])
        #expect(result.diagnostics.items[0].notes.first?.span?.start.line == 1)
    }
}
