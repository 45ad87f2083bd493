import RescindEngine
import Testing

/// One rule matches every requested locale (`--locale`, a request's `locale`,
/// `?locale=`, `Accept-Language`) to the policy set's locales.
@Suite struct LocaleMatcherTests {
    let matcher = LocaleMatcher(supported: ["en", "zh-CN"])

    @Test(arguments: ["zh-CN", "zh-cn", "ZH-CN", "zh_CN", "zh_cn", "zh", "zh-Hans", "zh-hans-cn", "zh-SG", "zh-Hant", "zh-TW"])
    func chineseTagsFindZhCN(_ tag: String) {
        #expect(matcher.match(tag) == "zh-CN")
    }

    @Test(arguments: ["en", "EN", "en-GB", "en_US", "en-Latn-US"])
    func englishTagsFindEn(_ tag: String) {
        #expect(matcher.match(tag) == "en")
    }

    @Test(arguments: ["fr", "ja", "", "-", "zz-CN", "c", "*", "1234"])
    func otherLanguagesMatchNothing(_ tag: String) {
        #expect(matcher.match(tag) == nil)
    }

    /// With both Chinese scripts supported, the script decides (written or implied by
    /// the region); a bare `zh` takes the first declared.
    @Test func scriptPicksBetweenChineseLocales() {
        let both = LocaleMatcher(supported: ["en", "zh-CN", "zh-TW"])
        #expect(both.match("zh-Hant") == "zh-TW")
        #expect(both.match("zh-HK") == "zh-TW")
        #expect(both.match("zh_tw") == "zh-TW")
        #expect(both.match("zh-Hans") == "zh-CN")
        #expect(both.match("zh-SG") == "zh-CN")
        #expect(both.match("zh") == "zh-CN")
    }

    @Test func fallbackIsEnglishWhenDeclared() {
        #expect(matcher.fallback == "en")
        #expect(LocaleMatcher(supported: ["zh-CN", "ja"]).fallback == "zh-CN")
    }
}
