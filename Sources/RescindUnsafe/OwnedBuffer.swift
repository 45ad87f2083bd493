/// A fixed-size mutable buffer with one owner: noncopyable, so it frees its memory in
/// its own `deinit` and its holder cannot forget to (README.md, invariant 6). Reading
/// and writing an element adjusts no reference count.
@frozen
@usableFromInline package struct OwnedBuffer<Element: BitwiseCopyable>: ~Copyable {
    @usableFromInline let buffer: UnsafeMutableBufferPointer<Element>

    /// `count` elements, each `value`.
    @inlinable
    package init(repeating value: Element, count: Int) {
        let memory = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(count, 1))
        memory.initialize(repeating: value)
        buffer = UnsafeMutableBufferPointer(rebasing: memory[..<count])
    }

    deinit { buffer.deallocate() }

    @inlinable package var count: Int { buffer.count }

    /// The element at `position`; bounds are checked in debug builds.
    @inlinable @inline(__always)
    package subscript(position: Int) -> Element {
        unsafeAddress {
            assert(position >= 0 && position < buffer.count, "buffer index out of range")
            return UnsafePointer(buffer.baseAddress.unsafelyUnwrapped + position)
        }
        nonmutating unsafeMutableAddress {
            assert(position >= 0 && position < buffer.count, "buffer index out of range")
            return buffer.baseAddress.unsafelyUnwrapped + position
        }
    }
}

extension OwnedBuffer: @unchecked Sendable where Element: Sendable {}
