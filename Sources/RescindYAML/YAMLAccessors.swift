import RescindDiagnostics

// Typed access for later stages (the policy loader). Each accessor returns the value,
// or nil after appending a located error to `diagnostics`, so a caller can read every
// field, collect all problems, and fail once at the end. (A value may come with a
// warning: see `bool`.)

extension YAMLNode {
    /// The boolean value of a `true`/`false` scalar (any core schema spelling).
    ///
    /// A plain `yes`, `no`, `on`, `off`, `y` or `n` (any case) is a string in YAML 1.2.
    /// Where a boolean is expected it is almost certainly meant as one (YAML 1.1 read it
    /// so), so the accessor returns that meaning and adds a `yaml-boolean-like` *warning*
    /// that explains the YAML 1.2 reading and suggests `true` or `false`. Dropping the
    /// value instead would let a policy load with the setting silently missing.
    package func bool(diagnostics: inout Diagnostics) -> Bool? {
        if case .bool(let value)? = scalar?.value { return value }
        if let scalar, scalar.style == .plain, tag == nil, YAMLCoreSchema.isYAML11Boolean(scalar.text) {
            let meaning = YAMLCoreSchema.yaml11BooleanMeaning(scalar.text)
            diagnostics.append(YAMLMessages.booleanLike(scalar.text, meaning: meaning, at: span, notes: aliasNotes))
            return meaning
        }
        reportMismatch(expected: .en("a boolean (`true` or `false`)", zh: "布尔值（`true` 或 `false`）"), accepting: [.bool], diagnostics: &diagnostics)
        return nil
    }

    /// The value of an integer scalar (`12`, `-3`, `0o17`, `0x1F`). Floats such as
    /// `1.0` and quoted numbers are rejected.
    package func int(diagnostics: inout Diagnostics) -> Int? {
        if case .int(let value)? = scalar?.value { return value }
        reportMismatch(expected: YAMLNodeKind.int.described, accepting: [.int], diagnostics: &diagnostics)
        return nil
    }

    /// The value of a numeric scalar, integer or float. For exact decimal amounts read
    /// `scalar.text` with `Decimal(string:)` instead.
    package func double(diagnostics: inout Diagnostics) -> Double? {
        switch scalar?.value {
        case .int(let value)?: return Double(value)
        case .float(let value)?: return value
        default:
            reportMismatch(
                expected: YAMLNodeKind.float.described, accepting: [.int, .float], diagnostics: &diagnostics)
            return nil
        }
    }

    /// The text of a string scalar. Scalars that resolved to another type (`12`,
    /// `true`, `null`) are rejected with a hint to quote them, which catches values
    /// like `version: 1.10` that YAML silently turns into numbers.
    package func string(diagnostics: inout Diagnostics) -> String? {
        if case .string(let value)? = scalar?.value { return value }
        reportMismatch(
            expected: YAMLNodeKind.string.described, accepting: [.string], diagnostics: &diagnostics)
        return nil
    }

    /// The text of any scalar as written (after unquoting), whatever it resolved to;
    /// for values a later stage parses itself, such as decimals or expressions.
    /// Collections and null are rejected.
    package func scalarText(diagnostics: inout Diagnostics) -> String? {
        if let scalar, scalar.value != .null { return scalar.text }
        reportMismatch(
            expected: .en("a scalar value", zh: "标量值"), accepting: [.bool, .int, .float, .string], diagnostics: &diagnostics)
        return nil
    }

    /// The items of a sequence.
    package func sequence(diagnostics: inout Diagnostics) -> [YAMLNode]? {
        if let sequence { return sequence }
        reportMismatch(
            expected: YAMLNodeKind.sequence.described, accepting: [.sequence], diagnostics: &diagnostics)
        return nil
    }

    /// The mapping, when the node is one.
    package func mapping(diagnostics: inout Diagnostics) -> YAMLMapping? {
        if let mapping { return mapping }
        reportMismatch(
            expected: YAMLNodeKind.mapping.described, accepting: [.mapping], diagnostics: &diagnostics)
        return nil
    }

    /// Decodes the node as any `YAMLDecodable` type.
    package func decode<Value: YAMLDecodable>(_ type: Value.Type = Value.self, diagnostics: inout Diagnostics) -> Value?
    {
        Value.decode(from: self, diagnostics: &diagnostics)
    }

    /// Appends a `yaml-type-mismatch` error for this node. Use it for checks the
    /// accessors do not cover (e.g. "a positive integer"), so messages stay uniform.
    package func reportMismatch(expected: DiagnosticText, diagnostics: inout Diagnostics) {
        reportMismatch(expected: expected, accepting: [], diagnostics: &diagnostics)
    }

    /// `accepting` lists the kinds the caller takes, to choose a helpful hint.
    func reportMismatch(expected: DiagnosticText, accepting: Set<YAMLNodeKind>, diagnostics: inout Diagnostics) {
        diagnostics.append(
            YAMLMessages.typeMismatch(
                expected: expected, found: self, help: mismatchHelp(accepting: accepting), notes: aliasNotes))
    }

    /// Notes pointing at the anchored node when this node came from an alias, because
    /// the value to fix is written there.
    var aliasNotes: [DiagnosticNote] {
        alias.map { [YAMLMessages.aliasNote($0)] } ?? []
    }

    private func mismatchHelp(accepting: Set<YAMLNodeKind>) -> DiagnosticText? {
        guard let scalar else { return nil }
        let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
        let kind = scalar.value.kind
        if quoted, kind == .string, let unquoted = YAMLCoreSchema.resolve(plain: scalar.text),
            accepting.contains(unquoted.kind)
        {
            return YAMLMessages.removeQuotes
        }
        if accepting.contains(.string), [.int, .float, .bool].contains(kind) {
            return YAMLMessages.quoteToKeepString(scalar.text)
        }
        if kind == .null, scalar.text.isEmpty {
            return YAMLMessages.writeAValue
        }
        return nil
    }
}

/// A type that can be read from a YAML node, reporting problems as diagnostics.
/// Used by `YAMLNode.decode(_:diagnostics:)` and `YAMLMappingDecoder`.
package protocol YAMLDecodable {
    /// The value the node holds, or nil after appending at least one error.
    static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> Self?
}

extension Bool: YAMLDecodable {
    /// See `YAMLNode.bool(diagnostics:)`.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> Bool? {
        node.bool(diagnostics: &diagnostics)
    }
}

extension Int: YAMLDecodable {
    /// See `YAMLNode.int(diagnostics:)`.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> Int? {
        node.int(diagnostics: &diagnostics)
    }
}

extension Double: YAMLDecodable {
    /// See `YAMLNode.double(diagnostics:)`.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> Double? {
        node.double(diagnostics: &diagnostics)
    }
}

extension String: YAMLDecodable {
    /// See `YAMLNode.string(diagnostics:)`.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> String? {
        node.string(diagnostics: &diagnostics)
    }
}

extension YAMLNode: YAMLDecodable {
    /// Any node, unchanged: for values a later stage interprets itself.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> YAMLNode? { node }
}

extension YAMLMapping: YAMLDecodable {
    /// See `YAMLNode.mapping(diagnostics:)`.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> YAMLMapping? {
        node.mapping(diagnostics: &diagnostics)
    }
}

extension Array: YAMLDecodable where Element: YAMLDecodable {
    /// A sequence whose items all decode; every bad item is reported, not just the first.
    package static func decode(from node: YAMLNode, diagnostics: inout Diagnostics) -> [Element]? {
        guard let items = node.sequence(diagnostics: &diagnostics) else { return nil }
        var values: [Element] = []
        values.reserveCapacity(items.count)
        var failed = false
        for item in items {
            if let value = Element.decode(from: item, diagnostics: &diagnostics) {
                values.append(value)
            } else {
                failed = true
            }
        }
        return failed ? nil : values
    }
}
