import Foundation
import RescindDiagnostics
import RescindYAML
import Testing

@Suite("Syntax errors, encoding and files")
struct SyntaxErrorTests {
    @Test("a libyaml error becomes a located diagnostic with help")
    func mappingValueInPlainScalar() throws {
        let result = load("a: b: c\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.code == .yamlSyntax)
        #expect(diagnostic.message == "mapping values are not allowed in this context")
        #expect(position(try #require(diagnostic.span)) == "1:5-1:5")
        #expect(diagnostic.help != nil)
    }

    @Test("libyaml's context becomes a note pointing where the construct starts")
    func unclosedFlowSequence() throws {
        let result = load("name: x\nkey: [a, b\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(diagnostic.message == "did not find expected ',' or ']'")
        #expect(diagnostic.span.map(position) == "2:11-2:11")
        #expect(diagnostic.notes.map(\.message) == ["the flow sequence starts here"])
        #expect(diagnostic.notes.first?.span.map(position) == "2:6-2:6")
    }

    @Test("an error at the end of the stream points at the end of the last line with content")
    func endOfStream() throws {
        let result = load("a: 'unterminated\nb: 1\n\n\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(diagnostic.message == "found unexpected end of stream")
        #expect(diagnostic.span.map(position) == "2:5-2:5")
        #expect(diagnostic.notes.first?.span.map(position) == "1:4-1:4")
    }

    @Test("a tab used for indentation gets a specific hint")
    func tabIndentation() throws {
        let result = load("a:\n\t- b\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(diagnostic.code == .yamlSyntax)
        #expect(diagnostic.span.map(position) == "2:1-2:1")
        #expect(diagnostic.help == "YAML does not allow tabs for indentation; indent with spaces")
    }

    @Test("a control character is located by its byte offset")
    func controlCharacter() throws {
        let result = load("ok: 1\nbad: é\u{01}\n")
        let diagnostic = try #require(result.diagnostics.items.first)
        #expect(diagnostic.message == "control characters are not allowed: found U+0001")
        #expect(diagnostic.span.map(position) == "2:7-2:7")
    }

    @Test("documents before a syntax error are returned; the error is reported")
    func errorInLaterDocument() {
        let result = load("a: 1\n---\nb: [\n")
        #expect(result.documents == [["a": 1]])
        #expect(codes(result.diagnostics) == ["yaml-syntax"])
    }

    @Test("invalid UTF-8 is located at the first bad byte and loading goes on")
    func invalidUTF8() throws {
        let bytes: [UInt8] = Array("name: caf".utf8) + [0xE9] + Array("\nlist: [a, a\n".utf8)
        let result = YAMLLoader().load(bytes: bytes, path: "latin1.yaml")
        #expect(codes(result.diagnostics) == ["yaml-invalid-utf8", "yaml-syntax"])
        #expect(result.diagnostics.items[0].span.map(position) == "1:10-1:11")
        #expect(result.diagnostics.items[0].span?.file == "latin1.yaml")
        #expect(result.source.text.hasPrefix("name: caf\u{FFFD}\n"))
    }

    @Test("load(contentsOf:) reads a file and names it in spans")
    func loadFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rescind-yaml-\(UUID().uuidString).yaml")
        try Data("a: 1\na: 2\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = YAMLLoader().load(contentsOf: url.path)
        #expect(result.documents == [["a": 1]])
        #expect(codes(result.diagnostics) == ["yaml-duplicate-key"])
        #expect(result.diagnostics.items[0].span?.file == url.path)
        #expect(result.source.path == url.path)
    }

    @Test("a missing file or a directory is an unlocated error")
    func unreadableFile() {
        let missing = YAMLLoader().load(contentsOf: "/nonexistent/rescind/policy.yaml")
        #expect(codes(missing.diagnostics) == ["yaml-unreadable-file"])
        #expect(
            missing.diagnostics.items[0].message
                == "cannot read `/nonexistent/rescind/policy.yaml`: no such file or directory")
        #expect(missing.diagnostics.items[0].span == nil)
        let directory = YAMLLoader().load(contentsOf: FileManager.default.temporaryDirectory.path)
        #expect(codes(directory.diagnostics) == ["yaml-unreadable-file"])
    }
}
