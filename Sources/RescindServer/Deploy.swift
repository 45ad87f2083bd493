import Foundation
import Hummingbird
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy
#if canImport(Glibc)
import Glibc
#endif

/// What a deployer expects to replace (`?base_digest=`, `If-Match: "<digest>"`,
/// `?base_version=`), so two deployers cannot overwrite each other unseen.
struct DeployPrecondition: Sendable {
    /// The served digest, in full or a prefix of at least 12 characters.
    var digest: String?
    /// The served `policy_set.version`.
    var version: String?

    /// Whether `served` is what the deployer expects (always, when nothing is asked).
    func holds(for served: PolicySet?) -> Bool {
        if digest == nil, version == nil { return true }
        guard let served else { return false }
        if let digest, !(digest.count >= 12 && served.digest.hasPrefix(digest.lowercased())) { return false }
        if let version, version != served.version { return false }
        return true
    }
}

/// How a deployment ended.
enum DeployOutcome: Sendable {
    /// On disk and served; `folder` is where the files were written.
    case deployed(previous: PolicySet?, folder: String)
    /// The candidate has errors; nothing was written.
    case invalid(LoadedPolicies)
    /// Refused before anything was written or after it was undone.
    case refused(APIError, result: String)
}

extension PolicyStore {
    /// Checks `files` (names inside the policy folder → text) and, when clean, writes
    /// them to a new folder beside the one the policy link leads to, points the link at
    /// it (a new link renamed over the old one: rename(2) is atomic, so a reader sees the
    /// old set or the new one, never a mix) and serves it. Runs on the store's queue, so
    /// no watcher reload or second deploy can come in between the precondition check,
    /// the swap and the load.
    func deploy(_ files: [(path: String, text: String)], precondition: DeployPrecondition) async -> DeployOutcome {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.deployOnQueue(files, precondition: precondition)) }
        }
    }

    private func deployOnQueue(_ files: [(path: String, text: String)], precondition: DeployPrecondition) -> DeployOutcome {
        let previous = current?.policySet
        guard precondition.holds(for: previous) else {
            let served = previous.map { "`\($0.digest)` (version `\($0.version)`)" } ?? "no policy set"
            return .refused(
                APIError(.conflict, code: "deploy-conflict", message: "the service serves \(served), not the base the deployment names"),
                result: "conflict")
        }
        // `readlink("link/")` reads the folder, not the link.
        let given = paths.first.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        guard paths.count == 1, let link = given, let linkValue = Self.readLink(link) else {
            return .refused(
                APIError(
                    .conflict, code: "deploy-needs-symlink",
                    message: "`\(paths.joined(separator: " "))` is not a symbolic link; deployments swap a link to the policy folder"),
                result: "refused")
        }
        let candidate = LoadedPolicies.load(
            folder: link, files: files.map { (path: $0.path, name: $0.path, text: $0.text) }, limits: policyLimits)
        guard let set = candidate.policySet else { return .invalid(candidate) }

        // Beside the folder the link leads to, in the link's own style (relative or absolute).
        let linkFolder = (link as NSString).deletingLastPathComponent
        let valueParent = (linkValue as NSString).deletingLastPathComponent
        var name = "\((link as NSString).lastPathComponent).\(set.digest.prefix(12))"
        func onDisk(_ value: String) -> String {
            value.hasPrefix("/") ? value : (linkFolder.isEmpty ? value : (linkFolder as NSString).appendingPathComponent(value))
        }
        func value(_ name: String) -> String { valueParent.isEmpty ? name : (valueParent as NSString).appendingPathComponent(name) }
        // The same set deployed again (a rollback) gets a folder of its own: the old one
        // may have been edited by hand since.
        if FileManager.default.fileExists(atPath: onDisk(value(name))) {
            name += "-\(Int(Date().timeIntervalSince1970 * 1000))"
        }
        let folder = onDisk(value(name))
        do {
            try Self.write(files, into: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            logger.error("deploy failed: cannot write the policy folder", metadata: ["folder": "\(folder)", "error": "\(error)"])
            return .refused(
                APIError(.internalServerError, code: "deploy-failed", message: "cannot write `\(folder)`: \(error.localizedDescription)"),
                result: "error")
        }
        if let failure = Self.swapLink(link, to: value(name)) {
            try? FileManager.default.removeItem(atPath: folder)
            logger.error("deploy failed: cannot swap the policy link", metadata: ["link": "\(link)", "error": "\(failure)"])
            return .refused(
                APIError(
                    .internalServerError, code: "deploy-failed", message: "cannot point `\(link)` at `\(value(name))`: \(failure)"),
                result: "error")
        }
        // Served from disk, as a restart or the watcher will read it: what was checked
        // must be what is read, else the link goes back.
        let loaded = loadOnQueue()
        guard loaded?.policySet?.digest == set.digest else {
            if let failure = Self.swapLink(link, to: linkValue) {
                // The link now leads to a folder that did not read back as checked; the
                // served set is still the previous one, but a restart would read the new.
                logger.critical(
                    "deploy failed and the policy link could not be put back",
                    metadata: ["link": "\(link)", "previous": "\(linkValue)", "error": "\(failure)"])
            }
            loadOnQueue()
            logger.error("deploy failed: the folder written did not read back", metadata: ["folder": "\(folder)"])
            return .refused(
                APIError(.internalServerError, code: "deploy-failed", message: "the files written to `\(folder)` did not read back the same; the previous set is kept"),
                result: "error")
        }
        logger.info(
            "policies deployed",
            metadata: [
                "policy": "\(set.name)", "version": "\(set.version)", "digest": "\(set.digest)", "folder": "\(folder)",
                "previous_digest": "\(previous?.digest ?? "")",
            ])
        return .deployed(previous: previous, folder: folder)
    }

    /// The link's text, or nil when `path` is not a symbolic link.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Points `link` at `value` atomically: a new link beside it, renamed over it. Nil when
    /// done, else what failed (`symlink: …` or `rename: …`, with the system's reason).
    static func swapLink(_ link: String, to value: String) -> String? {
        let folder = (link as NSString).deletingLastPathComponent
        let temporary = ((folder.isEmpty ? "." : folder) as NSString)
            .appendingPathComponent(".\((link as NSString).lastPathComponent).deploy-\(UUID().uuidString)")
        guard symlink(value, temporary) == 0 else { return "symlink: \(String(cString: strerror(errno)))" }
        guard rename(temporary, link) == 0 else {
            let reason = "rename: \(String(cString: strerror(errno)))"
            unlink(temporary)
            return reason
        }
        return nil
    }

    /// Writes every file (creating the folders its name has) and syncs them, so the
    /// folder is complete on disk before the link points at it.
    private static func write(_ files: [(path: String, text: String)], into folder: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file.path)
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let handle = try { () throws -> FileHandle in
                guard manager.createFile(atPath: path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
                }
                return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            }()
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(file.text.utf8))
            try handle.synchronize()
        }
    }
}

extension ServerRoutes {
    /// `POST /v1/policies:deploy`: the body of `:check`; checks it and, when clean,
    /// makes it the served set on disk and in memory (docs/server.md, "Deploying").
    func deploy(_ request: Request) async throws -> Response {
        do {
            try authorize(request, token: configuration.adminToken, admin: true)
        } catch {
            metrics.recordDeploy(result: "unauthorized")
            throw error
        }
        try requireJSONOrTar(request)
        let body = try await readBody(request)
        let sources: [(path: String, text: String)]
        do {
            sources = try candidateSources(
                body, contentType: request.headers[.contentType], maxBodyBytes: configuration.maxBodyBytes,
                maxFileSize: store.policyLimits.yaml.maxFileSize)
            for source in sources { try Self.checkDeployName(source.path) }
        } catch {
            metrics.recordDeploy(result: "bad-request")
            throw error
        }
        let query = request.uri.queryParameters
        var precondition = DeployPrecondition(
            digest: query.get("base_digest"), version: query.get("base_version"))
        // `If-Match: *` asks only that something is served, which any precondition-less deploy allows.
        if let match = request.headers[.ifMatch], match.trimmingCharacters(in: .whitespaces) != "*" {
            let tag = match.trimmingCharacters(in: .whitespaces)
            precondition.digest = tag.hasPrefix("\"") && tag.hasSuffix("\"") && tag.count >= 2
                ? String(tag.dropFirst().dropLast()) : tag
        }
        switch await store.deploy(sources, precondition: precondition) {
        case .deployed(let previous, let folder):
            metrics.recordDeploy(result: "ok")
            // `deployed`, then the members of `GET /v1/policies` as an admin sees them.
            return .json(JSONWriter.bytes(capacity: 1024) { out in
                out.beginObject()
                out.member("deployed", object: { out in
                    out.member("folder", string: folder)
                    out.member("previous", json: previous.map(identityJSON) ?? "null")
                })
                writePoliciesMembers(admin: true, into: &out)
                out.endObject()
                out.byte(UInt8(ascii: "\n"))
            })
        case .invalid(let loaded):
            metrics.recordDeploy(result: "invalid")
            let served = store.current.map { identityJSON($0.policySet) } ?? "null"
            return .json(
                status: .unprocessableContent,
                JSONWriter.bytes(capacity: 4096) { out in
                    out.beginObject()
                    out.member("error", object: { out in
                        out.member("code", string: "policies-invalid")
                        out.member(
                            "message",
                            string: "the candidate has errors; nothing was deployed and the previous set is still served")
                    })
                    out.member("ok", bool: false)
                    out.member("policy", json: served)
                    out.key("diagnostics")
                    JSONDiagnosticRenderer().write(loaded.diagnostics, into: &out)
                    out.endObject()
                    out.byte(UInt8(ascii: "\n"))
                })
        case .refused(let error, let result):
            metrics.recordDeploy(result: result)
            throw error
        }
    }

    /// A deployed file lands at its name inside the new folder: it must stay inside it
    /// (no absolute path, no `..`) and be a policy file the loader would read (not
    /// hidden, not a test file).
    static func checkDeployName(_ name: String) throws {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"), !name.contains("\0"),
            !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !PolicyLoader.isHidden(name), PolicyLoader.isPolicyFile(name)
        else {
            throw APIError(
                .badRequest, code: "deploy-invalid-name",
                message: "`\(name)` cannot be deployed: a file name is a relative path to a `.yaml` or `.yml` policy file, without `..` or parts starting with `.`")
        }
    }
}
