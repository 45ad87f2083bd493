/// A position in a source text. `line` and `column` are 1-based; `column` counts
/// characters (Unicode scalars), not bytes. `offset` is the UTF-8 byte offset.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int = 0) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of source text in a named file: `start` is the first character,
/// `end` the position just after the last one.
public struct SourceSpan: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var start: SourceLocation
    public var end: SourceLocation

    public init(file: String, start: SourceLocation, end: SourceLocation) {
        self.file = file
        self.start = start
        self.end = end
    }

    /// `path:line:col`, the prefix every rendered diagnostic starts with.
    public var description: String { "\(file):\(start.line):\(start.column)" }
}

/// The text of one source file with a line index, so diagnostics can quote the line
/// they point at and offsets can be turned into line:column.
package final class SourceFile: Sendable {
    package let path: String
    package let text: String
    /// UTF-8 offsets at which each line starts.
    private let lineStarts: [Int]
    private let bytes: [UInt8]

    package init(path: String, text: String) {
        self.path = path
        self.text = text
        let bytes = Array(text.utf8)
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(index + 1)
        }
        self.lineStarts = starts
        self.bytes = bytes
    }

    package var lineCount: Int { lineStarts.count }

    /// The text of a 1-based line, without its line terminator; nil past the end.
    package func line(_ number: Int) -> Substring? {
        guard number >= 1, number <= lineStarts.count else { return nil }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let utf8 = text.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: start)
        let to = utf8.index(utf8.startIndex, offsetBy: max(start, end))
        return text[from..<to]
    }

    /// Converts a UTF-8 byte offset into a location with a character column.
    package func location(ofOffset offset: Int) -> SourceLocation {
        let clamped = min(max(offset, 0), bytes.count)
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        var column = 1
        var index = lineStarts[low]
        while index < clamped {
            // Count only the first byte of each UTF-8 sequence: one per character.
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourceLocation(line: low + 1, column: column, offset: clamped)
    }

    /// A span of this file from two UTF-8 offsets.
    package func span(from start: Int, to end: Int) -> SourceSpan {
        SourceSpan(file: path, start: location(ofOffset: start), end: location(ofOffset: max(start, end)))
    }
}
