import CELCommon

extension Value: CustomStringConvertible {
    /// The value in CEL literal syntax (see `celLiteral`).
    @usableFromInline package var description: String { celLiteral }

    /// The value written as CEL source that evaluates to it: `[2, 4, 6]`, `3u`,
    /// `"a\"b"`, `b"\x00"`, `1.5`, `2.0`, `{"a": 1}` (keys sorted),
    /// `timestamp("2026-11-27T02:00:00Z")`, `duration("1800s")`, `int`,
    /// `decimal("129.99")`, `null`. Errors render as `error("message")`.
    package var celLiteral: String {
        var out = ""
        writeLiteral(into: &out)
        return out
    }

    private func writeLiteral(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u) + "u"
        case .double(let d): out += doubleLiteral(d)
        case .string(let s): out += quotedString(s)
        case .bytes(let b): out += quotedBytes(b)
        case .list(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += ", " }
                element.writeLiteral(into: &out)
            }
            out += "]"
        case .map(let map):
            out += "{"
            let order = map.keys.indices.sorted { keyOrder(map.keys[$0], map.keys[$1]) }
            for (n, index) in order.enumerated() {
                if n > 0 { out += ", " }
                map.keys[index].writeLiteral(into: &out)
                out += ": "
                map.values[index].writeLiteral(into: &out)
            }
            out += "}"
        case .timestamp(let t): out += "timestamp(\"\(t.rfc3339)\")"
        case .duration(let d): out += "duration(\"\(d.secondsString)\")"
        case .type(let t): out += t.name
        case .decimal(let d): out += "decimal(\"\(d.description)\")"
        case .object(let object):
            out += object.type.name + "{"
            var first = true
            for (slot, field) in object.type.fields.enumerated() {
                guard let value = object.fields[slot] else { continue }
                if !first { out += ", " }
                first = false
                out += field.name + ": "
                value.writeLiteral(into: &out)
            }
            out += "}"
        case .error(let e): out += "error(\(quotedString(e.message)))"
        }
    }

    /// The CEL type of this value as a name: `int`, `list(int)`, `map(string, dyn)`.
    /// Containers report a parameter when all their elements agree, else `dyn`.
    package var celTypeName: String {
        switch self {
        case .list(let elements):
            return "list(\(commonTypeName(elements)))"
        case .map(let map):
            return "map(\(commonTypeName(map.keys)), \(commonTypeName(map.values)))"
        case .type(let t):
            return "type(\(t.name))"
        default:
            return runtimeType.name
        }
    }
}

private func commonTypeName(_ values: [Value]) -> String {
    guard let first = values.first?.celTypeName else { return "dyn" }
    return values.dropFirst().allSatisfy({ $0.celTypeName == first }) ? first : "dyn"
}

/// Map keys sort by kind (bool, int, uint, string), then value, so output is stable.
private func keyOrder(_ a: Value, _ b: Value) -> Bool {
    func rank(_ v: Value) -> Int {
        switch v {
        case .bool: 0
        case .int: 1
        case .uint: 2
        case .string: 3
        default: 4
        }
    }
    let (ra, rb) = (rank(a), rank(b))
    if ra != rb { return ra < rb }
    if let order = celCompare(a, b) { return order == .less }
    return false
}

/// A double as a CEL literal: always with a decimal point or exponent so it reads back
/// as a double (`2.0`, `1.5`, `1e+100`); non-finite values as conversions.
func doubleLiteral(_ d: Double) -> String {
    if d.isNaN { return "double(\"NaN\")" }
    if d.isInfinite { return d < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")" }
    // Swift prints the shortest round-tripping form, always with a point or an
    // exponent (`2.0`, `1e-07`), which CEL reads back as a double.
    return "\(d)"
}

/// A string as a double-quoted CEL literal with escapes for quotes, backslashes and
/// control characters.
func quotedString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\x" + hexByte(UInt8(scalar.value))
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Bytes as a `b"…"` literal: printable ASCII as is, everything else as `\xNN`.
func quotedBytes(_ bytes: [UInt8]) -> String {
    var out = "b\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
        default: out += "\\x" + hexByte(byte)
        }
    }
    return out + "\""
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

/// Formats a double the way `string(double)` does in CEL's reference implementations
/// (Go's `%g` with the shortest round-tripping digits): `123.456`, `-0.0045`,
/// `1e+06`, `1.5e-07`, `NaN`, `+Inf`.
func formatDoubleForString(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    if d == 0 { return d.sign == .minus ? "-0" : "0" }
    // Shortest digits and decimal exponent from Swift's round-tripping description.
    let (digits, pointPosition) = shortestDigits(d.magnitude)
    let sign = d < 0 ? "-" : ""
    let exponent = pointPosition - 1
    if exponent < -4 || exponent >= 6 {  // Go's %g switches to an exponent at 1e+06
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let expSign = exponent < 0 ? "-" : "+"
        let expDigits = String(abs(exponent))
        return sign + mantissa + "e" + expSign + (expDigits.count < 2 ? "0" + expDigits : expDigits)
    }
    if pointPosition <= 0 {
        return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
    }
    if pointPosition >= digits.count {
        return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
    }
    let split = digits.index(digits.startIndex, offsetBy: pointPosition)
    return sign + digits[..<split] + "." + digits[split...]
}

/// The shortest significant digits of a positive finite double and the position of
/// the decimal point relative to them (value = 0.DIGITS × 10^position).
private func shortestDigits(_ d: Double) -> (String, Int) {
    let text = "\(d)"
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...])!
    }
    var digits = ""
    var point = 0
    var seenPoint = false
    for c in mantissa {
        if c == "." {
            seenPoint = true
        } else {
            digits.append(c)
            if !seenPoint { point += 1 }
        }
    }
    // Strip leading zeros (0.0045 → 45 with the point moved) and trailing zeros.
    while digits.first == "0" && digits.count > 1 {
        digits.removeFirst()
        point -= 1
    }
    while digits.last == "0" && digits.count > 1 { digits.removeLast() }
    return (digits, point + exponent)
}
