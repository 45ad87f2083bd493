import Rescind
import RescindJSON
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

// How a test run is reported: for people, as JSON, as JUnit XML for CI test reporters,
// and as GitHub Actions annotations. Every format is deterministic: no times, no
// durations, cases in file order.

extension PolicyTestResults {
    /// "tests: 59 passed, 1 failed (60 cases in 5 files)".
    package var summary: String { summary(in: .en) }

    /// The summary in `locale`.
    package func summary(in locale: Diagnostic.Locale) -> String {
        let files = Set(results.map(\.testCase.file)).count
        return TestReportWords(locale).summary(passed: passedCount, failed: failed.count, cases: results.count, files: files)
    }

    /// Each case with ✔ or ✘ under its file; a failure shows each unmet expectation
    /// where it is written and the explained decision; then the summary and coverage.
    /// `locale` is the language of the failures and the summary (the decision is in its
    /// own locale; the coverage report is in English).
    package func human(
        sources: SourceMap, color: Bool = false, coverageDetail: Bool = false, locale: Diagnostic.Locale = .en
    ) -> String {
        let renderer = HumanRenderer(sources: sources, color: color, locale: locale)
        var out = ""
        var file: String?
        for result in results {
            if result.testCase.file != file {
                file = result.testCase.file
                out += "\(result.testCase.file)\n"
            }
            let mark = result.passed ? paint("✔", "32", color) : paint("✘", "31", color)
            out += "  \(mark) \(result.testCase.name)\n"
            guard !result.passed else { continue }
            for diagnostic in result.diagnostics {
                out += indent(renderer.render(diagnostic), by: 4)
            }
            out += "    \(TestReportWords(locale).theDecision)\n" + indent(result.decision.text, by: 6)
        }
        out += "\n\(summary(in: locale))\n"
        return out + coverage.text(detailed: coverageDetail)
    }

    /// `{"summary", "cases", "coverage"}`; a failed case carries its failures and its
    /// explained decision (the bytes of `rescind eval --json --explain`).
    package var json: String { json(locale: .en) }

    /// The JSON report with the failures' messages in `locale` (keys unchanged).
    package func json(locale: Diagnostic.Locale) -> String {
        let files = Set(results.map(\.testCase.file)).count
        return JSONWriter.text(capacity: 4096) { out in
            out.beginObject()
            out.key("summary")
            out.beginObject()
            out.key("cases")
            out.integer(results.count)
            out.key("passed")
            out.integer(passedCount)
            out.key("failed")
            out.integer(failed.count)
            out.key("files")
            out.integer(files)
            out.endObject()
            out.key("cases")
            out.beginArray()
            for result in results {
                out.element()
                out.beginObject()
                out.key("file")
                out.string(result.testCase.file)
                out.key("name")
                out.string(result.testCase.name)
                out.key("line")
                out.integer(result.testCase.location.start.line)
                out.key("status")
                out.string(result.passed ? "passed" : "failed")
                if !result.passed {
                    out.key("failures")
                    out.beginArray()
                    for failure in result.failures {
                        out.element()
                        out.beginObject()
                        out.key("expectation")
                        out.string(failure.expectation)
                        out.key("message")
                        out.string(failure.text.text(in: locale))
                        out.key("location")
                        out.string(failure.location.description)
                        out.endObject()
                    }
                    out.endArray()
                    out.member("decision", json: result.decision.json)
                }
                out.endObject()
            }
            out.endArray()
            out.member("coverage", json: coverage.json)
            out.endObject()
            out.byte(UInt8(ascii: "\n"))
        }
    }

    /// One `::error` annotation per failed case, on the case's line in the test file
    /// (a table row's own line), then the summary as a plain log line.
    package var github: String { github(locale: .en) }

    /// The annotations and summary in `locale`.
    package func github(locale: Diagnostic.Locale) -> String {
        let annotations = failed.map { result in
            let failures = result.failures.map(TestMessages.failure)
            let name = result.testCase.name
            return Diagnostic.error(
                .testFailed,
                DiagnosticText.en(
                    "case `\(name)`: " + failures.map(\.en).joined(separator: "\n"),
                    zh: "用例 `\(name)`：" + failures.map(\.zh).joined(separator: "\n")),
                at: SourceSpan(file: result.testCase.file, start: result.testCase.location.start, end: result.testCase.location.start))
        }
        return GitHubRenderer(locale: locale).render(annotations) + summary(in: locale) + "\n"
    }

    /// JUnit XML (`testsuites` / `testsuite` / `testcase` / `failure`), one suite per
    /// test file, as CI test reporters read it. No `time` attributes: runs are deterministic.
    package var junit: String { junit(locale: .en) }

    /// The JUnit XML with the failures' messages in `locale` (elements and attributes unchanged).
    package func junit(locale: Diagnostic.Locale) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"rescind test\" tests=\"\(results.count)\" failures=\"\(failed.count)\" errors=\"0\">\n"
        var files: [String] = []
        for result in results where !files.contains(result.testCase.file) { files.append(result.testCase.file) }
        for file in files {
            let cases = results.filter { $0.testCase.file == file }
            let failures = cases.filter { !$0.passed }.count
            out += "  <testsuite name=\"\(XML.escape(file))\" tests=\"\(cases.count)\" failures=\"\(failures)\" "
                + "errors=\"0\" skipped=\"0\">\n"
            for result in cases {
                let attributes = "name=\"\(XML.escape(result.testCase.name))\" classname=\"\(XML.escape(file))\""
                guard !result.passed else {
                    out += "    <testcase \(attributes)/>\n"
                    continue
                }
                let failures = result.failures.map { TestMessages.failure($0).text(in: locale) }
                let message = failures.joined(separator: locale == .zhCN ? "；" : "; ")
                var body = zip(result.failures, failures).map { "\($0.location): \($1)\n" }.joined()
                body += "\n\(TestReportWords(locale).theDecision)\n" + result.decision.text
                out += "    <testcase \(attributes)>\n"
                out += "      <failure message=\"\(XML.escape(message))\" type=\"expectation\">\(XML.escape(body, attribute: false))</failure>\n"
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }
}

extension PolicyTestResult {
    /// The failures as diagnostics, located at the expectations.
    package var diagnostics: [Diagnostic] {
        failures.map { .error(.testFailed, TestMessages.failure($0), at: $0.location) }
    }
}

extension CoverageReport {
    /// "coverage: 98.4% (62 of 63): rules 12/12, …", then what no case covered; with
    /// `detailed`, every item and side with the first case that covered it.
    package func text(detailed: Bool = false) -> String {
        let kinds = Kind.allCases.compactMap { kind -> String? in
            let (covered, total) = count(kind)
            return total == 0 ? nil : "\(kind.plural) \(covered)/\(total)"
        }
        var out = "coverage: \(percentText)% (\(covered) of \(total)): \(kinds.joined(separator: ", "))\n"
        if detailed {
            out += "coverage by item:\n"
            for item in items {
                out += "  \(item.coveredBy == nil ? "✘" : "✔") \(item.title)  [\(item.location)]"
                    + (item.coveredBy.map { "  by `\($0.name)`" } ?? "") + "\n"
            }
            for boundary in boundaries {
                let complete = boundary.sides.allSatisfy { $0.coveredBy != nil }
                out += "  \(complete ? "✔" : "✘") boundary \(boundary.title)  [\(boundary.location)]\n"
                for side in boundary.sides {
                    out += "      \(side.coveredBy == nil ? "✘" : "✔") \(side.name): \(side.meaning)"
                        + (side.coveredBy.map { "  by `\($0.name)`" } ?? "") + "\n"
                }
            }
        }
        let missing = uncovered
        if !missing.isEmpty {
            out += "not covered:\n"
            for item in missing { out += "  - \(item.text)  [\(item.location)]\n" }
        }
        return out
    }

    /// What no case covered, in policy order: each item, and each boundary with its missing sides.
    package var uncovered: [(text: String, location: SourceReference)] {
        var result = items.filter { $0.coveredBy == nil }.map { ($0.title, $0.location) }
        for boundary in boundaries {
            let missing = boundary.sides.filter { $0.coveredBy == nil }
            guard !missing.isEmpty else { continue }
            result.append(("boundary \(boundary.title): no case " + Self.alternatives(missing.map(\.meaning)), boundary.location))
        }
        return result
    }

    /// "a, b, or c".
    private static func alternatives(_ parts: [String]) -> String {
        guard parts.count > 1 else { return parts.first ?? "" }
        return parts.dropLast().joined(separator: ", ") + (parts.count > 2 ? "," : "") + " or " + parts.last!
    }

    /// The uncovered items as GitHub annotations on the policy lines.
    package func githubWarnings() -> String {
        GitHubRenderer().render(uncovered.map { item in
            let location = SourceLocation(line: item.location.line, column: item.location.column)
            return Diagnostic.warning(
                .testNotCovered, "not covered by any test: \(item.text)",
                at: SourceSpan(file: item.location.file, start: location, end: location))
        })
    }

    /// `{"percent", "covered", "total", "kinds", "items", "boundaries"}`.
    package var json: String {
        func reference(_ reference: CaseReference?, into out: inout JSONWriter) {
            guard let reference else { return out.literal("null") }
            out.beginObject()
            out.key("file")
            out.string(reference.file)
            out.key("case")
            out.string(reference.name)
            out.endObject()
        }
        return JSONWriter.text(capacity: 4096) { out in
            out.beginObject()
            out.member("percent", json: percentText)
            out.key("covered")
            out.integer(covered)
            out.key("total")
            out.integer(total)
            out.key("kinds")
            out.beginObject()
            for kind in Kind.allCases {
                let (covered, total) = count(kind)
                out.key(named: kind.key)
                out.beginObject()
                out.key("covered")
                out.integer(covered)
                out.key("total")
                out.integer(total)
                out.endObject()
            }
            out.endObject()
            out.key("items")
            out.beginArray()
            for item in items {
                out.element()
                out.beginObject()
                out.key("kind")
                out.string(item.kind.rawValue)
                out.key("id")
                out.string(item.id)
                out.key("title")
                out.string(item.title)
                out.key("location")
                out.string(item.location.description)
                out.key("covered_by")
                reference(item.coveredBy, into: &out)
                out.endObject()
            }
            out.endArray()
            out.key("boundaries")
            out.beginArray()
            for boundary in boundaries {
                out.element()
                out.beginObject()
                out.key("id")
                out.string(boundary.id)
                out.key("owner")
                out.string(boundary.owner)
                out.key("expression")
                out.string(boundary.expression)
                out.key("title")
                out.string(boundary.title)
                out.key("location")
                out.string("\(boundary.location.file):\(boundary.location.line):\(boundary.location.column)")
                out.key("sides")
                out.beginArray()
                for side in boundary.sides {
                    out.element()
                    out.beginObject()
                    out.key("side")
                    out.string(side.name)
                    out.key("meaning")
                    out.string(side.meaning)
                    out.key("covered_by")
                    reference(side.coveredBy, into: &out)
                    out.endObject()
                }
                out.endArray()
                out.endObject()
            }
            out.endArray()
            out.endObject()
        }
    }
}

/// Every line of `text` indented by `count` spaces.
private func indent(_ text: String, by count: Int) -> String {
    let pad = String(repeating: " ", count: count)
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        .map { $0.isEmpty ? "\n" : pad + $0 + "\n" }.joined()
}

private func paint(_ text: String, _ style: String, _ color: Bool) -> String {
    color ? "\u{1B}[\(style)m\(text)\u{1B}[0m" : text
}

/// XML escaping for text and attributes; characters XML 1.0 cannot hold at all become
/// U+FFFD. Attributes also escape quotes and line breaks (which parsers would fold into spaces).
enum XML {
    static func escape(_ text: String, attribute: Bool = true) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\n", "\t", "\"": out.unicodeScalars.append(scalar)
            case "\r": out += "&#13;"
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
