import Foundation

/// The one owner of a compiled plan's raw memory: tables are carved out of large
/// blocks and all of it is freed together when the arena goes away (see README.md,
/// invariants 1–3).
package final class PlanArena: @unchecked Sendable {
    private struct Block {
        let start: UnsafeMutableRawPointer
        let size: Int
    }

    /// A table whose elements must be deinitialized when the arena is freed.
    private struct Deinitializer {
        let start: UnsafeMutableRawPointer
        let count: Int
        let deinitialize: (UnsafeMutableRawPointer, Int) -> Void
    }

    private let lock = NSLock()
    private var blocks: [Block] = []
    private var deinitializers: [Deinitializer] = []
    private var next: UnsafeMutableRawPointer?
    private var remaining = 0
    /// The size of the next block; doubles up to `maxBlockSize` so a small plan wastes little.
    private var blockSize: Int
    private static let maxBlockSize = 64 * 1024

    /// The bytes reserved so far, for tests and memory reports.
    package var reservedBytes: Int { lock.withLock { blocks.reduce(0) { $0 + $1.size } } }

    /// An empty arena; `initialBlockSize` is the first block's size in bytes.
    package init(initialBlockSize: Int = 512) {
        blockSize = max(64, initialBlockSize)
    }

    deinit {
        for table in deinitializers { table.deinitialize(table.start, table.count) }
        for block in blocks { block.start.deallocate() }
    }

    /// A table holding `source`'s elements, in this arena's memory.
    package func table<Element: BitwiseCopyable>(_ source: some Collection<Element>) -> ArenaTable<Element> {
        lock.withLock { copy(source) }
    }

    /// A table holding `source`'s elements, in this arena's memory; the elements are
    /// deinitialized when the arena is freed.
    @_disfavoredOverload
    package func table<Element>(_ source: some Collection<Element>) -> ArenaTable<Element> {
        lock.withLock {
            let table = copy(source)
            if let start = table.buffer.baseAddress, table.count > 0 {
                deinitializers.append(Deinitializer(start: UnsafeMutableRawPointer(mutating: start), count: table.count) {
                    $0.assumingMemoryBound(to: Element.self).deinitialize(count: $1)
                })
            }
            return table
        }
    }

    /// Copies `source` into fresh memory; the caller holds the lock.
    private func copy<Element>(_ source: some Collection<Element>) -> ArenaTable<Element> {
        let count = source.count
        guard count > 0 else { return ArenaTable() }
        let stride = MemoryLayout<Element>.stride
        let start = reserve(bytes: stride * count, alignment: MemoryLayout<Element>.alignment)
        let typed = start.bindMemory(to: Element.self, capacity: count)
        let buffer = UnsafeMutableBufferPointer(start: typed, count: count)
        let written = buffer.initialize(fromContentsOf: source)
        precondition(written == count, "a collection's count changed while it was copied")
        return ArenaTable(UnsafeBufferPointer(buffer))
    }

    private func reserve(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if let next {
            let padding = (alignment - Int(bitPattern: next) % alignment) % alignment
            if padding + bytes <= remaining {
                let start = next + padding
                self.next = start + bytes
                remaining -= padding + bytes
                return start
            }
        }
        let size = max(blockSize, bytes + alignment)
        blockSize = min(blockSize * 2, Self.maxBlockSize)
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: max(alignment, 16))
        blocks.append(Block(start: block, size: size))
        next = block + bytes
        remaining = size - bytes
        return block
    }
}

/// An immutable table in a `PlanArena`: reading an element is a load, and copying the
/// table adjusts no reference count. Valid while its arena lives (README.md, invariant 2).
/// Indexes from zero.
@frozen
@usableFromInline package struct ArenaTable<Element>: RandomAccessCollection, BitwiseCopyable {
    @usableFromInline let buffer: UnsafeBufferPointer<Element>

    @inlinable init(_ buffer: UnsafeBufferPointer<Element>) { self.buffer = buffer }

    /// An empty table, which needs no arena.
    @inlinable package init() { buffer = UnsafeBufferPointer(start: nil, count: 0) }

    @inlinable package var startIndex: Int { 0 }
    @inlinable package var endIndex: Int { buffer.count }
    @inlinable package var count: Int { buffer.count }

    /// Iterates as `UnsafeBufferPointer` does: a pointer walk, not an index and a subscript.
    @inlinable package func makeIterator() -> UnsafeBufferPointer<Element>.Iterator { buffer.makeIterator() }

    /// The elements in place, for algorithms that take contiguous storage (and for tests
    /// that check where a table was put).
    @inlinable
    package func withContiguousStorageIfAvailable<Result>(
        _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) rethrows -> Result? {
        try body(buffer)
    }

    /// The element at `position`, read in place (an addressor, as `UnsafeBufferPointer`
    /// has: matching on an element copies nothing, so retains nothing); bounds are
    /// checked in debug builds.
    @inlinable @inline(__always)
    package subscript(position: Int) -> Element {
        unsafeAddress {
            assert(position >= 0 && position < buffer.count, "table index out of range")
            return buffer.baseAddress.unsafelyUnwrapped + position
        }
    }
}

extension ArenaTable: @unchecked Sendable where Element: Sendable {}
