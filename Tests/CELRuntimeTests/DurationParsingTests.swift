import CEL
import CELRuntime
import Testing

/// `duration(string)`: Go-style text, checked for overflow at every step.
@Suite struct DurationParsing {
    // Found while fuzzing (by code review; reproduced with `RescindFuzz cel`): the
    // nanoseconds a fraction carries into the seconds were added without an overflow
    // check, so a huge seconds count followed by a fractional unit trapped instead of
    // failing to parse.
    @Test(arguments: ["9223372036854775807s0.5h", "9223372036854775807s.9999999999h", "9223372036854775807s1000ms0.5s"])
    func fractionCarryIntoHugeSecondsIsARangeError(text: String) throws {
        #expect(CELDuration(parsing: text) == nil)
        let program = try CELEnvironment().compileUnchecked("duration(d)").get()
        #expect(program.evaluate(["d": .string(text)]).value.error?.code == .outOfRange)
    }

    @Test func fractionsCarryIntoSeconds() {
        #expect(CELDuration(parsing: "1.5h0.75m")?.secondsString == "5445s")
        #expect(CELDuration(parsing: "-0.9999999999s")?.secondsString == "-0.999999999s")
    }
}
