import Rescind
import RescindJSON
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

extension ReplayReport {
    /// The report as one line of JSON with fixed keys in a fixed order (see
    /// `docs/replay.md`): the two policy sets, the counts, `transitions`, `changes`
    /// (each kind with its causes or value changes), `bad_lines_first`, `checks`,
    /// `failed` and `samples`, whose decisions are those of `rescind eval --json
    /// --explain`.
    package var json: String {
        JSONWriter.text(capacity: 4096) { out in
            out.beginObject()
            out.member("baseline", object: { Self.write(baseline, into: &$0) })
            out.member("candidate", object: { Self.write(candidate, into: &$0) })
            out.member("lines", integer: lines)
            out.member("log_entries", integer: logEntries)
            out.member("plain_requests", integer: plainRequests)
            out.member("bad_lines", integer: badLines)
            out.member("replayed", integer: replayed)
            out.member("changed", integer: changed)
            out.member("flips", integer: flips)
            out.member("obligation_changes", integer: obligationRequests)
            out.member("gaps", object: { out in
                out.member("count", integer: gaps.count)
                out.member("missing", integer: missingEntries)
                out.member("boots", integer: sequencedBoots)
                // The first 100 gaps: a log with more has a problem the count already shows.
                out.key("first")
                out.array { out in
                    for gap in gaps.prefix(100) {
                        out.element()
                        out.object { out in
                            out.member("boot_id", string: gap.bootID)
                            out.member("from", integer: gap.missing.lowerBound)
                            out.member("to", integer: gap.missing.upperBound)
                        }
                    }
                }
            })
            out.member("history", object: { out in
                out.member("entries", integer: historyEntries)
                out.member("not_supplied", object: { out in
                    out.member("baseline", integer: historyNotSupplied.baseline)
                    out.member("candidate", integer: historyNotSupplied.candidate)
                })
            })
            out.key("transitions")
            out.array { out in
                for row in transitions {
                    out.element()
                    out.object { out in
                        out.member("from", string: row.from.rawValue)
                        out.member("to", string: row.to.rawValue)
                        out.member("requests", integer: row.count)
                    }
                }
            }
            out.key("changes")
            out.array { out in
                for summary in changes {
                    out.element()
                    out.object { Self.write(summary, into: &$0) }
                }
            }
            out.key("bad_lines_first")
            out.array { out in
                for bad in badLineSamples {
                    out.element()
                    bad.error.writeErrorObject(line: bad.line, into: &out)
                }
            }
            out.key("checks")
            out.array { out in
                for check in checks {
                    out.element()
                    out.object { out in
                        out.member("spec", string: check.threshold.spec)
                        out.member("count", integer: check.count)
                        out.member("total", integer: check.total)
                        out.member("exceeded", bool: check.exceeded)
                    }
                }
            }
            out.member("failed", bool: failed)
            out.key("samples")
            out.array { out in
                for sample in samples {
                    out.element()
                    out.object { out in
                        out.member("change", string: sample.change.label)
                        out.member("line", integer: sample.line)
                        out.member("request_id", string: sample.requestID)
                        out.member("causes", strings: sample.causes.map(\.text))
                        out.member("differences", strings: sample.differences)
                        out.member("baseline", json: sample.baseline.json)
                        out.member("candidate", json: sample.candidate.json)
                    }
                }
            }
            out.endObject()
            out.byte(UInt8(ascii: "\n"))
        }
    }

    private static func write(_ side: ReplaySide, into out: inout JSONWriter) {
        out.member("source", string: side.source)
        out.member("commit", string: side.commit)
        out.member("name", string: side.policySet.name)
        out.member("version", string: side.policySet.version)
        out.member("digest", string: side.policySet.digest)
    }

    /// One change's members: its kind and what it changed, its label and count, then the
    /// causes (effects and deciding rules) or the value changes (obligation fields).
    private static func write(_ summary: ChangeSummary, into out: inout JSONWriter) {
        switch summary.change {
        case .effect(let from, let to):
            out.member("kind", string: "effect")
            out.member("label", string: summary.change.label)
            out.member("from", string: from.rawValue)
            out.member("to", string: to.rawValue)
        case .decidingRules(let effect, let from, let to):
            out.member("kind", string: "deciding_rules")
            out.member("label", string: summary.change.label)
            out.member("effect", string: effect.rawValue)
            out.member("from", strings: from)
            out.member("to", strings: to)
        case .obligationField(let type, let field):
            out.member("kind", string: "obligation_field")
            out.member("label", string: summary.change.label)
            out.member("type", string: type)
            out.member("field", string: field)
        case .obligationAdded(let type):
            out.member("kind", string: "obligation_added")
            out.member("label", string: summary.change.label)
            out.member("type", string: type)
        case .obligationRemoved(let type):
            out.member("kind", string: "obligation_removed")
            out.member("label", string: summary.change.label)
            out.member("type", string: type)
        }
        out.member("requests", integer: summary.requests)
        switch summary.change {
        case .effect, .decidingRules:
            out.key("causes")
            out.array { out in
                for (cause, requests) in summary.causes {
                    out.element()
                    out.object { out in
                        out.member("rule", string: cause.rule)
                        out.member("how", string: cause.kind)
                        out.member("text", string: cause.text)
                        out.member("requests", integer: requests)
                    }
                }
            }
            out.member("other_causes", integer: summary.otherCauses)
        case .obligationField:
            guard let stats = summary.stats else { break }
            out.member("summary", string: stats.summary)
            if stats.raised + stats.lowered > 0, let smallest = stats.smallest, let largest = stats.largest {
                out.member("amounts", object: { out in
                    out.member("raised", integer: stats.raised)
                    out.member("lowered", integer: stats.lowered)
                    out.member("smallest", string: Shift.signed(smallest, scale: stats.scale))
                    out.member("largest", string: Shift.signed(largest, scale: stats.scale))
                    if let total = stats.total { out.member("total", string: Shift.signed(total, scale: stats.scale)) }
                })
            }
            out.key("shifts")
            out.array { out in
                for (seconds, count) in stats.shifts.sorted(by: <) {
                    out.element()
                    out.object { out in
                        out.key("seconds")
                        out.integer(seconds)
                        out.member("requests", integer: count)
                    }
                }
            }
            out.key("values")
            out.array { out in
                for (value, count) in stats.values.sorted(by: <) {
                    out.element()
                    out.object { out in
                        out.member("change", string: value)
                        out.member("requests", integer: count)
                    }
                }
            }
            out.member("others", integer: stats.shifts.other + stats.values.other)
        case .obligationAdded, .obligationRemoved: break
        }
    }
}

extension ReplaySample.Outcome {
    /// The decision's JSON with its explanation, or the error object of `rescind eval --jsonl`.
    package var json: String {
        switch self {
        case .decided(let decision): decision.json
        case .rejected(let error): error.errorObject(line: nil)
        }
    }
}
