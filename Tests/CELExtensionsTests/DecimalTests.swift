import Testing

@testable import CELRuntime

@Suite("decimal money arithmetic")
struct DecimalTests {
    private func d(_ text: String) -> CELDecimal {
        guard let value = CELDecimal(parsing: text) else { fatalError("bad test literal \(text)") }
        return value
    }

    @Test("parses only whole, plain numerals", arguments: ["12abc", "1,5", "1e3", "", "-", ".", "1.2.3", "--1", "1-", " 1"])
    func rejectsMalformed(_ text: String) {
        #expect(CELDecimal(parsing: text) == nil)
    }

    @Test("parses plain numerals", arguments: [("129.99", "129.99"), ("-0.01", "-0.01"), ("+5", "5"), ("6.50", "6.5"), (".5", "0.5"), ("7.", "7")])
    func parses(_ text: String, _ expected: String) {
        #expect(CELDecimal(parsing: text)?.description == expected)
    }

    @Test("rejects more digits than it can hold exactly")
    func rejectsTooManyDigits() {
        #expect(CELDecimal(parsing: String(repeating: "9", count: 39)) == nil)
        #expect(CELDecimal(parsing: String(repeating: "9", count: 38)) != nil)
    }

    @Test("adds exactly where Double would not")
    func exactAddition() throws {
        #expect(try d("0.1").adding(d("0.2")) == d("0.3"))
        #expect(try d("129.99").subtracting(d("6.50")) == d("123.49"))
    }

    @Test("rounds half-even to a scale", arguments: [
        ("6.4995", 2, "6.5"), ("0.125", 2, "0.12"), ("0.135", 2, "0.14"), ("-0.125", 2, "-0.12"),
        ("2.5", 0, "2"), ("3.5", 0, "4"), ("129.994999", 2, "129.99"),
    ])
    func roundsHalfEven(_ text: String, _ scale: Int, _ expected: String) throws {
        #expect(try d(text).rounded(scale: scale) == d(expected))
    }

    @Test("the 5% fee on 129.99 is 6.50")
    func feeExample() throws {
        let fee = try d("129.99").multiplying(by: d("0.05")).rounded(scale: 2)
        #expect(fee.formatted(scale: 2) == "6.50")
        #expect(try d("129.99").subtracting(fee).formatted(scale: 2) == "123.49")
    }

    @Test("formats with a fixed scale", arguments: [("129.9", "129.90"), ("5", "5.00"), ("-0.5", "-0.50"), ("0.005", "0.00"), ("0.015", "0.02")])
    func formats(_ text: String, _ expected: String) {
        #expect(d(text).formatted(scale: 2) == expected)
    }

    @Test("division by zero and overflow are errors, not traps")
    func errors() {
        #expect(throws: CELDecimal.ArithmeticError.divisionByZero) { try d("1").dividing(by: d("0")) }
        let huge = d(String(repeating: "9", count: 38))
        #expect(throws: CELDecimal.ArithmeticError.overflow) {
            var x = huge
            for _ in 0..<10 { x = try x.multiplying(by: huge) }
        }
        #expect(throws: CELDecimal.ArithmeticError.invalidScale(40)) { try d("1").rounded(scale: 40) }
    }

    @Test("equal values hash equally whatever their scale")
    func hashing() {
        #expect(d("1.5") == d("1.50"))
        #expect(Set([d("1.5"), d("1.50"), d("1.500")]).count == 1)
    }
}
