import CELRuntime
import RescindDiagnostics

extension Decision {
    /// The decision as one line of JSON with fixed keys in a fixed order (services rely
    /// on them): `request_id`, `effect`, `deciding_rules`, `matched_rules`,
    /// `obligations`, `reasons`, `locale`, `policy`, `problems` (only when some
    /// condition failed to evaluate) and `explanation` (only when asked for).
    public var json: String {
        var bytes: [UInt8] = []
        writeJSON(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `json`'s bytes to `buffer` (for streams: no intermediate string).
    public func writeJSON(into buffer: inout [UInt8]) {
        var out = JSONWriter()
        defer { out.finish(appendingTo: &buffer) }
        // Written straight from the decision, member by member: no arrays of ids,
        // reasons or obligations, and no closures holding copies of the decision.
        let outcomes = policySet.outcomes
        out.beginObject()
        out.key("request_id")
        out.string(requestID)
        out.key("effect")
        out.string(effect.rawValue)
        out.key("deciding_rules")
        out.strings(deciding) { outcomes[$0].id }
        out.key("matched_rules")
        out.strings(matched) { outcomes[$0].id }
        out.key("obligations")
        out.beginArray()
        if let refund {
            out.element()
            out.obligation(type: Refund.type, source: Refund.source, refund.forEachField)
        }
        forEachRuleObligation { obligation in
            out.element()
            out.obligation(type: obligation.type, source: obligation.source) { field in
                for each in obligation.fields { field(each.name, each.value) }
            }
        }
        out.endArray()
        out.key("reasons")
        out.beginArray()
        forEachReason { rule, text in
            out.element()
            out.beginObject()
            out.key("rule")
            out.string(rule)
            out.key("text")
            out.string(text)
            out.endObject()
        }
        out.endArray()
        out.key("locale")
        out.string(locale)
        out.key("policy")
        out.beginObject()
        out.key("name")
        out.string(policySet.name)
        out.key("version")
        out.string(policySet.version)
        out.key("digest")
        out.string(policySet.digest)
        out.endObject()
        if !problems.isEmpty {
            out.key("problems")
            out.beginArray()
            for problem in problems {
                out.element()
                out.beginObject()
                out.key("rule")
                out.string(problem.rule)
                out.key("expression")
                out.string(problem.expression)
                out.key("location")
                out.string(problem.location.description)
                out.key("message")
                out.string(problem.message)
                out.endObject()
            }
            out.endArray()
        }
        if let explanation {
            out.key("explanation")
            explanation.write(into: &out)
        }
        out.endObject()
    }
}

extension Explanation {
    /// Member by member, like the decision: no closures, locations and counts written
    /// as bytes rather than built as strings.
    func write(into out: inout JSONWriter) {
        out.beginObject()
        out.key("rules")
        out.beginArray()
        for rule in rules {
            out.element()
            out.beginObject()
            out.key("id")
            out.string(rule.id)
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
            out.string(threshold.text)
            out.key("location")
            out.location(threshold.location)
            out.endObject()
        }
        out.endArray()
        out.key("alternatives")
        out.strings(alternatives)
        out.endObject()
    }
}

/// A small, allocation-light JSON writer over bytes that keeps keys in the order
/// written, so the same decision always produces the same bytes.
///
/// It writes into raw memory it owns (one allocation per document, grown by doubling)
/// rather than appending to an `Array`, whose every append checks uniqueness and
/// capacity: a decision is a few hundred small appends. `finish` hands the bytes over
/// and frees the memory; a writer must be finished exactly once.
struct JSONWriter {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// One bit per open object or array: whether it already has a member. Decisions
    /// nest a few levels; deeper nesting spills into `overflow`.
    private var hasMember: UInt64 = 0
    private var depth = 0
    private var overflow: [Bool] = []

    init(capacity: Int = 2048) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// Appends what was written to `buffer` and releases the writer's memory.
    mutating func finish(appendingTo buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        base.deallocate()
        count = 0
        capacity = 0
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    private mutating func grow(_ extra: Int) {
        precondition(capacity > 0, "a JSONWriter was written to after `finish`")
        let newCapacity = max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    mutating func raw(_ value: String) { append(value) }

    mutating func string(_ value: String?) {
        guard let value else { return raw("null") }
        if value.utf8.withContiguousStorageIfAvailable({ quoted($0) }) == nil {
            var contiguous = value
            contiguous.withUTF8 { quoted($0) }
        }
    }

    /// A string's UTF-8 in quotes; most need no escaping and are appended whole.
    private mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        if Self.needsEscaping(utf8) { return escaped(utf8) }
        reserve(utf8.count + 2)
        append(0x22)
        append(utf8)
        append(0x22)
    }

    /// `utf8` quoted and escaped (`JSONEscaping`, as every JSON text here), straight
    /// into the reserved bytes.
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        reserve(JSONEscaping.maxLength(utf8.count))
        count += JSONEscaping.write(utf8, to: base + count)
    }

    /// Whether any byte is a control character, `"`, `\\` or DEL. Eight bytes at a time:
    /// every reason and digest in every decision passes through here.
    static func needsEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// Whether some byte of `word` is zero.
        func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        guard let base = utf8.baseAddress else { return false }
        var index = 0
        while index + 8 <= utf8.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // Bytes below 0x20 (ASCII only: UTF-8 continuation bytes have the high bit set).
            let control = (word &- ones &* 0x20) & ~word & highs != 0
            if control || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C))
                || hasZero(word ^ (ones &* 0x7F))
            {
                return true
            }
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
        append(0x22)
        append(value)
        append(0x22)
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
        reserve(name.utf8CodeUnitCount + 3)
        append(0x22)
        append(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        append(0x22)
        append(UInt8(ascii: ":"))
    }

    /// Starts a member whose name comes from a policy or a request (escaped as needed).
    mutating func key(named name: String) {
        separate()
        string(name)
        append(UInt8(ascii: ":"))
    }

    mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    /// A decimal integer, digit by digit.
    mutating func integer(_ value: Int64) {
        reserve(20)
        if value < 0 { append(UInt8(ascii: "-")) }
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
            append(0x22)
            append(utf8)
            append(UInt8(ascii: ":"))
            integer(Int64(location.line))
            append(0x22)
        }
    }

    /// An array of strings.
    mutating func strings(_ values: [String]) { strings(values) { $0 } }

    /// An array of strings, one per item.
    mutating func strings<Items: Sequence>(_ items: Items, _ text: (Items.Element) -> String) {
        beginArray()
        for item in items {
            separate()
            string(text(item))
        }
        endArray()
    }

    /// Starts an array element (the comma before all but the first).
    mutating func element() { separate() }

    mutating func beginObject() {
        append(UInt8(ascii: "{"))
        open()
    }

    mutating func endObject() {
        close()
        append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        append(UInt8(ascii: "["))
        open()
    }

    mutating func endArray() {
        close()
        append(UInt8(ascii: "]"))
    }

    /// `{"type": …, "source": …, fields…}`; `fields` calls back once per field.
    mutating func obligation(
        type: String, source: String, _ fields: ((String, Obligation.FieldValue) -> Void) -> Void
    ) {
        beginObject()
        key("type")
        string(type)
        key("source")
        string(source)
        fields { name, value in
            key(named: name)
            switch value {
            case .int, .bool: raw(value.text)
            case .string(let text): string(text)
            case .decimal: quotedPlain(value.text)
            case .time(let time): self.time(time)
            }
        }
        endObject()
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
            if hasMember & bit != 0 { append(UInt8(ascii: ",")) }
            hasMember |= bit
        } else {
            if overflow[overflow.count - 1] { append(UInt8(ascii: ",")) }
            overflow[overflow.count - 1] = true
        }
    }
}
