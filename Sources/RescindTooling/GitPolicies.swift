import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// A policy folder as it was at a git revision, read with read-only git commands
/// (`rev-parse`, `ls-tree`, `cat-file`): the working tree, the index and the refs are
/// never touched, so CI can compare a pull request's policies with its base branch's
/// without a second checkout.
package struct GitPolicyRevision: Sendable {
    /// The revision as given (`HEAD~1`, `origin/main`).
    package let revision: String
    /// The commit it names.
    package let commit: String
    /// The folder's path from the repository root (`Policies`; empty for the root).
    package let folder: String
    /// The policy files: `REV:folder/file.yaml` (what `git show` takes), the path inside
    /// the folder, and the text.
    package let files: [(path: String, name: String, text: String)]

    /// Why a revision could not be read: the message, lowercase, with the revision and
    /// paths in backticks, and git's own words when it gave any.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let message: String
        package var description: String { message }
    }

    /// Reads the policy files of `folder` (a path from the current directory, as for any
    /// policy folder) at `revision`, in the repository that holds the folder. The folder
    /// need not exist in the working tree: its nearest existing parent finds the
    /// repository.
    package static func read(revision: String, folder: String) -> Result<GitPolicyRevision, Failure> {
        var directory = URL(fileURLWithPath: folder).standardizedFileURL
        var missing: [String] = []
        var isDirectory: ObjCBool = false
        while !(FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            guard directory.path != "/" else { break }
            missing.insert(directory.lastPathComponent, at: 0)
            directory = directory.deletingLastPathComponent()
        }
        let cwd = directory.path
        let prefix: String
        switch git(["rev-parse", "--show-prefix"], in: cwd) {
        case .failure(let message):
            return .failure(Failure(message: "`\(folder)` is not in a git repository (git: \(message))"))
        case .success(let output):
            prefix = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let relative = (prefix.split(separator: "/").map(String.init) + missing).joined(separator: "/")

        let commit: String
        switch git(["rev-parse", "--verify", "--quiet", "--end-of-options", "\(revision)^{commit}"], in: cwd) {
        case .failure:
            return .failure(Failure(
                message: "git cannot find the revision `\(revision)` in the repository of `\(folder)`; "
                    + "in CI, check out with the full history (e.g. `fetch-depth: 0`) so base branches are there"))
        case .success(let output):
            commit = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        var arguments = ["ls-tree", "-r", "-z", "--full-tree", commit]
        if !relative.isEmpty { arguments += ["--", relative] }
        let listing: Data
        switch git(arguments, in: cwd) {
        case .failure(let message):
            return .failure(Failure(message: "cannot list `\(relative)` at `\(revision)` (git: \(message))"))
        case .success(let output): listing = output
        }
        var files: [(path: String, name: String, text: String)] = []
        let folderPrefix = relative.isEmpty ? "" : relative + "/"
        for entry in listing.split(separator: 0) {
            // "<mode> <type> <object>\t<path>"; symbolic links (mode 120000) hold a target, not a policy.
            guard let tab = entry.firstIndex(of: 9) else { continue }
            let fields = String(decoding: entry[entry.startIndex..<tab], as: UTF8.self).split(separator: " ")
            let path = String(decoding: entry[(tab + 1)...], as: UTF8.self)
            guard fields.count == 3, fields[1] == "blob", fields[0] != "120000", path.hasPrefix(folderPrefix) else {
                continue
            }
            let name = String(path.dropFirst(folderPrefix.count))
            // Hidden entries are skipped as a folder on disk skips them.
            guard PolicyLoader.isPolicyFile(name), !PolicyLoader.isHidden(name) else { continue }
            switch git(["cat-file", "blob", String(fields[2])], in: cwd) {
            case .failure(let message):
                return .failure(Failure(message: "cannot read `\(path)` at `\(revision)` (git: \(message))"))
            case .success(let text):
                files.append((path: "\(revision):\(path)", name: name, text: String(decoding: text, as: UTF8.self)))
            }
        }
        return .success(GitPolicyRevision(revision: revision, commit: commit, folder: relative, files: files))
    }

    /// Runs git in `directory`: its standard output, or its standard error's first line.
    private static func git(_ arguments: [String], in directory: String) -> Result<Data, Failure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        // Git's messages are matched by nobody, but should read the same everywhere.
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(Failure(message: "cannot run git: \(error.localizedDescription)"))
        }
        // Standard error is read on another thread so that neither pipe can fill and stall git.
        let errorText = ErrorCollector()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorText.data = errors.fileHandleForReading.readDataToEndOfFile() }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorText.data, as: UTF8.self).split(separator: "\n").first.map(String.init)
            return .failure(Failure(message: message ?? "exit status \(process.terminationStatus)"))
        }
        return .success(data)
    }

    /// Standard error's bytes, written by the reading thread before the group is left.
    private final class ErrorCollector: @unchecked Sendable {
        var data = Data()
    }
}

extension LoadedPolicies {
    /// Loads, checks and compiles the policy folder as it was at a git revision
    /// (`GitPolicyRevision.read`); diagnostics name files `REV:path`, as `git show` does.
    package static func load(revision: GitPolicyRevision, limits: PolicyLimits = .default) -> LoadedPolicies {
        load(folder: "\(revision.revision):\(revision.folder)", files: revision.files, limits: limits)
    }
}

/// One side of a comparison as the command line names it: a policy folder, or `git:REV`
/// (optionally `git:REV:path`), the policy folder as it is at a git revision. `replay`
/// and `diff` read their sides with it.
package struct PolicySource: Sendable, Hashable {
    /// The spec as given (`Policies`, `git:origin/main`, `git:HEAD~1:Policies`).
    package let spec: String
    /// The revision of a `git:` side; nil for a folder.
    package let revision: String?
    /// The folder: the spec itself for a folder, the path after `git:REV:` when given.
    package let folder: String?

    /// Reads a spec. Git refuses `:` in branch and tag names, so the first `:` after
    /// `git:REV` starts the path.
    package init(_ spec: String) throws(GitPolicyRevision.Failure) {
        self.spec = spec
        guard spec.hasPrefix("git:") else {
            revision = nil
            folder = spec
            return
        }
        let rest = spec.dropFirst("git:".count)
        let revision = rest.firstIndex(of: ":").map { rest[..<$0] } ?? rest
        guard !revision.isEmpty else {
            throw GitPolicyRevision.Failure(message: "`git:` needs a revision, e.g. `git:HEAD~1` or `git:origin/main`")
        }
        self.revision = String(revision)
        let path = rest.dropFirst(revision.count + 1)
        folder = path.isEmpty ? nil : String(path)
    }

    /// The folder a `git:REV` side without a path reads: `policiesPath` when given, else
    /// the other side's folder, else `Policies`.
    package static func defaultFolder(policiesPath: String?, other: PolicySource) -> String {
        policiesPath ?? other.folder ?? "Policies"
    }

    /// What the paths of a folder's files start with (`Policies/`): the loader names a
    /// folder's files `folder/relative` exactly so.
    package static func filePrefix(folder: String) -> String {
        String((folder as NSString).appendingPathComponent("x").dropLast())
    }

    /// Loads, checks and compiles this side; a `git:REV` side without a path reads
    /// `defaultFolder` at the revision. Fails only when git cannot read the revision:
    /// policies with errors load, with their diagnostics. Both loads (and every reload)
    /// apply `limits`.
    package func load(
        defaultFolder: String = "Policies", limits: PolicyLimits = .default
    ) -> Result<LoadedPolicySource, GitPolicyRevision.Failure> {
        guard let revision else {
            let folder = self.folder ?? defaultFolder
            return .success(LoadedPolicySource(
                source: self, policies: LoadedPolicies.load(paths: [folder], limits: limits), commit: nil,
                filePrefix: Self.filePrefix(folder: folder),
                reload: { LoadedPolicies.load(paths: [folder], limits: limits) }))
        }
        switch GitPolicyRevision.read(revision: revision, folder: folder ?? defaultFolder) {
        case .failure(let failure): return .failure(failure)
        case .success(let files):
            return .success(LoadedPolicySource(
                source: self, policies: LoadedPolicies.load(revision: files, limits: limits), commit: files.commit,
                filePrefix: "\(revision):" + (files.folder.isEmpty ? "" : files.folder + "/"),
                reload: { LoadedPolicies.load(revision: files, limits: limits) }))
        }
    }
}

/// A side of a comparison, loaded.
package struct LoadedPolicySource: Sendable {
    package let source: PolicySource
    package let policies: LoadedPolicies
    /// The commit a `git:REV` side was read at.
    package let commit: String?
    /// What every file path read starts with (`Policies/`, `origin/main:Policies/`):
    /// without it, a path is the file's name inside the policy folder.
    package let filePrefix: String
    /// Loads the same files again (a compiled set per thread, for replay).
    package let reload: @Sendable () -> LoadedPolicies
}
