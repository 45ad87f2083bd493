import CELCommon
public import RescindUnsafe

/// A CEL runtime value.
///
/// Errors are values too: a failing sub-expression yields `.error`, which propagates
/// through strict functions and is absorbed by `&&`, `||` and the comprehension loop
/// condition exactly as the CEL spec prescribes.
///
/// The enum is kept small (payloads of at most 16 bytes; large or rare payloads are
/// boxed) so that evaluation moves values around in registers and cheap copies.
@usableFromInline package enum Value: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([Value])
    case map(MapValue)
    case timestamp(CELTimestamp)
    case duration(CELDuration)
    /// A type value: what `type(x)` returns and what `int`, `list`, … denote.
    case type(TypeValue)
    /// Rescind's exact money type (comparisons and equality here; functions are an extension).
    indirect case decimal(CELDecimal)
    /// An instance of a schema-declared object type, with fields by slot.
    case object(ObjectValue)
    /// An evaluation error travelling as a value.
    case error(EvalError)
}

/// The kind of a value, without its payload: what dynamic dispatch matches on.
@usableFromInline package enum ValueKind: UInt8, Sendable, Hashable, CaseIterable {
    case null, bool, int, uint, double, string, bytes, list, map, timestamp, duration, type, decimal, object, error

    /// The CEL name of values of this kind (`int`, `list`, `google.protobuf.Timestamp`, …).
    package var typeName: String {
        switch self {
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .list: "list"
        case .map: "map"
        case .timestamp: "google.protobuf.Timestamp"
        case .duration: "google.protobuf.Duration"
        case .type: "type"
        case .decimal: "decimal"
        case .object: "object"
        case .error: "error"
        }
    }

    /// The runtime kind of values of a declared type, or nil when any kind may occur
    /// (`dyn`, type parameters).
    package init?(_ type: CELType) {
        switch type {
        case .null: self = .null
        case .bool: self = .bool
        case .int: self = .int
        case .uint: self = .uint
        case .double: self = .double
        case .string, .enumString: self = .string
        case .bytes: self = .bytes
        case .timestamp: self = .timestamp
        case .duration: self = .duration
        case .list: self = .list
        case .map: self = .map
        case .type: self = .type
        case .object: self = .object
        case .opaque(let name, _) where name == "decimal": self = .decimal
        default: return nil
        }
    }
}

extension Value {
    /// The kind of this value.
    @inlinable
    package var kind: ValueKind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        case .list: .list
        case .map: .map
        case .timestamp: .timestamp
        case .duration: .duration
        case .type: .type
        case .decimal: .decimal
        case .object: .object
        case .error: .error
        }
    }

    /// Whether this value is an evaluation error.
    @inlinable
    package var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The error carried by this value, if it is one.
    @inlinable
    package var error: EvalError? {
        if case .error(let error) = self { return error }
        return nil
    }

    /// The runtime type of this value, as `type(x)` returns it.
    package var runtimeType: TypeValue {
        switch self {
        case .object(let object): TypeValue(object.type.name)
        default: TypeValue(kind.typeName)
        }
    }

    /// Convenience constructors for building values in Swift.
    package static func string(_ s: Substring) -> Value { .string(String(s)) }
    package static let `true` = Value.bool(true)
    package static let `false` = Value.bool(false)
}

/// A type as a runtime value. Only the type's name matters at runtime: parameters are
/// erased (`type([1]) == type(['a'])`), so the value is just the CEL name.
@usableFromInline package struct TypeValue: Sendable, Hashable, CustomStringConvertible {
    package let name: String

    package init(_ name: String) { self.name = name }

    @usableFromInline package var description: String { name }

    package static let int = TypeValue("int")
    package static let uint = TypeValue("uint")
    package static let double = TypeValue("double")
    package static let bool = TypeValue("bool")
    package static let string = TypeValue("string")
    package static let bytes = TypeValue("bytes")
    package static let list = TypeValue("list")
    package static let map = TypeValue("map")
    package static let null = TypeValue("null_type")
    package static let type = TypeValue("type")
    package static let timestamp = TypeValue("google.protobuf.Timestamp")
    package static let duration = TypeValue("google.protobuf.Duration")
    package static let decimal = TypeValue("decimal")

    /// Identifiers that denote types when no variable shadows them. (`dyn` is not one:
    /// the spec makes a bare `dyn` an unknown identifier.)
    package static let builtinNames: [String: TypeValue] = [
        "int": .int, "uint": .uint, "double": .double, "bool": .bool, "string": .string,
        "bytes": .bytes, "list": .list, "map": .map, "null_type": .null, "type": .type,
        "google.protobuf.Timestamp": .timestamp, "google.protobuf.Duration": .duration,
    ]
}

/// An instance of a schema-declared object type. Fields are stored by the slot the
/// type assigns (`ObjectType.slot(of:)`); `nil` marks an absent field, for which
/// `has()` is false and selection is an error.
///
/// The fields live in the object's own allocation, after the type (`ManagedBufferPointer`
/// with this class as the buffer class): a decoded request is a tree of these, and one
/// allocation per object instead of an object and an array saves much of what decoding
/// and freeing a request cost. Unchecked `Sendable`: immutable once made.
@usableFromInline package final class ObjectValue: @unchecked Sendable, Hashable {
    /// The type, and whether the object stands in for one a request left out.
    @usableFromInline struct Header {
        @usableFromInline let type: ObjectType
        @usableFromInline let zeroFilled: Bool

        @inlinable init(type: ObjectType, zeroFilled: Bool) {
            self.type = type
            self.zeroFilled = zeroFilled
        }
    }

    @usableFromInline typealias Storage = ManagedBufferPointer<Header, Value?>

    @inlinable var storage: Storage { Storage(unsafeBufferObject: self) }

    /// An object from field values by slot; missing trailing slots are absent.
    package static func make(type: ObjectType, fields: [Value?]) -> ObjectValue {
        precondition(fields.count <= type.fields.count, "more field values than the type declares")
        return make(type: type) { slots in
            for (slot, value) in fields.enumerated() { slots[slot] = value }
            return true
        }!
    }

    /// An object from field values by name. Names the type does not declare are ignored;
    /// use `unknownFields(in:)` first to report them.
    package static func make(type: ObjectType, values: [String: Value]) -> ObjectValue {
        make(type: type) { slots in
            for (name, value) in values {
                if let slot = type.slot(of: name) { slots[slot] = value }
            }
            return true
        }!
    }

    /// The zero value a decoder fills in for an absent optional object: equal to any
    /// object with the same fields, but `isZeroFilled`, so a policy can tell that the
    /// request did not send it.
    package static func makeZeroFilled(type: ObjectType, fields: [Value?]) -> ObjectValue {
        precondition(fields.count <= type.fields.count, "more field values than the type declares")
        return make(type: type, zeroFilled: true) { slots in
            for (slot, value) in fields.enumerated() { slots[slot] = value }
            return true
        }!
    }

    /// An object whose fields `fill` writes in place, over slots that start absent; nil
    /// (and the partial object freed) when `fill` returns false.
    @inlinable
    package static func make(
        type: ObjectType, zeroFilled: Bool = false, _ fill: (UnsafeMutableBufferPointer<Value?>) throws -> Bool
    ) rethrows -> ObjectValue? {
        let count = type.fields.count
        let storage = Storage(bufferClass: ObjectValue.self, minimumCapacity: count) { _, _ in
            Header(type: type, zeroFilled: zeroFilled)
        }
        let object = unsafeDowncast(storage.buffer, to: ObjectValue.self)
        let complete = try storage.withUnsafeMutablePointerToElements { elements in
            elements.initialize(repeating: nil, count: count)
            return try fill(UnsafeMutableBufferPointer(start: elements, count: count))
        }
        return complete ? object : nil
    }

    deinit {
        // A buffer class destroys what it holds itself: the fields, then the type.
        storage.withUnsafeMutablePointers { type, elements in
            elements.deinitialize(count: type.pointee.type.fields.count)
            type.deinitialize(count: 1)
        }
    }

    /// The object's declared type.
    @inlinable package var type: ObjectType { storage.header.type }

    /// Whether a decoder made this object for an optional field the request left out
    /// (see `makeZeroFilled`).
    @inlinable package var isZeroFilled: Bool { storage.header.zeroFilled }

    /// The field in `slot` (nil when absent); the slot must be one of the type's.
    @inlinable
    package func field(_ slot: Int) -> Value? {
        storage.withUnsafeMutablePointers { type, elements in
            precondition(slot >= 0 && slot < type.pointee.type.fields.count, "field slot out of range")
            return elements[slot]
        }
    }

    /// The fields by slot.
    @inlinable package var fields: ObjectFields { ObjectFields(object: self) }

    /// Calls `body` with a read-only view of the fields in place (nil where absent),
    /// valid only during the call: reading them adjusts no reference count.
    @inlinable @inline(__always)
    package func withFields<R>(_ body: (BorrowedTable<Value?>) -> R) -> R {
        // `body` is called directly, so it inlines into its caller (see `withBorrowedTable`).
        let fields = storage.withUnsafeMutablePointers { type, elements in
            UnsafeBufferPointer(start: elements, count: type.pointee.type.fields.count)
        }
        return Borrow.table(fields, keptAliveBy: self, body)
    }

    /// Calls `body` with the fields in place.
    @inlinable
    package func withUnsafeFields<R>(_ body: (UnsafeBufferPointer<Value?>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { type, elements in
            try body(UnsafeBufferPointer(start: elements, count: type.pointee.type.fields.count))
        }
    }

    /// The value of a field by name, or nil if absent or undeclared.
    package subscript(field: String) -> Value? {
        guard let slot = type.slot(of: field) else { return nil }
        return self.field(slot)
    }

    @usableFromInline package static func == (lhs: ObjectValue, rhs: ObjectValue) -> Bool {
        guard lhs !== rhs else { return true }
        guard lhs.type == rhs.type, lhs.fields.count == rhs.fields.count else { return false }
        for (a, b) in zip(lhs.fields, rhs.fields) {
            switch (a, b) {
            case (nil, nil): continue
            case (let a?, let b?): if !celEquals(a, b) { return false }
            default: return false
            }
        }
        return true
    }

    @usableFromInline package func hash(into hasher: inout Hasher) {
        hasher.combine(type.name)
        for field in fields { hasher.combine(field) }
    }
}

/// An object's fields by slot, read in place.
@usableFromInline package struct ObjectFields: RandomAccessCollection, Sendable {
    @usableFromInline let object: ObjectValue

    @inlinable init(object: ObjectValue) { self.object = object }

    @inlinable package var startIndex: Int { 0 }
    @inlinable package var endIndex: Int { object.type.fields.count }
    @inlinable package subscript(slot: Int) -> Value? { object.field(slot) }

    /// Calls `body` with the fields in place.
    @inlinable
    package func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Value?>) throws -> R) rethrows -> R {
        try object.withUnsafeFields(body)
    }
}
