import RescindDiagnostics

/// One node of a loaded YAML document: a scalar, a sequence or a mapping, with the
/// span of source text it was read from.
///
/// Equality and hashing compare the *data* only: two nodes are equal when they have
/// the same kind and the same resolved content (scalar values compared after core
/// schema resolution, sequences element by element, mappings entry by entry in order).
/// Spans, scalar styles, tags, anchors and alias information are metadata and are
/// ignored, so `"a"`, `'a'` and `a` are equal, and so are `1` and `0x1`.
package struct YAMLNode: Sendable, Hashable, CustomStringConvertible {
    /// What the node holds.
    package enum Content: Sendable {
        /// A scalar with its text, style and resolved value.
        case scalar(YAMLScalar)
        /// A sequence's items in order.
        case sequence([YAMLNode])
        /// A mapping's entries in order.
        case mapping(YAMLMapping)
    }

    /// The node's content.
    package var content: Content
    /// Where the node is written. For a node that stands for an alias (`*name`), this is
    /// the alias itself; `alias` tells where the anchored node is.
    package var span: SourceSpan
    /// The explicit tag in its expanded form (`!!str` becomes `tag:yaml.org,2002:str`),
    /// or nil when the node has none. The non-specific tag `!` is kept as `"!"`.
    package var tag: String?
    /// The anchor declared on this node (`&name`), if any.
    package var anchor: String?
    /// Set when this node was produced by an alias: the anchor's name and where the
    /// anchored node is written.
    package var alias: YAMLAliasReference?

    /// Creates a node; loaders build these, tests and tools may too.
    package init(
        _ content: Content, span: SourceSpan = YAMLNode.syntheticSpan, tag: String? = nil,
        anchor: String? = nil, alias: YAMLAliasReference? = nil
    ) {
        self.content = content
        self.span = span
        self.tag = tag
        self.anchor = anchor
        self.alias = alias
    }

    /// The span given to nodes that were not read from a file (built from literals).
    package static let syntheticSpan = SourceSpan(
        file: "<synthetic>", start: SourceLocation(line: 0, column: 0), end: SourceLocation(line: 0, column: 0))

    // MARK: Inspecting

    /// The broad kind of the node, for messages and quick checks.
    package var kind: YAMLNodeKind {
        switch content {
        case .scalar(let scalar): scalar.value.kind
        case .sequence: .sequence
        case .mapping: .mapping
        }
    }

    /// The scalar, when the node is one.
    package var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The items, when the node is a sequence.
    package var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The mapping, when the node is one.
    package var mapping: YAMLMapping? {
        if case .mapping(let mapping) = content { return mapping }
        return nil
    }

    /// True for a scalar that resolved to null (`null`, `~`, or nothing at all).
    package var isNull: Bool { scalar?.value == .null }

    /// The node's value in a compact YAML flow notation, for debugging and tests.
    package var description: String {
        switch content {
        case .scalar(let scalar): scalar.value.description
        case .sequence(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            "{" + mapping.entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: Equality on data only

    /// Compares data only; see the type's documentation.
    package static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs.content, rhs.content) {
        case (.scalar(let a), .scalar(let b)): a.value == b.value
        case (.sequence(let a), .sequence(let b)): a == b
        case (.mapping(let a), .mapping(let b)): a == b
        default: false
        }
    }

    /// Hashes data only, consistently with `==`.
    package func hash(into hasher: inout Hasher) {
        switch content {
        case .scalar(let scalar):
            hasher.combine(0)
            hasher.combine(scalar.value)
        case .sequence(let items):
            hasher.combine(1)
            hasher.combine(items)
        case .mapping(let mapping):
            hasher.combine(2)
            hasher.combine(mapping)
        }
    }
}

/// The broad kind of a node after core schema resolution, as named in messages.
package enum YAMLNodeKind: String, Sendable, Hashable, CaseIterable {
    case null
    case bool
    case int
    case float
    case string
    case sequence
    case mapping

    /// The kind with an article, as used in messages ("expected a boolean").
    package var describedWithArticle: String { described.en }

    /// The kind as messages name it, in every locale ("a boolean", "布尔值").
    package var described: DiagnosticText {
        switch self {
        case .null: .en("null", zh: "空值（null）")
        case .bool: .en("a boolean", zh: "布尔值")
        case .int: .en("an integer", zh: "整数")
        case .float: .en("a number", zh: "数字")
        case .string: .en("a string", zh: "字符串")
        case .sequence: .en("a sequence", zh: "序列")
        case .mapping: .en("a mapping", zh: "映射")
        }
    }
}

/// Where a node produced by an alias came from.
package struct YAMLAliasReference: Sendable, Hashable {
    /// The anchor name, without `&` or `*`.
    package var name: String
    /// The span of the anchored node.
    package var anchoredSpan: SourceSpan

    /// Creates an alias reference.
    package init(name: String, anchoredSpan: SourceSpan) {
        self.name = name
        self.anchoredSpan = anchoredSpan
    }
}

/// How a scalar was written in the source.
package enum YAMLScalarStyle: String, Sendable, Hashable, CaseIterable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// `|` block scalar: line breaks kept.
    case literal
    /// `>` block scalar: line breaks folded into spaces.
    case folded
}

/// A scalar: its text after unescaping and folding, how it was written, and the
/// value it resolves to under the YAML 1.2 core schema.
package struct YAMLScalar: Sendable, Hashable {
    /// The scalar's content as parsed (quotes removed, escapes applied), before
    /// resolution. Later stages use it to read exact values, e.g. money with `Decimal`.
    package var text: String
    /// How the scalar was written.
    package var style: YAMLScalarStyle
    /// The resolved value.
    package var value: YAMLScalarValue

    /// Creates a scalar.
    package init(text: String, style: YAMLScalarStyle, value: YAMLScalarValue) {
        self.text = text
        self.style = style
        self.value = value
    }
}

/// The value of a scalar under the YAML 1.2 core schema.
///
/// Floats compare equal when they are numerically equal, and `.nan` equals `.nan` so
/// that equality stays reflexive.
package enum YAMLScalarValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    /// The kind of value, as named in messages.
    package var kind: YAMLNodeKind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .float: .float
        case .string: .string
        }
    }

    /// Values of the same kind and value; all NaNs are equal.
    package static func == (lhs: YAMLScalarValue, rhs: YAMLScalarValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.float(let a), .float(let b)): a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): a == b
        default: false
        }
    }

    /// Hashes consistently with `==`.
    package func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .float(let value):
            hasher.combine(3)
            // All NaNs are equal here, so they must hash alike; -0.0 == 0.0 hashes
            // alike already.
            if value.isNaN { hasher.combine(Double.nan.bitPattern) } else { hasher.combine(value) }
        case .string(let value):
            hasher.combine(4)
            hasher.combine(value)
        }
    }

    /// The value in YAML notation; strings are double-quoted when they would
    /// otherwise read as something else.
    package var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .float(let value):
            if value.isNaN { ".nan" } else if value.isInfinite { value < 0 ? "-.inf" : ".inf" } else { String(value) }
        case .string(let value): jsonString(value)
        }
    }
}

/// One `key: value` pair of a mapping. Keys are nodes, so they carry spans.
package struct YAMLMappingEntry: Sendable, Hashable {
    /// The key, with its span.
    package var key: YAMLNode
    /// The value.
    package var value: YAMLNode

    /// Creates an entry.
    package init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A mapping that keeps its keys in source order. Duplicate keys are reported by the
/// loader and only the first occurrence is kept, so each key appears once.
package struct YAMLMapping: Sendable, Hashable, RandomAccessCollection {
    /// The entries in source order.
    package var entries: [YAMLMappingEntry]

    /// Creates a mapping from entries in order.
    package init(_ entries: [YAMLMappingEntry] = []) { self.entries = entries }

    /// The index of the first entry.
    package var startIndex: Int { entries.startIndex }
    /// The index past the last entry.
    package var endIndex: Int { entries.endIndex }
    /// The entry at a position, in source order.
    package subscript(position: Int) -> YAMLMappingEntry { entries[position] }

    /// The entry whose key is the string scalar `key` (plain or quoted), if any.
    package func entry(forKey key: String) -> YAMLMappingEntry? {
        entries.first { $0.key.scalar?.value == .string(key) }
    }

    /// The value of the entry whose key is the string `key`, if any.
    package subscript(key: String) -> YAMLNode? { entry(forKey: key)?.value }

    /// The entry whose key equals `key` as data (e.g. an integer key), if any.
    package func entry(forKey key: YAMLNode) -> YAMLMappingEntry? {
        entries.first { $0.key == key }
    }

    /// The keys in order.
    package var keys: [YAMLNode] { entries.map(\.key) }
}

// MARK: Building nodes from literals (tests, defaults)

extension YAMLNode: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// A plain string scalar with a synthetic span.
    package init(stringLiteral value: String) {
        self.init(.scalar(YAMLScalar(text: value, style: .plain, value: .string(value))))
    }

    /// An integer scalar with a synthetic span.
    package init(integerLiteral value: Int) {
        self.init(.scalar(YAMLScalar(text: String(value), style: .plain, value: .int(value))))
    }

    /// A float scalar with a synthetic span.
    package init(floatLiteral value: Double) {
        self.init(.scalar(YAMLScalar(text: String(value), style: .plain, value: .float(value))))
    }

    /// A boolean scalar with a synthetic span.
    package init(booleanLiteral value: Bool) {
        self.init(.scalar(YAMLScalar(text: value ? "true" : "false", style: .plain, value: .bool(value))))
    }

    /// A null scalar with a synthetic span.
    package init(nilLiteral: ()) {
        self.init(.scalar(YAMLScalar(text: "null", style: .plain, value: .null)))
    }

    /// A sequence with a synthetic span.
    package init(arrayLiteral elements: YAMLNode...) {
        self.init(.sequence(elements))
    }

    /// A mapping with a synthetic span, keys in the order written.
    package init(dictionaryLiteral elements: (YAMLNode, YAMLNode)...) {
        self.init(.mapping(YAMLMapping(elements.map { YAMLMappingEntry(key: $0.0, value: $0.1) })))
    }
}
