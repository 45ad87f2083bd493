import ArgumentParser

/// Exit codes are a contract with scripts and CI: each outcome has its own.
enum RescindExit {
    /// A policy, expression or request failed to parse, check or evaluate.
    static let invalidInput = ExitCode(3)
    /// Something went wrong inside Rescind itself.
    static let internalError = ExitCode(70)
}
