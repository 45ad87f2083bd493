import RescindDiagnostics
import RescindYAML
import Testing

@Suite("Typed accessors and the mapping decoder")
struct AccessorTests {
    let policy = """
        name: refunds
        enabled: true
        window: 30
        fee: 2.50
        version: 1.10
        quoted: "12"
        country: NO
        legacy: off
        tags: [a, b]
        limits: {daily: 3}
        nothing:
        """

    func field(_ key: String) throws -> YAMLNode {
        try #require(document(policy)?.mapping?[key])
    }

    @Test("values of the expected kind are returned without diagnostics")
    func happyPath() throws {
        var diagnostics = Diagnostics()
        #expect(try field("name").string(diagnostics: &diagnostics) == "refunds")
        #expect(try field("enabled").bool(diagnostics: &diagnostics) == true)
        #expect(try field("window").int(diagnostics: &diagnostics) == 30)
        #expect(try field("window").double(diagnostics: &diagnostics) == 30)
        #expect(try field("fee").double(diagnostics: &diagnostics) == 2.5)
        #expect(try field("fee").scalarText(diagnostics: &diagnostics) == "2.50")
        #expect(try field("country").string(diagnostics: &diagnostics) == "NO")
        #expect(try field("tags").decode([String].self, diagnostics: &diagnostics) == ["a", "b"])
        #expect(try field("limits").mapping(diagnostics: &diagnostics)?["daily"] == 3)
        #expect(try field("tags").sequence(diagnostics: &diagnostics)?.count == 2)
        #expect(try field("nothing").isNull)
        #expect(diagnostics.isEmpty)
    }

    @Test("a YAML 1.1 boolean word keeps its meaning with a warning that explains the YAML 1.2 reading")
    func booleanLikeWords() throws {
        for (word, meaning) in [("yes", true), ("No", false), ("ON", true), ("off", false), ("y", true), ("N", false)] {
            var diagnostics = Diagnostics()
            let node = try #require(document("v: \(word)")?.mapping?["v"])
            #expect(node.bool(diagnostics: &diagnostics) == meaning)
            #expect(codes(diagnostics) == ["yaml-boolean-like"])
            #expect(diagnostics.items[0].severity == .warning)
            #expect(
                diagnostics.items[0].message
                    == "`\(word)` is read as `\(meaning)` here, but YAML 1.2 reads it as a string elsewhere")
        }
        var diagnostics = Diagnostics()
        _ = try field("legacy").bool(diagnostics: &diagnostics)
        #expect(diagnostics.items.first?.help == "write `false` (booleans are only `true` and `false`)")
        // Quoted, it is an ordinary string: a plain type mismatch.
        var quoted = Diagnostics()
        _ = try #require(document("v: 'yes'")?.mapping?["v"]).bool(diagnostics: &quoted)
        #expect(codes(quoted) == ["yaml-type-mismatch"])
    }

    @Test("type mismatches are located and hint at the fix")
    func mismatches() throws {
        var diagnostics = Diagnostics()
        #expect(try field("version").string(diagnostics: &diagnostics) == nil)
        #expect(try field("quoted").int(diagnostics: &diagnostics) == nil)
        #expect(try field("fee").int(diagnostics: &diagnostics) == nil)
        #expect(try field("tags").string(diagnostics: &diagnostics) == nil)
        #expect(try field("nothing").string(diagnostics: &diagnostics) == nil)
        #expect(codes(diagnostics) == Array(repeating: "yaml-type-mismatch", count: 5))
        let messages = diagnostics.map(\.message)
        #expect(
            messages == [
                "expected a string, found the number `1.10`",
                "expected an integer, found the string `12`",
                "expected an integer, found the number `2.50`",
                "expected a string, found a sequence",
                "expected a string, found null",
            ])
        #expect(
            diagnostics.map(\.help) == [
                "quote it to keep it a string: `\"1.10\"`",
                "remove the quotes: quoted values are always strings",
                nil,
                nil,
                "write a value here",
            ])
        #expect(diagnostics.items[0].span.map(position) == "5:10-5:14")
    }

    @Test("a sequence reports every bad item")
    func sequenceItems() throws {
        var diagnostics = Diagnostics()
        let node = try #require(document("[1, x, 3, y]"))
        #expect(node.decode([Int].self, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.map { $0.span!.start.column } == [5, 11])
    }

    @Test("a mismatch on an aliased value points at the alias and notes the anchor")
    func aliasedMismatch() throws {
        var diagnostics = Diagnostics()
        let node = try #require(document("a: &flag maybe\nb: *flag\n")?.mapping?["b"])
        _ = node.bool(diagnostics: &diagnostics)
        #expect(diagnostics.items.first?.span.map(position) == "2:4-2:9")
        #expect(diagnostics.items.first?.notes.first?.span.map(position) == "1:4-1:15")
    }

    @Test("the mapping decoder reads fields and reports unknown and missing keys")
    func mappingDecoder() throws {
        let result = load(
            """
            name: refunds
            windw: 30
            enabled: false
            note:
            extra: 1
            """)
        let root = try #require(result.documents.first)
        var diagnostics = Diagnostics()
        var fields = try #require(YAMLMappingDecoder(root, describedAs: .en("policy `refunds`", zh: "策略 `refunds`"), diagnostics: &diagnostics))
        #expect(fields.required("name", as: String.self, diagnostics: &diagnostics) == "refunds")
        #expect(fields.required("window", as: Int.self, diagnostics: &diagnostics) == nil)
        #expect(fields.optional("enabled", as: Bool.self, diagnostics: &diagnostics) == false)
        #expect(fields.optional("note", as: String.self, diagnostics: &diagnostics) == nil)
        #expect(fields.optional("absent", as: String.self, diagnostics: &diagnostics) == nil)
        #expect(fields.entry("name").map { position($0.key.span) } == "1:1-1:5")
        fields.finish(allowing: ["extra"], diagnostics: &diagnostics)
        #expect(codes(diagnostics) == ["yaml-missing-key", "yaml-unknown-key"])
        #expect(diagnostics.items[0].message == "missing required key `window` in policy `refunds`")
        #expect(diagnostics.items[1].message == "unknown key `windw` in policy `refunds`")
        #expect(diagnostics.items[1].help == "did you mean `window`?")
        #expect(diagnostics.items[1].span.map(position) == "2:1-2:6")
    }

    @Test("an unknown key with no close match lists the known keys")
    func unknownKeyWithoutSuggestion() throws {
        var diagnostics = Diagnostics()
        let root = try #require(document("zzz: 1\n42: x\n"))
        var fields = try #require(YAMLMappingDecoder(root, diagnostics: &diagnostics))
        _ = fields.optional("name", as: String.self, diagnostics: &diagnostics)
        _ = fields.optional("enabled", as: Bool.self, diagnostics: &diagnostics)
        fields.finish(diagnostics: &diagnostics)
        #expect(diagnostics.map(\.message) == ["unknown key `zzz`", "unknown key `42`"])
        #expect(diagnostics.items[0].help == "expected `enabled` or `name`")
    }

    @Test("the decoder rejects a node that is not a mapping, and an empty required value")
    func decoderRejections() throws {
        var diagnostics = Diagnostics()
        #expect(YAMLMappingDecoder(try #require(document("[1]")), diagnostics: &diagnostics) == nil)
        #expect(codes(diagnostics) == ["yaml-type-mismatch"])
        var more = Diagnostics()
        let empty = try #require(document("name:\n"))
        var fields = try #require(YAMLMappingDecoder(empty, diagnostics: &more))
        #expect(fields.required("name", as: String.self, diagnostics: &more) == nil)
        #expect(more.map(\.message) == ["expected a value for `name`, found null"])
    }
}
