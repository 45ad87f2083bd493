import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Fuzz target `replay`: a decision log or request-per-line file as `rescind replay`
// reads it: `LineReader` (here with 64-byte reads, so lines straddle refills and the
// buffer grows), `DecisionLogLine.request` (the envelope scanner, quick and exact) and
// `Replay.run`, with the reference pack on both sides.
// Invariants: the request a line carries lies inside the line (the whole line when it
// is not a log entry); when the quick guess decodes, the exact scan, if it finds an
// entry, finds the same request; the reader yields exactly the non-empty lines;
// replaying a set against itself counts every line, changes nothing and flags as bad
// exactly the lines whose logged `history` is malformed or whose request does not decode.

/// A file per process: the input is written to it and read back by `LineReader`;
/// removed when the process exits normally (libFuzzer's `exit` at the end of a run).
private let inputPath: String = {
    let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(directory)/rescind-fuzz-replay-\(getpid()).jsonl"
    inputPathForCleanup = strdup(path)
    atexit { if let path = inputPathForCleanup { unlink(path) } }
    return path
}()

nonisolated(unsafe) private var inputPathForCleanup: UnsafeMutablePointer<CChar>?

private let replay: Replay = {
    let side = ReplaySide(policySet: ReferencePack.policySet, source: "Policies")
    return Replay(baseline: side, candidate: side, samples: 2)
}()

func fuzzReplay(_ data: UnsafeRawBufferPointer) {
    // The lines as the reader must cut them: at `\n`, without trailing `\r`s, empty
    // ones skipped.
    var expected: [[UInt8]] = []
    for piece in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
        var line = Array(piece)
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
        if !line.isEmpty { expected.append(line) }
    }

    var bad = 0
    var entries = 0
    for line in expected {
        line.withUnsafeBytes { line in
            let quick = DecisionLogLine.request(in: line, quick: true)
            let exact = DecisionLogLine.request(in: line)
            for (request, isEntry) in [quick, exact] {
                let offset = line.baseAddress.map { request.baseAddress.map($0.distance) ?? 0 } ?? 0
                precondition(offset >= 0 && offset + request.count <= line.count, "the request lies outside its line")
                if !isEntry { precondition(offset == 0 && request.count == line.count, "a plain request is not the whole line") }
                else { precondition(request.first == UInt8(ascii: "{"), "a log entry's request does not start with `{`") }
            }
            if quick.isLogEntry { entries += 1 }
            // A malformed `history` makes a bad line whatever its request.
            if case .failure = DecisionLogLine.history(in: line) {
                bad += 1
                return
            }
            let decoder = ReferencePack.decoder
            var decoded = decoder.decode(quick.request)
            if case .success = decoded, quick.isLogEntry, exact.isLogEntry {
                precondition(
                    exact.request.baseAddress == quick.request.baseAddress && exact.request.count == quick.request.count,
                    "the quick guess decoded but differs from the exact request")
            }
            if case .failure = decoded, quick.isLogEntry { decoded = decoder.decode(exact.request) }
            if case .failure(let error) = decoded {
                bad += 1
                checkRejection(error, input: quick.isLogEntry ? exact.request : quick.request, limits: decoder.limits)
            }
        }
    }

    let descriptor = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(descriptor >= 0, "cannot write \(inputPath)")
    var written = 0
    while written < data.count {
        let count = write(descriptor, data.baseAddress! + written, data.count - written)
        precondition(count > 0, "cannot write \(inputPath)")
        written += count
    }
    close(descriptor)

    // The reader hands out the expected lines.
    guard let reader = LineReader(path: inputPath, blockSize: 64) else { preconditionFailure("cannot read \(inputPath)") }
    var index = 0
    while let line = reader.next() {
        precondition(index < expected.count && line.elementsEqual(expected[index]), "line \(index + 1) is not the expected one")
        index += 1
    }
    precondition(index == expected.count, "the reader stopped after \(index) of \(expected.count) lines")

    guard let again = LineReader(path: inputPath, blockSize: 64) else { preconditionFailure("cannot read \(inputPath)") }
    let report = replay.run(again)
    precondition(report.lines == expected.count, "replay counted \(report.lines) lines, not \(expected.count)")
    precondition(report.logEntries == entries, "replay counted \(report.logEntries) log entries, not \(entries)")
    precondition(report.badLines == bad, "replay counted \(report.badLines) bad lines, not \(bad)")
    precondition(report.changed == 0 && report.flips == 0 && report.samples.isEmpty, "a policy set replayed against itself changed")
    precondition(report.transitions.reduce(0) { $0 + $1.count } == report.replayed, "transitions do not add up to the replayed lines")
    _ = report.text
    precondition(
        (try? JSONSerialization.jsonObject(with: Data(report.json.utf8))) is [String: Any], "the JSON report does not parse")
}
