import CELCommon
import CELRuntime

/// How one JSON value is decoded: a `CELType` resolved once, when the decoder is built,
/// so decoding never inspects types, dictionaries or field names as `String`s.
///
/// A plain value (a kind and an index into `DecodePlan`'s tables) rather than an enum
/// with class payloads, so that reading one costs no reference counting.
struct ValueShape: Sendable {
    enum Kind: UInt8, Sendable {
        case string, bool, int, uint, double, decimal, timestamp, duration
        /// Any JSON value, mapped as `rescind cel --var` does (integers stay `int`).
        case dyn
        /// `index` is into `DecodePlan.enums`.
        case enumeration
        /// `index` is into `DecodePlan.objects` (an index, so recursive types make no cycles).
        case object
        /// `index` is the element's shape in `DecodePlan.shapes`.
        case list
        /// `map(string, T)`; `index` is the value's shape in `DecodePlan.shapes`.
        case map
        /// A type a JSON request cannot carry (`bytes`, `map(int, T)`, …); `index` is into
        /// `DecodePlan.unsupported`, its CEL spelling.
        case unsupported
    }

    let kind: Kind
    /// For `.int`, `.decimal` and `.timestamp`: 0 when the field has no range, else one
    /// more than its index into `DecodePlan.bounds` (so an unconstrained value costs one
    /// test of a byte already loaded).
    let index: Int32

    init(_ kind: Kind, _ index: Int = 0) {
        self.kind = kind
        self.index = Int32(index)
    }
}

/// Names matched against raw UTF-8 bytes: buckets by byte length, then a byte compare,
/// so a lookup costs one or two short comparisons and no hashing or `String`.
struct NameTable: Sendable {
    /// All names' bytes, each followed by `":`, concatenated: so followed, a name can be
    /// compared with a member's key where it stands in the input.
    private let pool: [UInt8]
    /// Where name `i` starts in `pool` (its length is the bucket it sits in).
    private let starts: [Int]
    /// Name indices grouped by byte length: bucket `n` is `order[bucketStart[n] ..< bucketStart[n + 1]]`.
    private let order: [Int]
    private let bucketStart: [Int]
    private let lengths: [Int]
    /// The length of name `i` with its `":`, or 0 when the name has a `"`, a `\` or a
    /// control character: JSON spells such a name differently, so only its decoded form
    /// can be compared.
    private let keyLengths: [Int]

    init(_ names: [String]) {
        var pool: [UInt8] = []
        var starts: [Int] = []
        for name in names {
            starts.append(pool.count)
            pool.append(contentsOf: name.utf8)
            pool.append(contentsOf: "\":".utf8)
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
        self.lengths = lengths
        self.keyLengths = names.map { name in
            let spelledAsIs = name.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            return spelledAsIs ? name.utf8.count + 2 : 0
        }
    }

    /// The number of names.
    var count: Int { lengths.count }

    /// Whether `key` spells name `index`: the check for the field a writer most likely
    /// sends next (JSON writers usually keep the schema's order).
    @inline(__always)
    func matches(_ index: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard index < lengths.count, lengths[index] == key.count else { return false }
        return key.count == 0
            || pool.withUnsafeBufferPointer { memoryEqual($0.baseAddress! + starts[index], key.baseAddress!, key.count) }
    }

    /// How many bytes of `text` (a member's raw bytes after the key's opening quote,
    /// `available` of them left) spell name `index`, the closing quote and the `:`, with
    /// no escapes; 0 when they do not. The common case, `"status":` expected and found,
    /// so checked with one compare before the key is scanned at all.
    @inline(__always)
    func keyMatchLength(_ index: Int, _ text: UnsafePointer<UInt8>, available: Int) -> Int {
        guard index < keyLengths.count else { return 0 }
        let length = keyLengths[index]
        guard length > 0, length <= available,
            pool.withUnsafeBufferPointer({ memoryEqual($0.baseAddress! + starts[index], text, length) })
        else { return 0 }
        return length
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

/// Whether `count` bytes at `a` and `b` are equal, a word at a time (overlapping loads
/// cover the ragged end, so no byte loop and few branches for short names).
@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let a = UnsafeRawPointer(a)
    let b = UnsafeRawPointer(b)
    if count >= 8 {
        if count <= 16 {
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        var offset = 0
        while offset + 8 <= count {
            if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset += 8
        }
        return offset == count
            || a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
    if count >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
    }
    if count >= 2 {
        return a.loadUnaligned(as: UInt16.self) == b.loadUnaligned(as: UInt16.self)
            && a.load(fromByteOffset: count - 1, as: UInt8.self) == b.load(fromByteOffset: count - 1, as: UInt8.self)
    }
    return count == 0 || a.load(as: UInt8.self) == b.load(as: UInt8.self)
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

    /// The value `text` spells, or nil when it is none of them.
    @inline(__always)
    func value(spelledBy text: UnsafeBufferPointer<UInt8>) -> Value? {
        table.index(of: text).map { wrapped[$0] }
    }
}

/// A field's range, by the kind of value it constrains, ready to compare with no
/// `Value` in between; unset int bounds are the type's extremes. Plain data (no
/// reference to count when the parser reads it): the range as the schema declares it,
/// for messages, is in `DecodePlan.ranges`.
struct BoundsPlan: Sendable {
    let intMinimum: Int64
    let intMaximum: Int64
    let decimalMinimum: CELDecimal?
    let decimalMaximum: CELDecimal?
    /// Seconds and nanoseconds, compared field by field (no call into CELRuntime).
    let timestampMinimum: (seconds: Int64, nanos: Int32)
    let timestampMaximum: (seconds: Int64, nanos: Int32)

    init(_ range: FieldBounds) {
        var intMinimum = Int64.min
        var intMaximum = Int64.max
        var decimalMinimum: CELDecimal?
        var decimalMaximum: CELDecimal?
        var timestampMinimum = (seconds: Int64.min, nanos: Int32(0))
        var timestampMaximum = (seconds: Int64.max, nanos: Int32.max)
        switch range.minimum {
        case .int(let x)?: intMinimum = x
        case .decimal(let x)?: decimalMinimum = x
        case .timestamp(let x)?: timestampMinimum = (x.seconds, x.nanos)
        default: break
        }
        switch range.maximum {
        case .int(let x)?: intMaximum = x
        case .decimal(let x)?: decimalMaximum = x
        case .timestamp(let x)?: timestampMaximum = (x.seconds, x.nanos)
        default: break
        }
        self.intMinimum = intMinimum
        self.intMaximum = intMaximum
        self.decimalMinimum = decimalMinimum
        self.decimalMaximum = decimalMaximum
        self.timestampMinimum = timestampMinimum
        self.timestampMaximum = timestampMaximum
    }

    /// Whether `value` is below the minimum (true), above the maximum (false), or
    /// within (nil).
    @inline(__always)
    func violation(_ value: Int64) -> Bool? {
        value < intMinimum ? true : value > intMaximum ? false : nil
    }

    @inline(__always)
    func violation(_ value: CELDecimal) -> Bool? {
        if let decimalMinimum, value < decimalMinimum { return true }
        if let decimalMaximum, decimalMaximum < value { return false }
        return nil
    }

    @inline(__always)
    func violation(_ value: CELTimestamp) -> Bool? {
        let seconds = value.seconds
        if seconds < timestampMinimum.seconds || (seconds == timestampMinimum.seconds && value.nanos < timestampMinimum.nanos) {
            return true
        }
        if seconds > timestampMaximum.seconds || (seconds == timestampMaximum.seconds && value.nanos > timestampMaximum.nanos) {
            return false
        }
        return nil
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
    /// Enums, for `ValueShape.Kind.enumeration`.
    let enums: [EnumPlan]
    /// Element and value shapes of lists and maps, for `ValueShape.Kind.list` and `.map`.
    let shapes: [ValueShape]
    /// CEL spellings of types requests cannot carry, for `ValueShape.Kind.unsupported`.
    let unsupported: [String]
    /// Ranges of constrained fields, for a `ValueShape` of an int, decimal or timestamp
    /// whose `index` is nonzero (at `index - 1`).
    let bounds: [BoundsPlan]
    /// The same ranges as the schema declares them, for messages.
    let ranges: [FieldBounds]
    /// Root slots of the conventional `id`, `at` and `locale` fields, or -1.
    let idSlot: Int
    let atSlot: Int
    let localeSlot: Int

    init(schema: RequestSchema) {
        var builder = PlanBuilder(schema: schema)
        _ = builder.index(of: schema.root)
        objects = builder.finish()
        enums = builder.enums
        shapes = builder.shapes
        unsupported = builder.unsupported
        bounds = builder.bounds
        ranges = builder.ranges
        let root = schema.root
        func slot(_ name: String, _ kind: ValueKind) -> Int {
            guard let slot = root.slot(of: name), ValueKind(root.fields[slot].type) == kind else { return -1 }
            return slot
        }
        idSlot = slot("id", .string)
        atSlot = slot("at", .timestamp)
        localeSlot = slot("locale", .string)
    }

    /// "an integer", "a boolean": how messages name what a shape expects.
    func expectation(_ shape: ValueShape) -> String {
        switch shape.kind {
        case .string: "a string"
        case .bool: "a boolean"
        case .int: "an integer"
        case .uint: "a non-negative integer"
        case .double: "a number"
        case .decimal: "a decimal such as `\"129.99\"`"
        case .timestamp: "an RFC 3339 timestamp string such as `\"2026-11-27T10:00:00+08:00\"`"
        case .duration: "a duration string such as `\"30m\"`"
        case .dyn: "a JSON value"
        case .enumeration: "one of \(quotedList(enums[Int(shape.index)].values))"
        case .object, .map: "an object"
        case .list: "an array"
        case .unsupported: "a `\(unsupported[Int(shape.index)])`"
        }
    }
}

/// Resolves types to shapes and computes zero values, depth-first from the root.
private struct PlanBuilder {
    let schema: RequestSchema
    var indices: [ObjectIdentifier: Int] = [:]
    var types: [ObjectType] = []
    /// Field shapes by type index.
    var fieldShapes: [Int: [ValueShape]] = [:]
    /// Zero values of object types, memoised; `nil` entry while being computed (a type
    /// that contains itself gets an absent slot instead of an infinite value).
    var zeroObjects: [ObjectIdentifier: ObjectValue?] = [:]
    var enumIndices: [StringEnum: Int] = [:]
    var enums: [EnumPlan] = []
    var shapes: [ValueShape] = []
    var unsupported: [String] = []
    var bounds: [BoundsPlan] = []
    var ranges: [FieldBounds] = []

    init(schema: RequestSchema) { self.schema = schema }

    /// The plan index of an object type, registering it and every type it reaches.
    mutating func index(of type: ObjectType) -> Int {
        if let index = indices[ObjectIdentifier(type)] { return index }
        let index = types.count
        indices[ObjectIdentifier(type)] = index
        types.append(type)
        // Registered before its fields so a type that reaches itself finds its index.
        var shapes = type.fields.map { shape(of: $0.type) }
        for (slot, range) in schema.bounds[type.name] ?? [:] where shapes.indices.contains(slot) {
            let shape = shapes[slot]
            // Only the kinds the parser checks; the policy compiler refuses the others.
            guard shape.kind == .int || shape.kind == .decimal || shape.kind == .timestamp else { continue }
            bounds.append(BoundsPlan(range))
            ranges.append(range)
            shapes[slot] = ValueShape(shape.kind, bounds.count)
        }
        fieldShapes[index] = shapes
        return index
    }

    mutating func shape(of type: CELType) -> ValueShape {
        switch type {
        case .string: return ValueShape(.string)
        case .bool: return ValueShape(.bool)
        case .int: return ValueShape(.int)
        case .uint: return ValueShape(.uint)
        case .double: return ValueShape(.double)
        case .timestamp: return ValueShape(.timestamp)
        case .duration: return ValueShape(.duration)
        case .dyn: return ValueShape(.dyn)
        case .opaque("decimal", let params) where params.isEmpty: return ValueShape(.decimal)
        case .enumString(let enumeration):
            if let index = enumIndices[enumeration] { return ValueShape(.enumeration, index) }
            enumIndices[enumeration] = enums.count
            enums.append(EnumPlan(enumeration))
            return ValueShape(.enumeration, enums.count - 1)
        case .object(let object): return ValueShape(.object, index(of: object))
        case .list(let element): return ValueShape(.list, nested(shape(of: element)))
        case .map(let key, let value):
            guard key.erased == .string else { return unsupportedShape(type) }
            return ValueShape(.map, nested(shape(of: value)))
        default: return unsupportedShape(type)
        }
    }

    private mutating func nested(_ shape: ValueShape) -> Int {
        shapes.append(shape)
        return shapes.count - 1
    }

    private mutating func unsupportedShape(_ type: CELType) -> ValueShape {
        unsupported.append(type.description)
        return ValueShape(.unsupported, unsupported.count - 1)
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
        let value = ObjectValue.makeZeroFilled(type: type, fields: fields)
        zeroObjects[key] = .some(value)
        return value
    }

    mutating func finish() -> [ObjectPlan] {
        var plans: [ObjectPlan] = []
        var position = 0
        while position < types.count {
            let type = types[position]
            let defaults = schema.defaults[type.name] ?? [:]
            var absent: [AbsentRule] = []
            for (slot, field) in type.fields.enumerated() {
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
            plans.append(ObjectPlan(type: type, shapes: fieldShapes[position] ?? [], absent: absent))
            position += 1
        }
        return plans
    }
}
