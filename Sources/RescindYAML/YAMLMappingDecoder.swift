import RescindDiagnostics

/// Reads the fields of one mapping, the way a policy loader reads an object: ask for
/// each key you know, then call `finish` to report every key nobody asked for
/// (with "did you mean …?") and missing required keys, all located.
///
/// ```swift
/// guard var fields = YAMLMappingDecoder(node, describedAs: .en("rule", zh: "规则"), diagnostics: &diagnostics) else { return nil }
/// let name = fields.required("name", as: String.self, diagnostics: &diagnostics)
/// let enabled = fields.optional("enabled", as: Bool.self, diagnostics: &diagnostics) ?? true
/// fields.finish(diagnostics: &diagnostics)
/// ```
package struct YAMLMappingDecoder: Sendable {
    /// The mapping being read.
    package let mapping: YAMLMapping
    /// The mapping node, whose span locates "missing key" errors.
    package let node: YAMLNode
    /// How messages name this mapping ("rule", "policy `refunds`"), or nil.
    package let context: DiagnosticText?
    /// Every key asked for so far, present or not: the candidates for "did you mean".
    package private(set) var knownKeys: [String] = []

    /// Starts reading `node`; returns nil after reporting `yaml-type-mismatch` when the
    /// node is not a mapping. `context` names the mapping in messages.
    package init?(_ node: YAMLNode, describedAs context: DiagnosticText? = nil, diagnostics: inout Diagnostics) {
        guard let mapping = node.mapping(diagnostics: &diagnostics) else { return nil }
        self.mapping = mapping
        self.node = node
        self.context = context
    }

    /// The entry for `key`, if present (its `key` node gives the key's span), and
    /// records `key` as known.
    package mutating func entry(_ key: String) -> YAMLMappingEntry? {
        if !knownKeys.contains(key) { knownKeys.append(key) }
        return mapping.entry(forKey: key)
    }

    /// The value of `key` decoded as `Value`; nil when absent (not an error) or
    /// invalid (error reported). An explicit null (`key:` or `key: null`) counts as
    /// absent, so a field can be left empty in a template.
    package mutating func optional<Value: YAMLDecodable>(
        _ key: String, as type: Value.Type = Value.self, diagnostics: inout Diagnostics
    ) -> Value? {
        guard let value = entry(key)?.value, !value.isNull else { return nil }
        return Value.decode(from: value, diagnostics: &diagnostics)
    }

    /// The value of `key` decoded as `Value`; reports `yaml-missing-key` at the
    /// mapping when the key is absent or null.
    package mutating func required<Value: YAMLDecodable>(
        _ key: String, as type: Value.Type = Value.self, diagnostics: inout Diagnostics
    ) -> Value? {
        guard let entry = entry(key) else {
            diagnostics.append(YAMLMessages.missingKey(key, in: context, at: startSpan))
            return nil
        }
        guard !entry.value.isNull else {
            // The key is there but empty: point at the value, which is what to fill in.
            entry.value.reportMismatch(expected: YAMLMessages.valueFor(key), accepting: [], diagnostics: &diagnostics)
            return nil
        }
        return Value.decode(from: entry.value, diagnostics: &diagnostics)
    }

    /// Reports `yaml-unknown-key` for every key not asked for and not in `alsoAllowed`,
    /// suggesting the closest known key.
    package func finish(allowing alsoAllowed: [String] = [], diagnostics: inout Diagnostics) {
        let allowed = Set(knownKeys).union(alsoAllowed)
        let candidates = knownKeys + alsoAllowed.filter { !knownKeys.contains($0) }
        for entry in mapping.entries {
            if case .string(let key)? = entry.key.scalar?.value, allowed.contains(key) { continue }
            diagnostics.append(YAMLMessages.unknownKey(entry.key, in: context, knownKeys: candidates))
        }
    }

    /// Where "missing key" errors point: the start of the mapping only, since a block
    /// mapping's span runs over many lines.
    private var startSpan: SourceSpan {
        var span = node.span
        span.end = span.start
        return span
    }
}
