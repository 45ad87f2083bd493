import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

extension ReplayReport {
    /// The report as Markdown for a pull request comment or a CI job summary: tables
    /// (GitHub Flavored Markdown) of the checks, effect transitions, causes and changed
    /// obligations, then each sample in a `<details>` block with both decisions.
    package var markdown: String {
        var out = "## Policy replay: \(changed) of \(replayed) requests change (\(percentText(changed, of: replayed)))\n\n"
        out += "| | policy | from |\n|---|---|---|\n"
        out += "| baseline | \(Self.identity(baseline)) | \(Markdown.code(baseline.sourceText)) |\n"
        out += "| candidate | \(Self.identity(candidate)) | \(Markdown.code(candidate.sourceText)) |\n\n"
        out += "\(lines) lines: \(logEntries) decision-log entries, \(plainRequests) plain requests, \(badLines) bad."
        if changed > 0 { out += " " + changeCounts.map { "\($0.count) \($0.what)" }.joined(separator: ", ") + "." }
        out += "\n"
        if let gaps = gapSummary() { out += "\nDecision-log \(Markdown.prose(gaps)).\n" }
        if let history = historySummary { out += "\nDecision-log \(Markdown.prose(history)).\n" }

        if !checks.isEmpty {
            out += "\n### Checks\n\n| check | measured | result |\n|---|---|---|\n"
            for check in checks {
                out += "| \(Markdown.code(check.threshold.spec)) | \(check.measured) | "
                out += check.exceeded ? "❌ failed |\n" : "✅ passed |\n"
            }
        }

        out += "\n### Effects\n\n| baseline → candidate | requests | share |\n|---|---:|---:|\n"
        for row in transitions {
            let label = "\(row.from.rawValue) → \(row.to.rawValue)"
            out += "| \(row.from == row.to ? label : "**\(label)**") | \(row.count) | \(percentText(row.count, of: replayed)) |\n"
        }

        let groups = changeGroups
        if !groups[0].changes.isEmpty {
            out += "\n### Effect flips, and what made them\n\n| flip | requests | causes |\n|---|---:|---|\n"
            for summary in groups[0].changes {
                out += "| \(summary.change.label) | \(share(summary.requests)) | \(Self.causes(summary)) |\n"
            }
        }
        if !groups[1].changes.isEmpty {
            out += "\n### Same effect, other deciding rules\n\n"
            out += "| effect | baseline | candidate | requests | causes |\n|---|---|---|---:|---|\n"
            for summary in groups[1].changes {
                guard case .decidingRules(let effect, let from, let to) = summary.change else { continue }
                out += "| \(effect.rawValue) | \(Self.rules(from)) | \(Self.rules(to)) | \(share(summary.requests)) | "
                out += "\(Self.causes(summary)) |\n"
            }
        }
        if !groups[2].changes.isEmpty {
            out += "\n### Same effect, changed obligations\n\n| obligation | requests | how |\n|---|---:|---|\n"
            for summary in groups[2].changes {
                let label = switch summary.change {
                case .obligationAdded(let type): "\(Markdown.code(type)) added"
                case .obligationRemoved(let type): "\(Markdown.code(type)) removed"
                default: Markdown.code(summary.change.label)
                }
                out += "| \(label) | \(share(summary.requests)) | \(Markdown.prose(summary.stats?.summary ?? "")) |\n"
            }
        }
        if !badLineSamples.isEmpty {
            out += "\n### Bad lines (first \(badLineSamples.count) of \(badLines))\n\n"
            for bad in badLineSamples {
                out += Markdown.item(
                    "line \(bad.line): \(Markdown.code(bad.error.code.rawValue)) at \(Markdown.code(bad.error.path)): "
                        + Markdown.prose(bad.error.message))
            }
        }
        if !samples.isEmpty {
            out += "\n### Samples (up to \(sampleLimit) per kind of change, the first in input order)\n"
            for sample in samples {
                out += "\n<details>\n<summary>\(XML.escape(sample.change.label, attribute: false)): line \(sample.line)"
                if let id = sample.requestID { out += ", request <code>\(XML.escape(id, attribute: false))</code>" }
                out += "</summary>\n\n"
                for cause in sample.causes { out += Markdown.item("**cause:** " + Markdown.prose(cause.text)) }
                for difference in sample.differences { out += Markdown.item("**changed:** " + Markdown.prose(difference)) }
                if let shown = sample.shownUnder {
                    out += Markdown.item("both decisions are shown above, under " + Markdown.prose(shown.label))
                } else {
                    if !sample.causes.isEmpty || !sample.differences.isEmpty { out += "\n" }
                    out += "**Baseline** (\(Markdown.code(baseline.source))):\n\n" + sample.baseline.markdown
                    out += "\n**Candidate** (\(Markdown.code(candidate.source))):\n\n" + sample.candidate.markdown
                }
                out += "\n</details>\n"
            }
        }
        return out
    }

    private static func identity(_ side: ReplaySide) -> String {
        "\(Markdown.prose(side.policySet.name)) \(Markdown.prose(side.policySet.version)) "
            + "(\(Markdown.code("sha256:\(side.policySet.digest.prefix(12))")))"
    }

    private static func rules(_ ids: [String]) -> String {
        ids.isEmpty ? "(default)" : ids.map(Markdown.code).joined(separator: ", ")
    }

    private static func causes(_ summary: ChangeSummary) -> String {
        (summary.causes.map { "\(Markdown.prose($0.cause.text)) (\($0.requests))" }
            + (summary.otherCauses > 0 ? ["other causes (\(summary.otherCauses))"] : [])).joined(separator: "; ")
    }
}

extension ReplaySample.Outcome {
    /// The decision as `rescind explain --format markdown` prints it, or the schema's errors.
    package var markdown: String {
        switch self {
        case .decided(let decision): decision.markdown()
        case .rejected(let error):
            "Rejected by the schema:\n\n"
                + error.errors.map {
                    Markdown.item("\(Markdown.code($0.code.rawValue)) at \(Markdown.code($0.path)): \(Markdown.prose($0.message))")
                }.joined()
        }
    }
}
