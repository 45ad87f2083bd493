import Foundation
import Testing

/// Runs the real `rescind` executable built beside the test bundle, as users do.
struct CLIRun {
    let stdout: String
    let stderr: String
    let status: Int32
}

enum CLI {
    /// The folder SwiftPM put the products in (the test bundle lives there too).
    static var productsDirectory: URL {
        let bundle = Bundle.main.bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }

    static var executable: URL { productsDirectory.appendingPathComponent("rescind") }

    /// The "today" every `rescind` run here sees (`RESCIND_TODAY`): well inside the
    /// reference calendar's years.
    static let pinnedToday = "2026-06-01"

    /// The package root, for example files.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `rescind` with `arguments` from the package root; `input`, when given, is its
    /// standard input.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> CLIRun {
        try runProcess(executable.path, arguments, environment: environment, input: input)
    }

    /// Runs the program at `path` as `run` runs `rescind` (same environment, folder and pipes).
    static func runProcess(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil
    ) throws -> CLIRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // `rescind check` reads the wall clock for calendar coverage: pin it, so the
        // reference pack checks the same whatever day the tests run.
        env["RESCIND_TODAY"] = pinnedToday
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Standard input comes from a file, not a pipe: a child that exits without reading
        // cannot make a write fail (SIGPIPE would end the whole test run).
        let inputFile = input.map { _ in
            FileManager.default.temporaryDirectory.appendingPathComponent("rescind-cli-stdin-\(UUID().uuidString)")
        }
        defer { if let inputFile { try? FileManager.default.removeItem(at: inputFile) } }
        if let input, let inputFile {
            try Data(input.utf8).write(to: inputFile)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        }
        try process.run()
        // Both pipes are drained at once, before waiting: reading one to its end first
        // would deadlock on a child that fills the other pipe's buffer (64 KiB) first.
        let stderrReader = PipeReader(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = stderrReader.wait()
        process.waitUntilExit()
        return CLIRun(
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            status: process.terminationStatus)
    }
}

/// Reads a pipe to its end on a thread of its own (not the Swift concurrency pool, which
/// the tests share), so the caller can read another pipe meanwhile.
final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once by the reading thread before `done` is signalled, read after `wait`.
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything the pipe carried, once its writer closed it.
    func wait() -> Data {
        done.wait()
        return data
    }
}
