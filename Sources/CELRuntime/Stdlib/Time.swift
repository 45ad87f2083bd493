/// Timestamp and duration accessors (`getFullYear`, `getHours`, …), with an optional
/// time zone for timestamps.
enum TimeAccessors {
    enum Field {
        case fullYear, month, dayOfYear, dayOfMonthZeroBased, dayOfMonthOneBased, dayOfWeek
        case hours, minutes, seconds, milliseconds
    }

    /// A timestamp field in UTC or in `zone`.
    static func timestamp(_ field: Field, _ t: Value, zone: Value? = nil) -> Value {
        guard case .timestamp(let ts) = t else { return .error(.noMatchingOverload(name(field), t)) }
        var offset = 0
        if let zone {
            guard case .string(let name) = zone else { return .error(.noMatchingOverload(Self.name(field), t, zone)) }
            guard let o = CELTimeZone.offset(name, at: ts.seconds) else {
                return .fail(.invalidArgument, "unknown time zone '\(name)'")
            }
            offset = o
        }
        let civil = CivilTime(unixSeconds: ts.seconds + Int64(offset))
        let result: Int
        switch field {
        case .fullYear: result = civil.year
        case .month: result = civil.month - 1
        case .dayOfYear: result = civil.dayOfYear
        case .dayOfMonthZeroBased: result = civil.day - 1
        case .dayOfMonthOneBased: result = civil.day
        case .dayOfWeek: result = civil.dayOfWeek
        case .hours: result = civil.hour
        case .minutes: result = civil.minute
        case .seconds: result = civil.second
        case .milliseconds: result = Int(ts.nanos / 1_000_000)
        }
        return .int(Int64(result))
    }

    /// A duration field: whole hours, minutes or seconds (truncated toward zero), or the
    /// milliseconds part of the fraction.
    static func duration(_ field: Field, _ d: Value) -> Value {
        guard case .duration(let duration) = d else { return .error(.noMatchingOverload(name(field), d)) }
        let (seconds, nanos) = duration.truncatedParts
        switch field {
        case .hours: return .int(seconds / 3600)
        case .minutes: return .int(seconds / 60)
        case .seconds: return .int(seconds)
        case .milliseconds: return .int(nanos / 1_000_000)
        default: return .error(.noMatchingOverload(name(field), d))
        }
    }

    static func name(_ field: Field) -> String {
        switch field {
        case .fullYear: "getFullYear"
        case .month: "getMonth"
        case .dayOfYear: "getDayOfYear"
        case .dayOfMonthZeroBased: "getDayOfMonth"
        case .dayOfMonthOneBased: "getDate"
        case .dayOfWeek: "getDayOfWeek"
        case .hours: "getHours"
        case .minutes: "getMinutes"
        case .seconds: "getSeconds"
        case .milliseconds: "getMilliseconds"
        }
    }
}
