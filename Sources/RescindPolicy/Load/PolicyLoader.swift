import Foundation
public import RescindDiagnostics
public import RescindEngine
public import RescindYAML

/// What loading a policy folder produced: the model, every diagnostic, the sources
/// (to render diagnostics) and a digest of the files.
public struct PolicyLoadResult: Sendable {
    public var model: PolicyModel
    public var diagnostics: Diagnostics
    public var sources: SourceMap
    public var digest: String
}

/// Reads policy files (folders searched recursively) into a `PolicyModel`, collecting
/// every YAML and structure problem instead of stopping at the first.
public struct PolicyLoader: Sendable {
    public var limits: YAMLLimits

    public init(limits: YAMLLimits = .default) { self.limits = limits }

    /// The policy files under `paths`: `*.yaml`/`*.yml`, not `*.tests.yaml`, sorted.
    public static func policyFiles(in paths: [String]) -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                files.append(path)
                continue
            }
            guard let walker = manager.enumerator(atPath: path) else { continue }
            for case let relative as String in walker where isPolicyFile(relative) {
                files.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return Array(Set(files)).sorted()
    }

    static func isPolicyFile(_ path: String) -> Bool {
        (path.hasSuffix(".yaml") || path.hasSuffix(".yml")) && !path.hasSuffix(".tests.yaml")
            && !path.hasSuffix(".tests.yml")
    }

    /// Loads files from disk.
    public func load(paths: [String]) -> PolicyLoadResult {
        let files = Self.policyFiles(in: paths)
        var result = assemble(files.map { YAMLLoader(limits: limits).load(contentsOf: $0) })
        if files.isEmpty { result.diagnostics.append(PolicyMessages.noFiles(paths)) }
        return result
    }

    /// Loads in-memory files (path → text), e.g. a candidate sent to a service.
    public func load(sources: [(path: String, text: String)]) -> PolicyLoadResult {
        assemble(sources.sorted { $0.path < $1.path }.map { YAMLLoader(limits: limits).load(text: $0.text, path: $0.path) })
    }

    private func assemble(_ results: [YAMLLoadResult]) -> PolicyLoadResult {
        var diagnostics = Diagnostics()
        var map = SourceMap()
        var reader = DocumentReader()
        var hash = SHA256()
        for result in results {
            diagnostics.append(contentsOf: result.diagnostics)
            map.add(result.source)
            hash.update(result.source.path.utf8)
            hash.update([0])
            hash.update(result.source.text.utf8)
            hash.update([0])
            reader.model.files.append(result.source.path)
            reader.source = result.source
            for document in result.documents { reader.read(document) }
        }
        diagnostics.append(contentsOf: reader.diagnostics)
        return PolicyLoadResult(model: reader.model, diagnostics: diagnostics, sources: map, digest: hash.finalize())
    }
}
