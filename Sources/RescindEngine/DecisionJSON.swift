import CELRuntime
import RescindDiagnostics

extension Decision {
    /// The decision as one line of JSON with fixed keys in a fixed order (services rely
    /// on them): `request_id`, `effect`, `deciding_rules`, `matched_rules`,
    /// `obligations`, `reasons`, `locale`, `policy`, `problems` (only when there
    /// were some: each with `kind`, `rule`, `expression`, `location` and `message`) and `explanation` (only when asked for).
    public var json: String {
        var bytes: [UInt8] = []
        writeJSON(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `json`'s bytes to `buffer` (for streams: no intermediate string).
    public func writeJSON(into buffer: inout [UInt8]) {
        // Most decisions are a few hundred bytes: written in a stack buffer and appended
        // in one copy, a decision costs no allocation (the writer moves to the heap only
        // when a decision outgrows it).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: JSONWriter.stackCapacity) { scratch in
            var out = JSONWriter(scratch: scratch)
            write(into: &out)
            out.finish(appendingTo: &buffer)
        }
    }

    /// The members in their fixed order. Keys and the punctuation between them are
    /// written as literals (`,"effect":`), so the fixed parts need no comma bookkeeping;
    /// no arrays of ids, reasons or obligations are built, and no closures hold copies
    /// of the decision.
    private func write(into out: inout JSONWriter) {
        let outcomes = policySet.outcomes
        out.literal(#"{"request_id":"#)
        out.string(requestID)
        switch effect {
        case .allow: out.literal(#","effect":"allow","deciding_rules":["#)
        case .review: out.literal(#","effect":"review","deciding_rules":["#)
        case .deny: out.literal(#","effect":"deny","deciding_rules":["#)
        }
        var first = true
        for index in deciding {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.string(outcomes[index].id)
        }
        out.literal(#"],"matched_rules":["#)
        first = true
        for index in matched {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.string(outcomes[index].id)
        }
        out.literal(#"],"obligations":["#)
        first = true
        if let refund {
            first = false
            out.refund(refund)
        }
        forEachRuleObligation { obligation in
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.obligation(obligation)
        }
        out.literal(#"],"reasons":["#)
        first = true
        forEachReason { rule, text in
            out.literal(first ? #"{"rule":"# : #",{"rule":"#)
            first = false
            out.string(rule)
            out.literal(#","text":"#)
            out.string(text)
            out.byte(UInt8(ascii: "}"))
        }
        out.literal(#"],"locale":"#)
        out.string(locale)
        policySet.policyMemberJSON.withUnsafeBufferPointer { out.append($0) }
        if !problems.isEmpty {
            out.literal(#","problems":["#)
            first = true
            for problem in problems {
                out.literal(first ? #"{"kind":"# : #",{"kind":"#)
                first = false
                out.string(problem.kind.rawValue)
                out.literal(#","rule":"#)
                out.string(problem.rule)
                out.literal(#","expression":"#)
                out.string(problem.expression)
                out.literal(#","location":"#)
                out.string(problem.location.description)
                out.literal(#","message":"#)
                out.string(problem.message)
                out.byte(UInt8(ascii: "}"))
            }
            out.byte(UInt8(ascii: "]"))
        }
        if let explanation {
            out.literal(#","explanation":"#)
            explanation.write(into: &out)
        }
        out.byte(UInt8(ascii: "}"))
    }
}

extension Explanation {
    /// Member by member, like the decision: no closures, locations and counts written
    /// as bytes rather than built as strings.
    func write(into out: inout JSONWriter) {
        let words = self.words
        out.beginObject()
        out.key("rules")
        out.beginArray()
        for rule in rules {
            out.element()
            out.beginObject()
            out.key("id")
            out.string(rule.id)
            out.key("description")
            out.string(rule.description)
            out.key("effect")
            out.string(rule.effect.rawValue)
            out.key("matched")
            out.bool(rule.matched)
            out.key("location")
            out.location(rule.location)
            out.key("conditions")
            out.beginArray()
            for condition in rule.conditions {
                out.element()
                out.beginObject()
                out.key("expression")
                out.string(condition.expression)
                out.key("location")
                out.location(condition.location)
                out.key("outcome")
                switch condition.outcome {
                case .true: out.string("true")
                case .false: out.string("false")
                case .notEvaluated: out.string("not_evaluated")
                case .error(let message):
                    out.string("error")
                    out.key("error")
                    out.string(message)
                }
                out.key("values")
                out.beginObject()
                for observed in condition.observed {
                    out.key(named: observed.path)
                    out.string(observed.value)
                }
                out.endObject()
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.key("thresholds")
        out.beginArray()
        for threshold in thresholds {
            out.element()
            out.beginObject()
            out.key("id")
            out.string(threshold.id)
            out.key("applied")
            out.bool(threshold.applied)
            if let count = threshold.count {
                out.key("count")
                out.integer(count)
            }
            out.key("tier")
            out.string(threshold.tier)
            out.key("text")
            out.string(words.text(threshold))
            // As the text shows them: the threshold's, then the reached tier's.
            out.key("description")
            out.string(threshold.description)
            if let tier = threshold.tierDescription {
                out.key("tier_description")
                out.string(tier)
            }
            out.key("location")
            out.location(threshold.location)
            out.endObject()
        }
        out.endArray()
        if let refund {
            out.key("refund")
            out.beginObject()
            out.key("location")
            out.location(refund.location)
            out.key("steps")
            out.beginArray()
            for step in refund.steps {
                out.element()
                out.beginObject()
                out.key("label")
                out.string(step.label)
                out.key("text")
                out.string(step.text)
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        // Read once: deriving advice decides changed requests again.
        let advice = self.advice
        out.key("alternatives")
        out.strings(Self.alternatives(effect: effect, rules: rules, thresholds: thresholds, advice: advice, words: words))
        out.key("advice")
        out.beginArray()
        for item in advice {
            out.element()
            out.beginObject()
            out.key("rule")
            out.string(item.rule)
            out.key("effect")
            out.string(item.effect.rawValue)
            out.key("works")
            out.bool(item.works)
            out.key("outcome")
            out.string(item.outcome.rawValue)
            out.key("deciding")
            out.strings(item.deciding)
            out.key("changes")
            out.beginArray()
            for change in item.changes {
                out.element()
                out.beginObject()
                out.key("path")
                out.string(change.path)
                out.key("relation")
                out.string(change.relation.rawValue)
                out.key("value")
                out.append(change.json)
                out.key("now")
                if let current = change.currentJSON { out.append(current) } else { out.literal("null") }
                out.key("condition")
                out.string(change.condition)
                out.key("location")
                out.location(change.location)
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
        out.endArray()
        out.endObject()
    }
}

extension PolicySet {
    /// `,"policy":{"name":…,"version":…,"digest":…}`: the same for every decision of a
    /// set, so written once when the set is made.
    static func policyMemberJSON(name: String, version: String, digest: String) -> [UInt8] {
        var out = JSONWriter()
        out.literal(#","policy":{"name":"#)
        out.string(name)
        out.literal(#","version":"#)
        out.string(version)
        out.literal(#","digest":"#)
        out.string(digest)
        out.byte(UInt8(ascii: "}"))
        var bytes: [UInt8] = []
        out.finish(appendingTo: &bytes)
        return bytes
    }
}

/// A small, allocation-light JSON writer over bytes that keeps keys in the order
/// written, so the same decision always produces the same bytes.
///
/// It writes into raw memory rather than appending to an `Array`, whose every append
/// checks uniqueness and capacity: a decision is a few hundred small appends. The
/// memory is the caller's (`init(scratch:)`, usually on the stack) until it runs out,
/// then the writer's own, grown by doubling. `finish` hands the bytes over and frees
/// what the writer allocated; a writer must be finished exactly once.
///
/// Two ways to write: literals for fixed structure (`literal(#","effect":"#)`, the
/// decision's own members), or `key`/`element`/`beginObject`…, which track where
/// commas go (the explanation, whose shape varies).
struct JSONWriter {
    /// What `Decision.writeJSON(into:)` reserves on the stack: most decisions fit.
    static let stackCapacity = 1024

    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether `base` was allocated by the writer (else it is the caller's scratch).
    private var ownsMemory: Bool
    /// One bit per open object or array: whether it already has a member. Decisions
    /// nest a few levels; deeper nesting spills into `overflow`.
    private var hasMember: UInt64 = 0
    private var depth = 0
    private var overflow: [Bool] = []

    /// A writer with memory of its own.
    init(capacity: Int = 2048) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        ownsMemory = true
    }

    /// A writer that starts in `scratch`, which must outlive it (it is not freed).
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

    /// Appends what was written to `buffer` and releases the writer's memory.
    mutating func finish(appendingTo buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        if ownsMemory { base.deallocate() }
        ownsMemory = false
        count = 0
        capacity = 0
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity &- count < extra { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        precondition(capacity > 0, "a JSONWriter was written to after `finish`")
        let newCapacity = max(capacity * 2, count + extra, 4096)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        if ownsMemory { base.deallocate() }
        base = newBase
        capacity = newCapacity
        ownsMemory = true
    }

    @inline(__always)
    mutating func byte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    /// Fixed text: keys with the punctuation around them, `true`, `null`. It is written
    /// as is, so it must be valid JSON where it goes (no escaping is done).
    @inline(__always)
    mutating func literal(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        (base + count).update(from: text.utf8Start, count: length)
        count &+= length
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Text that needs no escaping (digits, times), as is.
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// A string in quotes, escaped as needed; `null` for nil.
    @inline(__always)
    mutating func string(_ value: String?) {
        guard let value else { return literal("null") }
        // Native and small strings are contiguous UTF-8 already: no copy.
        if value.utf8.withContiguousStorageIfAvailable({ quoted($0) }) == nil {
            var contiguous = value
            contiguous.withUTF8 { quoted($0) }
        }
    }

    /// A string's UTF-8 in quotes. Most strings need no escaping: they are checked and
    /// copied in one pass, a word at a time, and only a string with a byte to escape is
    /// written again through `JSONEscaping`.
    private mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
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
                    if Self.mayNeedEscaping(word) { return escaped(utf8) }
                    to.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                if index < length {
                    // The ragged end as one word ending with the string, overlapping
                    // bytes already copied.
                    let word = from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
                    if Self.mayNeedEscaping(word) { return escaped(utf8) }
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
                if Self.mayNeedEscaping(word) { return escaped(utf8) }
            }
        }
        out[1 + length] = 0x22
        count += length + 2
    }

    /// `utf8` quoted and escaped (`JSONEscaping`, as every JSON text here), straight
    /// into the reserved bytes.
    @inline(never)
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        reserve(JSONEscaping.maxLength(utf8.count))
        count += JSONEscaping.write(utf8, to: base + count)
    }

    /// Whether some byte of `word` is a control character, `"`, `\\` or DEL (exactly:
    /// no byte is flagged unless one of them is there).
    @inline(__always)
    static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let deletes = word ^ (ones &* 0x7F)
        // A byte is zero in `x` where `(x - 1) & ~x` sets its high bit (the lowest one
        // exactly); bytes below 0x20 likewise with 0x20 subtracted. UTF-8 bytes have the
        // high bit set and are masked out by `~word`.
        let zeroes = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((deletes &- ones) & ~deletes)
        let controls = (word &- ones &* 0x20) & ~word
        return (zeroes | controls) & highs != 0
    }

    /// Whether any byte is a control character, `"`, `\\` or DEL.
    static func needsEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        var index = 0
        while index + 8 <= utf8.count {
            if mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { return true }
            index += 8
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { return true }
            index += 1
        }
        return false
    }

    /// A string known to need no escaping (numbers, times), in quotes.
    mutating func quotedPlain(_ value: String) {
        byte(0x22)
        append(value)
        byte(0x22)
    }

    mutating func time(_ time: LocalTime) {
        reserve(Deadline.maxLength + 2)
        base[count] = 0x22
        count += 1
        count += Deadline.write(time.epochSeconds, offset: time.utcOffset, to: base + count)
        base[count] = 0x22
        count += 1
    }

    /// Starts a member whose name is written in the source: plain ASCII, no scan.
    mutating func key(_ name: StaticString) {
        separate()
        byte(0x22)
        literal(name)
        literal("\":")
    }

    /// Starts a member whose name comes from a policy or a request (escaped as needed).
    mutating func key(named name: String) {
        separate()
        string(name)
        byte(UInt8(ascii: ":"))
    }

    mutating func bool(_ value: Bool) {
        if value { literal("true") } else { literal("false") }
    }

    /// A decimal integer, digit by digit.
    mutating func integer(_ value: Int64) {
        reserve(20)
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 0
        repeat {
            base[count + digits] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            digits += 1
        } while magnitude > 0
        // Written least significant first: turn them around.
        var written = UnsafeMutableBufferPointer(start: base + count, count: digits)
        written.reverse()
        count += digits
    }

    /// `"file:line"`, as `SourceReference.description` reads, without building it.
    mutating func location(_ location: SourceReference) {
        var file = location.file
        file.withUTF8 { utf8 in
            if Self.needsEscaping(utf8) {
                string(location.description)
                return
            }
            reserve(utf8.count + 24)
            byte(0x22)
            append(utf8)
            byte(UInt8(ascii: ":"))
            integer(Int64(location.line))
            byte(0x22)
        }
    }

    /// An array of strings.
    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values {
            separate()
            string(value)
        }
        endArray()
    }

    /// Starts an array element (the comma before all but the first).
    mutating func element() { separate() }

    mutating func beginObject() {
        byte(UInt8(ascii: "{"))
        open()
    }

    mutating func endObject() {
        close()
        byte(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        byte(UInt8(ascii: "["))
        open()
    }

    mutating func endArray() {
        close()
        byte(UInt8(ascii: "]"))
    }

    /// The refund as an obligation: `{"type":"refund","source":"refunds","amount":…}`.
    /// The fields are those `Refund.forEachField` lists, written with literal keys and
    /// no `FieldValue` per field; `DecisionJSONTests` holds the two to the same bytes.
    mutating func refund(_ refund: Refund) {
        literal(#"{"type":"#)
        string(Refund.type)
        literal(#","source":"#)
        string(Refund.source)
        literal(#","amount":"#)
        quotedPlain(refund.amount.formatted(scale: 2))
        literal(#","fee":"#)
        quotedPlain(refund.fee.formatted(scale: 2))
        literal(#","currency":"#)
        string(refund.currency)
        literal(#","initiate_by":"#)
        time(refund.initiateBy)
        literal(#","expected_by":"#)
        time(refund.expectedBy)
        byte(UInt8(ascii: "}"))
    }

    /// `{"type": …, "source": …, fields…}`.
    mutating func obligation(_ obligation: Obligation) {
        literal(#"{"type":"#)
        string(obligation.type)
        literal(#","source":"#)
        string(obligation.source)
        for field in obligation.fields { self.field(field.name, field.value) }
        byte(UInt8(ascii: "}"))
    }

    /// `,"name":value` inside an obligation (after `type` and `source`).
    private mutating func field(_ name: String, _ value: Obligation.FieldValue) {
        byte(UInt8(ascii: ","))
        string(name)
        byte(UInt8(ascii: ":"))
        switch value {
        case .int(let int): integer(int)
        case .bool(let bool): self.bool(bool)
        case .string(let text): string(text)
        case .decimal: quotedPlain(value.text)
        case .time(let time): self.time(time)
        }
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
    mutating func separate() {
        if depth <= 64 {
            let bit: UInt64 = 1 << UInt64(depth - 1)
            if hasMember & bit != 0 { byte(UInt8(ascii: ",")) }
            hasMember |= bit
        } else {
            if overflow[overflow.count - 1] { byte(UInt8(ascii: ",")) }
            overflow[overflow.count - 1] = true
        }
    }
}
