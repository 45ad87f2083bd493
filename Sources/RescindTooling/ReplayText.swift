import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

extension ReplayReport {
    /// The report for people: the counts, the effect transitions, each kind of change
    /// with its causes or value changes, bad lines, checks, then the samples with both
    /// decisions explained.
    package var text: String {
        var out = "replay: \(lines) line\(lines == 1 ? "" : "s") (\(logEntries) decision-log entr\(logEntries == 1 ? "y" : "ies"), "
        out += "\(plainRequests) plain request\(plainRequests == 1 ? "" : "s")), \(badLines) bad\n"
        if let gaps = gapSummary() { out += gaps + "\n" }
        if let history = historySummary { out += history + "\n" }
        out += "baseline:  \(baseline.identity) from `\(baseline.sourceText)`\n"
        out += "candidate: \(candidate.identity) from `\(candidate.sourceText)`\n"
        out += "changed: \(changed) of \(replayed) requests (\(percentText(changed, of: replayed)))"
        if changed > 0 { out += ": " + changeCounts.map { "\($0.count) \($0.what)" }.joined(separator: ", ") }
        out += "\n"

        out += "\neffects (baseline → candidate):\n"
        let rows = transitions.map { row in
            ("\(row.from.rawValue) → \(row.to.rawValue)", "\(row.count)", percentText(row.count, of: replayed), row.from != row.to)
        }
        let widths = (rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0, rows.map(\.2.count).max() ?? 0)
        for (label, count, share, changed) in rows {
            out += "  " + label + String(repeating: " ", count: widths.0 - label.count + 2 + widths.1 - count.count) + count
            out += String(repeating: " ", count: widths.2 - share.count + 2) + share + (changed ? "  changed\n" : "\n")
        }
        for (heading, group) in changeGroups where !group.isEmpty {
            out += "\n\(heading):\n"
            for summary in group {
                out += "  \(summary.change.label): \(share(summary.requests))"
                if let stats = summary.stats, !stats.summary.isEmpty { out += ": \(stats.summary)" }
                out += "\n"
                for (cause, requests) in summary.causes { out += "    \(cause.text): \(requests)\n" }
                if summary.otherCauses > 0 { out += "    other causes: \(summary.otherCauses)\n" }
            }
        }
        if !badLineSamples.isEmpty {
            out += "\nbad lines (first \(badLineSamples.count) of \(badLines)):\n"
            for bad in badLineSamples {
                out += "  line \(bad.line): error[\(bad.error.code)] at \(bad.error.path): \(bad.error.message)\n"
            }
        }
        if !checks.isEmpty {
            out += "\nchecks:\n"
            for check in checks {
                out += "  \(check.exceeded ? "FAILED" : "passed")  \(check.threshold.spec): \(check.measured)\n"
            }
        }
        if !samples.isEmpty {
            out += "\nsamples (up to \(sampleLimit) per kind of change, the first in input order):\n"
            for sample in samples {
                out += "\n== \(sample.change.label): \(sample.title)\n"
                if !sample.causes.isEmpty { out += "causes: \(sample.causes.map(\.text).joined(separator: "; "))\n" }
                for difference in sample.differences { out += "changed: \(difference)\n" }
                if let shown = sample.shownUnder {
                    out += "(both decisions are shown above, under \(shown.label))\n"
                    continue
                }
                out += "--- baseline (\(baseline.source))\n" + sample.baseline.text
                out += "--- candidate (\(candidate.source))\n" + sample.candidate.text
            }
        }
        return out
    }

    /// The changed requests by what changed: "2 effect flips", "1 deciding-rule change", …
    var changeCounts: [(count: Int, what: String)] {
        var counts: [(count: Int, what: String)] = []
        if flips > 0 { counts.append((flips, "effect flip\(flips == 1 ? "" : "s")")) }
        if decidingRuleChanges > 0 { counts.append((decidingRuleChanges, "with other deciding rules")) }
        if obligationRequests > 0 { counts.append((obligationRequests, "with changed obligations")) }
        return counts
    }

    /// The kinds of change in three groups, with their headings.
    var changeGroups: [(heading: String, changes: [ChangeSummary])] {
        var flips: [ChangeSummary] = [], deciding: [ChangeSummary] = [], obligations: [ChangeSummary] = []
        for summary in changes {
            switch summary.change {
            case .effect: flips.append(summary)
            case .decidingRules: deciding.append(summary)
            default: obligations.append(summary)
            }
        }
        return [
            ("effect flips, and what made them", flips),
            ("same effect, other deciding rules", deciding),
            ("same effect, changed obligations", obligations),
        ]
    }
}

extension ReplaySample.Outcome {
    /// The decision with its explanation, or the schema's errors.
    package var text: String {
        switch self {
        case .decided(let decision): decision.text
        case .rejected(let error): "rejected by the schema:\n" + error.humanDescription
        }
    }
}
