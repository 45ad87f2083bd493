import CELRuntime

/// Bounds on what a request may be, so a hostile or broken client costs bounded work.
package struct RequestLimits: Sendable, Hashable {
    /// The largest request, in bytes (default 1 MiB).
    package var maxBytes: Int
    /// The deepest nesting of objects and arrays; the request object itself is level 1
    /// (default 32).
    package var maxDepth: Int
    /// The most elements one array may have (default 10 000).
    package var maxListLength: Int
    /// Decoding stops after this many errors (default 20).
    package var maxErrors: Int

    package init(maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxListLength: Int = 10_000, maxErrors: Int = 20) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxListLength = maxListLength
        self.maxErrors = max(1, maxErrors)
    }

    /// The defaults: 1 MiB, depth 32, 10 000 elements per array, 20 errors.
    package static let `default` = RequestLimits()
}

/// A request decoded and validated against the schema: the root object with every field
/// typed as declared, and absent optional fields defaulted or zero-filled.
public struct DecodedRequest: Sendable {
    /// The request object; its fields are the CEL variables of the same names.
    package let root: ObjectValue
    private let plan: DecodePlan

    init(root: ObjectValue, plan: DecodePlan) {
        self.root = root
        self.plan = plan
    }

    /// The request as a CEL value (the `request` variable).
    package var value: Value { .object(root) }

    /// The request's `id` (a string field named `id`), if the schema has one and it is set.
    public var id: String? {
        guard plan.idSlot >= 0, case .string(let id)? = root.fields[plan.idSlot] else { return nil }
        return id
    }

    /// When the request was made (a timestamp field named `at`), if present.
    package var at: CELTimestamp? {
        guard plan.atSlot >= 0, case .timestamp(let at)? = root.fields[plan.atSlot] else { return nil }
        return at
    }

    /// The locale for messages (a string field named `locale`, after its default), if present.
    public var locale: String? {
        guard plan.localeSlot >= 0, case .string(let locale)? = root.fields[plan.localeSlot] else { return nil }
        return locale
    }

    /// A top-level field by name; nil when absent or undeclared.
    package subscript(field: String) -> Value? { root[field] }
}

/// Decodes JSON requests into typed CEL values, validating them against a
/// `RequestSchema` in the same single pass.
///
/// Rules (see `docs/policy-language.md`, `schema`):
/// - The body must be one JSON object (RFC 8259, UTF-8). Strings must be valid UTF-8;
///   `\uXXXX` escapes are decoded, surrogate pairs joined, lone surrogates rejected.
/// - Fields the schema does not declare are errors (`request-unknown-field`, with a
///   did-you-mean): a misspelt optional field would otherwise be silently zero-filled
///   and decide the wrong way. A field given twice is an error too
///   (`request-duplicate-field`): JSON readers disagree on which copy wins.
/// - A required field that is absent or `null` is `request-missing-field`. An optional
///   one that is absent or `null` takes its default, else its zero value (objects
///   recursively, lists `[]`, maps `{}`, strings and enums `""`, numbers `0`, decimals
///   `0`, bools `false`); timestamps, durations and `dyn` fields stay absent.
/// - `int`: a JSON integer within 64 bits (`1.5` and `1e3` are type mismatches).
///   `decimal`: a string such as `"129.99"`, or a JSON number read exactly from its text.
///   `timestamp`: RFC 3339 with `Z` or an offset. `duration`: CEL duration text (`"30m"`).
///   Enums: one of their strings, exactly.
/// - Limits: `RequestLimits`. Invalid JSON and broken limits stop decoding; other
///   problems are collected, up to `RequestLimits.maxErrors`, in the order met.
@usableFromInline package struct RequestDecoder: Sendable {
    package let schema: RequestSchema
    package let limits: RequestLimits
    private let plan: DecodePlan

    /// Prepares per-type lookup tables and zero values once; decoding reuses them.
    package init(schema: RequestSchema, limits: RequestLimits = .default) {
        self.schema = schema
        self.limits = limits
        self.plan = DecodePlan(schema: schema)
    }

    /// Decodes a request from UTF-8 bytes.
    @usableFromInline package func decode(_ bytes: UnsafeRawBufferPointer) -> Result<DecodedRequest, RequestError> {
        guard bytes.count <= limits.maxBytes else {
            let error = PendingError(problem: .tooLarge(size: bytes.count, limit: limits.maxBytes), reversedPath: [], offset: limits.maxBytes)
            return .failure(RequestError(errors: [error.rendered()]))
        }
        var parser = RequestParser(plan: plan, limits: limits, input: bytes)
        if let root = parser.parseRoot() {
            return .success(DecodedRequest(root: root, plan: plan))
        }
        return .failure(RequestError(errors: parser.errors.map { $0.rendered() }, truncated: parser.truncated))
    }

    /// Decodes a request from UTF-8 bytes (`[UInt8]`, `Data`, a slice, …).
    @inlinable  // specialised in the caller, so `[UInt8]` reaches its bytes without dynamic dispatch
    package func decode(_ bytes: some Collection<UInt8>) -> Result<DecodedRequest, RequestError> {
        if let result = bytes.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { decode($0) }
    }

    /// Decodes a request from JSON text.
    package func decode(_ text: String) -> Result<DecodedRequest, RequestError> {
        var text = text
        // Native strings are contiguous UTF-8 already; this copies only bridged ones.
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }
}
