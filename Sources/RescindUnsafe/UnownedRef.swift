/// A reference that is not counted: copying and reading it adjusts no reference count.
/// Its holder keeps the object alive by other means (README.md, invariant 4).
@frozen
@usableFromInline package struct UnownedRef<Object: AnyObject>: BitwiseCopyable {
    @usableFromInline let reference: Unmanaged<Object>

    @inlinable package init(_ object: Object) { reference = .passUnretained(object) }

    /// Calls `body` with the object, guaranteed alive for the call, without retaining it.
    @inlinable @inline(__always)
    package func withObject<Result>(_ body: (Object) throws -> Result) rethrows -> Result {
        try reference._withUnsafeGuaranteedRef(body)
    }

    /// The object, as a strong reference (retained as any other).
    @inlinable package var object: Object { reference.takeUnretainedValue() }
}

extension UnownedRef: @unchecked Sendable where Object: Sendable {}
