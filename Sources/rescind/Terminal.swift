import Foundation

/// Whether a file descriptor is an interactive terminal: colour only then, and never
/// when NO_COLOR is set (https://no-color.org).
func isTerminal(fileDescriptor: Int32) -> Bool {
    guard ProcessInfo.processInfo.environment["NO_COLOR"] == nil else { return false }
    return isatty(fileDescriptor) != 0
}
