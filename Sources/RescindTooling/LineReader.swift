import Foundation
import RescindUnsafe

/// Reads a file, or standard input, one line at a time: the JSON Lines readers of
/// `rescind eval --jsonl` and `rescind replay` share it.
///
/// The input is read with `read(2)` in large blocks into one buffer, and lines are
/// handed out where they lie in it: a line costs no allocation, no copy and no system
/// call (per-line reading through `getline` or Foundation costs a sizeable part of
/// deciding the request on it). The buffer grows to hold the longest line.
package final class LineReader {
    /// How much is read at a time (the buffer's first size).
    static let blockSize = 1 << 20

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var storage: ByteBuffer
    private var buffer: UnsafeMutablePointer<UInt8> { storage.base! }
    private var capacity: Int { storage.capacity }
    /// The bytes read and not yet handed out are `buffer[start ..< end]`.
    private var start = 0
    private var end = 0
    /// Whether `read` reported the end of the input (or an error, which ends it too).
    private var exhausted = false
    /// The number of the line `next()` returned last, counting from 1 (empty lines count).
    package private(set) var number = 0

    /// Opens `path`, or standard input for `-`; nil when the file cannot be opened.
    package convenience init?(path: String) {
        self.init(path: path, blockSize: Self.blockSize)
    }

    /// As `init(path:)`, reading `blockSize` bytes at a time (small in tests, so lines
    /// straddle blocks).
    package init?(path: String, blockSize: Int) {
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        } else {
            let opened = open(path, O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else { return nil }
            descriptor = opened
            ownsDescriptor = true
        }
        storage = ByteBuffer(capacity: blockSize)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line that is not empty, without its line ending (`\n` or `\r\n`); nil at
    /// the end of the input. The bytes stay valid until the next call.
    package func next() -> UnsafeRawBufferPointer? { next(beforeReading: {}) }

    /// As `next()`, calling `beforeReading` first whenever the buffered input is used up
    /// and a `read` (which may wait for a slow writer) is due: the place to flush output.
    package func next(beforeReading: () -> Void) -> UnsafeRawBufferPointer? {
        while let line = nextLine(beforeReading) {
            number += 1
            var count = line.count
            while count > 0, line.start[count - 1] == 10 || line.start[count - 1] == 13 { count -= 1 }
            if count > 0 { return UnsafeRawBufferPointer(start: line.start, count: count) }
        }
        return nil
    }

    /// The next line with its `\r`s but without its `\n` (the last line may have none);
    /// nil at the end of the input.
    private func nextLine(_ beforeReading: () -> Void) -> (start: UnsafeMutablePointer<UInt8>, count: Int)? {
        // How many unread bytes are known to hold no `\n` (they move when refilling).
        var searched = 0
        while true {
            if let newline = memchr(buffer + start + searched, 10, end - start - searched) {
                let lineStart = start
                start = newline.assumingMemoryBound(to: UInt8.self) - buffer + 1
                return (buffer + lineStart, start - 1 - lineStart)
            }
            searched = end - start
            if exhausted {
                guard start < end else { return nil }
                defer { start = end }
                return (buffer + start, end - start)
            }
            beforeReading()
            refill()
        }
    }

    /// Reads the next block after the unread bytes, first moving them to the front of the
    /// buffer (or growing it when a line fills it all).
    private func refill() {
        if start > 0 {
            let unread = end - start
            if unread > 0 { buffer.update(from: buffer + start, count: unread) }
            end = unread
            start = 0
        }
        if end == capacity {
            storage.grow(to: capacity * 2, preserving: end)
        }
        while true {
            let got = read(descriptor, buffer + end, capacity - end)
            if got > 0 {
                end += got
                return
            }
            if got < 0, errno == EINTR { continue }
            // The end of the input; an error ends it too, as it did `getline`.
            exhausted = true
            return
        }
    }
    /// Replaces the lines of `batch` (keeping its storage) with up to `limit` more lines
    /// (not empty), copied so the batch can be handed to another thread; it is left
    /// empty at the end of the input.
    package func fill(_ batch: inout LineBatch, limit: Int) {
        batch.removeAll()
        while batch.count < limit, let bytes = next() {
            batch.append(bytes, number: number)
        }
    }
}

/// Lines copied out of a `LineReader` into one buffer, with their line numbers.
package struct LineBatch: Sendable {
    private var bytes: [UInt8] = []
    /// Where each line ends in `bytes` (each starts where the one before ends).
    private var ends: [Int] = []
    private var numbers: [Int] = []

    /// An empty batch, for `LineReader.fill`.
    package init() {}

    /// How many lines the batch holds.
    package var count: Int { ends.count }

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
    package func forEach(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            for (index, end) in ends.enumerated() {
                try body(UnsafeRawBufferPointer(rebasing: all[start..<end]), numbers[index])
                start = end
            }
        }
    }
}
