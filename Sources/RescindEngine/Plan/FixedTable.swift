/// An immutable array in memory that its owner allocates once and frees in its
/// `deinit`. Reading an element of plain data (numbers, ranges, unmanaged references)
/// is a load: unlike an `Array` stored in a class, no reference count is adjusted,
/// which on the decision path costs more than the read.
///
/// The owner must outlive every copy of the table, and must call `deallocate()` once.
struct FixedTable<Element: Sendable>: @unchecked Sendable {
    /// The elements; bounds are checked in debug builds like an array's.
    let elements: UnsafeBufferPointer<Element>

    init(_ source: some Collection<Element>) {
        let storage = UnsafeMutablePointer<Element>.allocate(capacity: max(source.count, 1))
        let buffer = UnsafeMutableBufferPointer(start: storage, count: source.count)
        _ = buffer.initialize(fromContentsOf: source)
        elements = UnsafeBufferPointer(buffer)
    }

    var count: Int { elements.count }

    @inline(__always)
    subscript(index: Int) -> Element { elements[index] }

    /// Frees the memory; the owner calls it once, from its `deinit`.
    func deallocate() {
        let storage = UnsafeMutableBufferPointer(mutating: elements)
        storage.deinitialize()
        storage.baseAddress?.deallocate()
    }
}
