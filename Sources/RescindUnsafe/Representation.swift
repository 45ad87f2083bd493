/// Comparisons of values by their bits in memory (README.md, invariant 7).
@usableFromInline
package enum Representation {
    /// Whether two strings have the same in-memory representation: then they are equal,
    /// code point for code point. A small string (up to 15 UTF-8 bytes) is stored in the
    /// two words themselves, so for such strings this settles equality without touching
    /// their bytes; two references to the same heap storage also compare identical.
    /// False says nothing: equal strings may be stored differently.
    @inlinable @inline(__always)
    package static func identical(_ a: String, _ b: String) -> Bool {
        // A `String` is two words on every 64-bit platform Swift supports
        // (`unsafeBitCast` checks that the sizes agree).
        unsafeBitCast(a, to: (UInt64, UInt64).self) == unsafeBitCast(b, to: (UInt64, UInt64).self)
    }
}
