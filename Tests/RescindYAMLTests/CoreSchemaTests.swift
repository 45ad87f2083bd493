import RescindDiagnostics
import RescindYAML
import Testing

@Suite("YAML 1.2 core schema resolution")
struct CoreSchemaTests {
    static let table: [(String, YAMLScalarValue)] = [
        // null
        ("null", .null), ("Null", .null), ("NULL", .null), ("~", .null), ("", .null),
        ("nULL", .string("nULL")),
        // bool: only the six core spellings
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)),
        ("false", .bool(false)), ("False", .bool(false)), ("FALSE", .bool(false)),
        ("tRUE", .string("tRUE")), ("yes", .string("yes")), ("No", .string("No")), ("NO", .string("NO")),
        ("on", .string("on")), ("OFF", .string("OFF")), ("y", .string("y")), ("n", .string("n")),
        // int
        ("0", .int(0)), ("42", .int(42)), ("-17", .int(-17)), ("+8", .int(8)), ("007", .int(7)),
        ("0o17", .int(15)), ("0x1F", .int(31)), ("0xff", .int(255)),
        ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("0o8", .string("0o8")), ("0xG", .string("0xG")), ("-0x1", .string("-0x1")), ("1_000", .string("1_000")),
        ("0b101", .string("0b101")), ("12:30", .string("12:30")),
        // float
        ("1.5", .float(1.5)), ("-0.25", .float(-0.25)), ("+.5", .float(0.5)), (".5", .float(0.5)), ("1.", .float(1)),
        ("1e3", .float(1000)), ("2.5E-1", .float(0.25)), ("-1e+2", .float(-100)),
        (".inf", .float(.infinity)), (".Inf", .float(.infinity)), ("+.INF", .float(.infinity)),
        ("-.inf", .float(-.infinity)), (".nan", .float(.nan)), (".NaN", .float(.nan)), (".NAN", .float(.nan)),
        ("1.2.3", .string("1.2.3")), ("e3", .string("e3")), ("1e", .string("1e")), (".", .string(".")),
        (".infinity", .string(".infinity")), ("nan", .string("nan")),
        // strings
        ("hello world", .string("hello world")), ("Norvège", .string("Norvège")),
    ]

    @Test("plain scalars resolve by the core schema", arguments: table)
    func plainResolution(text: String, expected: YAMLScalarValue) throws {
        let value = try #require(document("v: \(text)\n")?.mapping?["v"]?.scalar?.value)
        #expect(value == expected, "`\(text)`")
    }

    @Test(
        "quoted and block scalars are always strings", arguments: ["'true'", "\"12\"", "'null'", "\"~\"", "|\n  1\n"])
    func quotedAreStrings(source: String) throws {
        let value = try #require(document("v: \(source)")?.mapping?["v"]?.scalar?.value)
        #expect(value.kind == .string)
    }

    @Test("the classic Norway problem does not happen")
    func norway() throws {
        let root = try #require(document("countries: [SE, NO, DK]\ncountry: NO\n"))
        #expect(root == ["countries": ["SE", "NO", "DK"], "country": "NO"])
    }

    @Test("explicit core tags are honored")
    func explicitTags() throws {
        let root = try #require(
            document(
                "a: !!str 12\nb: !!int '12'\nc: !!float 3\nd: !!bool \"true\"\ne: !!null ''\nf: !!str true\ng: !!int 0x10\n"
            ))
        #expect(root == ["a": "12", "b": 12, "c": 3.0, "d": true, "e": nil, "f": "true", "g": 16])
    }

    @Test("a value that does not fit its tag is an error")
    func invalidTaggedValue() throws {
        let result = load("a: !!int abc\nb: !!bool yes\nc: !!str [x]\nd: !!map [x]\n")
        #expect(
            codes(result.diagnostics) == [
                "yaml-invalid-tag", "yaml-invalid-tag", "yaml-invalid-tag", "yaml-invalid-tag",
            ])
        #expect(result.diagnostics.items[0].message == "`abc` is not a valid `!!int` value")
        #expect(result.diagnostics.items[2].message == "tag `!!str` cannot be applied to a sequence")
        #expect(position(try #require(result.diagnostics.items[0].span)) == "1:4-1:13")
    }

    @Test("an integer too large for 64 bits is a located error")
    func integerOutOfRange() throws {
        let result = load("big: 99999999999999999999\n")
        #expect(codes(result.diagnostics) == ["yaml-integer-out-of-range"])
        #expect(position(try #require(result.diagnostics.items.first?.span)) == "1:6-1:26")
    }

    @Test("resolution is exposed for other stages")
    func publicResolve() {
        #expect(YAMLCoreSchema.resolve(plain: "0x10") == .int(16))
        #expect(YAMLCoreSchema.resolve(plain: "off") == .string("off"))
        #expect(YAMLCoreSchema.resolve(plain: "99999999999999999999") == nil)
    }
}
