import Foundation
public import RescindDiagnostics
import RescindEngine
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
        policyFileEntries(in: paths).map(\.path)
    }

    /// The policy files with the names the digest uses: the path inside the folder given
    /// (or the file name for a file given directly), so the digest does not depend on
    /// where the folder is or how it was named (`Policies`, `./Policies`, an absolute path).
    static func policyFileEntries(in paths: [String]) -> [(path: String, name: String)] {
        var files: [String: String] = [:]
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                // Any file named is loaded as given, except test files: `check Policies/*.yaml`
                // must not read the tests that sit beside the policies.
                if !isTestFile(path), files[path] == nil { files[path] = (path as NSString).lastPathComponent }
                continue
            }
            guard let walker = manager.enumerator(atPath: path) else { continue }
            for case let relative as String in walker where isPolicyFile(relative) {
                let file = (path as NSString).appendingPathComponent(relative)
                if files[file] == nil { files[file] = relative }
            }
        }
        return files.sorted { $0.key < $1.key }.map { (path: $0.key, name: $0.value) }
    }

    /// Whether a file name is a policy file: `*.yaml` or `*.yml`, not a test file.
    public static func isPolicyFile(_ path: String) -> Bool {
        (path.hasSuffix(".yaml") || path.hasSuffix(".yml")) && !isTestFile(path)
    }

    /// `*.tests.yaml`: read by `rescind test`, never as policies.
    public static func isTestFile(_ path: String) -> Bool {
        path.hasSuffix(".tests.yaml") || path.hasSuffix(".tests.yml")
    }

    /// Loads files from disk.
    public func load(paths: [String]) -> PolicyLoadResult {
        let files = Self.policyFileEntries(in: paths)
        var result = assemble(
            files.map { YAMLLoader(limits: limits).load(contentsOf: $0.path) }, digestNames: files.map(\.name))
        if files.isEmpty { result.diagnostics.append(PolicyMessages.noFiles(paths)) }
        return result
    }

    /// Loads in-memory files (path → text), e.g. a candidate sent to a service.
    public func load(sources: [(path: String, text: String)]) -> PolicyLoadResult {
        assemble(sources.sorted { $0.path < $1.path }.map { YAMLLoader(limits: limits).load(text: $0.text, path: $0.path) })
    }

    /// Loads in-memory files read from one policy folder, e.g. at a git revision:
    /// `name` is the file's path inside the folder, which the digest hashes as
    /// `load(paths:)` does, so the same files give the same digest wherever they were
    /// read from. `folder` names the folder when it holds no policy files.
    public func load(folder: String, files: [(path: String, name: String, text: String)]) -> PolicyLoadResult {
        let sorted = files.sorted { $0.path < $1.path }
        var result = assemble(
            sorted.map { YAMLLoader(limits: limits).load(text: $0.text, path: $0.path) }, digestNames: sorted.map(\.name))
        if files.isEmpty { result.diagnostics.append(PolicyMessages.noFiles([folder])) }
        return result
    }

    /// `digestNames` are the names hashed with each file's text (default: its path).
    private func assemble(_ results: [YAMLLoadResult], digestNames: [String]? = nil) -> PolicyLoadResult {
        var diagnostics = Diagnostics()
        var map = SourceMap()
        var reader = DocumentReader()
        var hash = SHA256()
        for (index, result) in results.enumerated() {
            diagnostics.append(contentsOf: result.diagnostics)
            map.add(result.source)
            hash.update((digestNames?[index] ?? result.source.path).utf8)
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
