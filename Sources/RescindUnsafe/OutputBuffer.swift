// The JSON module's raw memory, all of it in this file (the fast path: a decision is a few
// hundred small appends, each of which an `Array` would check for uniqueness and capacity).
//
// Invariants, written down once:
// - `base[0 ..< count]` is initialized and `count <= capacity`; every store is preceded
//   by `reserve(n)` for at least the bytes it writes (a word store reserves 8).
// - The memory is the caller's scratch (`ownsMemory == false`, it outlives the buffer:
//   `withScratch` scopes both) or the buffer's own, allocated in `grow`/`init(capacity:)`
//   and freed exactly once in `finish` (which `withScratch`/`bytes` call on every path).
//   No code outside this file sees `base`: the rest of the module and its clients write
//   through the methods below.
// - Word loads in the escape scan never read past `utf8.count` bytes (ragged ends are
//   read as overlapping words ending with the string).

/// A growable byte buffer for JSON text: starts in the caller's stack scratch when there
/// is one, moves to the heap (doubling) when it runs out. Create one with `withScratch`
/// or `bytes`, which hand over the bytes and free the memory.
@usableFromInline package struct OutputBuffer {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int
    /// Whether `base` was allocated by the buffer (else it is the caller's scratch).
    @usableFromInline var ownsMemory: Bool

    @usableFromInline
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        ownsMemory = true
    }

    @usableFromInline
    init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        if let start = scratch.baseAddress, scratch.count >= 64 {
            base = start
            capacity = scratch.count
            ownsMemory = false
        } else {
            capacity = 2048
            base = .allocate(capacity: capacity)
            ownsMemory = true
        }
    }

    /// Runs `body` on a buffer that starts in `stackCapacity` bytes of stack (most
    /// decisions fit: no allocation) and appends what it wrote to `bytes`, in one copy.
    @inlinable
    package static func withScratch(
        stackCapacity: Int, appendingTo bytes: inout [UInt8], _ body: (inout OutputBuffer) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stackCapacity) { scratch in
            var out = OutputBuffer(scratch: scratch)
            body(&out)
            out.finish(appendingTo: &bytes)
        }
    }

    /// The bytes `body` writes, in a buffer of the given starting capacity on the heap.
    @inlinable
    package static func bytes(capacity: Int = 256, _ body: (inout OutputBuffer) -> Void) -> [UInt8] {
        var out = OutputBuffer(capacity: capacity)
        body(&out)
        var bytes: [UInt8] = []
        out.finish(appendingTo: &bytes)
        return bytes
    }

    /// Appends what was written to `buffer` and releases the buffer's memory.
    @usableFromInline
    mutating func finish(appendingTo buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        if ownsMemory { base.deallocate() }
        ownsMemory = false
        count = 0
        capacity = 0
    }

    /// How many bytes were written.
    package var written: Int { count }

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    mutating func reserve(_ extra: Int) {
        if capacity &- count < extra { grow(extra) }
    }

    @usableFromInline @inline(never)
    mutating func grow(_ extra: Int) {
        precondition(capacity > 0, "an OutputBuffer was written to after `finish`")
        let newCapacity = max(capacity * 2, count + extra, 4096)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        if ownsMemory { base.deallocate() }
        base = newBase
        capacity = newCapacity
        ownsMemory = true
    }

    @inlinable @inline(__always)
    package mutating func byte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    /// Fixed text, written as is: it must be valid JSON where it goes.
    @inlinable @inline(__always)
    package mutating func literal(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        (base + count).update(from: text.utf8Start, count: length)
        count &+= length
    }

    /// Bytes that are JSON already (or need no escaping), as they are.
    @inlinable
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// Bytes of a slice (JSON already), as they are.
    @inlinable
    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// Text that needs no escaping (digits, times), as is.
    @inlinable
    package mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    @usableFromInline
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// The low `length` (1 … 8) bytes of `word`, lowest first: fixed-width text built
    /// in a register (`RFC3339` writes a time as three words and a zone).
    @inlinable @inline(__always)
    package mutating func word(_ word: UInt64, length: Int) {
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: word.littleEndian, as: UInt64.self)
        count &+= length
    }

    /// A decimal integer, digit by digit, at least `minimumDigits` long (zeros first).
    package mutating func integer(_ value: Int64, minimumDigits: Int = 1) {
        reserve(21 + minimumDigits)
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = value.magnitude
        var digits = 0
        repeat {
            base[count + digits] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            digits += 1
        } while magnitude > 0 || digits < minimumDigits
        // Written least significant first: turn them around.
        var written = UnsafeMutableBufferPointer(start: base + count, count: digits)
        written.reverse()
        count += digits
    }

    /// A string in quotes, escaped as needed (see `JSONEscaping`).
    @inlinable @inline(__always)
    package mutating func string(_ value: String) {
        // Native and small strings are contiguous UTF-8 already: no copy.
        if value.utf8.withContiguousStorageIfAvailable({ quoted($0) }) == nil {
            var contiguous = value
            contiguous.withUTF8 { quoted($0) }
        }
    }

    /// UTF-8 bytes as a JSON string in quotes, escaped as needed.
    package mutating func string(utf8 bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { quoted($0) }
    }

    /// A string's UTF-8 in quotes. Most strings need no escaping: they are checked and
    /// copied in one pass, a word at a time, and only a string with a byte to escape is
    /// written again through `escaped`.
    @usableFromInline
    mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        let length = utf8.count
        // Two quotes, and slack for a whole word stored at the end.
        reserve(length + 10)
        let out = base + count
        out[0] = 0x22
        if let source = utf8.baseAddress, length > 0 {
            let from = UnsafeRawPointer(source)
            let to = UnsafeMutableRawPointer(out + 1)
            if length >= 8 {
                var index = 0
                while index + 8 <= length {
                    let word = from.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if JSONEscaping.mayNeedEscaping(word) { return escaped(utf8) }
                    to.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                if index < length {
                    // The ragged end as one word ending with the string, overlapping
                    // bytes already copied.
                    let word = from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
                    if JSONEscaping.mayNeedEscaping(word) { return escaped(utf8) }
                    to.storeBytes(of: word, toByteOffset: length - 8, as: UInt64.self)
                }
            } else {
                // 1 … 7 bytes: two loads that overlap in the middle, never reading past
                // the end; the unused high bytes of the checked word are a harmless `a`.
                let word: UInt64
                if length >= 4 {
                    let low = from.loadUnaligned(as: UInt32.self)
                    let high = from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
                    word = UInt64(low) | UInt64(high) << 32
                    to.storeBytes(of: low, as: UInt32.self)
                    to.storeBytes(of: high, toByteOffset: length - 4, as: UInt32.self)
                } else if length >= 2 {
                    let low = from.loadUnaligned(as: UInt16.self)
                    let high = from.loadUnaligned(fromByteOffset: length - 2, as: UInt16.self)
                    word = UInt64(low) | UInt64(high) << 16 | 0x6161_6161_0000_0000
                    to.storeBytes(of: low, as: UInt16.self)
                    to.storeBytes(of: high, toByteOffset: length - 2, as: UInt16.self)
                } else {
                    word = UInt64(source[0]) | 0x6161_6161_6161_6100
                    out[1] = source[0]
                }
                if JSONEscaping.mayNeedEscaping(word) { return escaped(utf8) }
            }
        }
        out[1 + length] = 0x22
        count += length + 2
    }

    /// `utf8` quoted and escaped, straight into the reserved bytes.
    @inline(never)
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        escaped(utf8, quoted: true)
    }

    /// Part of a JSON string's content, escaped as needed, without quotes: a text
    /// written in pieces (a reason's literal runs and the values in its holes).
    package mutating func content(_ value: String) {
        if value.utf8.withContiguousStorageIfAvailable({ content($0) }) == nil {
            var contiguous = value
            contiguous.withUTF8 { content($0) }
        }
    }

    /// `bytes[range]` (UTF-8) as part of a JSON string's content, escaped as needed.
    package mutating func content(_ bytes: ArenaTable<UInt8>, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range outside the table")
        content(UnsafeBufferPointer(rebasing: bytes.buffer[range]))
    }

    /// `bytes[range]`, JSON already, as they are.
    @inlinable
    package mutating func append(_ bytes: ArenaTable<UInt8>, _ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range outside the table")
        append(UnsafeBufferPointer(rebasing: bytes.buffer[range]))
    }

    private mutating func content(_ utf8: UnsafeBufferPointer<UInt8>) {
        if JSONEscaping.needsEscaping(utf8) { escaped(utf8, quoted: false) } else { append(utf8) }
    }

    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>, quoted: Bool) {
        reserve(JSONEscaping.maxLength(utf8.count))
        var next = base + count
        func put(_ byte: UInt8) {
            next.pointee = byte
            next += 1
        }
        if quoted { put(0x22) }
        for byte in utf8 {
            switch byte {
            case 0x22, 0x5C:
                put(0x5C)
                put(byte)
            case 0x0A:
                put(0x5C)
                put(UInt8(ascii: "n"))
            case 0x0D:
                put(0x5C)
                put(UInt8(ascii: "r"))
            case 0x09:
                put(0x5C)
                put(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                put(0x5C)
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "0"))
                put(JSONEscaping.hexDigit(byte >> 4))
                put(JSONEscaping.hexDigit(byte & 0x0F))
            default:
                put(byte)
            }
        }
        if quoted { put(0x22) }
        count += (base + count).distance(to: next)
    }
}

extension JSONEscaping {
    /// Whether any byte of `text` is a control character, `"`, `\\` or DEL: the word scan
    /// over a whole string (the writer's own runs fused with its copy).
    package static func needsEscaping(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { needsEscaping($0) }
    }

    /// The same over UTF-8 bytes.
    package static func needsEscaping(utf8 bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { needsEscaping($0) }
    }

    static func needsEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        var index = 0
        while index + 8 <= utf8.count {
            if mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { return true }
            index += 8
        }
        while index < utf8.count {
            if needsEscaping(utf8[index]) { return true }
            index += 1
        }
        return false
    }
}
