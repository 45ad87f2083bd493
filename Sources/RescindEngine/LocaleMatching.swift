import CELRuntime
import RescindDiagnostics

/// Which of a policy set's locales answers a requested language tag.
///
/// One rule for every way a locale is asked for — `rescind eval --locale`, a request's
/// `locale` field, `?locale=` and `Accept-Language` — so the same tag always gets the
/// same texts, and the decision's `locale` names the locale whose texts it carries.
///
/// Tags are compared as BCP 47 tags: case does not matter and `_` is read as `-`
/// (`zh_CN`, `zh-cn` → `zh-CN`). A tag no locale names exactly is matched by its
/// language (`zh`, `zh-Hans`, `zh-SG` → `zh-CN`; `en-GB` → `en`), preferring a locale
/// of the same script: `zh-Hans` and the regions written in it (CN, SG, MY) go with
/// `zh-CN` over `zh-TW`, and `zh-Hant` with TW, HK and MO the other way.
package struct LocaleMatcher: Sendable, Hashable {
    /// The locales texts exist in, as the policy set declares them.
    package let supported: [String]

    /// A matcher over `supported` (the policy set's `locales`).
    package init(supported: [String]) { self.supported = supported }

    /// The supported locale for `tag`, nil when its language is none of them.
    package func match(_ tag: String) -> String? {
        // The common case, a tag written as declared, costs a few string compares.
        if let exact = supported.first(where: { $0 == tag }) { return exact }
        let wanted = LanguageTag(tag)
        guard !wanted.language.isEmpty else { return nil }
        if let same = supported.first(where: { LanguageTag($0) == wanted }) { return same }
        let sameLanguage = supported.filter { LanguageTag($0).language == wanted.language }
        guard let first = sameLanguage.first else { return nil }
        let script = wanted.impliedScript
        return sameLanguage.first { script != nil && LanguageTag($0).impliedScript == script } ?? first
    }

    /// The locale texts fall back to: `en` when the set has it, else its first locale.
    package var fallback: String { supported.contains("en") ? "en" : supported.first ?? "en" }
}

/// The parts of a BCP 47 tag that locale matching reads, lowercased.
struct LanguageTag: Hashable {
    var language: Substring
    var script: Substring?
    var region: Substring?

    init(_ text: String) {
        let subtags = text.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " })
        language = subtags.first ?? ""
        for subtag in subtags.dropFirst() {
            if subtag.count == 4, subtag.allSatisfy(\.isLetter), script == nil {
                script = subtag
            } else if (subtag.count == 2 && subtag.allSatisfy(\.isLetter)) || (subtag.count == 3 && subtag.allSatisfy(\.isNumber)),
                region == nil
            {
                region = subtag
            }
        }
        if !language.allSatisfy({ $0.isASCII && $0.isLetter }) || !(2...8).contains(language.count) { language = "" }
    }

    /// The script written or implied by the region, for the languages where it matters
    /// (Chinese); nil when neither says.
    var impliedScript: Substring? {
        if let script { return script }
        guard language == "zh", let region else { return nil }
        switch region {
        case "cn", "sg", "my": return "hans"
        case "tw", "hk", "mo": return "hant"
        default: return nil
        }
    }
}

extension PolicySet {
    /// The locales the set's texts are written in (every message has them all), sorted.
    package var locales: [String] { defaultReason.locales }

    /// Matches requested language tags against `locales`.
    package var localeMatcher: LocaleMatcher { LocaleMatcher(supported: locales) }

    /// The locale a decision's texts are written in: the requested one (`--locale`,
    /// `?locale=`) or else the request's `locale`, matched to the set's locales, else the
    /// fallback. A tag written exactly as declared is found without allocating.
    @inline(__always)
    func decisionLocale(requested: String?, request: ObjectValue) -> String {
        let tag = requested ?? stringValue(localeSlot, of: request) ?? "en"
        if defaultReason.hasText(for: tag) { return tag }
        return matchedLocale(tag)
    }

    /// The slow path of `decisionLocale`, kept out of line: a tag not written exactly as
    /// declared.
    @inline(never)
    private func matchedLocale(_ tag: String) -> String {
        let matcher = localeMatcher
        return matcher.match(tag) ?? matcher.fallback
    }
}

extension Diagnostic.Locale {
    /// The language of Rescind's own words (diagnostics, diffs, the workbench) for a
    /// BCP 47 tag, matched as policy locales are (`zh`, `zh-Hans`, `zh_CN` → zh-CN;
    /// `en-GB` → en); nil for a language they are not written in.
    package init?(tag: String) {
        guard let matched = LocaleMatcher(supported: Self.allCases.map(\.rawValue)).match(tag) else { return nil }
        self.init(rawValue: matched)
    }
}
