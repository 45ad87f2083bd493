import RescindUnsafe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CEL equality: numbers compare by mathematical value across int, uint and double
/// (`1 == 1u == 1.0`, NaN equals nothing), lists and maps compare deeply (maps
/// regardless of order), and values of unrelated kinds are simply unequal.
/// Errors never reach here: the `==` node propagates them first.
@inlinable
package func celEquals(_ lhs: Value, _ rhs: Value) -> Bool {
    switch (lhs, rhs) {
    case (.string(let a), .string(let b)): return stringsEqual(a, b)
    case (.int(let a), .int(let b)): return a == b
    case (.uint(let a), .uint(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.bool(let a), .bool(let b)): return a == b
    case (.null, .null): return true
    case (.int(let a), .uint(let b)): return a >= 0 && UInt64(a) == b
    case (.uint(let a), .int(let b)): return b >= 0 && UInt64(b) == a
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return compareIntDouble(a, b) == .equal
    case (.uint(let a), .double(let b)), (.double(let b), .uint(let a)): return compareUintDouble(a, b) == .equal
    case (.bytes(let a), .bytes(let b)): return a == b
    case (.timestamp(let a), .timestamp(let b)): return a == b
    case (.duration(let a), .duration(let b)): return a == b
    case (.type(let a), .type(let b)): return a == b
    case (.decimal(let a), .decimal(let b)): return a == b
    case (.list(let a), .list(let b)):
        guard a.count == b.count else { return false }
        for index in a.indices where !celEquals(a[index], b[index]) { return false }
        return true
    case (.map(let a), .map(let b)):
        if a === b { return true }
        guard a.count == b.count else { return false }
        for (key, value) in zip(a.keys, a.values) {
            guard let other = b[key], celEquals(value, other) else { return false }
        }
        return true
    case (.object(let a), .object(let b)): return a == b
    case (.error(let a), .error(let b)): return a === b
    default: return false
    }
}

/// The outcome of comparing two values; `unordered` when either is NaN.
@usableFromInline package enum CELOrdering: Sendable {
    case less, equal, greater, unordered

    @inlinable
    static func of<T: Comparable>(_ a: T, _ b: T) -> CELOrdering {
        a < b ? .less : (a == b ? .equal : .greater)
    }
}

/// Compares an int with a double by value. Like other CEL runtimes, the int is widened
/// to double first, so very large ints compare as their nearest double
/// (`9223372036854775807 < 9223372036854775808.0` is false).
@inlinable
func compareIntDouble(_ a: Int64, _ b: Double) -> CELOrdering {
    if b.isNaN { return .unordered }
    return .of(Double(a), b)
}

/// Compares a uint with a double by value (the uint widened to double, as for ints).
@inlinable
func compareUintDouble(_ a: UInt64, _ b: Double) -> CELOrdering {
    if b.isNaN { return .unordered }
    return .of(Double(a), b)
}

/// Compares an int with a uint exactly.
@inlinable
func compareIntUint(_ a: Int64, _ b: UInt64) -> CELOrdering {
    a < 0 ? .less : .of(UInt64(a), b)
}

/// Orders two values for `<`, `<=`, `>`, `>=`: numbers across kinds, and strings,
/// bytes, bools, timestamps, durations and decimals among themselves. Nil when the
/// kinds cannot be ordered (the caller reports "no matching overload").
@inlinable
package func celCompare(_ lhs: Value, _ rhs: Value) -> CELOrdering? {
    switch (lhs, rhs) {
    case (.int(let a), .int(let b)): return .of(a, b)
    case (.uint(let a), .uint(let b)): return .of(a, b)
    case (.double(let a), .double(let b)): return a.isNaN || b.isNaN ? .unordered : .of(a, b)
    case (.string(let a), .string(let b)):
        // Code-point order, not Swift's canonical-equivalence order: compare scalars.
        return compareByScalars(a, b)
    case (.timestamp(let a), .timestamp(let b)): return .of(a, b)
    case (.duration(let a), .duration(let b)): return .of(a, b)
    case (.int(let a), .uint(let b)): return compareIntUint(a, b)
    case (.uint(let a), .int(let b)): return compareIntUint(b, a).reversed
    case (.int(let a), .double(let b)): return compareIntDouble(a, b)
    case (.double(let a), .int(let b)): return compareIntDouble(b, a).reversed
    case (.uint(let a), .double(let b)): return compareUintDouble(a, b)
    case (.double(let a), .uint(let b)): return compareUintDouble(b, a).reversed
    case (.bool(let a), .bool(let b)): return a == b ? .equal : (a ? .greater : .less)
    case (.bytes(let a), .bytes(let b)): return a.lexicographicallyPrecedes(b) ? .less : (a == b ? .equal : .greater)
    case (.decimal(let a), .decimal(let b)): return .of(a, b)
    default: return nil
    }
}

/// String equality by code points. Swift's `==` uses canonical equivalence
/// (`"é" == "e\u{301}"`), which CEL does not: it never normalises strings.
@inlinable
package func stringsEqual(_ a: String, _ b: String) -> Bool {
    if Representation.identical(a, b) { return true }
    let fast = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb in
            pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0)
        }
    }
    if let fast, let result = fast { return result }
    return a.utf8.elementsEqual(b.utf8)
}

/// Orders strings by Unicode code points (equivalently, by UTF-8 bytes).
@inlinable
func compareByScalars(_ a: String, _ b: String) -> CELOrdering {
    var ia = a.utf8.makeIterator()
    var ib = b.utf8.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return .equal
        case (nil, _): return .less
        case (_, nil): return .greater
        case (let x?, let y?): if x != y { return x < y ? .less : .greater }
        }
    }
}

extension CELOrdering {
    @inlinable
    var reversed: CELOrdering {
        switch self {
        case .less: .greater
        case .greater: .less
        default: self
        }
    }
}

extension Value: Equatable, Hashable {
    /// CEL equality (see `celEquals`): `Value.int(1) == Value.double(1.0)`.
    @usableFromInline package static func == (lhs: Value, rhs: Value) -> Bool { celEquals(lhs, rhs) }

    /// Hashing consistent with CEL equality: numerically equal numbers hash alike.
    @usableFromInline package func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .uint(let u): hasher.combine(Double(u))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .bytes(let b): hasher.combine(b)
        case .list(let l):
            hasher.combine(l.count)
            for element in l { hasher.combine(element) }
        case .map(let m): hasher.combine(m)
        case .timestamp(let t): hasher.combine(t)
        case .duration(let d): hasher.combine(d)
        case .type(let t): hasher.combine(t)
        case .decimal(let d): hasher.combine(d)
        case .object(let o): hasher.combine(o)
        case .error(let e): hasher.combine(ObjectIdentifier(e))
        }
    }
}
