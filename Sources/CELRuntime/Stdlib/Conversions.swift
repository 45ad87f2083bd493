import Foundation

/// The type conversion functions `int`, `uint`, `double`, `string`, `bytes`, `bool`,
/// `timestamp`, `duration` and `type`, with the range checks and text formats the CEL
/// conformance suite expects.
enum Conversions {
    static func toInt(_ v: Value) -> Value {
        switch v {
        case .int: return v
        case .uint(let u):
            return u <= UInt64(Int64.max) ? .int(Int64(u)) : .error(.outOfRange("int conversion out of range"))
        case .double(let d):
            // Both ends exclusive: -2^63 itself is rejected, as in the reference runtimes.
            guard d > -9.223372036854775808e18, d < 9.223372036854775808e18 else {
                return .error(.outOfRange("int conversion out of range"))
            }
            return .int(Int64(d))
        case .string(let s):
            guard let i = Int64(s) else { return .fail(.conversion, "cannot convert string '\(s)' to int") }
            return .int(i)
        case .timestamp(let t): return .int(t.seconds)
        case .duration(let d):
            return .int(d.totalNanoseconds)
        default: return .error(.noMatchingOverload("int", v))
        }
    }

    static func toUint(_ v: Value) -> Value {
        switch v {
        case .uint: return v
        case .int(let i):
            return i >= 0 ? .uint(UInt64(i)) : .error(.outOfRange("uint conversion out of range"))
        case .double(let d):
            guard d > -1, d < 1.8446744073709551616e19 else {
                return .error(.outOfRange("uint conversion out of range"))
            }
            return .uint(UInt64(d))
        case .string(let s):
            guard let u = UInt64(s) else { return .fail(.conversion, "cannot convert string '\(s)' to uint") }
            return .uint(u)
        default: return .error(.noMatchingOverload("uint", v))
        }
    }

    static func toDouble(_ v: Value) -> Value {
        switch v {
        case .double: return v
        case .int(let i): return .double(Double(i))
        case .uint(let u): return .double(Double(u))
        case .string(let s):
            guard let d = parseDouble(s) else { return .fail(.conversion, "cannot convert string '\(s)' to double") }
            return .double(d)
        default: return .error(.noMatchingOverload("double", v))
        }
    }

    /// Decimal floating-point text, plus the spellings of the special values.
    static func parseDouble(_ s: String) -> Double? {
        switch s.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        // Swift also accepts hexadecimal floats; CEL's decimal syntax does not need them.
        guard !s.isEmpty, !s.lowercased().contains("x") else { return nil }
        return Double(s)
    }

    static func toString(_ v: Value) -> Value {
        switch v {
        case .string: return v
        case .int(let i): return .string(String(i))
        case .uint(let u): return .string(String(u))
        case .double(let d): return .string(formatDoubleForString(d))
        case .bool(let b): return .string(b ? "true" : "false")
        case .bytes(let b):
            guard let s = String(validating: b, as: UTF8.self) else {
                return .fail(.conversion, "invalid UTF-8 in bytes to string conversion")
            }
            return .string(s)
        case .timestamp(let t): return .string(t.rfc3339)
        case .duration(let d): return .string(d.secondsString)
        case .type(let t): return .string(t.name)
        default: return .error(.noMatchingOverload("string", v))
        }
    }

    static func toBytes(_ v: Value) -> Value {
        switch v {
        case .bytes: return v
        case .string(let s): return .bytes(Array(s.utf8))
        default: return .error(.noMatchingOverload("bytes", v))
        }
    }

    static func toBool(_ v: Value) -> Value {
        switch v {
        case .bool: return v
        case .string(let s):
            switch s {
            case "1", "t", "true", "TRUE", "True": return .bool(true)
            case "0", "f", "false", "FALSE", "False": return .bool(false)
            default: return .fail(.conversion, "cannot convert string '\(s)' to bool")
            }
        default: return .error(.noMatchingOverload("bool", v))
        }
    }

    static func toTimestamp(_ v: Value) -> Value {
        switch v {
        case .timestamp: return v
        case .string(let s):
            guard let t = CELTimestamp(rfc3339: s) else {
                return .fail(.outOfRange, "cannot parse timestamp '\(s)': expected RFC 3339 text in range 0001-01-01 to 9999-12-31")
            }
            return .timestamp(t)
        case .int(let seconds):
            guard let t = CELTimestamp(seconds: seconds) else { return .error(.outOfRange("timestamp out of range")) }
            return .timestamp(t)
        default: return .error(.noMatchingOverload("timestamp", v))
        }
    }

    static func toDuration(_ v: Value) -> Value {
        switch v {
        case .duration: return v
        case .string(let s):
            guard let d = CELDuration(parsing: s) else {
                return .fail(.outOfRange, "cannot parse duration '\(s)': expected e.g. \"1h30m\" within ±292 years")
            }
            return .duration(d)
        case .int(let nanos): return .duration(CELDuration(nanoseconds: nanos))
        default: return .error(.noMatchingOverload("duration", v))
        }
    }

    static func type(_ v: Value) -> Value { .type(v.runtimeType) }

    static func dyn(_ v: Value) -> Value { v }
}
