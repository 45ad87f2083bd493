import RescindDiagnostics

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Bounds that keep hostile or runaway input from exhausting time or memory.
/// Exceeding one stops loading with a located error.
package struct YAMLLimits: Sendable, Hashable {
    /// The largest file accepted, in bytes (UTF-8). Default 1 MiB.
    package var maxFileSize: Int
    /// The deepest nesting of sequences and mappings accepted, counting nesting
    /// brought in by aliases. A document whose root is a mapping of scalars has
    /// depth 1. Default 64.
    package var maxDepth: Int
    /// The most nodes that aliases may expand to in one file: every alias counts the
    /// size of the node it stands for, including what that node's own aliases
    /// expanded to. Default 10 000, far above what a policy needs and far below what
    /// a "billion laughs" document asks for.
    package var maxAliasExpansion: Int
    /// The most errors reported for one file before loading stops. A hostile file can
    /// hold a hundred thousand duplicate keys; reporting each would only flood the
    /// output and the renderers. Default 100.
    package var maxErrors: Int

    /// Creates limits; every argument defaults to the default limit.
    package init(maxFileSize: Int = 1 << 20, maxDepth: Int = 64, maxAliasExpansion: Int = 10_000, maxErrors: Int = 100) {
        self.maxFileSize = maxFileSize
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.maxErrors = maxErrors
    }

    /// The default limits.
    package static let `default` = YAMLLimits()
}

/// What loading one file produced.
package struct YAMLLoadResult: Sendable {
    /// The documents of the file in order (a file may hold several, separated by
    /// `---`). An empty file has none. When `diagnostics` has errors, the documents
    /// may be missing or incomplete and should not be used.
    package var documents: [YAMLNode]
    /// Every problem found, in the order found.
    package var diagnostics: Diagnostics
    /// The text that was loaded, for rendering diagnostics (see `HumanRenderer`).
    package var source: SourceFile

    /// Creates a result.
    package init(documents: [YAMLNode], diagnostics: Diagnostics, source: SourceFile) {
        self.documents = documents
        self.diagnostics = diagnostics
        self.source = source
    }
}

/// Loads YAML text into node trees with spans, resolving scalars by the YAML 1.2 core
/// schema and reporting problems as diagnostics instead of throwing.
///
/// ```swift
/// let result = YAMLLoader().load(text: policyText, path: "policy.yaml")
/// if result.diagnostics.hasErrors { print(HumanRenderer(sources: SourceMap([result.source])).render(result.diagnostics)) }
/// ```
package struct YAMLLoader: Sendable {
    /// The limits applied to every load.
    package var limits: YAMLLimits

    /// Creates a loader with the given limits.
    package init(limits: YAMLLimits = .default) {
        self.limits = limits
    }

    /// Loads YAML from text. `path` names the source in spans and diagnostics.
    package func load(text: String, path: String) -> YAMLLoadResult {
        let source = SourceFile(path: path, text: withoutByteOrderMark(text))
        let size = text.utf8.count
        if size > limits.maxFileSize {
            let diagnostic = YAMLMessages.fileTooLarge(
                size: size, limit: limits.maxFileSize, at: source.span(from: 0, to: 0))
            return YAMLLoadResult(documents: [], diagnostics: [diagnostic], source: source)
        }
        return parse(source: source, diagnostics: [])
    }

    /// Loads YAML from raw bytes, which should be UTF-8. Invalid UTF-8 is reported
    /// (located at the first bad byte) and replaced by U+FFFD so the rest of the file
    /// is still checked.
    package func load(bytes: some Collection<UInt8>, path: String) -> YAMLLoadResult {
        if bytes.count > limits.maxFileSize {
            let source = SourceFile(path: path, text: "")
            let diagnostic = YAMLMessages.fileTooLarge(
                size: bytes.count, limit: limits.maxFileSize, at: source.span(from: 0, to: 0))
            return YAMLLoadResult(documents: [], diagnostics: [diagnostic], source: source)
        }
        return loadChecked(bytes: bytes, path: path)
    }

    /// Reads and loads the file at `path`. The size limit is checked before the file
    /// is read in full, so an oversized file is never loaded into memory.
    package func load(contentsOf path: String) -> YAMLLoadResult {
        switch readFile(atPath: path, limit: limits.maxFileSize) {
        case .contents(let bytes):
            return loadChecked(bytes: bytes, path: path)
        case .tooLarge(let size):
            let source = SourceFile(path: path, text: "")
            let diagnostic = YAMLMessages.fileTooLarge(
                size: size, limit: limits.maxFileSize, at: source.span(from: 0, to: 0))
            return YAMLLoadResult(documents: [], diagnostics: [diagnostic], source: source)
        case .failed(let reason):
            return YAMLLoadResult(
                documents: [], diagnostics: [YAMLMessages.unreadableFile(path: path, reason: reason)],
                source: SourceFile(path: path, text: ""))
        }
    }

    // MARK: Internals

    private func loadChecked(bytes: some Collection<UInt8>, path: String) -> YAMLLoadResult {
        var diagnostics = Diagnostics()
        let source: SourceFile
        if let text = String(validating: bytes, as: UTF8.self) {
            source = SourceFile(path: path, text: withoutByteOrderMark(text))
        } else {
            let repaired = String(decoding: bytes, as: UTF8.self)
            source = SourceFile(path: path, text: repaired)
            let problem = firstInvalidUTF8(in: bytes)
            // Bytes before the first bad sequence are unchanged by the repair, so the
            // offset is valid in the repaired text too.
            diagnostics.append(
                YAMLMessages.invalidUTF8(
                    at: source.span(from: problem.offset, to: problem.offset + 1), invalidSequences: problem.count))
        }
        return parse(source: source, diagnostics: diagnostics)
    }

    private func parse(source: SourceFile, diagnostics: Diagnostics) -> YAMLLoadResult {
        var builder = YAMLTreeBuilder(source: source, limits: limits)
        builder.diagnostics = diagnostics
        let documents = builder.run()
        return YAMLLoadResult(documents: documents, diagnostics: builder.diagnostics, source: source)
    }

    /// The text without a leading byte order mark. The mark is invisible when a line is
    /// quoted in a diagnostic, so counting it as a column would misplace the caret.
    private func withoutByteOrderMark(_ text: String) -> String {
        text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
    }

    /// The byte offset of the first invalid UTF-8 sequence and how many there are.
    private func firstInvalidUTF8(in bytes: some Collection<UInt8>) -> (offset: Int, count: Int) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var firstOffset: Int?
        var count = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .error:
                if firstOffset == nil { firstOffset = offset }
                count += 1
                // The decoder consumed at least one byte; the exact count does not
                // matter after the first error because only that offset is reported.
                offset += 1
            case .emptyInput:
                return (firstOffset ?? 0, count)
            }
        }
    }

    private enum FileReadOutcome {
        case contents([UInt8])
        case tooLarge(size: Int?)
        case failed(reason: String)
    }

    /// Reads at most `limit + 1` bytes, so a file that grows while being read, or a
    /// pipe whose size is unknown, is still bounded.
    private func readFile(atPath path: String, limit: Int) -> FileReadOutcome {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failed(reason: systemErrorMessage()) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failed(reason: systemErrorMessage()) }
        if (status.st_mode & S_IFMT) == S_IFDIR { return .failed(reason: "it is a directory") }
        if (status.st_mode & S_IFMT) == S_IFREG, Int(status.st_size) > limit {
            return .tooLarge(size: Int(status.st_size))
        }

        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while contents.count <= limit {
            let wanted = min(chunk.count, limit + 1 - contents.count)
            let received = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if received < 0 {
                if errno == EINTR { continue }
                return .failed(reason: systemErrorMessage())
            }
            if received == 0 { break }
            contents.append(contentsOf: chunk[..<received])
        }
        return contents.count > limit ? .tooLarge(size: nil) : .contents(contents)
    }

    private func systemErrorMessage() -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
