import Foundation
@testable import RescindTooling
@testable import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing
import RescindYAML

/// `LineReader` reads blocks and splits them itself; these pin down what `getline`-based
/// reading did: line endings, empty lines (numbered, not returned), a last line without
/// a newline, and lines longer than a block or straddling two.
@Suite("Line reader")
struct LineReaderTests {
    /// Every line `next()` returns with its number, read `blockSize` bytes at a time.
    static func lines(of bytes: [UInt8], blockSize: Int) throws -> [(String, Int)] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-lines-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try #require(LineReader(path: path, blockSize: blockSize))
        var result: [(String, Int)] = []
        while let line = reader.next() {
            result.append((String(decoding: line, as: UTF8.self), reader.number))
        }
        return result
    }

    /// What the reader must return: split at `\n`, trailing `\r`s and `\n`s dropped,
    /// empty lines skipped but counted.
    static func expected(_ text: String) -> [(String, Int)] {
        // Split as bytes: as `Character`s, `\r\n` is one and would not split at `\n`.
        var result: [(String, Int)] = []
        var parts = Array(text.utf8).split(separator: 10, omittingEmptySubsequences: false)
        if text.utf8.last == 10 { parts.removeLast() }
        for (index, part) in parts.enumerated() {
            var line = part
            while line.last == 13 { line = line.dropLast() }
            if !line.isEmpty { result.append((String(decoding: line, as: UTF8.self), index + 1)) }
        }
        return result
    }

    @Test("line endings, empty lines and the last line, at every block size", arguments: [1, 2, 3, 5, 8, 64, 1 << 20])
    func endings(blockSize: Int) throws {
        let samples = [
            "", "\n", "\n\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\r\r\n\r\n\nb", "\r", "{\"id\":\"x\"}\n\n{}\n",
            "one\ntwo\nthree", "\u{4E2D}\u{6587}\nx\r", "a\u{0}b\nc",
        ]
        for sample in samples {
            let lines = try Self.lines(of: Array(sample.utf8), blockSize: blockSize)
            let expected = Self.expected(sample)
            #expect(lines.map(\.0) == expected.map(\.0), "\(sample.debugDescription) in blocks of \(blockSize)")
            #expect(lines.map(\.1) == expected.map(\.1), "\(sample.debugDescription) in blocks of \(blockSize)")
        }
    }

    @Test("lines far longer than a block, and many lines")
    func longLines() throws {
        var text = ""
        for index in 0..<500 {
            text += String(repeating: Character(UnicodeScalar(UInt8(97 + index % 26))), count: index * 7 % 300)
            text += index % 3 == 0 ? "\r\n" : "\n"
        }
        text += String(repeating: "z", count: 5000)
        for blockSize in [7, 100, 4096] {
            let lines = try Self.lines(of: Array(text.utf8), blockSize: blockSize)
            let expected = Self.expected(text)
            #expect(lines.map(\.0) == expected.map(\.0))
            #expect(lines.map(\.1) == expected.map(\.1))
        }
    }

    @Test("a batch holds copies of the lines with their numbers")
    func batches() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-batch-\(UUID().uuidString)").path
        try Data("a\n\nb\nc\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try #require(LineReader(path: path, blockSize: 2))
        var batch = LineBatch()
        reader.fill(&batch, limit: 2)
        var seen: [(String, Int)] = []
        batch.forEach { seen.append((String(decoding: $0, as: UTF8.self), $1)) }
        #expect(seen.map(\.0) == ["a", "b"])
        #expect(seen.map(\.1) == [1, 3])
        reader.fill(&batch, limit: 2)
        seen = []
        batch.forEach { seen.append((String(decoding: $0, as: UTF8.self), $1)) }
        #expect(seen.map(\.0) == ["c"])
        reader.fill(&batch, limit: 2)
        #expect(batch.count == 0)
    }

    @Test("beforeReading runs before each read, never between lines already read")
    func beforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-hook-\(UUID().uuidString)").path
        try Data("a\nb\nc\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (blockSize, reads) in [(1 << 20, 2), (4, 3)] {
            // 1 MiB: one read gets everything, one more finds the end. 4 bytes: "a\nb\n",
            // then "c\n", then the end (the buffer keeps its size once lines fit).
            let reader = try #require(LineReader(path: path, blockSize: blockSize))
            var calls = 0
            var lines: [String] = []
            while let line = reader.next(beforeReading: { calls += 1 }) {
                lines.append(String(decoding: line, as: UTF8.self))
            }
            #expect(lines == ["a", "b", "c"])
            #expect(calls == reads, "block size \(blockSize)")
        }
    }

    @Test("a missing file is nil")
    func missingFile() {
        #expect(LineReader(path: "/nonexistent/rescind-requests.jsonl") == nil)
    }
}
