/// A CEL map key, normalised so that numerically equal keys of different kinds find
/// each other (`{1u: x}[1]`, `{1: x}[1.0]`): every integer that fits in `Int64` is an
/// `.integer`, and only unsigned values above `Int64.max` stay `.bigUnsigned`.
@usableFromInline
enum MapKey: Hashable, Sendable {
    case integer(Int64)
    case bigUnsigned(UInt64)
    case bool(Bool)
    case string(String)

    /// The key a value is looked up by; nil if no key of an allowed kind can equal it
    /// (e.g. `3.1`, `null`, a list).
    @inlinable
    init?(lookup value: Value) {
        switch value {
        case .string(let s): self = .string(s)
        case .int(let i): self = .integer(i)
        case .uint(let u): self = u <= UInt64(Int64.max) ? .integer(Int64(u)) : .bigUnsigned(u)
        case .bool(let b): self = .bool(b)
        case .double(let d):
            // Only an integral double can equal an integer key.
            guard d == d.rounded(.towardZero) else { return nil }
            if d >= -9.223372036854775808e18, d < 9.223372036854775808e18 {
                self = .integer(Int64(d))
            } else if d >= 0, d < 1.8446744073709551616e19 {
                self = .bigUnsigned(UInt64(d))
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// Whether values of this kind may be map keys at all.
    static func isValidKey(_ value: Value) -> Bool {
        switch value {
        case .string, .int, .uint, .bool: true
        default: false
        }
    }
}

/// An immutable CEL map. Keys keep their original kind and insertion order (for
/// iteration and display); lookups go through a hash index of normalised keys.
@usableFromInline package final class MapValue: Sendable, Hashable {
    /// Keys in insertion order.
    @usableFromInline package let keys: [Value]
    /// Values, parallel to `keys`.
    @usableFromInline package let values: [Value]
    @usableFromInline let index: [MapKey: Int]

    /// Why a map could not be built.
    package enum BuildError: Error, Sendable, Equatable {
        case unsupportedKeyType(ValueKind)
        case repeatedKey(Value)

        package static func == (lhs: BuildError, rhs: BuildError) -> Bool {
            switch (lhs, rhs) {
            case (.unsupportedKeyType(let a), .unsupportedKeyType(let b)): a == b
            case (.repeatedKey(let a), .repeatedKey(let b)): celEquals(a, b)
            default: false
            }
        }
    }

    /// Builds a map from entries; keys must be int, uint, bool or string and distinct
    /// (numerically equal keys of different kinds count as the same key).
    package init(entries: some Sequence<(key: Value, value: Value)>) throws(BuildError) {
        var keys: [Value] = []
        var values: [Value] = []
        var index: [MapKey: Int] = [:]
        for (key, value) in entries {
            guard MapKey.isValidKey(key), let normalised = MapKey(lookup: key) else {
                throw .unsupportedKeyType(key.kind)
            }
            guard index.updateValue(keys.count, forKey: normalised) == nil else { throw .repeatedKey(key) }
            keys.append(key)
            values.append(value)
        }
        self.keys = keys
        self.values = values
        self.index = index
    }

    /// A map with string keys, e.g. from JSON; later duplicates replace earlier ones.
    package convenience init(_ dictionary: [String: Value]) {
        // Sorted so that iteration order does not depend on Swift's hash seed.
        let entries = dictionary.sorted { $0.key < $1.key }.map { (key: Value.string($0.key), value: $0.value) }
        try! self.init(entries: entries)
    }

    package static let empty = try! MapValue(entries: [])

    /// The number of entries.
    @inlinable package var count: Int { keys.count }

    /// The value under a key, by CEL key equality; nil if absent.
    @inlinable
    @usableFromInline package subscript(key: Value) -> Value? {
        guard let normalised = MapKey(lookup: key), let position = index[normalised] else { return nil }
        return values[position]
    }

    /// The value under a string key; the common case of field-style access.
    @inlinable
    package subscript(string key: String) -> Value? {
        guard let position = index[.string(key)] else { return nil }
        return values[position]
    }

    /// Whether the map has a key equal to `key`.
    @inlinable
    package func contains(_ key: Value) -> Bool {
        guard let normalised = MapKey(lookup: key) else { return false }
        return index[normalised] != nil
    }

    /// Entries in insertion order.
    package var entries: [(key: Value, value: Value)] { Array(zip(keys, values)).map { (key: $0.0, value: $0.1) } }

    @usableFromInline package static func == (lhs: MapValue, rhs: MapValue) -> Bool { celEquals(.map(lhs), .map(rhs)) }

    @usableFromInline package func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-entry hashes commutatively.
        var combined = 0
        for (key, value) in zip(keys, values) {
            var entry = Hasher()
            entry.combine(key)
            entry.combine(value)
            combined ^= entry.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
