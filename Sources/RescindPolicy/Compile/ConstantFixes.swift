import CEL
import CELRuntime
import Foundation

/// Corrections for constants written the way people write them rather than the way CEL
/// reads them (`"30 min"`, `"1d"`, `"5,000.00"`), for the `help:` of a load error. Each
/// proposal is checked with the same parser the runtime uses before it is offered.
enum ConstantFixes {
    /// Unit words people write, and the CEL unit each means. Days and weeks have no CEL
    /// unit: they become hours.
    private static let units: [String: String] = [
        "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
        "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "ms": "ms", "msec": "ms", "millisecond": "ms", "milliseconds": "ms",
        "us": "us", "microsecond": "us", "microseconds": "us",
        "ns": "ns", "nanosecond": "ns", "nanoseconds": "ns",
        "d": "d", "day": "d", "days": "d",
        "w": "w", "wk": "w", "week": "w", "weeks": "w",
    ]

    /// A duration as CEL writes it (`"1h30m"`) for text such as `"30 min"`, `"1 hour 30
    /// minutes"` or `"1d"`; with `days`, a policy duration, which may end in `d`.
    /// Nil when the text is not a recognisable duration.
    static func duration(_ text: String, days allowsDays: Bool = false) -> (fix: String, hadDays: Bool)? {
        // Split into number / word runs, ignoring spaces, commas and "and".
        var tokens: [String] = []
        var current = ""
        var currentIsNumber = false
        for character in text.lowercased() {
            let isNumber = character.isASCII && (character.isNumber || character == ".")
            let isLetter = character.isLetter
            if !isNumber && !isLetter {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                continue
            }
            if !current.isEmpty, isNumber != currentIsNumber {
                tokens.append(current)
                current = ""
            }
            current.append(character)
            currentIsNumber = isNumber
        }
        if !current.isEmpty { tokens.append(current) }
        tokens.removeAll { $0 == "and" }
        guard !tokens.isEmpty, tokens.count % 2 == 0 else { return nil }

        var hours: Decimal = 0
        var parts: [(Decimal, String)] = []
        var hadDays = false
        var index = 0
        while index < tokens.count {
            guard let number = Decimal(string: tokens[index], locale: Locale(identifier: "en_US_POSIX")),
                tokens[index].allSatisfy({ $0.isNumber || $0 == "." }), let unit = units[tokens[index + 1]]
            else { return nil }
            switch unit {
            case "d":
                hadDays = true
                if allowsDays, tokens.count == 2, tokens[0].allSatisfy(\.isNumber) { return ("\(tokens[0])d", false) }
                hours += number * 24
            case "w":
                hadDays = true
                if allowsDays, tokens.count == 2, tokens[0].allSatisfy(\.isNumber) {
                    return ("\(NSDecimalNumber(decimal: number * 7).stringValue)d", false)
                }
                hours += number * 168
            case "h": hours += number
            default: parts.append((number, unit))
            }
            index += 2
        }
        func written(_ value: Decimal) -> String { NSDecimalNumber(decimal: value).stringValue }
        let fix = (hours == 0 ? "" : written(hours) + "h") + parts.map { written($0.0) + $0.1 }.joined()
        guard !fix.isEmpty, CELDuration(parsing: fix) != nil else { return nil }
        return (fix, hadDays)
    }

    /// A decimal CEL reads (`"5000.00"`) for money written with grouping separators,
    /// spaces or a currency sign (`"5,000.00"`, `"¥ 5 000"`); nil when there is none.
    static func decimal(_ text: String) -> String? {
        var kept = text.trimmingCharacters(in: .whitespaces)
        kept.removeAll { "$¥€£, _'\u{00A0}".contains($0) }
        for code in ["CNY", "RMB", "USD", "EUR", "元"] where kept.hasPrefix(code) || kept.hasSuffix(code) {
            kept = kept.replacingOccurrences(of: code, with: "")
        }
        guard kept != text, CELDecimal(parsing: kept) != nil else { return nil }
        return kept
    }

    /// An RFC 3339 timestamp for a date or a date and time without a UTC offset; nil
    /// when the text is not close to one.
    static func timestamp(_ text: String) -> String? {
        var candidate = text.trimmingCharacters(in: .whitespaces)
        if candidate.count == 10 { candidate += "T00:00:00" }
        if candidate.count > 10, candidate[candidate.index(candidate.startIndex, offsetBy: 10)] == " " {
            candidate.replaceSubrange(
                candidate.index(candidate.startIndex, offsetBy: 10)...candidate.index(candidate.startIndex, offsetBy: 10),
                with: "T")
        }
        let zoned = candidate.hasSuffix("Z") || candidate.range(of: #"[+-]\d\d:\d\d$"#, options: .regularExpression) != nil
        if !zoned { candidate += "Z" }
        guard candidate != text, CELTimestamp(rfc3339: candidate) != nil else { return nil }
        return candidate
    }

    /// A whole number written as an English word (`two`), for integer fields.
    static func number(_ word: String) -> Int? {
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
            .firstIndex(of: word.lowercased())
    }
}
