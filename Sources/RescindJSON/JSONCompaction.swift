/// Copying JSON without what it does not need: the decision log keeps a request without
/// the whitespace between its tokens, and a decision without its `explanation`.
@usableFromInline package enum JSONCompaction {
    /// One JSON object (RFC 8259; strings are checked for escapes and control
    /// characters, the caller checks UTF-8) copied without the whitespace between its
    /// tokens, and its top-level `id` when that is a string without escapes. Nil when
    /// the bytes are not exactly one object (surrounding whitespace aside). Iterative,
    /// so a deeply nested body cannot exhaust the stack.
    @inlinable
    package static func compactObject<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> (bytes: [UInt8], id: String?)?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var scanner = JSONScanner(bytes)
        var stack: [UInt8] = []  // `{` or `[` per open container
        var id: String?

        /// A key and its colon, inside an object, copied; whether it is the top-level `id`.
        func key() -> Bool? {
            scanner.skipSpace()
            let start = scanner.index
            guard let range = scanner.string(.strict) else { return nil }
            output.append(contentsOf: bytes[start..<scanner.index])
            scanner.skipSpace()
            guard scanner.consume(UInt8(ascii: ":")) else { return nil }
            output.append(UInt8(ascii: ":"))
            return stack.count == 1 && scanner.matches(range, "id")
        }

        scanner.skipSpace()
        guard scanner.current == UInt8(ascii: "{") else { return nil }
        var valueIsID = false
        // Alternates between reading a value and what follows one (`,`, or a closing bracket).
        value: while true {
            scanner.skipSpace()
            guard let byte = scanner.current else { return nil }
            let start = scanner.index
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                output.append(byte)
                stack.append(byte)
                scanner.index += 1
                scanner.skipSpace()
                let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if scanner.consume(close) {
                    output.append(close)
                    stack.removeLast()
                } else {
                    if byte == UInt8(ascii: "{") {
                        guard let isID = key() else { return nil }
                        valueIsID = isID
                    }
                    continue value
                }
            case UInt8(ascii: "\""):
                guard let range = scanner.string(.strict) else { return nil }
                output.append(contentsOf: bytes[start..<scanner.index])
                if valueIsID, !bytes[range].contains(UInt8(ascii: "\\")) {
                    id = String(decoding: bytes[range], as: UTF8.self)
                }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                guard scanner.consume("true") || scanner.consume("false") || scanner.consume("null") else { return nil }
                output.append(contentsOf: bytes[start..<scanner.index])
            default:
                guard byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")),
                    scanner.number() != nil
                else { return nil }
                output.append(contentsOf: bytes[start..<scanner.index])
            }
            valueIsID = false
            // After a value: close containers, or go on to the next member or element.
            while true {
                scanner.skipSpace()
                guard let open = stack.last else {
                    return scanner.atEnd ? (output, id) : nil
                }
                guard let next = scanner.current else { return nil }
                scanner.index += 1
                if next == UInt8(ascii: ",") {
                    output.append(next)
                    if open == UInt8(ascii: "{") {
                        guard let isID = key() else { return nil }
                        valueIsID = isID
                    }
                    continue value
                }
                guard next == (open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                output.append(next)
                stack.removeLast()
            }
        }
    }

    /// The bytes of the top-level member `name` of a compact JSON object, with the comma
    /// before it (or after it, when it is the first), so removing them leaves valid
    /// JSON. Only depth-1 keys count: an obligation field or a request value named
    /// `explanation` deeper in the decision is left alone. Nil when there is no such
    /// member.
    package static func topLevelMember<Bytes: RandomAccessCollection>(named name: String, in bytes: Bytes) -> Range<Int>?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let key = Array("\"\(name)\":".utf8)
        var scanner = JSONScanner(bytes)
        var depth = 0
        // The member being read at depth 1: where it starts, and the comma before it.
        var memberStart = 0
        var commaBefore: Int?
        while let byte = scanner.current {
            switch byte {
            case UInt8(ascii: "\""):
                guard scanner.string(.structural) != nil else { return nil }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { memberStart = scanner.index + 1 }
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"):
                let index = scanner.index
                if depth == 1 {
                    // The member from `memberStart` ends here.
                    if memberStart + key.count <= index, bytes[memberStart..<memberStart + key.count].elementsEqual(key) {
                        if let commaBefore { return commaBefore..<index }
                        return byte == UInt8(ascii: ",") ? memberStart..<index + 1 : memberStart..<index
                    }
                    commaBefore = index
                    memberStart = index + 1
                }
                if byte != UInt8(ascii: ",") { depth -= 1 }
            default: break
            }
            scanner.index += 1
        }
        return nil
    }
}
