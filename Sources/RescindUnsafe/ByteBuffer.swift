/// Bytes in memory with one owner: noncopyable, so it frees its memory in its own
/// `deinit` (README.md, invariant 6). Starts empty and allocates on first `reserve`, so
/// holding one costs nothing until it is used. For code that hands bytes to C (`read`,
/// `memchr`) or decodes text in place.
@frozen
@usableFromInline package struct ByteBuffer: ~Copyable {
    /// The memory, nil until something was reserved.
    @usableFromInline package private(set) var base: UnsafeMutablePointer<UInt8>?
    /// How many bytes `base` holds.
    @usableFromInline package private(set) var capacity = 0

    /// An empty buffer; allocates nothing.
    @inlinable package init() {}

    /// A buffer of `capacity` bytes (at least one).
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base?.deallocate() }

    /// At least `capacity` bytes; their contents are unspecified when the buffer had to grow.
    @inlinable
    package mutating func reserve(_ capacity: Int) -> UnsafeMutablePointer<UInt8> {
        if let base, self.capacity >= capacity { return base }
        return grow(to: capacity, preserving: 0)
    }

    /// Grows to `newCapacity` bytes, keeping the first `count` bytes.
    @discardableResult
    @usableFromInline package mutating func grow(to newCapacity: Int, preserving count: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(count <= capacity && count <= newCapacity, "kept bytes beyond the buffer")
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, newCapacity))
        if let base {
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = larger
        capacity = max(1, newCapacity)
        return larger
    }
}
