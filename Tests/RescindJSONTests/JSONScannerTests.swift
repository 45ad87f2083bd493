import RescindJSON
import Testing

/// The tokenizer's primitives, and the readers built on them.
@Suite("JSON scanner")
struct JSONScannerTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("strings: strict checks escapes and control characters, structural only finds the end")
    func strings() {
        var strict = JSONScanner(Self.bytes(#""a\"b\u00e9" rest"#))
        #expect(strict.string() == 1..<11)
        #expect(strict.unescaped(1..<11) == "a\"bé")
        for bad in [#""a\x""#, "\"a\u{1}\"", #""\u12""#, #""open"#] {
            var scanner = JSONScanner(Self.bytes(bad))
            #expect(scanner.string() == nil, "\(bad)")
        }
        var structural = JSONScanner(Self.bytes(#""a\x" "#))
        #expect(structural.string(.structural) == 1..<4)
    }

    @Test("decoded strings report what is wrong where")
    func decodeErrors() throws {
        let scanner = JSONScanner(Self.bytes(#""ab\q""#))
        let error = #expect(throws: JSONSyntaxError.self) {
            var copy = scanner
            _ = try copy.decodeString()
        }
        #expect(error?.message == "invalid escape")
        #expect(error?.offset == 5)
        var surrogate = JSONScanner(Self.bytes(#""\ud83d\ude00""#))
        let decoded = try surrogate.decodeString()
        #expect(decoded == "😀")
    }

    @Test("numbers follow RFC 8259; the lenient form leaves judging to a parser")
    func numbers() {
        for (text, ok) in [("0", true), ("-12.5e+3", true), ("01", true), ("1.", false), ("-", false), ("1e", false)] {
            var scanner = JSONScanner(Self.bytes(text))
            let number = scanner.number()
            #expect((number != nil) == ok, "\(text)")
        }
        var leading = JSONScanner(Self.bytes("01"))
        #expect(leading.number()?.range == 0..<1)
        var lenient = JSONScanner(Self.bytes("1.e"))
        #expect(lenient.lenientNumber()?.range == 0..<3)
    }

    @Test("values are skipped by structure")
    func skip() {
        var scanner = JSONScanner(Self.bytes(#"{"a":["}",{"b":"\""}]} ,"#))
        let skipped = scanner.skipValue()
        #expect(skipped)
        #expect(scanner.index == 22)
    }

    @Test("array items are split at top-level commas")
    func arrayItems() {
        let text = #" [ {"a":[1,2]}, "x,y" ,3 ] "#
        let items = JSONScanner.arrayItems(Self.bytes(text))?.map { String(decoding: Self.bytes(text)[$0], as: UTF8.self) }
        #expect(items == [#" {"a":[1,2]}"#, #" "x,y" "#, "3 "])
        #expect(JSONScanner.arrayItems(Self.bytes("[]")) == [])
        #expect(JSONScanner.arrayItems(Self.bytes("[1,]")) == nil)
        #expect(JSONScanner.arrayItems(Self.bytes("{}")) == nil)
    }

    @Test("an object of strings")
    func stringObject() {
        #expect(JSONScanner.stringObject(Self.bytes(#" {"b.yaml":"x: 1\n","a":"\u00e9"} "#)) == ["b.yaml": "x: 1\n", "a": "é"])
        #expect(JSONScanner.stringObject(Self.bytes("{}")) == [:])
        #expect(JSONScanner.stringObject(Self.bytes(#"{"a":1}"#)) == nil)
        #expect(JSONScanner.stringObject(Self.bytes(#"["a"]"#)) == nil)
        #expect(JSONScanner.stringObject([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x22, 0x22, 0x7D]) == nil)
    }

    @Test("compaction drops whitespace and finds the top-level id; the member finder removes one member")
    func compaction() throws {
        let compact = try #require(JSONCompaction.compactObject(Self.bytes(#" { "id" : "r-1", "x" : [ 1 , true , null , { "id" : "inner" } ] } "#)))
        #expect(String(decoding: compact.bytes, as: UTF8.self) == #"{"id":"r-1","x":[1,true,null,{"id":"inner"}]}"#)
        #expect(compact.id == "r-1")
        #expect(JSONCompaction.compactObject(Self.bytes(#"{"a":01}"#)) == nil)
        let decision = Self.bytes(#"{"a":1,"explanation":{"b":"}"},"c":2}"#)
        let member = try #require(JSONCompaction.topLevelMember(named: "explanation", in: decision))
        var rest = decision
        rest.removeSubrange(member)
        #expect(String(decoding: rest, as: UTF8.self) == #"{"a":1,"c":2}"#)
    }
}
