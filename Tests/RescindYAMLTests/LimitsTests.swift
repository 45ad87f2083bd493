import Foundation
import RescindDiagnostics
import RescindYAML
import Testing

@Suite("Limits against hostile input")
struct LimitsTests {
    /// The classic "billion laughs": nine levels of nine aliases, 9^9 nodes expanded.
    static let billionLaughs: String = {
        var text = "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            let aliases = Array(repeating: "*\(previous)", count: 9).joined(separator: ", ")
            text += "\(name): &\(name) [\(aliases)]\n"
        }
        return text
    }()

    @Test("a billion-laughs document stops fast at the alias limit")
    func billionLaughs() throws {
        let clock = ContinuousClock()
        var result: YAMLLoadResult?
        let elapsed = clock.measure { result = load(Self.billionLaughs) }
        let diagnostics = try #require(result?.diagnostics)
        #expect(codes(diagnostics) == ["yaml-alias-limit"])
        // Aliases expand to 9·10 + 9·91 + 9·820 = 8289 nodes by the end of `d`; the
        // first `*d` on line 5 passes 10 000.
        #expect(diagnostics.items[0].span?.start.line == 5)
        #expect(elapsed < .seconds(2))
    }

    @Test("the alias limit counts expanded nodes and is configurable")
    func aliasLimitConfigurable() {
        let text = "a: &a [1, 2]\nb: *a\nc: *a\n"
        // `[1, 2]` is three nodes: the sequence and its items.
        #expect(load(text, limits: YAMLLimits(maxAliasExpansion: 6)).diagnostics.isEmpty)
        let result = load(text, limits: YAMLLimits(maxAliasExpansion: 5))
        #expect(codes(result.diagnostics) == ["yaml-alias-limit"])
        #expect(result.diagnostics.items[0].span.map(position) == "3:4-3:6")
    }

    @Test("deep flow nesting stops at the depth limit")
    func deepFlowNesting() throws {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let result = load(text)
        #expect(codes(result.diagnostics) == ["yaml-depth-limit"])
        #expect(position(try #require(result.diagnostics.items.first?.span)) == "1:65-1:66")
        #expect(result.documents.isEmpty)
    }

    @Test("the depth limit is configurable and counts block nesting")
    func depthLimitConfigurable() throws {
        let text = "a:\n  b:\n    c:\n      d: 1\n"
        #expect(load(text, limits: YAMLLimits(maxDepth: 4)).diagnostics.isEmpty)
        let result = load(text, limits: YAMLLimits(maxDepth: 3))
        #expect(codes(result.diagnostics) == ["yaml-depth-limit"])
        #expect(result.diagnostics.items[0].span?.start.line == 4)
    }

    @Test("nesting brought in by an alias counts toward the depth limit")
    func depthThroughAliases() {
        let text = "a: &x [[1]]\nb: [[*x]]\n"
        #expect(load(text, limits: YAMLLimits(maxDepth: 5)).diagnostics.isEmpty)
        let result = load(text, limits: YAMLLimits(maxDepth: 4))
        #expect(codes(result.diagnostics) == ["yaml-depth-limit"])
        #expect(result.diagnostics.items[0].span.map(position) == "2:6-2:8")
    }

    @Test("text over the size limit is rejected before parsing")
    func sizeLimitText() {
        let result = load("a: 1\nb: 2\n", limits: YAMLLimits(maxFileSize: 9))
        #expect(codes(result.diagnostics) == ["yaml-size-limit"])
        #expect(result.documents.isEmpty)
        #expect(load("a: 1\nb: 2\n", limits: YAMLLimits(maxFileSize: 10)).diagnostics.isEmpty)
        #expect(codes(load(String(repeating: "#", count: (1 << 20) + 1)).diagnostics) == ["yaml-size-limit"])
    }

    @Test("a file over the size limit is rejected without reading it")
    func sizeLimitFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rescind-yaml-\(UUID().uuidString).yaml")
        try Data(String(repeating: "a: 1\n", count: 1000).utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = YAMLLoader(limits: YAMLLimits(maxFileSize: 4096)).load(contentsOf: url.path)
        #expect(codes(result.diagnostics) == ["yaml-size-limit"])
        #expect(result.diagnostics.items[0].message == "file is 5000 bytes, more than the limit of 4096 bytes")
        #expect(result.diagnostics.items[0].span?.file == url.path)
    }

    @Test("loading stops after too many errors, with a located error saying so")
    func tooManyErrors() throws {
        let text = "{" + (0..<1000).map { _ in "k: 1" }.joined(separator: ", ") + "}"
        let result = load(text, limits: YAMLLimits(maxErrors: 10))
        #expect(result.diagnostics.count == 11)
        #expect(codes(result.diagnostics).last == "yaml-too-many-errors")
        #expect(result.diagnostics.items.last?.span?.start.line == 1)
        #expect(load(text).diagnostics.count == 101)
    }

    @Test("many undefined aliases among many anchors stay fast")
    func undefinedAliasFlood() {
        let anchors = (0..<20_000).map { "- &anchor\($0) x" }.joined(separator: "\n")
        let aliases = (0..<20_000).map { "- *missing\($0)" }.joined(separator: "\n")
        let clock = ContinuousClock()
        var result: YAMLLoadResult?
        let elapsed = clock.measure { result = load(anchors + "\n" + aliases + "\n") }
        #expect(result?.diagnostics.count == 101)
        #expect(elapsed < .seconds(10))
    }

    @Test("a long single-line document loads in linear time")
    func longSingleLine() {
        let text = "[" + Array(repeating: "é", count: 100_000).joined(separator: ",") + "]"
        let clock = ContinuousClock()
        var result: YAMLLoadResult?
        let elapsed = clock.measure { result = load(text) }
        #expect(result?.diagnostics.isEmpty == true)
        #expect(result?.documents.first?.sequence?.last?.span.start.column == 200_000)
        #expect(elapsed < .seconds(5))
    }
}
