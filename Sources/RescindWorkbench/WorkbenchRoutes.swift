import CELRuntime
import Foundation
import Hummingbird
import Logging
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy
import RescindServer
import RescindTooling

/// The page's API (docs/workbench.md). Every call that looks at the edited set gets the
/// whole set from the page and loads it afresh: the server keeps no unsaved state, so a
/// reload of the page or a second tab never sees half of someone's edit.
struct WorkbenchRoutes: Sendable {
    let configuration: WorkbenchConfiguration
    let workspace: Workspace
    /// Saves, and saves refused, are logged: the page is not the only record of what was
    /// written to the policy folder.
    let logger: Logger

    // MARK: Reading the folder

    /// `GET /api/workspace`: the files as saved, the folder's revision, what impact replays.
    func workspaceDocument() async throws -> Response {
        let files = try await workspace.files()
        let revision = Workspace.revision(of: files)
        let saved = LoadedPolicies.load(paths: [workspace.folder], limits: configuration.policyLimits).policySet
        let body = JSONWriter.text(capacity: 64 << 10) { out in
            out.beginObject()
            out.member("folder", string: workspace.folder)
            out.member("revision", string: revision)
            out.member("requests", string: configuration.requests)
            out.member("locales", strings: saved?.locales ?? ["en", "zh-CN"])
            out.key("files")
            out.array { out in
                for file in files {
                    out.element()
                    out.object { out in
                        out.member("name", string: file.name)
                        out.member("test", bool: file.isTest)
                        out.member("text", string: file.text)
                    }
                }
            }
            out.endObject()
        }
        return .json(body + "\n")
    }

    // MARK: Check

    /// `POST /api/check`: the diagnostics `rescind check` gives for the edited set, each
    /// located in its file, and what the other panes need of the set that loaded.
    func check(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let loaded = edited.load(today: configuration.today, limits: configuration.policyLimits)
        return .json(CheckAnswer(edited: edited, loaded: loaded, locale: body.language).json + "\n")
    }

    // MARK: Book

    /// `POST /api/book`: the edited set as the policy book's HTML fragment (`rescind
    /// book`), in the page's language; every item carries `data-source` (its file:line).
    func book(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let load = PolicyBook.load(folder: edited.folder, files: edited.policySources, limits: configuration.policyLimits)
        guard let book = load.book else {
            throw WorkbenchError.setHasErrors(load.diagnostics.errors.count).apiError
        }
        let html = book.htmlFragment(locale: body.locale ?? "en")
        return .json(JSONWriter.text(capacity: html.utf8.count + 64) { out in
            out.beginObject()
            out.member("html", string: html)
            out.endObject()
        } + "\n")
    }

    // MARK: Try

    /// `POST /api/try`: one request decided by the edited set, explained as `rescind
    /// explain` explains it (what would change the outcome included).
    func decide(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        guard let requestText = body.request else { throw WorkbenchError.badBody("`request` is missing").apiError }
        let (_, policySet) = try compiled(edited)
        let locale = body.locale.flatMap { policySet.localeMatcher.match($0) }
        let answer: String
        switch RequestDecoder(schema: policySet.schema).decode(requestText) {
        case .failure(let error):
            // The error object `rescind eval --json` prints, worded in the page's language.
            answer = JSONWriter.text(capacity: 512) { out in
                out.beginObject()
                out.member("error", json: error.errorObject(line: nil, in: body.language))
                out.member("text", string: error.humanDescription(in: body.language))
                out.endObject()
            }
        case .success(let decoded):
            let decision = policySet.decide(decoded.root, options: DecisionOptions(locale: locale, explain: true))
            answer = JSONWriter.text(capacity: 8192) { out in
                out.beginObject()
                out.member("decision", json: decision.json)
                out.member("text", string: decision.text(showing: .all))
                out.endObject()
            }
        }
        return .json(answer + "\n")
    }

    // MARK: Tests

    /// `POST /api/tests`: the edited set's policy tests, each case passed or failed with
    /// its unmet expectations located, its request (to open in "try"), and coverage.
    func runTests(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let (_, policySet) = try compiled(edited)
        let plan = edited.testPlan(for: policySet, limits: configuration.policyLimits)
        let results = plan.diagnostics.hasErrors ? nil : plan.run()
        let answer = JSONWriter.text(capacity: 64 << 10) { out in
            out.beginObject()
            out.key("diagnostics")
            out.array { out in
                for diagnostic in plan.diagnostics {
                    out.element()
                    CheckAnswer.write(
                        diagnostic, sources: plan.sources, folder: edited.folder, locale: body.language,
                        into: &out)
                }
            }
            if let results {
                out.member("passed", integer: results.passedCount)
                out.member("failed", integer: results.failed.count)
                out.key("cases")
                out.array { out in
                    for result in results.results {
                        out.element()
                        write(result, folder: edited.folder, language: body.language, into: &out)
                    }
                }
                out.member("coverage", json: results.coverage.json)
            }
            out.endObject()
        }
        return .json(answer + "\n")
    }

    private func write(_ result: PolicyTestResult, folder: String, language: Diagnostic.Locale, into out: inout JSONWriter) {
        out.object { out in
            out.member("name", string: result.testCase.name)
            out.member("file", string: CheckAnswer.name(of: result.testCase.location.file, in: folder))
            out.member("line", integer: result.testCase.location.start.line)
            out.member("passed", bool: result.passed)
            out.key("failures")
            out.array { out in
                for failure in result.failures {
                    out.element()
                    out.object { out in
                        out.member("expectation", string: failure.expectation)
                        out.member("message", string: failure.text.text(in: language))
                        out.member("file", string: CheckAnswer.name(of: failure.location.file, in: folder))
                        out.member("line", integer: failure.location.start.line)
                    }
                }
            }
            out.member("effect", string: result.decision.effect.rawValue)
            out.member("request", string: RequestJSON.text(of: result.testCase.request))
        }
    }

    // MARK: Impact

    /// `POST /api/impact`: the edited set replayed against `--requests`, the saved folder
    /// as baseline: the report `rescind replay --format json` prints, and its text.
    func impact(_ body: WorkbenchBody) async throws -> Response {
        guard let requests = configuration.requests else { throw WorkbenchError.noRequests.apiError }
        let edited = try await edited(body)
        let (_, candidateSet) = try compiled(edited)
        let (_, baselineSet) = try saved()
        guard let reader = LineReader(path: requests) else { throw WorkbenchError.unreadableRequests(requests).apiError }
        let replay = Replay(
            baseline: ReplaySide(policySet: baselineSet, source: "\(workspace.folder) (saved)"),
            candidate: ReplaySide(policySet: candidateSet, source: "\(workspace.folder) (edited)"),
            samples: 3, locale: body.locale.flatMap { candidateSet.localeMatcher.match($0) })
        let report = replay.run(reader)
        let answer = JSONWriter.text(capacity: 16 << 10) { out in
            out.beginObject()
            out.member("report", json: report.json)
            out.member("text", string: report.text)
            out.endObject()
        }
        return .json(answer + "\n")
    }

    // MARK: What changed

    /// `POST /api/diff`: what the edit changes, in words, against the saved folder
    /// (`rescind diff`): `report` (its JSON) and `text`.
    func diff(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let (candidate, _) = try compiled(edited)
        let (baseline, _) = try saved()
        let diff = PolicyDiff.compare(
            DiffSide(label: "\(workspace.folder) (saved)", loaded: baseline, folder: workspace.folder),
            DiffSide(label: "\(workspace.folder) (edited)", loaded: candidate, folder: workspace.folder))
        let locale = body.language
        let answer = JSONWriter.text(capacity: 4096) { out in
            out.beginObject()
            out.member("report", json: diff.json(locale: locale))
            out.member("text", string: diff.text(locale: locale))
            out.endObject()
        }
        return .json(answer + "\n")
    }

    // MARK: Save and patch

    /// `POST /api/save`: writes the edited files, only when the set loads without an error
    /// and the folder is still at the revision the page started from.
    func save(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let loaded = edited.load(today: configuration.today, limits: configuration.policyLimits)
        guard loaded.policySet != nil else {
            let error = WorkbenchError.setHasErrors(loaded.diagnostics.errors.count)
            logger.warning("save refused", metadata: ["code": "\(error.code)", "errors": "\(loaded.diagnostics.errors.count)"])
            let answer = CheckAnswer(edited: edited, loaded: loaded, locale: body.language)
            return .json(status: error.status, answer.json(error: error) + "\n")
        }
        guard let base = body.base else { throw WorkbenchError.badBody("`base` (the revision the page read) is missing").apiError }
        do {
            let (written, revision) = try await workspace.save(edited.files, base: base)
            logger.info("saved", metadata: ["files": "\(written.joined(separator: ","))", "revision": "\(revision.prefix(12))"])
            let answer = JSONWriter.text(capacity: 512) { out in
                out.beginObject()
                out.member("written", strings: written)
                out.member("revision", string: revision)
                out.endObject()
            }
            return .json(answer + "\n")
        } catch {
            logger.warning("save refused", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
            throw error.apiError
        }
    }

    /// `POST /api/patch`: the edits as a unified diff against the saved files, for review
    /// or `git apply` (paths as `a/<folder>/<file>`, `b/<folder>/<file>`; an absolute
    /// folder without its leading `/`).
    func patch(_ body: WorkbenchBody) async throws -> Response {
        let edited = try await edited(body)
        let saved = Dictionary(uniqueKeysWithValues: try await workspace.files().map { ($0.name, $0.text) })
        var text = ""
        for file in edited.files {
            let before = saved[file.name] ?? ""
            guard before != file.text else { continue }
            // Relative to the folder the workbench was started from (`Policies/x.yaml`
            // for `--policies Policies`, applied at the repository's root).
            let folder = String(workspace.folder.drop { $0 == "/" })
            text += UnifiedDiff.patch(from: before, to: file.text, path: (folder as NSString).appendingPathComponent(file.name))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/x-diff; charset=utf-8", .contentDisposition: "attachment; filename=\"policies.patch\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: -

    /// The edited set compiled, or the 422 every call but check and save answers for a
    /// set with errors (the page shows check's diagnostics for it).
    private func compiled(_ edited: EditedSet) throws -> (LoadedPolicies, PolicySet) {
        let loaded = edited.load(today: nil, limits: configuration.policyLimits)
        guard let policySet = loaded.policySet else {
            throw WorkbenchError.setHasErrors(loaded.diagnostics.errors.count).apiError
        }
        return (loaded, policySet)
    }

    /// The folder as saved: the baseline impact and diff compare the edit with.
    private func saved() throws -> (LoadedPolicies, PolicySet) {
        let loaded = LoadedPolicies.load(paths: [workspace.folder], limits: configuration.policyLimits)
        guard let policySet = loaded.policySet else { throw WorkbenchError.savedSetHasErrors(workspace.folder).apiError }
        return (loaded, policySet)
    }

    private func edited(_ body: WorkbenchBody) async throws -> EditedSet {
        do {
            return try EditedSet(body, onDisk: try await workspace.files(), folder: workspace.folder)
        } catch {
            throw error.apiError
        }
    }
}
