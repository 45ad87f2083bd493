import RescindDiagnostics
import RescindYAML
import Testing

@Suite("Nodes, spans, styles and tags")
struct NodeTests {
    @Test("a mapping of scalars keeps key order and kinds")
    func mappingKeepsOrder() throws {
        let root = try #require(document("zeta: 1\nalpha: [a, b]\nmid: {x: y}\n"))
        let mapping = try #require(root.mapping)
        #expect(mapping.keys.map(\.description) == ["\"zeta\"", "\"alpha\"", "\"mid\""])
        #expect(mapping["zeta"]?.kind == .int)
        #expect(mapping["alpha"]?.kind == .sequence)
        #expect(mapping["mid"]?.kind == .mapping)
        #expect(mapping["missing"] == nil)
        #expect(root == ["zeta": 1, "alpha": ["a", "b"], "mid": ["x": "y"]])
    }

    @Test("spans are 1-based line:column for keys, values and collections")
    func spans() throws {
        let root = try #require(document("policy:\n  - name: a\n    limit: [1, 22]\n"))
        #expect(position(root.span) == "1:1-3:19")
        let entry = try #require(root.mapping?.entry(forKey: "policy"))
        #expect(position(entry.key.span) == "1:1-1:7")
        #expect(position(entry.value.span) == "2:3-3:19")
        let rule = try #require(entry.value.sequence?.first?.mapping)
        #expect(position(try #require(rule.entry(forKey: "name")).key.span) == "2:5-2:9")
        #expect(position(try #require(rule["name"]).span) == "2:11-2:12")
        let limit = try #require(rule["limit"])
        #expect(position(limit.span) == "3:12-3:19")
        #expect(position(try #require(limit.sequence?[1]).span) == "3:16-3:18")
        #expect(root.span.file == "test.yaml")
    }

    @Test("columns count characters, not bytes, on non-ASCII lines")
    func nonASCIIColumns() throws {
        let root = try #require(document("pays: Norvège\n🇳🇴: été\nclé: \"ü\"\n"))
        let mapping = try #require(root.mapping)
        let flag = mapping.entries[1]
        // The flag is two regional indicator scalars: two columns, eight bytes.
        #expect(position(flag.key.span) == "2:1-2:3")
        #expect(position(flag.value.span) == "2:5-2:8")
        #expect(flag.value.span.start.offset == 15 + 10)
        let quoted = mapping.entries[2]
        #expect(position(quoted.key.span) == "3:1-3:4")
        #expect(position(quoted.value.span) == "3:6-3:9")
        #expect(quoted.value.scalar?.text == "ü")
    }

    @Test("a byte order mark and CRLF line ends do not shift locations")
    func bomAndCRLF() throws {
        let root = try #require(document("\u{FEFF}a: b\r\nc: dé\r\ne: f\r\n"))
        let mapping = try #require(root.mapping)
        #expect(position(mapping.entries[0].key.span) == "1:1-1:2")
        #expect(position(mapping.entries[1].value.span) == "2:4-2:6")
        #expect(position(mapping.entries[2].key.span) == "3:1-3:2")
    }

    @Test(
        "scalar styles are recorded",
        arguments: [
            ("v: plain", YAMLScalarStyle.plain, "plain"),
            ("v: 'single'", .singleQuoted, "single"),
            ("v: \"dou\\tble\"", .doubleQuoted, "dou\tble"),
            ("v: |\n  line 1\n  line 2\n", .literal, "line 1\nline 2\n"),
            ("v: >\n  folded\n  text\n", .folded, "folded text\n"),
        ])
    func styles(source: String, style: YAMLScalarStyle, text: String) throws {
        let value = try #require(document(source)?.mapping?["v"]?.scalar)
        #expect(value.style == style)
        #expect(value.text == text)
    }

    @Test("a block scalar's span ends at its last character, not at the next key")
    func blockScalarSpan() throws {
        let root = try #require(document("a: |\n  one\n  two\n\n\nb: 1\n"))
        #expect(position(try #require(root.mapping?["a"]).span) == "1:4-3:6")
    }

    @Test("tags are expanded and kept; anchors are recorded")
    func tags() throws {
        let root = try #require(document("a: !!str 12\nb: !custom x\nc: ! 12\nd: &anchor [1]\ne: 12\n"))
        let mapping = try #require(root.mapping)
        #expect(mapping["a"]?.tag == YAMLCoreSchema.Tag.string)
        #expect(mapping["a"]?.scalar?.value == .string("12"))
        #expect(mapping["b"]?.tag == "!custom")
        #expect(mapping["b"]?.scalar?.value == .string("x"))
        #expect(mapping["c"]?.tag == "!")
        #expect(mapping["c"]?.scalar?.value == .string("12"))
        #expect(mapping["d"]?.anchor == "anchor")
        #expect(mapping["e"]?.tag == nil)
    }

    @Test("equality ignores spans, styles, tags and anchors")
    func equalityIgnoresMetadata() throws {
        let first = try #require(document("a: 'x'\nb: [1, 2]\n"))
        let second = try #require(document("\n\na: \"x\"\nb:\n  - 0x1\n  - !!int 2\n"))
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first.span != second.span)
        #expect(document("a: x") != document("b: x"))
        #expect(document("[1, 2]") != document("[2, 1]"))
        #expect(document("1") != document("'1'"))
        #expect(document(".nan") == document(".NaN"))
        #expect(document(".nan") != nil)
    }
}
