import RescindDiagnostics
import RescindYAML

// Fuzz target for the YAML layer: arbitrary bytes must never crash, hang or leak, and
// every error must be a diagnostic. Inputs are raw bytes on purpose, so invalid UTF-8
// takes the same path as a real file read from disk.

/// Limits smaller than the defaults keep each run short, so libFuzzer explores more
/// inputs per second; the code paths are the same.
private let fuzzLimits = YAMLLimits(maxFileSize: 64 * 1024, maxDepth: 64, maxAliasExpansion: 10_000)

/// Keys a policy loader might ask for, so the mapping decoder's known/unknown key
/// paths and suggestions run on fuzzed mappings.
private let probeKeys = ["name", "enabled", "limit", "rules", "when", "fee"]

func fuzzYAML(_ data: UnsafeRawBufferPointer) {
    let result = YAMLLoader(limits: fuzzLimits).load(bytes: data, path: "fuzz.yaml")

    // Diagnostics must be renderable and well-located.
    for diagnostic in result.diagnostics {
        if let span = diagnostic.span {
            precondition(span.file == "fuzz.yaml", "diagnostic span names another file")
            precondition(span.start.line >= 1 && span.start.column >= 1, "diagnostic location is not 1-based")
        }
    }
    // Rendering quotes source lines; a handful is enough to exercise it without making
    // an input with thousands of errors slow.
    let firstFew = result.diagnostics.items.prefix(16)
    _ = HumanRenderer(sources: SourceMap([result.source])).render(firstFew)
    _ = JSONDiagnosticRenderer().render(firstFew)
    _ = GitHubRenderer().render(firstFew)

    for document in result.documents {
        var budget = 50_000
        exercise(document, depth: 0, budget: &budget)
        // Equality and hashing ignore spans, so a node always equals itself.
        precondition(document == document, "node is not equal to itself")
        _ = document.hashValue
        _ = document.description.count
    }
}

/// Walks a node calling every accessor. `budget` bounds the walk: aliases can make
/// the expanded tree larger than the input (up to the alias limit).
private func exercise(_ node: YAMLNode, depth: Int, budget: inout Int) {
    guard budget > 0 else { return }
    budget -= 1
    precondition(depth <= fuzzLimits.maxDepth, "tree deeper than the depth limit")
    precondition(node.span.start <= node.span.end, "span ends before it starts")

    checkAccessor { node.bool(diagnostics: &$0) }
    checkAccessor { node.int(diagnostics: &$0) }
    checkAccessor { node.double(diagnostics: &$0) }
    checkAccessor { node.string(diagnostics: &$0) }
    checkAccessor { node.scalarText(diagnostics: &$0) }
    checkAccessor { node.decode([String].self, diagnostics: &$0) }
    checkAccessor { node.decode([Bool].self, diagnostics: &$0) }

    var diagnostics = Diagnostics()
    switch node.content {
    case .scalar:
        break
    case .sequence(let items):
        for item in items { exercise(item, depth: depth + 1, budget: &budget) }
    case .mapping(let mapping):
        if var fields = YAMLMappingDecoder(node, describedAs: .en("fuzzed mapping", zh: "模糊测试映射"), diagnostics: &diagnostics) {
            _ = fields.required(probeKeys[0], as: String.self, diagnostics: &diagnostics)
            _ = fields.optional(probeKeys[1], as: Bool.self, diagnostics: &diagnostics)
            _ = fields.optional(probeKeys[2], as: Int.self, diagnostics: &diagnostics)
            _ = fields.optional(probeKeys[3], as: [YAMLNode].self, diagnostics: &diagnostics)
            _ = fields.optional(probeKeys[4], as: YAMLNode.self, diagnostics: &diagnostics)
            _ = fields.optional(probeKeys[5], as: Double.self, diagnostics: &diagnostics)
            fields.finish(diagnostics: &diagnostics)
        }
        // Keys are unique after loading: a duplicate is reported and dropped.
        precondition(Set(mapping.keys).count == mapping.count, "duplicate key survived loading")
        for entry in mapping.entries {
            exercise(entry.key, depth: depth + 1, budget: &budget)
            exercise(entry.value, depth: depth + 1, budget: &budget)
        }
    }
}

/// The accessor contract: a value, or nil after at least one error. A value may come
/// with warnings (`bool` reads a plain YAML 1.1 `yes` as true and says so), never with
/// an error. Every diagnostic is located.
private func checkAccessor<Value>(_ read: (inout Diagnostics) -> Value?) {
    var diagnostics = Diagnostics()
    let value = read(&diagnostics)
    if value == nil {
        precondition(diagnostics.hasErrors, "accessor returned nil without an error")
    } else {
        precondition(!diagnostics.hasErrors, "accessor returned a value and an error")
    }
    for diagnostic in diagnostics {
        precondition(diagnostic.span != nil, "accessor diagnostic has no location")
    }
}
