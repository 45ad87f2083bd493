import RescindUnsafe

/// A JSON writer over bytes that keeps members in the order written, so the same value
/// always produces the same bytes; every JSON text the project writes goes through it
/// (decisions and explanations, decision-log lines, reports).
///
/// Two ways to write: literals for fixed structure (`literal(#","effect":"#)`, the
/// decision's own members), or `key`/`element`/`beginObject`…, which track where
/// commas go (shapes that vary). Its memory is an `OutputBuffer`: get a writer from
/// `JSONWriter.write(appendingTo:)` (stack first) or `JSONWriter.bytes`/`text`.
@usableFromInline package struct JSONWriter {
    /// What `write(appendingTo:)` reserves on the stack by default: most decisions fit.
    @usableFromInline package static let stackCapacity = 4096

    @usableFromInline var out: OutputBuffer
    /// One bit per open object or array: whether it already has a member. Values nest a
    /// few levels; deeper nesting spills into `overflow`.
    @usableFromInline var hasMember: UInt64 = 0
    @usableFromInline var depth = 0
    @usableFromInline var overflow: [Bool] = []

    @usableFromInline
    init(_ out: OutputBuffer) { self.out = out }

    /// Runs `body` with a writer that starts on the stack and appends what it wrote to
    /// `bytes` in one copy (for streams: no intermediate string).
    @inlinable
    package static func write(
        appendingTo bytes: inout [UInt8], stackCapacity: Int = JSONWriter.stackCapacity, _ body: (inout JSONWriter) -> Void
    ) {
        OutputBuffer.withScratch(stackCapacity: stackCapacity, appendingTo: &bytes) { buffer in
            var writer = JSONWriter(buffer)
            body(&writer)
            buffer = writer.out
        }
    }

    /// The bytes `body` writes.
    @inlinable
    package static func bytes(capacity: Int = 256, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        OutputBuffer.bytes(capacity: capacity) { buffer in
            var writer = JSONWriter(buffer)
            body(&writer)
            buffer = writer.out
        }
    }

    /// The text `body` writes.
    @inlinable
    package static func text(capacity: Int = 256, _ body: (inout JSONWriter) -> Void) -> String {
        String(decoding: bytes(capacity: capacity, body), as: UTF8.self)
    }

    // MARK: Raw output

    @inlinable @inline(__always)
    package mutating func byte(_ byte: UInt8) { out.byte(byte) }

    /// Fixed text: keys with the punctuation around them, `true`, `null`. It is written
    /// as is, so it must be valid JSON where it goes (no escaping is done).
    @inlinable @inline(__always)
    package mutating func literal(_ text: StaticString) { out.literal(text) }

    /// Bytes that are JSON already, as they are.
    @inlinable
    package mutating func append(_ bytes: [UInt8]) { out.append(bytes) }

    /// Bytes of a slice that are JSON already, as they are.
    @inlinable
    package mutating func append(_ bytes: ArraySlice<UInt8>) { out.append(bytes) }

    /// Text that is JSON already or needs no escaping (digits, times), as is.
    @inlinable
    package mutating func append(_ text: String) { out.append(text) }

    /// `bytes[range]`, JSON already, as they are (a compiled plan's prepared text).
    @inlinable
    package mutating func append(_ bytes: ArenaTable<UInt8>, _ range: Range<Int>) { out.append(bytes, range) }

    /// Part of a string's content, escaped as needed, between a `byte(0x22)` that opens
    /// the string and one that closes it: a text written piece by piece.
    package mutating func content(_ value: String) { out.content(value) }

    /// `bytes[range]` (UTF-8) as part of a string's content, escaped as needed.
    package mutating func content(_ bytes: ArenaTable<UInt8>, _ range: Range<Int>) { out.content(bytes, range) }

    // MARK: Values

    /// A string in quotes, escaped as needed; `null` for nil.
    @inlinable @inline(__always)
    package mutating func string(_ value: String?) {
        guard let value else { return out.literal("null") }
        out.string(value)
    }

    /// UTF-8 bytes as a JSON string (invalid UTF-8 is copied as is).
    package mutating func string(utf8 bytes: [UInt8]) { out.string(utf8: bytes) }

    /// A string known to need no escaping (numbers, times), in quotes.
    package mutating func quotedPlain(_ value: String) {
        out.byte(0x22)
        out.append(value)
        out.byte(0x22)
    }

    package mutating func bool(_ value: Bool) {
        if value { out.literal("true") } else { out.literal("false") }
    }

    /// A decimal integer.
    package mutating func integer(_ value: Int64) { out.integer(value) }

    /// A decimal integer.
    package mutating func integer(_ value: Int) { out.integer(Int64(value)) }

    /// An instant in RFC 3339, in quotes (see `RFC3339.write`).
    package mutating func time(seconds: Int64, nanoseconds: Int32 = 0, fraction: RFC3339.Fraction = .none, offset: Int = 0) {
        out.byte(0x22)
        RFC3339.write(seconds: seconds, nanoseconds: nanoseconds, fraction: fraction, offset: offset, into: &out)
        out.byte(0x22)
    }

    /// An array of strings.
    package mutating func strings(_ values: [String]) {
        beginArray()
        for value in values {
            separate()
            out.string(value)
        }
        endArray()
    }

    // MARK: Structure

    /// Starts a member whose name is written in the source: plain ASCII, no scan.
    package mutating func key(_ name: StaticString) {
        separate()
        out.byte(0x22)
        out.literal(name)
        out.literal("\":")
    }

    /// Starts a member whose name comes from a policy or a request (escaped as needed).
    package mutating func key(named name: String) {
        separate()
        out.string(name)
        out.byte(UInt8(ascii: ":"))
    }

    /// Starts an array element (the comma before all but the first).
    package mutating func element() { separate() }

    package mutating func beginObject() {
        out.byte(UInt8(ascii: "{"))
        open()
    }

    package mutating func endObject() {
        close()
        out.byte(UInt8(ascii: "}"))
    }

    package mutating func beginArray() {
        out.byte(UInt8(ascii: "["))
        open()
    }

    package mutating func endArray() {
        close()
        out.byte(UInt8(ascii: "]"))
    }

    /// A member whose value is JSON already: `"name":value`.
    package mutating func member(_ name: StaticString, json value: String) {
        key(name)
        out.append(value)
    }

    /// A member whose value is JSON already, named at run time.
    package mutating func member(named name: String, json value: String) {
        key(named: name)
        out.append(value)
    }

    /// An array element that is JSON already.
    package mutating func element(json value: String) {
        separate()
        out.append(value)
    }

    private mutating func open() {
        depth += 1
        if depth <= 64 { hasMember &= ~(1 << UInt64(depth - 1)) } else { overflow.append(false) }
    }

    private mutating func close() {
        if depth > 64 { overflow.removeLast() }
        depth -= 1
    }

    /// A comma before every member but the first.
    package mutating func separate() {
        if depth <= 64 {
            let bit: UInt64 = 1 << UInt64(depth - 1)
            if hasMember & bit != 0 { out.byte(UInt8(ascii: ",")) }
            hasMember |= bit
        } else {
            if overflow[overflow.count - 1] { out.byte(UInt8(ascii: ",")) }
            overflow[overflow.count - 1] = true
        }
    }
}

// MARK: Members and nesting

extension JSONWriter {
    /// `"name":"value"`, the value escaped; `null` for nil.
    package mutating func member(_ name: StaticString, string value: String?) {
        key(name)
        string(value)
    }

    /// `"name":value`, a decimal integer.
    package mutating func member(_ name: StaticString, integer value: Int) {
        key(name)
        integer(value)
    }

    /// `"name":true` or `"name":false`.
    package mutating func member(_ name: StaticString, bool value: Bool) {
        key(name)
        bool(value)
    }

    /// `"name":["a","b"]`.
    package mutating func member(_ name: StaticString, strings values: [String]) {
        key(name)
        strings(values)
    }

    /// `"name":{…}`, the object's members written by `body`.
    package mutating func member(_ name: StaticString, object body: (inout JSONWriter) -> Void) {
        key(name)
        object(body)
    }

    /// An object whose members `body` writes (commas placed as usual).
    package mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    /// An array whose elements `body` writes, each after `element()`.
    package mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginArray()
        body(&self)
        endArray()
    }

    /// An array of values that are JSON already (objects a renderer wrote), in order.
    package mutating func array(json elements: some Sequence<String>) {
        beginArray()
        for element in elements { self.element(json: element) }
        endArray()
    }
}

/// The escaping rules every JSON string follows; they live beside the raw output
/// buffer that applies them, in the fence (Sources/RescindUnsafe).
package typealias JSONEscaping = RescindUnsafe.JSONEscaping
