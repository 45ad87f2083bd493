import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy
import RescindYAML

// Building a case's request: a fixture, a file or an inline mapping, with `set:` values
// and generators applied, written as JSON and decoded by the same `RequestDecoder` as
// `rescind eval`. The request stays a YAML node tree until then, so every value keeps
// the place it was written, and a decoding error points there.

extension TestPlanLoader {
    /// The keys that make a request mapping a recipe rather than the request's own fields.
    static let recipeKeys = ["base", "file", "set"]

    /// The request tree a spec describes: a fixture's name, a recipe (`base:` or
    /// `file:`, then `set:`), or the request's fields inline. For a case, a recipe with
    /// neither `base:` nor `file:` starts from `defaults: request:`.
    mutating func request(_ spec: YAMLNode, in scope: inout Scope, forCase: Bool, chain: [String] = []) -> YAMLNode? {
        if spec.scalar != nil {
            guard let name = spec.string(diagnostics: &diagnostics) else { return nil }
            return fixture(Located(name, at: spec.span), in: &scope, chain: chain)
        }
        guard let mapping = spec.mapping else {
            diagnostics.append(TestMessages.requestNotAMapping(at: spec.span))
            return nil
        }
        let isRecipe = mapping.contains { entry in Self.recipeKeys.contains { entry.key.scalar?.value == .string($0) } }
        guard isRecipe else { return spec }
        guard var fields = YAMLMappingDecoder(spec, describedAs: .en("a request recipe", zh: "请求的构造说明"), diagnostics: &diagnostics) else {
            return nil
        }
        let base = fields.entry("base")
        let file = fields.entry("file")
        let set = fields.entry("set")
        fields.finish(diagnostics: &diagnostics)
        var start: YAMLNode?
        switch (base, file) {
        case (let base?, nil):
            guard let name = base.value.string(diagnostics: &diagnostics) else { return nil }
            start = fixture(Located(name, at: base.value.span), in: &scope, chain: chain)
        case (nil, let file?):
            guard let path = file.value.string(diagnostics: &diagnostics) else { return nil }
            start = requestFile(Located(path, at: file.value.span))
        case (nil, nil):
            if forCase, let defaultRequest = scope.defaultRequest {
                start = request(defaultRequest, in: &scope, forCase: false, chain: chain)
            } else {
                start = YAMLNode(.mapping(YAMLMapping()), span: spec.span)
            }
        case (let base?, _?):
            diagnostics.append(TestMessages.baseAndFile(at: base.key.span))
            return nil
        }
        guard let start else { return nil }
        guard let set else { return start }
        guard let values = set.value.mapping(diagnostics: &diagnostics) else { return nil }
        var assignments: [(key: Located<String>, value: YAMLNode)] = []
        for entry in values {
            guard let key = entry.key.string(diagnostics: &diagnostics) else { continue }
            assignments.append((Located(key, at: entry.key.span), entry.value))
        }
        return assign(assignments, to: start, in: &scope)
    }

    /// A fixture's tree, built once per scope.
    private mutating func fixture(_ name: Located<String>, in scope: inout Scope, chain: [String]) -> YAMLNode? {
        if let built = scope.built[name.value] { return built }
        if let start = chain.firstIndex(of: name.value) {
            diagnostics.append(TestMessages.fixtureCycle(Array(chain[start...]) + [name.value], at: name.span))
            return nil
        }
        guard let fixture = scope.fixtures[name.value] else {
            diagnostics.append(TestMessages.unknownFixture(name.value, at: name.span, known: Array(scope.fixtures.keys)))
            return nil
        }
        let tree = request(fixture.spec, in: &scope, forCase: false, chain: chain + [name.value])
        if let tree, tree.mapping == nil {
            diagnostics.append(TestMessages.fixtureNotAMapping(name.value, at: tree.span))
            scope.built[name.value] = .some(Optional<YAMLNode>.none)
            return nil
        }
        scope.built[name.value] = .some(tree)
        return tree
    }

    /// A request file (JSON, or YAML), relative to the file that names it. JSON is read
    /// by the YAML loader, which keeps every value's line and column.
    private mutating func requestFile(_ path: Located<String>) -> YAMLNode? {
        let directory = (path.span.file as NSString).deletingLastPathComponent
        let key = normalizedPath(relative(path.value, to: directory))
        if let known = requestFiles[key] { return known }
        guard FileManager.default.fileExists(atPath: key) else {
            diagnostics.append(TestMessages.noRequestFile(
                path.value, lookedFor: key, at: path.span, help: siblingSuggestion(for: key)))
            requestFiles[key] = .some(Optional<YAMLNode>.none)
            return nil
        }
        let loaded = YAMLLoader(limits: limits).load(contentsOf: key)
        sources.add(loaded.source)
        diagnostics.append(contentsOf: loaded.diagnostics)
        var tree: YAMLNode?
        if !loaded.diagnostics.hasErrors {
            if let document = loaded.documents.first, document.mapping != nil {
                tree = document
            } else {
                diagnostics.append(TestMessages.requestFileNotObject(path.value, at: path.span))
            }
        }
        requestFiles[key] = .some(tree)
        return tree
    }

    // MARK: - Setting values

    /// `tree` with each value set at its dotted path (`order.status: processing`), or a
    /// generator run (`buyer_cancellations_in_window: 5`) after the paths are set, since
    /// generators read the request's `at`. Mappings merge into objects; anything else
    /// replaces what was there.
    mutating func assign(
        _ assignments: [(key: Located<String>, value: YAMLNode)], to tree: YAMLNode, in scope: inout Scope
    ) -> YAMLNode? {
        var tree = tree
        var generated: [(generator: RequestGenerator, key: Located<String>, count: YAMLNode)] = []
        var ok = true
        for (key, value) in assignments {
            if let generator = scope.generators[key.value] {
                generated.append((generator.generator, key, value))
                continue
            }
            ok = set(value, at: key, in: &tree) && ok
        }
        for (generator, key, count) in generated {
            guard let items = items(of: generator, named: key.value, count: count, in: tree) else {
                ok = false
                continue
            }
            ok = set(items, at: Located(generator.list.value, at: key.span), in: &tree, merging: false) && ok
        }
        // Not `ok ? tree : nil`: YAMLNode is itself ExpressibleByNilLiteral, and that nil would be a YAML null.
        guard ok else { return Optional<YAMLNode>.none }
        return tree
    }

    private mutating func set(_ value: YAMLNode, at path: Located<String>, in tree: inout YAMLNode, merging: Bool = true) -> Bool {
        let names = path.value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !names.contains(where: \.isEmpty) else {
            diagnostics.append(TestMessages.notARequestPath(path.value, at: path.span))
            return false
        }
        do {
            tree = try Self.setting(value, at: names[...], in: tree, keySpan: path.span, merging: merging)
            return true
        } catch {
            diagnostics.append(TestMessages.cannotSet(path.value, prefix: error.prefix, found: error.found, at: path.span))
            return false
        }
    }

    /// Why a path could not be set: a prefix of it is not an object.
    struct NotAnObject: Error {
        let prefix: String
        let found: DiagnosticText
    }

    private static func setting(
        _ value: YAMLNode, at names: ArraySlice<String>, in node: YAMLNode, keySpan: SourceSpan, merging: Bool
    ) throws(NotAnObject) -> YAMLNode {
        guard let name = names.first else { return merging ? merged(value, over: node) : value }
        var mapping: YAMLMapping
        switch node.content {
        case .mapping(let existing): mapping = existing
        case .scalar(let scalar) where scalar.value == .null: mapping = YAMLMapping()
        default:
            throw NotAnObject(prefix: "", found: node.kind.described)
        }
        let rest = names.dropFirst()
        do {
            if let index = mapping.entries.firstIndex(where: { $0.key.scalar?.value == .string(name) }) {
                mapping.entries[index].value = try setting(
                    value, at: rest, in: mapping.entries[index].value, keySpan: keySpan, merging: merging)
            } else {
                let empty = YAMLNode(.mapping(YAMLMapping()), span: keySpan)
                let key = YAMLNode(.scalar(YAMLScalar(text: name, style: .plain, value: .string(name))), span: keySpan)
                let child = rest.isEmpty ? value : try setting(value, at: rest, in: empty, keySpan: keySpan, merging: merging)
                mapping.entries.append(YAMLMappingEntry(key: key, value: child))
            }
        } catch {
            throw NotAnObject(prefix: error.prefix.isEmpty ? name : "\(name).\(error.prefix)", found: error.found)
        }
        var result = node
        result.content = .mapping(mapping)
        return result
    }

    /// `overlay` merged into `base`: mappings key by key, anything else replaced.
    private static func merged(_ overlay: YAMLNode, over base: YAMLNode) -> YAMLNode {
        guard case .mapping(var mapping) = base.content, case .mapping(let additions) = overlay.content else {
            return overlay
        }
        for entry in additions {
            if let index = mapping.entries.firstIndex(where: { $0.key == entry.key }) {
                mapping.entries[index].value = merged(entry.value, over: mapping.entries[index].value)
            } else {
                mapping.entries.append(entry)
            }
        }
        var result = base
        result.content = .mapping(mapping)
        return result
    }

    // MARK: - Generators

    /// The largest count a generator accepts.
    static let maxGenerated = 10_000

    /// `count` items of a generator, item n stamped `n × spacing` before the request's `at`.
    private mutating func items(of generator: RequestGenerator, named name: String, count node: YAMLNode, in tree: YAMLNode)
        -> YAMLNode?
    {
        guard let count = node.int(diagnostics: &diagnostics) else { return nil }
        guard (0...Self.maxGenerated).contains(count) else {
            diagnostics.append(TestMessages.generatedCount(name, maximum: Self.maxGenerated, found: "\(count)", at: node.span))
            return nil
        }
        guard let atText = tree.mapping?["at"]?.scalar?.text, let at = CELTimestamp(rfc3339: atText) else {
            diagnostics.append(TestMessages.generatorWithoutAt(name, at: node.span))
            return nil
        }
        var items: [YAMLNode] = []
        for number in stride(from: 1, through: count, by: 1) {
            let seconds = generator.spacing.seconds * Int64(number)
            guard let stamp = at.adding(CELDuration(seconds: -seconds)!) else {
                diagnostics.append(TestMessages.beforeYearOne(name, item: number, at: node.span))
                return nil
            }
            var item = Self.numbered(generator.item, number)
            let time = YAMLNode(
                .scalar(YAMLScalar(text: stamp.rfc3339, style: .doubleQuoted, value: .string(stamp.rfc3339))),
                span: node.span)
            guard let stamped = try? Self.setting(
                time, at: [generator.timestamp.value][...], in: item, keySpan: node.span, merging: false)
            else { return nil }
            item = stamped
            items.append(item)
        }
        return YAMLNode(.sequence(items), span: node.span)
    }

    /// A generator's item with `{n}` in its strings replaced by the item's number.
    private static func numbered(_ node: YAMLNode, _ number: Int) -> YAMLNode {
        var copy = node
        switch node.content {
        case .scalar(var scalar):
            guard case .string(let text) = scalar.value, text.contains("{n}") else { return node }
            let replaced = text.replacingOccurrences(of: "{n}", with: String(number))
            scalar.text = replaced
            scalar.value = .string(replaced)
            copy.content = .scalar(scalar)
        case .sequence(let items):
            copy.content = .sequence(items.map { numbered($0, number) })
        case .mapping(var mapping):
            for index in mapping.entries.indices {
                mapping.entries[index].value = numbered(mapping.entries[index].value, number)
            }
            copy.content = .mapping(mapping)
        }
        return copy
    }

    // MARK: - Decoding

    /// The request decoded as `rescind eval` decodes it; each error is reported where its
    /// value (or, for an unknown field, its key) is written, with the case it breaks.
    mutating func decode(_ tree: YAMLNode, caseName: String, caseSpan: SourceSpan) -> ObjectValue? {
        var json = RequestJSON()
        json.write(tree)
        switch decoder.decode(json.text) {
        case .success(let decoded): return decoded.root
        case .failure(let error):
            for item in error.errors {
                let span = json.span(for: item.path, key: [.unknownField, .duplicateField].contains(item.code)) ?? caseSpan
                let key = "\(item.code)|\(item.message)|\(span)"
                guard reported.insert(key).inserted else { continue }
                let notes = span == caseSpan ? [] : [TestMessages.inRequestOfCase(caseName, at: caseSpan)]
                diagnostics.append(.error(
                    DiagnosticCode(item.code.rawValue), .en(item.message, zh: item.message(in: .zhCN)), at: span,
                    notes: notes, help: item.help.map { .en($0, zh: item.help(in: .zhCN) ?? $0) }))
            }
            return nil
        }
    }
}

/// A request tree written as JSON, remembering where each JSON path's key and value
/// were written.
struct RequestJSON {
    private(set) var text = ""
    private var values: [String: SourceSpan] = [:]
    private var keys: [String: SourceSpan] = [:]

    /// Writes `tree`, the whole request, as `text`.
    mutating func write(_ tree: YAMLNode) {
        let written = JSONWriter.text(capacity: 1024) { out in write(tree, path: "$", keySpan: nil, into: &out) }
        text = written
    }

    private mutating func write(_ node: YAMLNode, path: String, keySpan: SourceSpan?, into out: inout JSONWriter) {
        values[path] = node.span
        if let keySpan { keys[path] = keySpan }
        switch node.content {
        case .scalar(let scalar):
            switch scalar.value {
            case .null: out.literal("null")
            case .bool(let value): out.bool(value)
            case .int(let value): out.integer(value)
            case .float(let value):
                // The text as written, when JSON reads it the same: decimals stay exact.
                if Self.isJSONNumber(scalar.text) {
                    out.append(scalar.text)
                } else if value.isFinite {
                    out.append("\(value)")
                } else {
                    out.string(scalar.text)
                }
            case .string(let value): out.string(value)
            }
        case .sequence(let items):
            out.beginArray()
            for (index, item) in items.enumerated() {
                out.element()
                write(item, path: "\(path)[\(index)]", keySpan: nil, into: &out)
            }
            out.endArray()
        case .mapping(let mapping):
            out.beginObject()
            for entry in mapping.entries {
                let name = entry.key.scalar?.text ?? entry.key.description
                out.key(named: name)
                write(entry.value, path: "\(path).\(name)", keySpan: entry.key.span, into: &out)
            }
            out.endObject()
        }
    }

    /// Where the value (or the key) at a JSON path was written; for a path the request
    /// lacks (a missing field), where its nearest enclosing object was.
    func span(for path: String, key: Bool) -> SourceSpan? {
        if key, let span = keys[path] { return span }
        var current = path
        while true {
            if let span = values[current] { return span }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            current = String(current[..<cut])
        }
    }

    private static func isJSONNumber(_ text: String) -> Bool {
        text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil
    }
}
