import CELCommon
import CELRuntime

/// How one JSON value is decoded: a `CELType` resolved once, when the decoder is built,
/// so decoding never inspects types, dictionaries or field names as `String`s.
indirect enum ValueShape: Sendable {
    case string
    case bool
    case int
    case uint
    case double
    case decimal
    case timestamp
    case duration
    /// Any JSON value, mapped as `rescind cel --var` does (integers stay `int`).
    case dyn
    case enumeration(EnumPlan)
    /// An object type, by index into `DecodePlan.objects` (an index, not the plan
    /// itself, so recursive types do not make reference cycles).
    case object(Int)
    case list(ValueShape)
    /// `map(string, T)`.
    case map(ValueShape)
    /// A type a JSON request cannot carry (`bytes`, `map(int, T)`, …), by CEL spelling.
    case unsupported(String)

    /// "an integer", "a boolean": how messages name what was expected.
    var expectation: String {
        switch self {
        case .string: "a string"
        case .bool: "a boolean"
        case .int: "an integer"
        case .uint: "a non-negative integer"
        case .double: "a number"
        case .decimal: "a decimal such as `\"129.99\"`"
        case .timestamp: "an RFC 3339 timestamp string such as `\"2026-11-27T10:00:00+08:00\"`"
        case .duration: "a duration string such as `\"30m\"`"
        case .dyn: "a JSON value"
        case .enumeration(let plan): "one of \(quotedList(plan.values))"
        case .object, .map: "an object"
        case .list: "an array"
        case .unsupported(let type): "a `\(type)`"
        }
    }
}

/// Names matched against raw UTF-8 bytes: buckets by byte length, then a byte compare,
/// so a lookup costs one or two short comparisons and no hashing or `String`.
struct NameTable: Sendable {
    /// All names' bytes, concatenated.
    private let pool: [UInt8]
    /// Where name `i` starts in `pool` (its length is the bucket it sits in).
    private let starts: [Int]
    /// Name indices grouped by byte length: bucket `n` is `order[bucketStart[n] ..< bucketStart[n + 1]]`.
    private let order: [Int]
    private let bucketStart: [Int]

    init(_ names: [String]) {
        var pool: [UInt8] = []
        var starts: [Int] = []
        for name in names {
            starts.append(pool.count)
            pool.append(contentsOf: name.utf8)
        }
        let lengths = names.map(\.utf8.count)
        let longest = lengths.max() ?? 0
        var order: [Int] = []
        var bucketStart: [Int] = []
        for length in 0...longest {
            bucketStart.append(order.count)
            // Ascending index within a bucket, so the first of duplicate names wins, as
            // in `ObjectType.slot(of:)`.
            order.append(contentsOf: lengths.indices.filter { lengths[$0] == length })
        }
        bucketStart.append(order.count)
        self.pool = pool
        self.starts = starts
        self.order = order
        self.bucketStart = bucketStart
    }

    /// The index of the name spelled by `key`, or nil.
    @inline(__always)
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = key.count
        guard length + 1 < bucketStart.count else { return nil }
        var position = bucketStart[length]
        let end = bucketStart[length + 1]
        guard position < end else { return nil }
        return pool.withUnsafeBufferPointer { pool -> Int? in
            while position < end {
                let candidate = order[position]
                if length == 0 || memoryEqual(pool.baseAddress! + starts[candidate], key.baseAddress!, length) {
                    return candidate
                }
                position += 1
            }
            return nil
        }
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// An enum's values, as `String`s to reuse (a decoded enum value shares the schema's
/// storage instead of allocating) and as a byte table to match.
final class EnumPlan: Sendable {
    let name: String
    let values: [String]
    /// The values wrapped once, so a match costs no allocation even for long values.
    let wrapped: [Value]
    let table: NameTable

    init(_ enumeration: StringEnum) {
        name = enumeration.name
        values = enumeration.values
        wrapped = enumeration.values.map { .string($0) }
        table = NameTable(enumeration.values)
    }
}

/// What an object field becomes when the request leaves it out (or sends `null`).
enum AbsentRule: Sendable {
    /// Report `request-missing-field`.
    case required
    /// Use this value: the schema's default, or the type's zero value.
    case fill(Value)
    /// Leave the slot empty (`has()` is false): timestamps, durations, `dyn`.
    case leaveAbsent
}

/// One object type, ready to decode.
final class ObjectPlan: Sendable {
    let type: ObjectType
    let names: [String]
    let table: NameTable
    let shapes: [ValueShape]
    let absent: [AbsentRule]

    init(type: ObjectType, shapes: [ValueShape], absent: [AbsentRule]) {
        self.type = type
        self.names = type.fieldNames
        self.table = NameTable(type.fieldNames)
        self.shapes = shapes
        self.absent = absent
    }
}

/// Everything `RequestDecoder` precomputes from a schema.
final class DecodePlan: Sendable {
    /// Object types reachable from the root; the root is at index 0.
    let objects: [ObjectPlan]
    /// Root slots of the conventional `id`, `at` and `locale` fields, or -1.
    let idSlot: Int
    let atSlot: Int
    let localeSlot: Int

    init(schema: RequestSchema) {
        var builder = PlanBuilder(schema: schema)
        _ = builder.index(of: schema.root)
        objects = builder.finish()
        let root = schema.root
        func slot(_ name: String, _ kind: ValueKind) -> Int {
            guard let slot = root.slot(of: name), ValueKind(root.fields[slot].type) == kind else { return -1 }
            return slot
        }
        idSlot = slot("id", .string)
        atSlot = slot("at", .timestamp)
        localeSlot = slot("locale", .string)
    }
}

/// Resolves types to shapes and computes zero values, depth-first from the root.
private struct PlanBuilder {
    let schema: RequestSchema
    var indices: [ObjectIdentifier: Int] = [:]
    var types: [ObjectType] = []
    /// Zero values of object types, memoised; `nil` entry while being computed (a type
    /// that contains itself gets an absent slot instead of an infinite value).
    var zeroObjects: [ObjectIdentifier: ObjectValue?] = [:]
    var enumPlans: [StringEnum: EnumPlan] = [:]

    init(schema: RequestSchema) { self.schema = schema }

    /// The plan index of an object type, registering it and every type it reaches.
    mutating func index(of type: ObjectType) -> Int {
        if let index = indices[ObjectIdentifier(type)] { return index }
        let index = types.count
        indices[ObjectIdentifier(type)] = index
        types.append(type)
        for field in type.fields { _ = shape(of: field.type) }
        return index
    }

    mutating func shape(of type: CELType) -> ValueShape {
        switch type {
        case .string: return .string
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .timestamp: return .timestamp
        case .duration: return .duration
        case .dyn: return .dyn
        case .opaque("decimal", let params) where params.isEmpty: return .decimal
        case .enumString(let enumeration):
            if let plan = enumPlans[enumeration] { return .enumeration(plan) }
            let plan = EnumPlan(enumeration)
            enumPlans[enumeration] = plan
            return .enumeration(plan)
        case .object(let object): return .object(index(of: object))
        case .list(let element): return .list(shape(of: element))
        case .map(let key, let value):
            guard key.erased == .string else { return .unsupported(type.description) }
            return .map(shape(of: value))
        default: return .unsupported(type.description)
        }
    }

    /// The value an optional field without a default takes (docs/policy-language.md,
    /// "zero-filled"); nil where the field stays absent.
    mutating func zeroValue(of type: CELType) -> Value? {
        switch type {
        case .string, .enumString: return .string("")
        case .bool: return .bool(false)
        case .int: return .int(0)
        case .uint: return .uint(0)
        case .double: return .double(0)
        case .opaque("decimal", let params) where params.isEmpty: return .decimal(CELDecimal(Int64(0)))
        case .list: return .list([])
        case .map: return .map(.empty)
        case .object(let object): return zeroObject(of: object).map { .object($0) }
        default: return nil
        }
    }

    mutating func zeroObject(of type: ObjectType) -> ObjectValue? {
        let key = ObjectIdentifier(type)
        if let memo = zeroObjects[key] { return memo }
        zeroObjects[key] = .some(nil)
        let defaults = schema.defaults[type.name] ?? [:]
        var fields: [Value?] = []
        for (slot, field) in type.fields.enumerated() {
            // Inside a zero-filled object every field is filled, required or not: the
            // object as a whole was optional.
            fields.append(defaults[slot] ?? zeroValue(of: field.type))
        }
        let value = ObjectValue(type: type, fields: fields)
        zeroObjects[key] = .some(value)
        return value
    }

    mutating func finish() -> [ObjectPlan] {
        var plans: [ObjectPlan] = []
        var position = 0
        // `types` grows while shapes are resolved; every registered type gets a plan.
        while position < types.count {
            let type = types[position]
            let defaults = schema.defaults[type.name] ?? [:]
            var shapes: [ValueShape] = []
            var absent: [AbsentRule] = []
            for (slot, field) in type.fields.enumerated() {
                shapes.append(shape(of: field.type))
                if let value = defaults[slot] {
                    absent.append(.fill(value))  // a default implies optional
                } else if field.required {
                    absent.append(.required)
                } else if let zero = zeroValue(of: field.type) {
                    absent.append(.fill(zero))
                } else {
                    absent.append(.leaveAbsent)
                }
            }
            plans.append(ObjectPlan(type: type, shapes: shapes, absent: absent))
            position += 1
        }
        return plans
    }
}
