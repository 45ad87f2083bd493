/// Mutable tables on the stack for the length of one call (README.md, invariant 5): a
/// decision's candidate set and ordinal cache. They allocate nothing on the heap.
@usableFromInline package enum Scratch {
    /// Calls `body` with a table of `words` words and one of `bytes` bytes, both zeroed,
    /// valid only during the call. Small sizes use a fixed buffer in the caller's frame,
    /// so `body`'s result is returned as is.
    @inlinable @inline(__always)
    package static func withTables<Result>(
        words: Int, bytes: Int, _ body: (ScratchTable<UInt64>, ScratchTable<Int8>) -> Result
    ) -> Result {
        let byteWords = (max(bytes, 1) + 7) / 8
        if words + byteWords <= 8 {
            var inline: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeMutableBytes(of: &inline) { raw in
                let (wordTable, byteTable) = split(raw.bindMemory(to: UInt64.self), words: words, bytes: bytes)
                return body(wordTable, byteTable)
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words + byteWords) { storage in
            storage.initialize(repeating: 0)
            let (wordTable, byteTable) = split(storage, words: words, bytes: bytes)
            return body(wordTable, byteTable)
        }
    }

    @inlinable @inline(__always)
    static func split(
        _ storage: UnsafeMutableBufferPointer<UInt64>, words: Int, bytes: Int
    ) -> (ScratchTable<UInt64>, ScratchTable<Int8>) {
        let wordTable = UnsafeMutableBufferPointer(rebasing: storage[..<words])
        let byteStart = UnsafeMutableRawPointer(storage.baseAddress! + words).bindMemory(to: Int8.self, capacity: bytes)
        return (ScratchTable(wordTable), ScratchTable(UnsafeMutableBufferPointer(start: byteStart, count: bytes)))
    }
}

/// A mutable table handed out by `Scratch`; valid only inside the call that made it.
/// Indexes from zero; bounds are checked in debug builds.
@frozen
@usableFromInline package struct ScratchTable<Element> {
    @usableFromInline let buffer: UnsafeMutableBufferPointer<Element>

    @inlinable init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }

    /// An empty table, for a holder that is given its table later.
    @inlinable package init() { buffer = UnsafeMutableBufferPointer(start: nil, count: 0) }

    @inlinable package var count: Int { buffer.count }
    @inlinable package var indices: Range<Int> { 0..<buffer.count }

    @inlinable @inline(__always)
    package subscript(position: Int) -> Element {
        unsafeAddress {
            assert(position >= 0 && position < buffer.count, "table index out of range")
            return UnsafePointer(buffer.baseAddress.unsafelyUnwrapped + position)
        }
        nonmutating unsafeMutableAddress {
            assert(position >= 0 && position < buffer.count, "table index out of range")
            return buffer.baseAddress.unsafelyUnwrapped + position
        }
    }

    /// Sets every element to `value`.
    @inlinable package func fill(_ value: Element) { buffer.update(repeating: value) }

    /// The first `count` elements and the rest, as two tables over the same memory.
    @inlinable @inline(__always)
    package func split(at count: Int) -> (ScratchTable, ScratchTable) {
        (ScratchTable(UnsafeMutableBufferPointer(rebasing: buffer[..<count])),
         ScratchTable(UnsafeMutableBufferPointer(rebasing: buffer[count...])))
    }
}

extension ScratchTable where Element == UInt64 {
    /// `self[i] &= table[start + i]` for every word of `self`: a row of a plan's bit
    /// sets intersected into a decision's, over raw pointers so the loop is vectorized
    /// (through the subscripts it was a checked add and a load per word, measured).
    @inlinable
    package func formIntersection(with table: ArenaTable<UInt64>, from start: Int) {
        precondition(start >= 0 && start <= table.count - buffer.count, "row outside the table")
        guard let target = buffer.baseAddress, let source = table.buffer.baseAddress else { return }
        let row = source + start
        for index in 0..<buffer.count { target[index] &= row[index] }
    }
}

/// A read-only view of an array's elements for the length of one call: reading an
/// element neither checks the array's uniqueness nor retains its storage
/// (README.md, invariant 5).
@frozen
@usableFromInline package struct BorrowedTable<Element>: RandomAccessCollection {
    @usableFromInline let buffer: UnsafeBufferPointer<Element>

    @inlinable package init(_ buffer: UnsafeBufferPointer<Element>) { self.buffer = buffer }

    @inlinable package var startIndex: Int { 0 }
    @inlinable package var endIndex: Int { buffer.count }

    /// Iterates as `UnsafeBufferPointer` does: a pointer walk, not an index and a subscript.
    @inlinable package func makeIterator() -> UnsafeBufferPointer<Element>.Iterator { buffer.makeIterator() }

    /// The element at `position`, read in place (see `ArenaTable`'s subscript).
    @inlinable @inline(__always)
    package subscript(position: Int) -> Element {
        unsafeAddress {
            assert(position >= 0 && position < buffer.count, "table index out of range")
            return buffer.baseAddress.unsafelyUnwrapped + position
        }
    }
}

extension Array {
    /// Calls `body` with a view of the elements, valid only during the call.
    @inlinable @inline(__always)
    package func withBorrowedTable<Result>(_ body: (BorrowedTable<Element>) -> Result) -> Result {
        // `body` is called directly, not from inside `withUnsafeBufferPointer`'s closure:
        // nested there, the optimizer kept it out of line (measured: the window count's
        // loop became a call with retained captures). The array is native and immutable
        // here, so its buffer stays put while `self` lives, which `Borrow` guarantees.
        Borrow.table(withUnsafeBufferPointer { $0 }, keptAliveBy: self, body)
    }
}

/// Borrowing memory that an owner keeps alive, for the length of one call.
@usableFromInline package enum Borrow {
    /// Calls `body` with a view of `buffer`, keeping `owner` (which keeps the buffer's
    /// memory alive) alive until `body` returns.
    @inlinable @inline(__always)
    package static func table<Owner, Element, Result>(
        _ buffer: UnsafeBufferPointer<Element>, keptAliveBy owner: Owner, _ body: (BorrowedTable<Element>) -> Result
    ) -> Result {
        defer { _fixLifetime(owner) }
        return body(BorrowedTable(buffer))
    }
}
