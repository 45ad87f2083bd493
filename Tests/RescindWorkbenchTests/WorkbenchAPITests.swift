import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RescindServer
import Testing

@testable import RescindWorkbench

/// The workbench's API through Hummingbird's test client, on a copy of the shipped
/// policies in a temporary folder (saving writes into it).
@Suite("workbench API")
struct WorkbenchAPITests {
    @Test("the workspace lists every policy and test file with the folder's revision")
    func workspace() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            try await client.execute(uri: "/api/workspace", method: .get) { response in
                #expect(response.status == .ok)
                let document = try response.object()
                let files = try #require(document["files"] as? [[String: Any]])
                let names = files.compactMap { $0["name"] as? String }
                #expect(names.contains("who-may-cancel.yaml"))
                #expect(names.contains("who-may-cancel.tests.yaml"))
                #expect(files.first { $0["name"] as? String == "who-may-cancel.tests.yaml" }?["test"] as? Bool == true)
                #expect((document["revision"] as? String)?.count == 64)
                #expect(document["requests"] is NSNull)
            }
        }
    }

    @Test("check answers what `rescind check` says: the summary, and a typo located in its file")
    func check() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            let files = try Workbench.files(folder)
            let clean = try await client.post("/api/check", files: files)
            #expect(clean["ok"] as? Bool == true)
            #expect((clean["summary"] as? String)?.hasPrefix("ok: marketplace-cancellations 2026.12: 12 rules, 1 thresholds, 7 files") == true)
            let schema = try #require(clean["request_schema"] as? [String: Any])
            #expect((schema["properties"] as? [String: Any])?["order"] != nil)
            let order = try #require(clean["field_order"] as? [String: [String]])
            #expect(order[""]?.prefix(3) == ["id", "at", "locale"])
            #expect(order["buyer_history.cancellations"] == ["order_id", "at", "initiator", "reason"])

            var broken = files
            broken["who-may-cancel.yaml"] = broken["who-may-cancel.yaml"]!.replacingOccurrences(
                of: "- order.status in [\"shipped\", \"delivered\"]", with: "- order.status == \"shiped\"")
            let answer = try await client.post("/api/check", files: broken)
            #expect(answer["ok"] as? Bool == false)
            let diagnostics = try #require(answer["diagnostics"] as? [[String: Any]])
            let typo = try #require(diagnostics.first { ($0["diagnostic"] as? [String: Any])?["code"] as? String == "cel-invalid-enum-value" })
            #expect(typo["name"] as? String == "who-may-cancel.yaml")
            let span = try #require((typo["diagnostic"] as? [String: Any])?["span"] as? [String: Any])
            #expect((span["start"] as? [String: Any])?["line"] as? Int == 42)
            #expect((typo["rendered"] as? String)?.contains("\(folder)/who-may-cancel.yaml:42:27: error[cel-invalid-enum-value]") == true)
            #expect((typo["rendered"] as? String)?.contains("did you mean `shipped`?") == true)

            // In Chinese: the same code, line and caret; the words and the summary in zh-CN.
            let chinese = try await client.post("/api/check", files: broken, extra: ["locale": "zh-CN"])
            #expect((chinese["summary"] as? String)?.hasPrefix("未通过：") == true)
            let zh = try #require((chinese["diagnostics"] as? [[String: Any]])?.first {
                ($0["diagnostic"] as? [String: Any])?["code"] as? String == "cel-invalid-enum-value"
            })
            let rendered = try #require(zh["rendered"] as? String)
            #expect(rendered.contains("\(folder)/who-may-cancel.yaml:42:27: error[cel-invalid-enum-value]"))
            #expect(rendered.contains("提示："))
            #expect((zh["diagnostic"] as? [String: Any])?["message"] as? String != (typo["diagnostic"] as? [String: Any])?["message"] as? String)
        }
    }

    @Test("the book is the edited set's, in the page's language, each item linked to its line")
    func book() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            var files = try Workbench.files(folder)
            let english = try await client.post("/api/book", files: files)
            let html = try #require(english["html"] as? String)
            #expect(html.hasPrefix("<article class=\"rescind-book\""))
            #expect(html.contains("id=\"rule-buyer-before-shipment\" data-source=\"\(folder)/who-may-cancel.yaml:26\""))
            files["abuse-thresholds.yaml"] = try Workbench.moveReviewTier(files["abuse-thresholds.yaml"]!, to: 6)
            let chinese = try await client.post("/api/book", files: files, extra: ["locale": "zh-CN"])
            let zh = try #require(chinese["html"] as? String)
            #expect(zh.contains("lang=\"zh-CN\""))
            #expect(zh != html)
            try await client.execute(uri: "/book.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(".rescind-book"))
            }
        }
    }

    @Test("try decides with the edited set and explains, and a bad request names its field")
    func tryARequest() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            var files = try Workbench.files(folder)
            let request = try Workbench.request("abuse-review")  // 5 cancellations: reviewed
            let before = try await client.post("/api/try", files: files, extra: ["request": request, "locale": "zh-CN"])
            let decision = try #require(before["decision"] as? [String: Any])
            #expect(decision["effect"] as? String == "review")
            #expect(decision["deciding_rules"] as? [String] == ["abuse-review"])
            #expect((before["text"] as? String)?.contains("人工审核") == true)
            files["abuse-thresholds.yaml"] = try Workbench.moveReviewTier(files["abuse-thresholds.yaml"]!, to: 6)
            let after = try await client.post("/api/try", files: files, extra: ["request": request])
            #expect((after["decision"] as? [String: Any])?["effect"] as? String == "allow")
            #expect((after["text"] as? String)?.contains("abuse-warn") == true)

            let bad = try await client.post("/api/try", files: files, extra: ["request": #"{"id": "r", "order": {"status": "shiped"}}"#])
            let error = try #require((bad["error"] as? [String: Any])?["error"] as? [String: Any])
            #expect(error["path"] as? String == "$.order.status")
        }
    }

    @Test("tests run the edited test files; a failing case carries its request, which decides the same in try")
    func tests() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            var files = try Workbench.files(folder)
            let clean = try await client.post("/api/tests", files: files)
            #expect(clean["failed"] as? Int == 0)
            #expect((clean["passed"] as? Int ?? 0) > 50)
            #expect(((clean["coverage"] as? [String: Any])?["total"] as? Int ?? 0) > 0)

            files["abuse-thresholds.yaml"] = try Workbench.moveReviewTier(files["abuse-thresholds.yaml"]!, to: 4)
            let edited = try await client.post("/api/tests", files: files)
            #expect((edited["failed"] as? Int ?? 0) > 0)
            let cases = try #require(edited["cases"] as? [[String: Any]])
            let failing = try #require(cases.first { $0["passed"] as? Bool == false })
            #expect((failing["file"] as? String)?.hasSuffix(".tests.yaml") == true)
            #expect(((failing["failures"] as? [[String: Any]])?.isEmpty) == false)
            let request = try #require(failing["request"] as? String)
            let tried = try await client.post("/api/try", files: files, extra: ["request": request])
            #expect((tried["decision"] as? [String: Any])?["effect"] as? String == failing["effect"] as? String)

            // An edited test file is what runs: a case's expectation changed on the page fails.
            var renamed = files
            renamed["abuse-thresholds.yaml"] = try Workbench.files(folder)["abuse-thresholds.yaml"]
            renamed["who-may-cancel.tests.yaml"] = renamed["who-may-cancel.tests.yaml"]!.replacingOccurrences(
                of: "effect: deny", with: "effect: allow")
            let testEdit = try await client.post("/api/tests", files: renamed)
            #expect((testEdit["failed"] as? Int ?? 0) > 0)
        }
    }

    @Test("impact replays the edit against the requests, the saved folder as baseline")
    func impact() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        let requests = Workbench.root.appendingPathComponent("Examples/ci/sample-requests.jsonl").path
        try await Workbench.app(folder, requests: requests).test(.router) { client in
            var files = try Workbench.files(folder)
            let unchanged = try await client.post("/api/impact", files: files)
            #expect((unchanged["report"] as? [String: Any])?["changed"] as? Int == 0)
            files["abuse-thresholds.yaml"] = try Workbench.moveReviewTier(files["abuse-thresholds.yaml"]!, to: 6)
            let answer = try await client.post("/api/impact", files: files)
            let report = try #require(answer["report"] as? [String: Any])
            #expect((report["flips"] as? Int ?? 0) > 0)
            let transitions = try #require(report["transitions"] as? [[String: Any]])
            #expect(transitions.contains { $0["from"] as? String == "review" && $0["to"] as? String == "allow" })
            #expect((answer["text"] as? String)?.contains("review → allow") == true)

            let diff = try await client.post("/api/diff", files: files)
            let changes = try #require((diff["report"] as? [String: Any])?["changes"] as? [[String: Any]])
            #expect(changes.count == 1)
            #expect((diff["text"] as? String)?.contains("tier `abuse-review` of `repeat-canceller` now starts at 6 cancellations (was 5)") == true)
        }
        try await Workbench.app(folder).test(.router) { client in
            try await client.execute(
                uri: "/api/impact", method: .post, headers: Workbench.headers, body: try Workbench.body(Workbench.files(folder))
            ) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == "workbench-no-requests")
            }
        }
    }

    @Test("save writes only a clean set, refuses a stale page, and the patch applies with git")
    func saveAndPatch() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            let saved = try Workbench.files(folder)
            let revision = try await client.get("/api/workspace")["revision"] as! String

            var broken = saved
            broken["refunds.yaml"] = saved["refunds.yaml"]!.replacingOccurrences(of: "days: 5", with: "days: five")
            try await client.execute(
                uri: "/api/save", method: .post, headers: Workbench.headers, body: try Workbench.body(broken, extra: ["base": revision])
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode == "workbench-set-has-errors")
            }
            #expect(try Workbench.files(folder) == saved, "nothing is written for a set with errors")

            var edited = saved
            edited["refunds.yaml"] = saved["refunds.yaml"]!.replacingOccurrences(of: "days: 5", with: "days: 4")
            try await client.execute(uri: "/api/patch", method: .post, headers: Workbench.headers, body: try Workbench.body(edited)) {
                response in
                #expect(response.status == .ok)
                let patch = String(buffer: response.body)
                let path = String(folder.drop { $0 == "/" }) + "/refunds.yaml"
                #expect(patch.hasPrefix("--- a/\(path)\n+++ b/\(path)\n@@ "))
                #expect(patch.contains("\n-    days: 5\n+    days: 4\n"))
                try Workbench.gitApplyCheck(patch, in: folder)
            }
            let answer = try await client.post("/api/save", files: edited, extra: ["base": revision])
            #expect(answer["written"] as? [String] == ["refunds.yaml"])
            #expect(try Workbench.files(folder) == edited)
            #expect(answer["revision"] as? String != revision)

            // The page still holds the old revision: a second save must not overwrite.
            try await client.execute(
                uri: "/api/save", method: .post, headers: Workbench.headers, body: try Workbench.body(saved, extra: ["base": revision])
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == "workbench-changed-on-disk")
            }
            #expect(try Workbench.files(folder) == edited)
        }
    }

    @Test("only the page itself may call: a POST without the header, or a path outside the folder, is refused")
    func localPageGuard() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            let body = try Workbench.body(Workbench.files(folder))
            try await client.execute(uri: "/api/check", method: .post, headers: [.contentType: "application/json"], body: body) {
                #expect($0.status == .forbidden)
                #expect($0.errorCode == "workbench-missing-header")
            }
            try await client.execute(
                uri: "/api/check", method: .post, headers: Workbench.headers,
                body: ByteBuffer(string: #"{"files": [{"name": "../etc/passwd", "text": ""}]}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "workbench-unknown-file")
            }
            try await client.execute(uri: "/api/check", method: .post, headers: Workbench.headers, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == "workbench-bad-body")
            }
        }
    }

    @Test("a page of another site (DNS rebinding, a cross-site form) is refused; the workbench's own page is not")
    func hostAndOrigin() {
        func refusal(_ authority: String?, origin: String? = nil, post: Bool = true, marked: Bool = true) -> String? {
            let error = LocalPageGuard<BasicRequestContext>.refusal(
                authority: authority, origin: origin, isPost: post, marked: marked, configuredHost: "127.0.0.1")
            let object = error.flatMap { try? JSONSerialization.jsonObject(with: Data($0.object.utf8)) as? [String: Any] }
            return (object?["error"] as? [String: Any])?["code"] as? String
        }
        #expect(refusal("127.0.0.1:8081") == nil)
        #expect(refusal("localhost:8081", origin: "http://localhost:8081") == nil)
        #expect(refusal("[::1]:8081") == nil)
        #expect(refusal("attacker.example:8081") == "workbench-foreign-host")
        #expect(refusal("127.0.0.1.attacker.example") == "workbench-foreign-host")
        #expect(refusal("127.0.0.1:8081", origin: "http://attacker.example") == "workbench-foreign-origin")
        #expect(refusal("127.0.0.1:8081", origin: "null") == "workbench-foreign-origin")
        #expect(refusal("127.0.0.1:8081", marked: false) == "workbench-missing-header")
        #expect(refusal("127.0.0.1:8081", post: false, marked: false) == nil)
    }

    @Test("the page and its files are served; nothing else is")
    func assets() async throws {
        let folder = try Workbench.copyOfPolicies()
        defer { Workbench.remove(folder) }
        try await Workbench.app(folder).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("<script src=\"/assets/workbench.js\""))
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
            try await client.execute(uri: "/assets/workbench.js", method: .get) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "text/javascript; charset=utf-8")
            }
            for uri in ["/assets/..%2FWorkbenchApplication.swift", "/assets/missing.js", "/assets/.hidden.css"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
            }
        }
    }
}

/// The test support: a copy of Policies/, the application over it, calls and answers.
enum Workbench {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Rescind-Workbench")!: "1"]

    /// `<temporary>/Policies`, a copy, beside a link to Examples/ (the tests' request files).
    static func copyOfPolicies() throws -> String {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-workbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: root.appendingPathComponent("Policies"), to: parent.appendingPathComponent("Policies"))
        try FileManager.default.createSymbolicLink(
            at: parent.appendingPathComponent("Examples"), withDestinationURL: root.appendingPathComponent("Examples"))
        return parent.appendingPathComponent("Policies").path
    }

    static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent)
    }

    static func app(_ folder: String, requests: String? = nil) -> some ApplicationProtocol {
        var configuration = WorkbenchConfiguration(policies: folder, requests: requests)
        configuration.port = 0
        return buildWorkbenchApplication(configuration: configuration)
    }

    /// Every YAML file of `folder`, by name.
    static func files(_ folder: String) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    static func request(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("Examples/requests/\(name).json"), encoding: .utf8)
    }

    /// The repeat-canceller's review tier moved from 5 to `count` cancellations (between
    /// the warning at 3 and the block at 8, so the tiers stay in order).
    static func moveReviewTier(_ text: String, to count: Int) throws -> String {
        let marker = "- id: abuse-review\n"
        guard let tier = text.range(of: marker), let atLeast = text.range(of: "at_least: 5", range: tier.upperBound..<text.endIndex)
        else { throw CocoaError(.fileReadCorruptFile) }
        return text.replacingCharacters(in: atLeast, with: "at_least: \(count)")
    }

    static func body(_ files: [String: String], extra: [String: String] = [:]) throws -> ByteBuffer {
        var object: [String: Any] = ["files": files.sorted { $0.key < $1.key }.map { ["name": $0.key, "text": $0.value] }]
        for (key, value) in extra { object[key] = value }
        return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    /// `git apply --check` of `patch` in a throwaway repository holding a copy of `folder`
    /// at the same path, so the patch's `a/<folder>/…` names resolve.
    static func gitApplyCheck(_ patch: String, in folder: String) throws {
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-patch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: repository) }
        let copy = repository.appendingPathComponent(String(folder.drop { $0 == "/" }))
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder, toPath: copy.path)
        let patchFile = repository.appendingPathComponent("edit.patch")
        try Data(patch.utf8).write(to: patchFile)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "apply", "--check", patchFile.path]
        git.currentDirectoryURL = repository
        let pipe = Pipe()
        git.standardError = pipe
        try git.run()
        git.waitUntilExit()
        let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(git.terminationStatus == 0, "git apply --check: \(message)")
    }
}

extension TestClientProtocol {
    func post(_ uri: String, files: [String: String], extra: [String: String] = [:]) async throws -> [String: Any] {
        try await execute(uri: uri, method: .post, headers: Workbench.headers, body: try Workbench.body(files, extra: extra)) {
            response in
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            return try response.object()
        }
    }

    func get(_ uri: String) async throws -> [String: Any] {
        try await execute(uri: uri, method: .get) { try $0.object() }
    }
}

extension TestResponse {
    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    var errorCode: String? { ((try? object())?["error"] as? [String: Any])?["code"] as? String }
}
