import ArgumentParser
import Foundation
import RescindDiagnostics
import RescindEngine

/// The language diagnostics are printed in: `--locale`, else `RESCIND_LOCALE`, else English.
///
/// Tags are matched as the policy set's locales are (`LocaleMatcher`: `zh`, `zh-Hans`,
/// `zh_CN` → `zh-CN`; `en-GB` → `en`). Codes, locations and JSON keys are the same in
/// every language; only the words change.
enum DiagnosticLanguage {
    /// The tags diagnostics are written in, for completions and messages.
    static let tags = Diagnostic.Locale.allCases.map(\.rawValue)

    /// `tag` (or `RESCIND_LOCALE`) matched; a usage error when it is neither language,
    /// for the commands whose `--locale` is only about diagnostics (`check`, `test`, `serve`).
    static func required(_ tag: String?) throws -> Diagnostic.Locale {
        let environment = ProcessInfo.processInfo.environment["RESCIND_LOCALE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = tag ?? environment else { return .en }
        guard let locale = match(text) else {
            let source = tag == nil ? "RESCIND_LOCALE" : "--locale"
            throw ValidationError(
                "\(source) `\(text)`: diagnostics are written in \(tags.map { "`\($0)`" }.joined(separator: " and "))")
        }
        return locale
    }

    /// `tag` (or `RESCIND_LOCALE`) matched, English when it is neither language: for the
    /// commands whose `--locale` chooses the reasons' language (`eval`, `explain`,
    /// `replay`), where a tag the policy set has texts in but diagnostics do not must
    /// still show why the policies failed to load.
    static func preferred(_ tag: String?) -> Diagnostic.Locale {
        let environment = ProcessInfo.processInfo.environment["RESCIND_LOCALE"].flatMap { $0.isEmpty ? nil : $0 }
        return (tag ?? environment).flatMap(match) ?? .en
    }

    private static func match(_ tag: String) -> Diagnostic.Locale? {
        Diagnostic.Locale(tag: tag)
    }
}
