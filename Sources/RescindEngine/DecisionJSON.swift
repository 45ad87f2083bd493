import CELRuntime
import RescindDiagnostics
import RescindJSON

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
        JSONWriter.write(appendingTo: &buffer) { out in write(into: &out) }
    }

    /// The members in their fixed order. Keys and the punctuation between them are
    /// written as literals (`,"effect":`), so the fixed parts need no comma bookkeeping;
    /// no arrays of ids, reasons or obligations are built, and no closures hold copies
    /// of the decision.
    private func write(into out: inout JSONWriter) {
        let texts = policySet.outcomeTexts
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
            texts.writeID(of: index, into: &out)
        }
        out.literal(#"],"matched_rules":["#)
        first = true
        for index in matched {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            texts.writeID(of: index, into: &out)
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
        writeReasons(into: &out)
        out.literal(#"],"locale":"#)
        out.string(locale)
        out.append(policySet.policyMemberJSON)
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

extension Decision {
    /// The `reasons` array's elements, as `forEachReason` gives them: the deciding
    /// outcomes' from `OutcomeTexts` (prepared bytes copied, holes escaped in place),
    /// the rarer problem and default reasons through `forEachReason`.
    private func writeReasons(into out: inout JSONWriter) {
        let texts = policySet.outcomeTexts
        let column = texts.column(of: locale)
        // Built only for a hole that is not a string field the request has.
        var renderer: MessageRenderer?
        var first = true
        for index in deciding {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            texts.writeReason(of: index, column: column, into: &out) { hole in
                if let text = texts.fieldText(of: hole, in: request) { return text }
                if renderer == nil { renderer = MessageRenderer(decision: self) }
                return renderer!.holeText(texts.holes[hole], outcome: index)
            }
        }
        // The problems' reasons, or the default's when nothing decided.
        guard first || !problems.isEmpty else { return }
        forEachReason(outcomes: false) { rule, text in
            out.literal(first ? #"{"rule":"# : #",{"rule":"#)
            first = false
            out.string(rule)
            out.literal(#","text":"#)
            out.string(text)
            out.byte(UInt8(ascii: "}"))
        }
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
                change.writeJSON(into: &out)
                out.key("now")
                change.writeCurrentJSON(into: &out)
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
        JSONWriter.bytes { out in
            out.literal(#","policy":{"name":"#)
            out.string(name)
            out.literal(#","version":"#)
            out.string(version)
            out.literal(#","digest":"#)
            out.string(digest)
            out.byte(UInt8(ascii: "}"))
        }
    }
}

/// The engine's values in `RescindJSON`'s writer: times, source locations, obligations.
extension JSONWriter {
    /// `"2026-12-02T23:59:59+08:00"`: in the calendar's zone, with its offset.
    mutating func time(_ time: LocalTime) {
        self.time(seconds: time.epochSeconds, offset: time.utcOffset)
    }

    /// `"file:line"`, as `SourceReference.description` reads, without building it.
    mutating func location(_ location: SourceReference) {
        if JSONEscaping.needsEscaping(location.file) {
            string(location.description)
            return
        }
        byte(0x22)
        append(location.file)
        byte(UInt8(ascii: ":"))
        integer(Int64(location.line))
        byte(0x22)
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
}
