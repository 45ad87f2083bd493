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
        var out = JSONWriter(buffer: buffer)
        buffer = []  // hand the storage to the writer: appending stays in place
        defer { buffer = out.bytes }
        out.object {
            $0.key("request_id") { $0.string(requestID) }
            $0.key("effect") { $0.string(effect.rawValue) }
            // Written straight from the decision: no arrays of ids, reasons or obligations.
            let outcomes = policySet.outcomes
            $0.key("deciding_rules") { $0.array(deciding) { $0.string(outcomes[$1].id) } }
            $0.key("matched_rules") { $0.array(matched) { $0.string(outcomes[$1].id) } }
            $0.key("obligations") { w in
                w.array { w in
                    if let refund {
                        w.element { $0.obligation(type: Refund.type, source: Refund.source, refund.forEachField) }
                    }
                    forEachRuleObligation { obligation in
                        w.element { w in
                            w.obligation(type: obligation.type, source: obligation.source) { field in
                                for each in obligation.fields { field(each.name, each.value) }
                            }
                        }
                    }
                }
            }
            $0.key("reasons") { w in
                w.array { w in
                    forEachReason { rule, text in
                        w.element {
                            $0.object {
                                $0.key("rule") { $0.string(rule) }
                                $0.key("text") { $0.string(text) }
                            }
                        }
                    }
                }
            }
            $0.key("locale") { $0.string(locale) }
            $0.key("policy") { w in
                w.object {
                    $0.key("name") { $0.string(policy.name) }
                    $0.key("version") { $0.string(policy.version) }
                    $0.key("digest") { $0.string(policy.digest) }
                }
            }
            if !problems.isEmpty {
                $0.key("problems") { w in
                    w.array(problems) { w, problem in
                        w.object {
                            $0.key("rule") { $0.string(problem.rule) }
                            $0.key("expression") { $0.string(problem.expression) }
                            $0.key("location") { $0.string(problem.location.description) }
                            $0.key("message") { $0.string(problem.message) }
                        }
                    }
                }
            }
            if let explanation {
                $0.key("explanation") { explanation.write(into: &$0) }
            }
        }
    }
}

extension Explanation {
    func write(into w: inout JSONWriter) {
        w.object {
            $0.key("rules") { w in
                w.array(rules) { w, rule in
                    w.object {
                        $0.key("id") { $0.string(rule.id) }
                        $0.key("effect") { $0.string(rule.effect.rawValue) }
                        $0.key("matched") { $0.raw(rule.matched ? "true" : "false") }
                        $0.key("location") { $0.string(rule.location.description) }
                        $0.key("conditions") { w in
                            w.array(rule.conditions) { w, condition in
                                w.object {
                                    $0.key("expression") { $0.string(condition.expression) }
                                    $0.key("location") { $0.string(condition.location.description) }
                                    $0.key("outcome") { w in
                                        switch condition.outcome {
                                        case .true: w.string("true")
                                        case .false: w.string("false")
                                        case .notEvaluated: w.string("not_evaluated")
                                        case .error: w.string("error")
                                        }
                                    }
                                    if case .error(let message) = condition.outcome {
                                        $0.key("error") { $0.string(message) }
                                    }
                                    $0.key("values") { w in
                                        w.object {
                                            for observed in condition.observed {
                                                $0.key(observed.path) { $0.string(observed.value) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            $0.key("thresholds") { w in
                w.array(thresholds) { w, threshold in
                    w.object {
                        $0.key("id") { $0.string(threshold.id) }
                        $0.key("applied") { $0.raw(threshold.applied ? "true" : "false") }
                        if let count = threshold.count { $0.key("count") { $0.raw(String(count)) } }
                        $0.key("tier") { $0.string(threshold.tier) }
                        $0.key("text") { $0.string(threshold.text) }
                        $0.key("location") { $0.string(threshold.location.description) }
                    }
                }
            }
            $0.key("alternatives") { $0.strings(alternatives) }
        }
    }
}

/// A small, allocation-light JSON writer over bytes that keeps keys in the order
/// written, so the same decision always produces the same bytes.
struct JSONWriter {
    private(set) var bytes: [UInt8]
    /// One bit per open object or array: whether it already has a member. Decisions
    /// nest a few levels; deeper nesting spills into `overflow`.
    private var hasMember: UInt64 = 0
    private var depth = 0
    private var overflow: [Bool] = []

    init(buffer: [UInt8] = []) {
        bytes = buffer
        if bytes.capacity < 1024 { bytes.reserveCapacity(1024) }
    }

    mutating func raw(_ value: String) { bytes.append(contentsOf: value.utf8) }

    mutating func string(_ value: String?) {
        guard let value else { return raw("null") }
        // Most strings need no escaping: append them whole, scanning contiguous UTF-8.
        let plain = value.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !Self.needsEscaping(utf8) else { return false }
            bytes.append(0x22)
            bytes.append(contentsOf: utf8)
            bytes.append(0x22)
            return true
        }
        if plain == true { return }
        if plain == nil, !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) {
            return quotedPlain(value)
        }
        raw(jsonString(value))
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
        bytes.append(0x22)
        bytes.append(contentsOf: value.utf8)
        bytes.append(0x22)
    }

    mutating func time(_ time: LocalTime) {
        bytes.append(0x22)
        Deadline.write(time.epochSeconds, offset: time.utcOffset, into: &bytes)
        bytes.append(0x22)
    }

    mutating func strings(_ values: [String]) {
        array(values) { $0.string($1) }
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "{"), UInt8(ascii: "}"), body)
    }

    mutating func key(_ name: String, _ value: (inout JSONWriter) -> Void) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
        value(&self)
    }

    /// An array whose elements `body` writes with `element`.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    mutating func element(_ value: (inout JSONWriter) -> Void) {
        separate()
        value(&self)
    }

    /// `{"type": …, "source": …, fields…}`; `fields` calls back once per field.
    mutating func obligation(
        type: String, source: String, _ fields: ((String, Obligation.FieldValue) -> Void) -> Void
    ) {
        object { w in
            w.key("type") { $0.string(type) }
            w.key("source") { $0.string(source) }
            fields { name, value in
                w.key(name) { w in
                    switch value {
                    case .int, .bool: w.raw(value.text)
                    case .string(let text): w.string(text)
                    case .decimal: w.quotedPlain(value.text)
                    case .time(let time): w.time(time)
                    }
                }
            }
        }
    }

    mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        container(UInt8(ascii: "["), UInt8(ascii: "]")) { w in
            for item in items {
                w.separate()
                element(&w, item)
            }
        }
    }

    private mutating func container(_ opener: UInt8, _ closer: UInt8, _ body: (inout JSONWriter) -> Void) {
        bytes.append(opener)
        open()
        body(&self)
        close()
        bytes.append(closer)
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
            if hasMember & bit != 0 { bytes.append(UInt8(ascii: ",")) }
            hasMember |= bit
        } else {
            if overflow[overflow.count - 1] { bytes.append(UInt8(ascii: ",")) }
            overflow[overflow.count - 1] = true
        }
    }
}
