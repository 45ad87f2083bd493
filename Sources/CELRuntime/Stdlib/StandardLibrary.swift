/// Registers the standard library's named functions under cel-go's overload ids.
///
/// Operators (`_+_`, `_<_`, `_&&_`, `@in`, `_[_]`, …) are not registered here: the
/// planner turns them into dedicated nodes. Extension overloads registered under an
/// operator's name (e.g. decimal `_+_`) are consulted by those nodes when the built-in
/// kinds do not match.
enum StandardLibrary {
    static func register(into registry: inout FunctionRegistry) {
        var r = FoldableRegistrar(registry: registry)
        defer { registry = r.registry }
        // size
        for (id, kind) in [("size_string", ValueKind.string), ("size_bytes", .bytes), ("size_list", .list), ("size_map", .map)] {
            r.add("size", id: id, [kind], .unary(Strings.size))
        }
        for (id, kind) in [("string_size", ValueKind.string), ("bytes_size", .bytes), ("list_size", .list), ("map_size", .map)] {
            r.add("size", id: id, member: true, [kind], .unary(Strings.size))
        }

        // strings
        r.add("contains", id: "contains_string", member: true, [.string, .string], .binary(Strings.contains))
        r.add("startsWith", id: "starts_with_string", member: true, [.string, .string], .binary(Strings.startsWith))
        r.add("endsWith", id: "ends_with_string", member: true, [.string, .string], .binary(Strings.endsWith))
        r.add("matches", id: "matches", [.string, .string], .binary(Strings.matches))
        r.add("matches", id: "matches_string", member: true, [.string, .string], .binary(Strings.matches))

        // conversions
        let conversions: [(String, @Sendable (Value) -> Value, [(String, ValueKind)])] = [
            ("int", Conversions.toInt, [
                ("int64_to_int64", .int), ("uint64_to_int64", .uint), ("double_to_int64", .double),
                ("string_to_int64", .string), ("timestamp_to_int64", .timestamp), ("duration_to_int64", .duration),
            ]),
            ("uint", Conversions.toUint, [
                ("uint64_to_uint64", .uint), ("int64_to_uint64", .int), ("double_to_uint64", .double),
                ("string_to_uint64", .string),
            ]),
            ("double", Conversions.toDouble, [
                ("double_to_double", .double), ("int64_to_double", .int), ("uint64_to_double", .uint),
                ("string_to_double", .string),
            ]),
            ("string", Conversions.toString, [
                ("string_to_string", .string), ("bool_to_string", .bool), ("int64_to_string", .int),
                ("uint64_to_string", .uint), ("double_to_string", .double), ("bytes_to_string", .bytes),
                ("timestamp_to_string", .timestamp), ("duration_to_string", .duration),
            ]),
            ("bytes", Conversions.toBytes, [("bytes_to_bytes", .bytes), ("string_to_bytes", .string)]),
            ("bool", Conversions.toBool, [("bool_to_bool", .bool), ("string_to_bool", .string)]),
            ("timestamp", Conversions.toTimestamp, [
                ("timestamp_to_timestamp", .timestamp), ("string_to_timestamp", .string), ("int64_to_timestamp", .int),
            ]),
            ("duration", Conversions.toDuration, [
                ("duration_to_duration", .duration), ("string_to_duration", .string), ("int64_to_duration", .int),
            ]),
        ]
        for (function, body, overloads) in conversions {
            for (id, kind) in overloads { r.add(function, id: id, [kind], .unary(body)) }
        }
        r.add("type", id: "type", [nil], .unary(Conversions.type))
        r.add("dyn", id: "to_dyn", [nil], .unary(Conversions.dyn))

        // timestamp and duration accessors
        typealias F = TimeAccessors.Field
        let timestampFields: [(F, String, String)] = [
            (.fullYear, "timestamp_to_year", "timestamp_to_year_with_tz"),
            (.month, "timestamp_to_month", "timestamp_to_month_with_tz"),
            (.dayOfYear, "timestamp_to_day_of_year", "timestamp_to_day_of_year_with_tz"),
            (.dayOfMonthZeroBased, "timestamp_to_day_of_month", "timestamp_to_day_of_month_with_tz"),
            (.dayOfMonthOneBased, "timestamp_to_day_of_month_1_based", "timestamp_to_day_of_month_1_based_with_tz"),
            (.dayOfWeek, "timestamp_to_day_of_week", "timestamp_to_day_of_week_with_tz"),
            (.hours, "timestamp_to_hours", "timestamp_to_hours_with_tz"),
            (.minutes, "timestamp_to_minutes", "timestamp_to_minutes_with_tz"),
            (.seconds, "timestamp_to_seconds", "timestamp_to_seconds_tz"),
            (.milliseconds, "timestamp_to_milliseconds", "timestamp_to_milliseconds_with_tz"),
        ]
        for (field, id, zonedID) in timestampFields {
            let name = TimeAccessors.name(field)
            r.add(name, id: id, member: true, [.timestamp], .unary { TimeAccessors.timestamp(field, $0) })
            r.add(name, id: zonedID, member: true, [.timestamp, .string], .binary { TimeAccessors.timestamp(field, $0, zone: $1) })
        }
        let durationFields: [(F, String)] = [
            (.hours, "duration_to_hours"), (.minutes, "duration_to_minutes"),
            (.seconds, "duration_to_seconds"), (.milliseconds, "duration_to_milliseconds"),
        ]
        for (field, id) in durationFields {
            r.add(TimeAccessors.name(field), id: id, member: true, [.duration], .unary { TimeAccessors.duration(field, $0) })
        }
    }
}

/// Registers standard overloads, all of which are pure and so constant-foldable.
private struct FoldableRegistrar {
    var registry: FunctionRegistry

    mutating func add(_ function: String, id: String, member: Bool = false, _ kinds: [ValueKind?], _ body: FunctionBody) {
        registry.add(function, id: id, member: member, kinds, body, constantFoldable: true)
    }
}
