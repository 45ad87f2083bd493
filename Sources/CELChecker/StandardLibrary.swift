import CELCommon

/// The declarations of CEL's standard operators and functions.
///
/// Overload ids are cel-go's (`common/overloads`), because the runtime binds its
/// implementations by the same ids. Type parameters are named `A` and `B`; the checker
/// instantiates them afresh for every call.
package enum StandardLibrary {
    /// Every standard function with all of its overloads.
    package static let declarations: [FunctionDecl] =
        logical + equality + arithmetic + comparisons + containers + conversions + strings + time

    /// The type names usable as identifiers (`int`, `list`, `google.protobuf.Timestamp`, …)
    /// and the type each one denotes: `type(1) == int` compares two `type` values.
    /// `dyn` is deliberately absent: it names no runtime type, and the conformance suite
    /// (`conversions/type/dyn_no_denotation`) requires the identifier `dyn` to fail.
    package static let typeNames: [String: CELType] = [
        "bool": .bool,
        "bytes": .bytes,
        "double": .double,
        "int": .int,
        "list": .list(.dyn),
        "map": .map(.dyn, .dyn),
        "null_type": .null,
        "string": .string,
        "type": .type(nil),
        "uint": .uint,
        "google.protobuf.Duration": .duration,
        "google.protobuf.Timestamp": .timestamp,
    ]

    // MARK: - Shorthands

    private static let paramA = CELType.typeParam("A")
    private static let paramB = CELType.typeParam("B")
    private static let listOfA = CELType.list(paramA)
    private static let mapOfAB = CELType.map(paramA, paramB)

    /// The type parameters that occur in a signature, in first-use order.
    private static func typeParams(in types: [CELType]) -> [String] {
        var names: [String] = []
        func collect(_ type: CELType) {
            switch type {
            case .typeParam(let name): if !names.contains(name) { names.append(name) }
            case .list(let element): collect(element)
            case .map(let key, let value): collect(key); collect(value)
            case .type(let inner): inner.map(collect)
            case .opaque(_, let params): params.forEach(collect)
            default: break
            }
        }
        types.forEach(collect)
        return names
    }

    private static func global(_ id: String, _ params: [CELType], _ result: CELType) -> OverloadDecl {
        OverloadDecl(id: id, params: params, result: result, typeParams: typeParams(in: params + [result]))
    }

    private static func member(_ id: String, _ params: [CELType], _ result: CELType) -> OverloadDecl {
        OverloadDecl(id: id, member: true, params: params, result: result, typeParams: typeParams(in: params + [result]))
    }

    // MARK: - Logic

    private static let logical: [FunctionDecl] = [
        FunctionDecl(name: Operator.conditional, overloads: [
            global("conditional", [.bool, paramA, paramA], paramA),
        ]),
        FunctionDecl(name: Operator.logicalAnd, overloads: [global("logical_and", [.bool, .bool], .bool)]),
        FunctionDecl(name: Operator.logicalOr, overloads: [global("logical_or", [.bool, .bool], .bool)]),
        FunctionDecl(name: Operator.logicalNot, overloads: [global("logical_not", [.bool], .bool)]),
        FunctionDecl(name: Operator.notStrictlyFalse, overloads: [global("not_strictly_false", [.bool], .bool)]),
    ]

    // MARK: - Equality

    // Both operands share one type parameter, as in cel-go: `1 == 1u` does not check, while
    // `dyn(1) == 1u` does and compares numerically at runtime (heterogeneous equality).
    private static let equality: [FunctionDecl] = [
        FunctionDecl(name: Operator.equals, overloads: [global("equals", [paramA, paramA], .bool)]),
        FunctionDecl(name: Operator.notEquals, overloads: [global("not_equals", [paramA, paramA], .bool)]),
    ]

    // MARK: - Arithmetic

    private static let arithmetic: [FunctionDecl] = [
        FunctionDecl(name: Operator.add, overloads: [
            global("add_bytes", [.bytes, .bytes], .bytes),
            global("add_double", [.double, .double], .double),
            global("add_duration_duration", [.duration, .duration], .duration),
            global("add_duration_timestamp", [.duration, .timestamp], .timestamp),
            global("add_timestamp_duration", [.timestamp, .duration], .timestamp),
            global("add_int64", [.int, .int], .int),
            global("add_list", [listOfA, listOfA], listOfA),
            global("add_string", [.string, .string], .string),
            global("add_uint64", [.uint, .uint], .uint),
        ]),
        FunctionDecl(name: Operator.subtract, overloads: [
            global("subtract_double", [.double, .double], .double),
            global("subtract_duration_duration", [.duration, .duration], .duration),
            global("subtract_int64", [.int, .int], .int),
            global("subtract_timestamp_duration", [.timestamp, .duration], .timestamp),
            global("subtract_timestamp_timestamp", [.timestamp, .timestamp], .duration),
            global("subtract_uint64", [.uint, .uint], .uint),
        ]),
        FunctionDecl(name: Operator.multiply, overloads: [
            global("multiply_double", [.double, .double], .double),
            global("multiply_int64", [.int, .int], .int),
            global("multiply_uint64", [.uint, .uint], .uint),
        ]),
        FunctionDecl(name: Operator.divide, overloads: [
            global("divide_double", [.double, .double], .double),
            global("divide_int64", [.int, .int], .int),
            global("divide_uint64", [.uint, .uint], .uint),
        ]),
        FunctionDecl(name: Operator.modulo, overloads: [
            global("modulo_int64", [.int, .int], .int),
            global("modulo_uint64", [.uint, .uint], .uint),
        ]),
        FunctionDecl(name: Operator.negate, overloads: [
            global("negate_double", [.double], .double),
            global("negate_int64", [.int], .int),
        ]),
    ]

    // MARK: - Ordering

    /// One ordering operator: same-type overloads for every ordered type, plus the
    /// cross-type numeric overloads (`less_int64_uint64`, …) that cel-go declares.
    private static func ordering(_ name: String, prefix: String) -> FunctionDecl {
        let numeric: [(suffix: String, type: CELType)] = [("int64", .int), ("uint64", .uint), ("double", .double)]
        var overloads = [global("\(prefix)_bool", [.bool, .bool], .bool)]
        for lhs in numeric {
            overloads.append(global("\(prefix)_\(lhs.suffix)", [lhs.type, lhs.type], .bool))
            for rhs in numeric where rhs.suffix != lhs.suffix {
                overloads.append(global("\(prefix)_\(lhs.suffix)_\(rhs.suffix)", [lhs.type, rhs.type], .bool))
            }
        }
        overloads += [
            global("\(prefix)_string", [.string, .string], .bool),
            global("\(prefix)_bytes", [.bytes, .bytes], .bool),
            global("\(prefix)_timestamp", [.timestamp, .timestamp], .bool),
            global("\(prefix)_duration", [.duration, .duration], .bool),
        ]
        return FunctionDecl(name: name, overloads: overloads)
    }

    private static let comparisons: [FunctionDecl] = [
        ordering(Operator.less, prefix: "less"),
        ordering(Operator.lessEquals, prefix: "less_equals"),
        ordering(Operator.greater, prefix: "greater"),
        ordering(Operator.greaterEquals, prefix: "greater_equals"),
    ]

    // MARK: - Lists and maps

    private static let containers: [FunctionDecl] = [
        FunctionDecl(name: Operator.index, overloads: [
            global("index_list", [listOfA, .int], paramA),
            global("index_map", [mapOfAB, paramA], paramB),
        ]),
        FunctionDecl(name: Operator.in, overloads: [
            global("in_list", [paramA, listOfA], .bool),
            global("in_map", [paramA, mapOfAB], .bool),
        ]),
        FunctionDecl(name: "size", overloads: [
            global("size_bytes", [.bytes], .int),
            member("bytes_size", [.bytes], .int),
            global("size_list", [listOfA], .int),
            member("list_size", [listOfA], .int),
            global("size_map", [mapOfAB], .int),
            member("map_size", [mapOfAB], .int),
            global("size_string", [.string], .int),
            member("string_size", [.string], .int),
        ]),
    ]

    // MARK: - Conversions

    private static let conversions: [FunctionDecl] = [
        FunctionDecl(name: "type", overloads: [global("type", [paramA], .type(paramA))]),
        FunctionDecl(name: "dyn", overloads: [global("to_dyn", [paramA], .dyn)]),
        FunctionDecl(name: "bool", overloads: [
            global("bool_to_bool", [.bool], .bool),
            global("string_to_bool", [.string], .bool),
        ]),
        FunctionDecl(name: "bytes", overloads: [
            global("bytes_to_bytes", [.bytes], .bytes),
            global("string_to_bytes", [.string], .bytes),
        ]),
        FunctionDecl(name: "double", overloads: [
            global("double_to_double", [.double], .double),
            global("int64_to_double", [.int], .double),
            global("string_to_double", [.string], .double),
            global("uint64_to_double", [.uint], .double),
        ]),
        FunctionDecl(name: "duration", overloads: [
            global("duration_to_duration", [.duration], .duration),
            global("string_to_duration", [.string], .duration),
        ]),
        FunctionDecl(name: "int", overloads: [
            global("int64_to_int64", [.int], .int),
            global("double_to_int64", [.double], .int),
            global("duration_to_int64", [.duration], .int),
            global("string_to_int64", [.string], .int),
            global("timestamp_to_int64", [.timestamp], .int),
            global("uint64_to_int64", [.uint], .int),
        ]),
        FunctionDecl(name: "string", overloads: [
            global("string_to_string", [.string], .string),
            global("bool_to_string", [.bool], .string),
            global("bytes_to_string", [.bytes], .string),
            global("double_to_string", [.double], .string),
            global("duration_to_string", [.duration], .string),
            global("int64_to_string", [.int], .string),
            global("timestamp_to_string", [.timestamp], .string),
            global("uint64_to_string", [.uint], .string),
        ]),
        FunctionDecl(name: "timestamp", overloads: [
            global("timestamp_to_timestamp", [.timestamp], .timestamp),
            global("int64_to_timestamp", [.int], .timestamp),
            global("string_to_timestamp", [.string], .timestamp),
        ]),
        FunctionDecl(name: "uint", overloads: [
            global("uint64_to_uint64", [.uint], .uint),
            global("double_to_uint64", [.double], .uint),
            global("int64_to_uint64", [.int], .uint),
            global("string_to_uint64", [.string], .uint),
        ]),
    ]

    // MARK: - Strings

    // cel-go declares contains/startsWith/endsWith only as methods; `matches` has both forms.
    private static let strings: [FunctionDecl] = [
        FunctionDecl(name: "contains", overloads: [member("contains_string", [.string, .string], .bool)]),
        FunctionDecl(name: "endsWith", overloads: [member("ends_with_string", [.string, .string], .bool)]),
        FunctionDecl(name: "startsWith", overloads: [member("starts_with_string", [.string, .string], .bool)]),
        FunctionDecl(name: "matches", overloads: [
            global("matches", [.string, .string], .bool),
            member("matches_string", [.string, .string], .bool),
        ]),
    ]

    // MARK: - Timestamps and durations

    /// A timestamp accessor in UTC and in a named time zone, plus the duration form where
    /// CEL has one.
    private static func accessor(
        _ name: String, timestamp id: String, withTimeZone zoneID: String, duration durationID: String? = nil
    ) -> FunctionDecl {
        var overloads = [
            member(id, [.timestamp], .int),
            member(zoneID, [.timestamp, .string], .int),
        ]
        if let durationID { overloads.append(member(durationID, [.duration], .int)) }
        return FunctionDecl(name: name, overloads: overloads)
    }

    private static let time: [FunctionDecl] = [
        accessor("getFullYear", timestamp: "timestamp_to_year", withTimeZone: "timestamp_to_year_with_tz"),
        accessor("getMonth", timestamp: "timestamp_to_month", withTimeZone: "timestamp_to_month_with_tz"),
        accessor("getDayOfYear", timestamp: "timestamp_to_day_of_year", withTimeZone: "timestamp_to_day_of_year_with_tz"),
        accessor("getDayOfMonth", timestamp: "timestamp_to_day_of_month",
                 withTimeZone: "timestamp_to_day_of_month_with_tz"),
        accessor("getDate", timestamp: "timestamp_to_day_of_month_1_based",
                 withTimeZone: "timestamp_to_day_of_month_1_based_with_tz"),
        accessor("getDayOfWeek", timestamp: "timestamp_to_day_of_week", withTimeZone: "timestamp_to_day_of_week_with_tz"),
        accessor("getHours", timestamp: "timestamp_to_hours", withTimeZone: "timestamp_to_hours_with_tz",
                 duration: "duration_to_hours"),
        accessor("getMinutes", timestamp: "timestamp_to_minutes", withTimeZone: "timestamp_to_minutes_with_tz",
                 duration: "duration_to_minutes"),
        // `_seconds_tz` (no `_with`) is cel-go's spelling of this one id.
        accessor("getSeconds", timestamp: "timestamp_to_seconds", withTimeZone: "timestamp_to_seconds_tz",
                 duration: "duration_to_seconds"),
        accessor("getMilliseconds", timestamp: "timestamp_to_milliseconds",
                 withTimeZone: "timestamp_to_milliseconds_with_tz", duration: "duration_to_milliseconds"),
    ]
}
