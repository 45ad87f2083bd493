import Foundation

/// Reads a file, or standard input, one line at a time into a buffer it reuses: the
/// JSON Lines readers of `rescind eval --jsonl` and `rescind replay` share it, and a
/// line costs no allocation (reading per line through Foundation would cost more than
/// deciding the request on it).
public final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var line: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// The number of the line `next()` returned last, counting from 1 (empty lines count).
    public private(set) var number = 0

    /// Opens `path`, or standard input for `-`; nil when the file cannot be opened.
    public init?(path: String) {
        if path == "-" {
            guard let input = fdopen(STDIN_FILENO, "r") else { return nil }
            file = input
            ownsFile = false
        } else {
            guard let input = fopen(path, "r") else { return nil }
            file = input
            ownsFile = true
        }
    }

    deinit {
        free(line)
        if ownsFile { fclose(file) }
    }

    /// The next line that is not empty, without its line ending (`\n` or `\r\n`); nil at
    /// the end of the input. The bytes stay valid until the next call.
    public func next() -> UnsafeRawBufferPointer? {
        while true {
            let length = getline(&line, &capacity, file)
            if length < 0 { return nil }
            number += 1
            var count = length
            while count > 0, line![count - 1] == 10 || line![count - 1] == 13 { count -= 1 }
            if count > 0 { return UnsafeRawBufferPointer(start: line, count: count) }
        }
    }

    /// Replaces the lines of `batch` (keeping its storage) with up to `limit` more lines
    /// (not empty), copied so the batch can be handed to another thread; it is left
    /// empty at the end of the input.
    public func fill(_ batch: inout LineBatch, limit: Int) {
        batch.removeAll()
        while batch.count < limit, let bytes = next() {
            batch.append(bytes, number: number)
        }
    }
}

/// Lines copied out of a `LineReader` into one buffer, with their line numbers.
public struct LineBatch: Sendable {
    private var bytes: [UInt8] = []
    /// Where each line ends in `bytes` (each starts where the one before ends).
    private var ends: [Int] = []
    private var numbers: [Int] = []

    /// An empty batch, for `LineReader.fill`.
    public init() {}

    /// How many lines the batch holds.
    public var count: Int { ends.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
    }

    mutating func append(_ line: UnsafeRawBufferPointer, number: Int) {
        bytes.append(contentsOf: line)
        ends.append(bytes.count)
        numbers.append(number)
    }

    /// Calls `body` with each line's bytes and number, in input order.
    public func forEach(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            for (index, end) in ends.enumerated() {
                try body(UnsafeRawBufferPointer(rebasing: all[start..<end]), numbers[index])
                start = end
            }
        }
    }
}
