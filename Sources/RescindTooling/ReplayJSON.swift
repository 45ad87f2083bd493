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
        var members: [(String, String)] = [
            ("baseline", Self.json(baseline)), ("candidate", Self.json(candidate)),
            ("lines", "\(lines)"), ("log_entries", "\(logEntries)"), ("plain_requests", "\(plainRequests)"),
            ("bad_lines", "\(badLines)"), ("replayed", "\(replayed)"), ("changed", "\(changed)"), ("flips", "\(flips)"),
            ("obligation_changes", "\(obligationRequests)"),
        ]
        // The first 100 gaps: a log with more has a problem the count already shows.
        members.append(("gaps", JSONText.object([
            ("count", "\(gaps.count)"), ("missing", "\(missingEntries)"), ("boots", "\(sequencedBoots)"),
            ("first", JSONText.array(gaps.prefix(100).map { gap in
                JSONText.object([
                    ("boot_id", jsonString(gap.bootID)), ("from", "\(gap.missing.lowerBound)"),
                    ("to", "\(gap.missing.upperBound)"),
                ])
            })),
        ])))
        members.append(("transitions", JSONText.array(transitions.map { row in
            JSONText.object([
                ("from", jsonString(row.from.rawValue)), ("to", jsonString(row.to.rawValue)), ("requests", "\(row.count)"),
            ])
        })))
        members.append(("changes", JSONText.array(changes.map(Self.json))))
        members.append(("bad_lines_first", JSONText.array(badLineSamples.map { $0.error.errorObject(line: $0.line) })))
        members.append(("checks", JSONText.array(checks.map { check in
            JSONText.object([
                ("spec", jsonString(check.threshold.spec)), ("count", "\(check.count)"), ("total", "\(check.total)"),
                ("exceeded", check.exceeded ? "true" : "false"),
            ])
        })))
        members.append(("failed", failed ? "true" : "false"))
        members.append(("samples", JSONText.array(samples.map { sample in
            JSONText.object([
                ("change", jsonString(sample.change.label)), ("line", "\(sample.line)"),
                ("request_id", sample.requestID.map(jsonString) ?? "null"),
                ("causes", JSONText.array(sample.causes.map { jsonString($0.text) })),
                ("differences", JSONText.array(sample.differences.map(jsonString))),
                ("baseline", sample.baseline.json), ("candidate", sample.candidate.json),
            ])
        })))
        return JSONText.object(members) + "\n"
    }

    private static func json(_ side: ReplaySide) -> String {
        JSONText.object([
            ("source", jsonString(side.source)), ("commit", side.commit.map(jsonString) ?? "null"),
            ("name", jsonString(side.policySet.name)), ("version", jsonString(side.policySet.version)),
            ("digest", jsonString(side.policySet.digest)),
        ])
    }

    private static func json(_ summary: ChangeSummary) -> String {
        var members: [(String, String)] = []
        switch summary.change {
        case .effect(let from, let to):
            members = [("kind", "\"effect\""), ("from", jsonString(from.rawValue)), ("to", jsonString(to.rawValue))]
        case .decidingRules(let effect, let from, let to):
            members = [
                ("kind", "\"deciding_rules\""), ("effect", jsonString(effect.rawValue)),
                ("from", JSONText.array(from.map(jsonString))), ("to", JSONText.array(to.map(jsonString))),
            ]
        case .obligationField(let type, let field):
            members = [("kind", "\"obligation_field\""), ("type", jsonString(type)), ("field", jsonString(field))]
        case .obligationAdded(let type): members = [("kind", "\"obligation_added\""), ("type", jsonString(type))]
        case .obligationRemoved(let type): members = [("kind", "\"obligation_removed\""), ("type", jsonString(type))]
        }
        members.insert(("label", jsonString(summary.change.label)), at: 1)
        members.append(("requests", "\(summary.requests)"))
        switch summary.change {
        case .effect, .decidingRules:
            members.append(("causes", JSONText.array(summary.causes.map { cause, requests in
                JSONText.object([
                    ("rule", jsonString(cause.rule)), ("how", jsonString(cause.kind)), ("text", jsonString(cause.text)),
                    ("requests", "\(requests)"),
                ])
            })))
            members.append(("other_causes", "\(summary.otherCauses)"))
        case .obligationField:
            guard let stats = summary.stats else { break }
            members.append(("summary", jsonString(stats.summary)))
            if stats.raised + stats.lowered > 0, let smallest = stats.smallest, let largest = stats.largest {
                var amounts: [(String, String)] = [
                    ("raised", "\(stats.raised)"), ("lowered", "\(stats.lowered)"),
                    ("smallest", jsonString(Shift.signed(smallest, scale: stats.scale))),
                    ("largest", jsonString(Shift.signed(largest, scale: stats.scale))),
                ]
                if let total = stats.total { amounts.append(("total", jsonString(Shift.signed(total, scale: stats.scale)))) }
                members.append(("amounts", JSONText.object(amounts)))
            }
            members.append(("shifts", JSONText.array(stats.shifts.sorted(by: <).map { seconds, count in
                JSONText.object([("seconds", "\(seconds)"), ("requests", "\(count)")])
            })))
            members.append(("values", JSONText.array(stats.values.sorted(by: <).map { value, count in
                JSONText.object([("change", jsonString(value)), ("requests", "\(count)")])
            })))
            members.append(("others", "\(stats.shifts.other + stats.values.other)"))
        case .obligationAdded, .obligationRemoved: break
        }
        return JSONText.object(members)
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

/// Assembles JSON from members that are JSON already, keeping their order: a thin layer
/// over `RescindJSON.JSONWriter`, which escapes the keys and places the commas.
enum JSONText {
    static func object(_ members: [(String, String)]) -> String {
        JSONWriter.text { out in
            out.beginObject()
            for (name, value) in members { out.member(named: name, json: value) }
            out.endObject()
        }
    }

    static func array(_ elements: [String]) -> String {
        JSONWriter.text { out in
            out.beginArray()
            for element in elements { out.element(json: element) }
            out.endArray()
        }
    }
}
