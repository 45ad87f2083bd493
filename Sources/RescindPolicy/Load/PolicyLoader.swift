import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RescindDiagnostics
import RescindEngine
import RescindUnsafe
import RescindYAML

/// What loading a policy folder produced: the model, every diagnostic, the sources
/// (to render diagnostics) and a digest of the files.
package struct PolicyLoadResult: Sendable {
    package var model: PolicyModel
    package var diagnostics: Diagnostics
    package var sources: SourceMap
    package var digest: String
}

/// Reads policy files (folders searched recursively) into a `PolicyModel`, collecting
/// every YAML and structure problem instead of stopping at the first.
package struct PolicyLoader: Sendable {
    package var limits: YAMLLimits

    package init(limits: YAMLLimits = .default) { self.limits = limits }

    /// The policy files under `paths`: `*.yaml`/`*.yml`, not `*.tests.yaml`, sorted.
    package static func policyFiles(in paths: [String]) -> [String] {
        policyFileEntries(in: paths).files.map(\.path)
    }

    /// The policy files with the names the digest uses: the path inside the folder given
    /// (or the file name for a file given directly), so the digest does not depend on
    /// where the folder is or how it was named (`Policies`, `./Policies`, an absolute path).
    /// A folder may be a symbolic link (a deployment swaps the link), and entries whose
    /// name starts with `.` are skipped: a Kubernetes ConfigMap mounts its files as links
    /// into a hidden `..data` folder, which would otherwise be read a second time.
    /// A folder that cannot be listed (permissions, no descriptors left) is returned in
    /// `unreadable`: its files are not known, so the set must not load without them.
    static func policyFileEntries(in paths: [String]) -> (
        files: [(path: String, name: String)], unreadable: [(path: String, reason: String)]
    ) {
        var files: [String: String] = [:]
        var unreadable: [(path: String, reason: String)] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            // `fileExists` follows links, so a link to a folder counts as a folder.
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                // Any file named is loaded as given, except test files: `check Policies/*.yaml`
                // must not read the tests that sit beside the policies.
                if !isTestFile(path), files[path] == nil { files[path] = (path as NSString).lastPathComponent }
                continue
            }
            for relative in walk(path, under: "", unreadable: &unreadable) where isPolicyFile(relative) {
                let file = (path as NSString).appendingPathComponent(relative)
                if files[file] == nil { files[file] = relative }
            }
        }
        return (files.sorted { $0.key < $1.key }.map { (path: $0.key, name: $0.value) }, unreadable)
    }

    /// The files a folder holds for Rescind, as paths inside it (`/`-separated, unsorted):
    /// regular files and links to them, skipping entries whose name starts with `.`. The
    /// folder may be a link; `rescind test` finds its test files the same way.
    package static func folderFiles(_ folder: String) -> [String] {
        var unreadable: [(path: String, reason: String)] = []
        return walk(folder, under: "", unreadable: &unreadable)
    }

    /// The non-hidden regular files (or links to them) under `folder`, as paths relative
    /// to the folder given. Links to folders inside are not followed, as before (a link
    /// back up would loop); the folder given itself may be one.
    private static func walk(
        _ folder: String, under prefix: String, unreadable: inout [(path: String, reason: String)]
    ) -> [String] {
        let here = prefix.isEmpty ? folder : (folder as NSString).appendingPathComponent(prefix)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: here)
        } catch {
            unreadable.append((here, (error as NSError).localizedDescription))
            return []
        }
        var found: [String] = []
        for name in names where !name.hasPrefix(".") {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            let full = (here as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: found += walk(folder, under: relative, unreadable: &unreadable)
            case S_IFREG: found.append(relative)
            case S_IFLNK:
                var target = stat()
                if stat(full, &target) == 0, target.st_mode & S_IFMT == S_IFREG { found.append(relative) }
            default: continue
            }
        }
        return found
    }

    /// Whether a file name is a policy file: `*.yaml` or `*.yml`, not a test file.
    package static func isPolicyFile(_ path: String) -> Bool {
        (path.hasSuffix(".yaml") || path.hasSuffix(".yml")) && !isTestFile(path)
    }

    /// Whether a path inside a folder has a part starting with `.` (`.git`, `..data`,
    /// an editor's `.x.yaml.swp`): such entries are never read as policies.
    package static func isHidden(_ relative: String) -> Bool {
        relative.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// `*.tests.yaml`: read by `rescind test`, never as policies.
    package static func isTestFile(_ path: String) -> Bool {
        path.hasSuffix(".tests.yaml") || path.hasSuffix(".tests.yml")
    }

    /// Loads files from disk.
    package func load(paths: [String]) -> PolicyLoadResult {
        let (files, unreadable) = Self.policyFileEntries(in: paths)
        // Files named one by one are a deliberate part of a set (`check a.yaml b.yaml`):
        // `files:` would only report the rest as missing, so it is checked for folders.
        var isFolder: ObjCBool = false
        let namedFiles = paths.contains { !FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) || !isFolder.boolValue }
        var result = assemble(
            count: files.count, { YAMLLoader(limits: limits).load(contentsOf: files[$0].path) },
            digestNames: files.map(\.name), checkFileList: !namedFiles)
        for folder in unreadable { result.diagnostics.append(PolicyMessages.unreadable(folder.path, folder.reason)) }
        if files.isEmpty, unreadable.isEmpty { result.diagnostics.append(PolicyMessages.noFiles(paths)) }
        return result
    }

    /// Loads in-memory files (path → text), e.g. a candidate sent to a service.
    package func load(sources: [(path: String, text: String)]) -> PolicyLoadResult {
        let sorted = sources.sorted { $0.path < $1.path }
        return assemble(count: sorted.count) { YAMLLoader(limits: limits).load(text: sorted[$0].text, path: sorted[$0].path) }
    }

    /// Loads in-memory files read from one policy folder, e.g. at a git revision:
    /// `name` is the file's path inside the folder, which the digest hashes as
    /// `load(paths:)` does, so the same files give the same digest wherever they were
    /// read from. `folder` names the folder when it holds no policy files.
    package func load(folder: String, files: [(path: String, name: String, text: String)]) -> PolicyLoadResult {
        let sorted = files.sorted { $0.path < $1.path }
        var result = assemble(
            count: sorted.count, { YAMLLoader(limits: limits).load(text: sorted[$0].text, path: sorted[$0].path) },
            digestNames: sorted.map(\.name))
        if files.isEmpty { result.diagnostics.append(PolicyMessages.noFiles([folder])) }
        return result
    }

    /// `files:` against the files read, by their names inside the folder: a listed file
    /// missing is reported at its entry, a file not listed at the file itself.
    private static func checkListed(
        _ listed: [Located<String>], against files: [(name: String, path: String)], listAt list: SourceSpan
    ) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let present = Set(files.map(\.name))
        let wanted = Set(listed.map(\.value))
        for entry in listed where !present.contains(entry.value) {
            diagnostics.append(PolicyMessages.listedFileMissing(entry.value, at: entry.span, present: files.map(\.name)))
        }
        let listSpan = listed.first?.span ?? list
        for file in files where !wanted.contains(file.name) {
            let start = SourceSpan(file: file.path, start: SourceLocation(line: 1, column: 1), end: SourceLocation(line: 1, column: 1))
            diagnostics.append(PolicyMessages.fileNotListed(file.name, at: start, listedAt: listSpan, listed: listed.map(\.value)))
        }
        return diagnostics
    }

    /// `digestNames` are the names hashed with each file's text (default: its path).
    /// `checkFileList` compares the files with the `policy_set`'s `files:` list.
    /// Each tree is dropped once read into the model: a YAML tree takes some twenty times
    /// its text, and holding every file's at once made the trees most of a large set's
    /// peak memory (100 of 180 MB at 10,000 rules). `ParseAhead` parses the next file
    /// while this one is read, so at most two trees are alive.
    private func assemble(
        count: Int, _ parse: @escaping @Sendable (Int) -> YAMLLoadResult, digestNames: [String]? = nil,
        checkFileList: Bool = true
    ) -> PolicyLoadResult {
        var diagnostics = Diagnostics()
        var map = SourceMap()
        var reader = DocumentReader()
        var hash = SHA256()
        var names: [(name: String, path: String)] = []
        var ahead = ParseAhead(count: count, parse)
        for index in 0..<count {
            let result = ahead.next()
            diagnostics.append(contentsOf: result.diagnostics)
            names.append((digestNames?[index] ?? result.source.path, result.source.path))
            if result.documents.isEmpty, !result.diagnostics.hasErrors {
                diagnostics.append(PolicyMessages.emptyFile(at: result.source.span(from: 0, to: 0)))
            }
            map.add(result.source)
            hash.update(digestNames?[index] ?? result.source.path)
            hash.update([0])
            hash.update(result.source.text)
            hash.update([0])
            reader.model.files.append(result.source.path)
            reader.source = result.source
            for document in result.documents { reader.read(document) }
        }
        // The trees were built on the parsing threads, in an allocator arena of their own:
        // what they freed there goes back to the system now rather than staying resident
        // under the compile's peak (16 MB of a 10,000-rule set's 158).
        if ahead.overlaps { FreedMemory.release() }
        diagnostics.append(contentsOf: reader.diagnostics)
        if checkFileList, let header = reader.model.header, let listed = header.files {
            diagnostics.append(contentsOf: Self.checkListed(listed, against: names, listAt: header.span))
        }
        return PolicyLoadResult(model: reader.model, diagnostics: diagnostics, sources: map, digest: hash.finalize())
    }
}

/// Parses the files of a set in order, one file ahead of the caller: reading a large set
/// is two stages of about the same cost (libyaml and the tree, then the model), and the
/// second core does the first while this thread does the second. The results come back in
/// file order, so diagnostics and digests are what a sequential read gives.
///
/// A load whose thread runs at a lowered priority (a server's reload, at nice 19) parses
/// on that thread alone: a second thread took a core from the requests being answered,
/// and p99 during reloads of 10,000 rules went from 1.13× to 3.14× steady (2,000
/// requests/s, `Scripts/scale-bench.sh`). Only a load in the foreground (`check`, `eval`,
/// a server's first load) overlaps.
private struct ParseAhead {
    /// One file's parse, filled in by its thread and waited for by the reader.
    private final class Slot: @unchecked Sendable {
        // Written once by the parsing thread before `done` is signalled, read after the wait.
        var result: YAMLLoadResult?
        let done = DispatchSemaphore(value: 0)
    }

    private let count: Int
    private let parse: @Sendable (Int) -> YAMLLoadResult
    private var index = 0
    private var pending: Slot?

    /// Whether files are parsed on threads of their own.
    let overlaps: Bool

    init(count: Int, _ parse: @escaping @Sendable (Int) -> YAMLLoadResult) {
        self.count = count
        self.parse = parse
        // One file has nothing to overlap with.
        overlaps = count > 1 && (ThreadPriority.currentThreadNice ?? 0) <= 0
        if overlaps { pending = start(0) }
    }

    private func start(_ index: Int) -> Slot {
        let slot = Slot()
        let thread = Thread { [parse] in
            slot.result = parse(index)
            slot.done.signal()
        }
        thread.name = "rescind.policy-parse"
        thread.start()
        return slot
    }

    /// The next file's parse; starts the one after it before returning.
    mutating func next() -> YAMLLoadResult {
        defer { index += 1 }
        guard let slot = pending else { return parse(index) }
        slot.done.wait()
        pending = index + 1 < count ? start(index + 1) : nil
        return slot.result!
    }
}
