/// Splits a JSON array into its elements' byte ranges without parsing them, so each
/// batch item is decoded by `RequestDecoder` from its own bytes, exactly as a single
/// request would be: same errors, same paths, same limits.
///
/// Only the structure is tracked (strings, escapes, nesting); an element that is not
/// valid JSON is left for the decoder to reject. Nil when the body is not an array.
func jsonArrayItems(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    var index = 0
    while index < bytes.count, isSpace(bytes[index]) { index += 1 }
    guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
    index += 1
    var items: [Range<Int>] = []
    var depth = 0, start = index, inString = false, sawValue = false
    while index < bytes.count {
        let byte = bytes[index]
        if inString {
            if byte == backslash { index += 1 } else if byte == quote { inString = false }
        } else if byte == quote {
            inString = true
            sawValue = true
        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
            depth += 1
            sawValue = true
        } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
            if depth == 0 {
                // The array's own `]`: the last element ends here; only space may follow.
                guard byte == UInt8(ascii: "]") else { return nil }
                if sawValue { items.append(start..<index) } else if !items.isEmpty { return nil }
                index += 1
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                return index == bytes.count ? items : nil
            }
            depth -= 1
        } else if byte == comma, depth == 0 {
            guard sawValue else { return nil }
            items.append(start..<index)
            start = index + 1
            sawValue = false
        } else if !isSpace(byte) {
            sawValue = true
        }
        index += 1
    }
    return nil
}
