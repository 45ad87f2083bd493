import ArgumentParser

/// Exit codes are a contract with scripts and CI: each outcome has its own.
enum RescindExit {
    /// The decision was deny.
    static let deny = ExitCode(1)
    /// The decision was review.
    static let review = ExitCode(2)
    /// A policy, expression or request failed to parse, check or evaluate.
    static let invalidInput = ExitCode(3)
    /// `rescind test`: a policy test failed, or coverage is below `--coverage-min`.
    static let testsFailed = ExitCode(4)
    /// `rescind replay`: a `--fail-on` threshold was exceeded.
    static let replayThresholdExceeded = ExitCode(5)
    /// `rescind diff --exit-code`: the two policy sets differ (not 1, which is deny).
    static let changesFound = ExitCode(8)
    /// Something went wrong inside Rescind itself.
    static let internalError = ExitCode(70)
}
