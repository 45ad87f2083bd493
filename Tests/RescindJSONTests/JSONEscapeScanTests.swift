import Foundation
import RescindJSON
import Testing

/// The word-at-a-time scan that lets plain strings skip escaping must agree with the
/// byte rule for every position and every byte value.
@Suite("JSON escape scan")
struct JSONEscapeScanTests {
    static func naive(_ bytes: [UInt8]) -> Bool {
        bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
    }

    /// The escaping rule spelled out byte by byte, independently of the writer.
    static func reference(_ text: String) -> String {
        var out: [UInt8] = [0x22]
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0..<0x20, 0x7F: out += Array(String(format: #"\u%04x"#, byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("every byte value at every position of strings up to 24 bytes")
    func everyByteEverywhere() {
        for length in 1...24 {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    let scanned = JSONEscaping.needsEscaping(utf8: bytes)
                    #expect(scanned == Self.naive(bytes), "length \(length), byte \(value) at \(position)")
                }
            }
        }
    }

    @Test("UTF-8 text with no special bytes needs no escaping")
    func utf8Text() {
        let text = Array("订单 o-1 尚未发货，您可以取消该订单。 Order o-1 has not shipped yet.".utf8)
        #expect(!JSONEscaping.needsEscaping(utf8: text))
        #expect(JSONEscaping.needsEscaping("a\"b"))
    }

    /// The writer's word-at-a-time copy and its byte-by-byte escaping must agree; this
    /// checks them against a JSON parser (every sample reads back as itself) and against
    /// the spelling the project's outputs have always used for the characters that need
    /// escaping.
    @Test("escaped strings read back as themselves, spelled as before")
    func escapingRoundTrips() throws {
        var samples = [
            "", "plain", "a\"b", "back\\slash", "line\nbreak", "tab\there", "cr\rlf", "\u{7F}del",
            "订单 \"o-1\" 尚未发货", "emoji 🙂 \u{1} \u{1F}", "`actor.role == \"buyer\"`", String(repeating: "\"", count: 40),
        ]
        for value in 0..<0x80 { samples.append("x" + String(UnicodeScalar(UInt8(value))) + "y") }
        for sample in samples {
            let bytes = JSONWriter.bytes { $0.string(sample) }
            #expect(String(decoding: bytes, as: UTF8.self) == Self.reference(sample))
            let parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) as? String
            #expect(parsed == sample, "\(sample.debugDescription)")
        }
        #expect(JSONEscaping.quoted("a\"b\\c\nd\re\tf\u{1}g\u{7F}h") == #""a\"b\\c\nd\re\tf\u0001g\u007fh""#)
    }
}
