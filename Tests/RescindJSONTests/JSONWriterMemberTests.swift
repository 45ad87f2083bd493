import RescindJSON
import Testing

/// The writer's member and nesting helpers: each writes what the calls it stands for
/// write (commas placed by the same rule), so callers can use either.
@Suite("JSON writer members")
struct JSONWriterMemberTests {
    @Test("string, integer, bool and string-array members, commas between them")
    func scalarMembers() {
        let text = JSONWriter.text { out in
            out.beginObject()
            out.member("s", string: "a \"b\"\n é")
            out.member("none", string: nil)
            out.member("n", integer: -42)
            out.member("t", bool: true)
            out.member("f", bool: false)
            out.member("list", strings: ["x", "y\\z"])
            out.member("empty", strings: [])
            out.endObject()
        }
        #expect(text == #"{"s":"a \"b\"\n é","none":null,"n":-42,"t":true,"f":false,"list":["x","y\\z"],"empty":[]}"#)
    }

    @Test("a nested object member and the object and array bodies")
    func nesting() {
        let text = JSONWriter.text { out in
            out.object { out in
                out.member("error", object: { error in
                    error.member("code", string: "c")
                    error.member("detail", object: { _ in })
                })
                out.key("items")
                out.array { items in
                    items.element()
                    items.object { $0.member("i", integer: 1) }
                    items.element()
                    items.integer(2)
                }
                out.member("after", integer: 3)
            }
        }
        #expect(text == #"{"error":{"code":"c","detail":{}},"items":[{"i":1},2],"after":3}"#)
    }

    @Test("an array of values that are JSON already, as they are")
    func jsonElements() {
        let text = JSONWriter.text { out in
            out.beginObject()
            out.key("a")
            out.array(json: [#"{"x":1}"#, "null", #""s""#])
            out.key("b")
            out.array(json: [String]())
            out.endObject()
        }
        #expect(text == #"{"a":[{"x":1},null,"s"],"b":[]}"#)
    }

    @Test("the helpers write the same bytes as the calls they stand for")
    func sameBytesAsTheLongForm() {
        let short = JSONWriter.text { out in
            out.object { out in
                out.member("k", string: "v")
                out.member("o", object: { $0.member("n", integer: 7) })
            }
        }
        let long = JSONWriter.text { out in
            out.beginObject()
            out.key("k")
            out.string("v")
            out.key("o")
            out.beginObject()
            out.key("n")
            out.integer(7)
            out.endObject()
            out.endObject()
        }
        #expect(short == long)
    }
}
