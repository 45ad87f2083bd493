internal import CYAML
import RescindDiagnostics

/// Turns libyaml's event stream into `YAMLNode` trees, enforcing the limits and
/// reporting duplicate keys, alias problems, tag problems and syntax errors.
///
/// Only this file touches libyaml, so no `yaml_*` type escapes the module.
struct YAMLTreeBuilder {
    let source: SourceFile
    let limits: YAMLLimits
    var diagnostics = Diagnostics()

    private let locator: MarkLocator
    private var documents: [YAMLNode] = []
    private var documentRoot: BuiltNode?
    private var openCollections: [OpenCollection] = []
    /// Anchors of the current document; a later anchor with the same name replaces an
    /// earlier one, as YAML specifies.
    private var anchors: [String: BuiltNode] = [:]
    /// Nodes added through aliases so far in this file (the expanded size).
    private var aliasExpansion = 0

    init(source: SourceFile, limits: YAMLLimits) {
        self.source = source
        self.limits = limits
        self.locator = MarkLocator(source)
    }

    /// Parses the whole source and returns the documents completed before any fatal
    /// problem (a syntax error or an exceeded limit).
    mutating func run() -> [YAMLNode] {
        var text = source.text
        // libyaml needs a non-null pointer and an empty stream has no documents anyway.
        guard !text.isEmpty else { return [] }
        text.withUTF8 { parse($0) }
        return documents
    }

    // MARK: Driving libyaml

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) {
        // libyaml's parser state lives on this call's stack: nothing to free by hand.
        withUnsafeTemporaryAllocation(of: yaml_parser_t.self, capacity: 1) { parser in
            parse(bytes, with: parser.baseAddress!)
        }
    }

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, with parser: UnsafeMutablePointer<yaml_parser_t>) {
        guard yaml_parser_initialize(parser) != 0 else {
            diagnostics.append(YAMLMessages.parserOutOfMemory(at: nil))
            return
        }
        defer { yaml_parser_delete(parser) }
        // The text is already validated UTF-8; fixing the encoding stops libyaml from
        // guessing UTF-16 from the first bytes.
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) != 0 else {
                reportParserError(parser.pointee)
                return
            }
            // Every successfully parsed event owns memory and must be deleted, also
            // when handling it fails.
            defer { yaml_event_delete(&event) }
            do {
                if try handle(event) == .streamEnded { return }
            } catch {
                diagnostics.append(error.diagnostic)
                return
            }
            // Every diagnostic this builder adds is an error, so the count is the
            // error count (kept O(1) per event).
            if diagnostics.count >= limits.maxErrors {
                diagnostics.append(
                    YAMLMessages.tooManyErrors(limit: limits.maxErrors, at: span(event.end_mark, event.end_mark)))
                return
            }
        }
    }

    private enum Progress { case more, streamEnded }

    private mutating func handle(_ event: yaml_event_t) throws(LimitExceeded) -> Progress {
        let eventSpan = span(event.start_mark, event.end_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return .streamEnded
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            documentRoot = nil
        case YAML_DOCUMENT_END_EVENT:
            if let root = documentRoot { documents.append(root.node) }
            documentRoot = nil
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let node = makeScalar(
                text: string(scalar.value, length: scalar.length), style: scalarStyle(scalar.style),
                tag: optionalString(scalar.tag), anchor: optionalString(scalar.anchor),
                span: trimmedBlockScalarSpan(eventSpan, style: scalar.style))
            let built = BuiltNode(node: node, size: 1, height: 0)
            if let anchor = node.anchor { anchors[anchor] = built }
            attach(built)
        case YAML_ALIAS_EVENT:
            attach(try resolveAlias(optionalString(event.data.alias.anchor) ?? "", at: eventSpan))
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            try open(
                .sequence, isFlow: start.style == YAML_FLOW_SEQUENCE_STYLE, span: eventSpan,
                tag: optionalString(start.tag), anchor: optionalString(start.anchor))
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            try open(
                .mapping, isFlow: start.style == YAML_FLOW_MAPPING_STYLE, span: eventSpan,
                tag: optionalString(start.tag), anchor: optionalString(start.anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            close(endSpan: eventSpan)
        default:
            break  // stream start, and no-op events
        }
        return .more
    }

    // MARK: Building nodes

    private mutating func open(
        _ kind: OpenCollection.Kind, isFlow: Bool, span: SourceSpan, tag: String?, anchor: String?
    )
        throws(LimitExceeded)
    {
        guard openCollections.count < limits.maxDepth else {
            throw LimitExceeded(diagnostic: YAMLMessages.depthLimit(limit: limits.maxDepth, at: span))
        }
        openCollections.append(OpenCollection(kind: kind, isFlow: isFlow, start: span, tag: tag, anchor: anchor))
    }

    private mutating func close(endSpan: SourceSpan) {
        guard let collection = openCollections.popLast() else { return }
        // A block collection's end event sits at the next token, possibly lines later;
        // the last child is where the collection really ends.
        let end = collection.isFlow ? endSpan.end : (collection.lastChildEnd ?? collection.start.end)
        let span = SourceSpan(file: source.path, start: collection.start.start, end: end)
        let content: YAMLNode.Content
        switch collection.kind {
        case .sequence: content = .sequence(collection.items)
        case .mapping: content = .mapping(YAMLMapping(collection.entries))
        }
        let node = YAMLNode(content, span: span, tag: collection.tag, anchor: collection.anchor)
        checkCollectionTag(node)
        let built = BuiltNode(node: node, size: collection.size, height: collection.height)
        if let anchor = collection.anchor { anchors[anchor] = built }
        attach(built)
    }

    /// Adds a finished node to the collection being built, or makes it the root.
    private mutating func attach(_ built: BuiltNode) {
        guard !openCollections.isEmpty else {
            documentRoot = built
            return
        }
        let top = openCollections.count - 1
        openCollections[top].size += built.size
        openCollections[top].height = max(openCollections[top].height, built.height + 1)
        openCollections[top].lastChildEnd = built.node.span.end
        switch openCollections[top].kind {
        case .sequence:
            openCollections[top].items.append(built.node)
        case .mapping:
            if let key = openCollections[top].pendingKey {
                openCollections[top].pendingKey = nil
                // Only the first occurrence of a key is kept, so lookups are unambiguous.
                if !openCollections[top].pendingKeyIsDuplicate {
                    openCollections[top].entries.append(YAMLMappingEntry(key: key, value: built.node))
                }
            } else {
                let key = built.node
                if let firstSpan = openCollections[top].keySpans[key] {
                    diagnostics.append(YAMLMessages.duplicateKey(key, at: key.span, firstAt: firstSpan))
                    openCollections[top].pendingKeyIsDuplicate = true
                } else {
                    openCollections[top].keySpans[key] = key.span
                    openCollections[top].pendingKeyIsDuplicate = false
                }
                openCollections[top].pendingKey = key
            }
        }
    }

    private mutating func resolveAlias(_ name: String, at span: SourceSpan) throws(LimitExceeded) -> BuiltNode {
        let placeholder = BuiltNode(
            node: YAMLNode(.scalar(YAMLScalar(text: "", style: .plain, value: .null)), span: span), size: 1, height: 0)
        if let enclosing = openCollections.last(where: { $0.anchor == name }) {
            diagnostics.append(YAMLMessages.recursiveAlias(name, at: span, anchorAt: enclosing.start))
            return placeholder
        }
        guard let target = anchors[name] else {
            diagnostics.append(YAMLMessages.undefinedAlias(name, at: span, knownAnchors: anchors.keys))
            return placeholder
        }
        // Count before copying: the copy itself is cheap (copy-on-write), but every
        // later reader walks the expanded tree, which is what the limit bounds.
        aliasExpansion += target.size
        if aliasExpansion > limits.maxAliasExpansion {
            throw LimitExceeded(diagnostic: YAMLMessages.aliasLimit(name, limit: limits.maxAliasExpansion, at: span))
        }
        if openCollections.count + target.height > limits.maxDepth {
            throw LimitExceeded(diagnostic: YAMLMessages.depthLimit(limit: limits.maxDepth, at: span))
        }
        var node = target.node
        node.alias = YAMLAliasReference(name: name, anchoredSpan: target.node.span)
        node.span = span
        node.anchor = nil
        return BuiltNode(node: node, size: target.size, height: target.height)
    }

    private mutating func makeScalar(
        text: String, style: YAMLScalarStyle, tag: String?, anchor: String?, span: SourceSpan
    )
        -> YAMLNode
    {
        let value: YAMLScalarValue
        if let tag, tag != "!" {
            value = resolveTagged(text, tag: tag, span: span)
        } else if tag == "!" || style != .plain {
            // The non-specific tag `!` and quoting both mean "this is a string".
            value = .string(text)
        } else {
            switch YAMLCoreSchema.resolvePlain(text) {
            case .value(let resolved):
                value = resolved
            case .integerOutOfRange:
                diagnostics.append(YAMLMessages.integerOutOfRange(text, at: span))
                value = .string(text)
            }
        }
        return YAMLNode(
            .scalar(YAMLScalar(text: text, style: style, value: value)), span: span, tag: tag, anchor: anchor)
    }

    /// Applies an explicit core tag; unknown (application) tags leave the text a
    /// string and keep the tag on the node for later stages to judge.
    private mutating func resolveTagged(_ text: String, tag: String, span: SourceSpan) -> YAMLScalarValue {
        let resolved: YAMLScalarValue?
        switch tag {
        case YAMLCoreSchema.Tag.string:
            resolved = .string(text)
        case YAMLCoreSchema.Tag.null:
            resolved = YAMLCoreSchema.isNull(text) ? .null : nil
        case YAMLCoreSchema.Tag.bool:
            resolved = YAMLCoreSchema.bool(text).map(YAMLScalarValue.bool)
        case YAMLCoreSchema.Tag.int:
            if let integer = YAMLCoreSchema.integerSyntax(text) {
                guard let value = Int(integer.digits, radix: integer.radix) else {
                    diagnostics.append(YAMLMessages.integerOutOfRange(text, at: span))
                    return .string(text)
                }
                resolved = .int(value)
            } else {
                resolved = nil
            }
        case YAMLCoreSchema.Tag.float:
            resolved = YAMLCoreSchema.float(text).map(YAMLScalarValue.float)
        case YAMLCoreSchema.Tag.sequence, YAMLCoreSchema.Tag.mapping:
            diagnostics.append(YAMLMessages.tagMismatch(tag: tag, kind: .string, at: span))
            return .string(text)
        default:
            return .string(text)
        }
        guard let resolved else {
            diagnostics.append(YAMLMessages.invalidTaggedValue(tag: tag, text: text, at: span))
            return .string(text)
        }
        return resolved
    }

    private mutating func checkCollectionTag(_ node: YAMLNode) {
        guard let tag = node.tag else { return }
        let scalarTags = [
            YAMLCoreSchema.Tag.string, YAMLCoreSchema.Tag.null, YAMLCoreSchema.Tag.bool,
            YAMLCoreSchema.Tag.int, YAMLCoreSchema.Tag.float,
        ]
        let fits =
            switch node.kind {
            case .sequence: !scalarTags.contains(tag) && tag != YAMLCoreSchema.Tag.mapping
            default: !scalarTags.contains(tag) && tag != YAMLCoreSchema.Tag.sequence
            }
        if !fits { diagnostics.append(YAMLMessages.tagMismatch(tag: tag, kind: node.kind, at: node.span)) }
    }

    // MARK: Errors from libyaml

    private mutating func reportParserError(_ parser: yaml_parser_t) {
        let problem = optionalString(parser.problem) ?? "invalid YAML"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            diagnostics.append(YAMLMessages.parserOutOfMemory(at: nil))
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset instead of a mark.
            let location = source.location(ofOffset: Int(parser.problem_offset))
            let problemSpan = SourceSpan(file: source.path, start: location, end: location)
            if parser.problem_value >= 0 {
                diagnostics.append(
                    YAMLMessages.disallowedCharacter(
                        problem: problem, codePoint: Int(parser.problem_value), at: problemSpan))
            } else {
                diagnostics.append(
                    YAMLMessages.syntax(problem: problem, at: problemSpan, context: nil, foundTab: false))
            }
        default:
            let problemSpan = movedOffTrailingBlankLines(span(parser.problem_mark, parser.problem_mark))
            let context = optionalString(parser.context).map {
                (text: $0, span: span(parser.context_mark, parser.context_mark))
            }
            // A context at the very spot of the problem repeats it without adding anything.
            let usefulContext = context.flatMap { $0.span == problemSpan ? nil : $0 }
            diagnostics.append(
                YAMLMessages.syntax(
                    problem: problem, at: problemSpan, context: usefulContext,
                    foundTab: byte(atOffset: problemSpan.start.offset) == UInt8(ascii: "\t")))
        }
    }

    // MARK: Conversions

    private func span(_ start: yaml_mark_t, _ end: yaml_mark_t) -> SourceSpan {
        SourceSpan(
            file: source.path, start: locator.location(ofMarkIndex: Int(start.index)),
            end: locator.location(ofMarkIndex: Int(end.index)))
    }

    /// libyaml ends a block scalar after its trailing blank lines, at the next token;
    /// the span should end at the scalar's last character instead.
    private func trimmedBlockScalarSpan(_ span: SourceSpan, style: yaml_scalar_style_t) -> SourceSpan {
        guard style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE,
            span.end.line > span.start.line, span.end.column == 1,
            let end = endOfContent(searchingBackFrom: span.end.line - 1, notBefore: span.start.line)
        else { return span }
        var trimmed = span
        trimmed.end = max(end, span.start)
        return trimmed
    }

    /// libyaml reports "end of stream" problems (an unclosed `[` or quote) after the
    /// final line break, on a line with nothing to show; the end of the last line
    /// with content is where the missing character belongs.
    private func movedOffTrailingBlankLines(_ span: SourceSpan) -> SourceSpan {
        guard span.start.offset >= source.text.utf8.count, span.start.column == 1, span.start.line > 1,
            let end = endOfContent(searchingBackFrom: span.start.line - 1, notBefore: 1)
        else { return span }
        return SourceSpan(file: span.file, start: end, end: end)
    }

    /// The location just after the last non-blank character of the nearest line with
    /// content, searching back from `line` but not above `lowestLine`.
    private func endOfContent(searchingBackFrom line: Int, notBefore lowestLine: Int) -> SourceLocation? {
        var lineNumber = line
        while lineNumber > lowestLine, let text = source.line(lineNumber), text.allSatisfy(\.isWhitespace) {
            lineNumber -= 1
        }
        guard let text = source.line(lineNumber) else { return nil }
        let contentEnd = text.lastIndex { !$0.isWhitespace }.map(text.index(after:)) ?? text.startIndex
        return source.location(ofOffset: source.text.utf8.distance(from: source.text.startIndex, to: contentEnd))
    }

    private func byte(atOffset offset: Int) -> UInt8? {
        let utf8 = source.text.utf8
        guard offset >= 0, offset < utf8.count else { return nil }
        return utf8[utf8.index(utf8.startIndex, offsetBy: offset)]
    }

    private func scalarStyle(_ style: yaml_scalar_style_t) -> YAMLScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func optionalString(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

/// A finished node with the bookkeeping the limits need.
private struct BuiltNode {
    var node: YAMLNode
    /// Nodes in the subtree, counting what aliases inside it expand to.
    var size: Int
    /// Collections on the longest path down: 0 for a scalar, 1 for a flat collection.
    var height: Int
}

/// A sequence or mapping whose end event has not been seen yet.
private struct OpenCollection {
    enum Kind { case sequence, mapping }

    let kind: Kind
    let isFlow: Bool
    /// The span of the start event (its start is the collection's start).
    let start: SourceSpan
    let tag: String?
    let anchor: String?
    var items: [YAMLNode] = []
    var entries: [YAMLMappingEntry] = []
    /// A mapping key waiting for its value.
    var pendingKey: YAMLNode?
    var pendingKeyIsDuplicate = false
    /// Where each key of the mapping was first written, to report duplicates.
    var keySpans: [YAMLNode: SourceSpan] = [:]
    var size = 1
    var height = 1
    var lastChildEnd: SourceLocation?

    init(kind: Kind, isFlow: Bool, start: SourceSpan, tag: String?, anchor: String?) {
        self.kind = kind
        self.isFlow = isFlow
        self.start = start
        self.tag = tag
        self.anchor = anchor
    }
}

/// Thrown to stop parsing when a limit is exceeded; carries the located error.
private struct LimitExceeded: Error {
    let diagnostic: Diagnostic
}

/// Converts libyaml marks to `SourceLocation`s.
///
/// libyaml's `mark.index` and `mark.column` count characters (code points), not bytes,
/// and it treats `\r`, U+0085, U+2028 and U+2029 as line breaks too. `SourceFile` and
/// the renderers break lines at `\n` only, so locations are computed from the
/// character index with the same line model as `SourceFile`, never from `mark.line`.
/// Each conversion is O(log lines), so huge single-line files stay fast. (libyaml does
/// not count a leading byte order mark; the loader removes it before parsing.)
/// A class: it keeps a cursor (`line`) that the builder's non-mutating span helpers move.
private final class MarkLocator {
    /// Character index at which each line starts.
    private let lineStarts: [Int]
    /// UTF-8 offset of each character index (plus one past the end); nil when the text
    /// is ASCII and the two are equal.
    private let byteOffsets: [UInt32]?
    private let characterCount: Int
    /// The line of the last mark located: marks come in document order, so the next
    /// one is nearly always on it or a few lines on (a search per mark was 3% of
    /// `rescind check` at 10,000 rules).
    private var line = 0

    init(_ source: SourceFile) {
        // Libyaml's marks count characters (Unicode scalars): a scalar starts at every
        // UTF-8 byte that is not a continuation byte.
        var lineStarts = [0]
        var offsets: [UInt32] = []
        var count = 0
        var text = source.text
        text.withUTF8 { bytes in
            let isASCII = !bytes.contains { $0 >= 0x80 }
            if !isASCII { offsets.reserveCapacity(bytes.count + 1) }
            for (offset, byte) in bytes.enumerated() where byte & 0xC0 != 0x80 {
                if !isASCII { offsets.append(UInt32(offset)) }
                count += 1
                if byte == UInt8(ascii: "\n") { lineStarts.append(count) }
            }
            if !isASCII { offsets.append(UInt32(bytes.count)) }
        }
        self.lineStarts = lineStarts
        self.byteOffsets = offsets.isEmpty ? nil : offsets
        self.characterCount = count
    }

    func location(ofMarkIndex markIndex: Int) -> SourceLocation {
        let index = min(max(markIndex, 0), characterCount)
        if lineStarts[line] > index || (line + 1 < lineStarts.count && lineStarts[line + 1] <= index) {
            // Not on the last mark's line: a few lines on, else a search.
            var next = line + 1
            while next < lineStarts.count, next <= line + 4, lineStarts[next] <= index { next += 1 }
            if next > line + 1, next == lineStarts.count || lineStarts[next] > index {
                line = next - 1
            } else {
                var low = 0
                var high = lineStarts.count - 1
                while low < high {
                    let middle = (low + high + 1) / 2
                    if lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
                }
                line = low
            }
        }
        let offset = byteOffsets.map { Int($0[index]) } ?? index
        return SourceLocation(line: line + 1, column: index - lineStarts[line] + 1, offset: offset)
    }
}
