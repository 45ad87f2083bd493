import Foundation
import RescindJSON
import Testing

/// The one RFC 3339 formatter against a field-by-field reference, in each of its forms.
@Suite("RFC 3339")
struct RFC3339Tests {
    static func reference(_ seconds: Int64, nanos: Int32, fraction: RFC3339.Fraction, offset: Int) -> String {
        let local = seconds + Int64(offset)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        var components = DateComponents()
        let date = Date(timeIntervalSince1970: TimeInterval(days * 86_400))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        components = calendar.dateComponents([.year, .month, .day], from: date)
        let second = Int(local - days * 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = String(format: "%04d", components.year!) + "-\(two(components.month!))-\(two(components.day!))"
        text += "T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))"
        switch fraction {
        case .none: break
        case .microseconds: text += String(format: ".%06d", nanos / 1000)
        case .shortest:
            if nanos == 0 {
            } else if nanos % 1_000_000 == 0 {
                text += String(format: ".%03d", nanos / 1_000_000)
            } else if nanos % 1000 == 0 {
                text += String(format: ".%06d", nanos / 1000)
            } else {
                text += String(format: ".%09d", nanos)
            }
        }
        if offset == 0 { return text + "Z" }
        return text + (offset < 0 ? "-" : "+") + two(abs(offset) / 3600) + ":" + two(abs(offset) / 60 % 60)
    }

    /// Foundation's calendar is the reference from 1600 on (before 1582 it is Julian);
    /// the proleptic years before are pinned by the samples in `earlyYears`.
    @Test("random instants, offsets and fractions in years 1600…9999")
    func random() {
        var generator = SystemRandomNumberGenerator()
        var samples: [(Int64, Int32, Int)] = [(0, 0, 0), (-1, 0, 0), (86_399, 5, 3600), (253_402_300_799, 999_999_999, 0)]
        for _ in 0..<3000 {
            let nanos: Int32 = [0, 123_000_000, 123_456_000, 123_456_789, Int32.random(in: 0..<1_000_000_000, using: &generator)].randomElement()!
            samples.append((Int64.random(in: -11_676_096_000...253_402_300_799, using: &generator), nanos, Int.random(in: -56...56) * 900))
        }
        for (seconds, nanos, offset) in samples {
            for fraction in [RFC3339.Fraction.none, .microseconds, .shortest] {
                let offset = offset + Int(seconds) > 253_402_300_799 || Int(seconds) + offset < -11_676_096_000 ? 0 : offset
                #expect(
                    RFC3339.string(seconds: seconds, nanoseconds: nanos, fraction: fraction, offset: offset)
                        == Self.reference(seconds, nanos: nanos, fraction: fraction, offset: offset), "\(seconds) \(nanos) \(offset)")
            }
        }
    }

    @Test("early years on the proleptic Gregorian calendar")
    func earlyYears() {
        #expect(RFC3339.string(seconds: -62_135_596_800) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.string(seconds: -62_135_596_800, nanoseconds: 120_000_000, fraction: .shortest) == "0001-01-01T00:00:00.120Z")
        #expect(RFC3339.string(seconds: -12_219_292_801, offset: 3600) == "1582-10-15T00:59:59+01:00")
        #expect(RFC3339.string(seconds: -12_219_292_801 - 86_400 * 10) == "1582-10-04T23:59:59Z")
    }

    @Test("years outside 0…9999 keep the padding they always had")
    func farYears() {
        #expect(RFC3339.date(year: -5, month: 3, day: 4) == "00-5-03-04")
        #expect(RFC3339.date(year: 12345, month: 12, day: 31) == "12345-12-31")
        #expect(RFC3339.string(seconds: 253_402_300_800) == "10000-01-01T00:00:00Z")
        #expect(RFC3339.padded(7, width: 3) == "007")
    }

    @Test("civil dates from day numbers")
    func civil() {
        #expect(RFC3339.civil(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(RFC3339.civil(daysSinceEpoch: -1) == (1969, 12, 31))
        #expect(RFC3339.civil(daysSinceEpoch: 11_016) == (2000, 2, 29))
    }
}
