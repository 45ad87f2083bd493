import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// A policy link as a deployment lays it out: `ROOT/policies -> releases/policies.initial`.
struct LinkedPolicies {
    let root: URL
    var link: String { root.appendingPathComponent("policies").path }
    var releases: String { root.appendingPathComponent("releases").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-deploy-\(UUID().uuidString)")
        let copy = try Fixture.policyCopy()
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("releases").path, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: copy.path, toPath: root.appendingPathComponent("releases/policies.initial").path)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "releases/policies.initial")
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// The files the link leads to, by name, with `change` applied to each text.
    func files(_ change: (String, String) -> String = { $1 }) throws -> [String: String] {
        var files: [String: String] = [:]
        for path in PolicyLoader.policyFiles(in: [link]) {
            let name = String(path.dropFirst(link.count + 1))
            files[name] = change(name, try String(contentsOfFile: path, encoding: .utf8))
        }
        return files
    }

    func releaseFolders() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: releases).sorted() }
}

/// Waits (up to `seconds`) for `condition`, polling.
func eventually(_ seconds: Double = 30, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

func jsonBody(_ files: [String: String]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: files))
}

func bumpVersion(_ name: String, _ text: String) -> String {
    name == "policy-set.yaml" ? text.replacingOccurrences(of: "version: \"2026.12\"", with: "version: \"2027.01\"") : text
}

@Suite("POST /v1/policies:deploy")
struct DeployTests {
    @Test func goodDeployIsServedWrittenAndSurvivesARestart() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let (app, store) = Fixture.app(policies: layout.link)
        let old = try #require(store.current).policySet.digest
        let files = try layout.files(bumpVersion)
        let expected = try #require(LoadedPolicies.load(folder: "x", files: files.map { ($0.key, $0.key, $0.value) }).policySet)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/policies:deploy?base_digest=\(old.prefix(12))", method: .post, headers: bearer(Fixture.adminToken),
                body: try jsonBody(files)
            ) { response in
                #expect(response.status == .ok, "\(response.text)")
                let policy = response.object["policy"] as? [String: Any]
                #expect(policy?["version"] as? String == "2027.01")
                #expect(policy?["digest"] as? String == expected.digest)
                #expect((response.object["deployed"] as? [String: Any])?["previous"] as? [String: String] != nil)
            }
            try await client.execute(uri: "/metrics", method: .get) {
                #expect($0.text.contains("rescind_policy_deploys_total{result=\"ok\"} 1"))
            }
        }
        #expect(store.current?.policySet.digest == expected.digest)
        #expect(PolicyStore.readLink(layout.link) == "releases/policies.\(expected.digest.prefix(12))")
        #expect(try layout.releaseFolders() == ["policies.\(expected.digest.prefix(12))", "policies.initial"])
        // What a restart (or the watcher) reads is what was deployed.
        let fresh = PolicyStore(paths: [layout.link], logger: Fixture.logger)
        #expect(fresh.loadNow().policySet?.digest == expected.digest)
        #expect(store.loadedFingerprint == PolicyFingerprint([layout.link]))
    }

    @Test func brokenDeployKeepsTheServedSetAndTheDisk() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let (app, store) = Fixture.app(policies: layout.link)
        let old = try #require(store.current).policySet.digest
        let files = try layout.files { name, text in name == "refunds.yaml" ? text + "\n  this: [is not: valid\n" : text }
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/policies:deploy", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(files)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(response.errorCode == "policies-invalid")
                #expect(!((response.object["diagnostics"] as? [Any]) ?? []).isEmpty)
                #expect((response.object["policy"] as? [String: Any])?["digest"] as? String == old)
            }
        }
        #expect(store.current?.policySet.digest == old)
        #expect(PolicyStore.readLink(layout.link) == "releases/policies.initial")
        #expect(try layout.releaseFolders() == ["policies.initial"])
    }

    @Test func aStaleBaseIsAConflict() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let (app, store) = Fixture.app(policies: layout.link)
        let old = try #require(store.current).policySet.digest
        let files = try layout.files(bumpVersion)
        try await app.test(.router) { client in
            for (uri, headers) in [
                ("/v1/policies:deploy?base_digest=000000000000", bearer(Fixture.adminToken)),
                ("/v1/policies:deploy?base_version=2025.01", bearer(Fixture.adminToken)),
                ("/v1/policies:deploy", bearer(Fixture.adminToken) + [.ifMatch: "\"\(String(repeating: "f", count: 64))\""]),
            ] {
                try await client.execute(uri: uri, method: .post, headers: headers, body: try jsonBody(files)) {
                    #expect($0.status == .conflict)
                    #expect($0.errorCode == "deploy-conflict")
                    #expect($0.text.contains(old))
                }
            }
            try await client.execute(
                uri: "/v1/policies:deploy?base_version=2026.12", method: .post,
                headers: bearer(Fixture.adminToken) + [.ifMatch: "\"\(old)\""], body: try jsonBody(files)
            ) {
                #expect($0.status == .ok, "\($0.text)")
            }
        }
        #expect(store.current?.policySet.version == "2027.01")
    }

    @Test func tokensNamesAndPlainFolders() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let files = try layout.files()
        try await Fixture.app(policies: layout.link).app.test(.router) { client in
            try await client.execute(uri: "/v1/policies:deploy", method: .post, body: try jsonBody(files)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/policies:deploy", method: .post, headers: bearer("wrong"), body: try jsonBody(files)) {
                #expect($0.status == .forbidden)
            }
            for name in ["../escape.yaml", "/abs.yaml", ".hidden.yaml", "notes.txt", "a//b.yaml", "x.tests.yaml"] {
                var bad = files
                bad[name] = "kind: rules\nrules: []\n"
                try await client.execute(
                    uri: "/v1/policies:deploy", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(bad)
                ) {
                    #expect($0.status == .badRequest, "\(name)")
                    #expect($0.errorCode == "deploy-invalid-name")
                }
            }
        }
        #expect(try layout.releaseFolders() == ["policies.initial"])
        let plain = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: plain) }
        try await Fixture.app(policies: plain.path).app.test(.router) { client in
            try await client.execute(
                uri: "/v1/policies:deploy", method: .post, headers: bearer(Fixture.adminToken), body: try jsonBody(files)
            ) {
                #expect($0.status == .conflict)
                #expect($0.errorCode == "deploy-needs-symlink")
            }
        }
    }
}

@Suite("folder watcher")
struct WatcherTests {
    @Test func aSlowMultiFileEditIsLoadedWhole() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = PolicyStore(paths: [folder.path], logger: Fixture.logger)
        store.loadNow()
        let triggers = ReloadTriggers(store: store, settle: 2)
        triggers.watch(every: 0.05)
        defer { triggers.cancel() }
        // Two files, a pause shorter than the settle interval between them: a watcher
        // without one would serve the first half (a valid set of its own) for a while.
        let setFile = folder.appendingPathComponent("policy-set.yaml")
        try bumpVersion("policy-set.yaml", String(contentsOf: setFile, encoding: .utf8))
            .write(to: setFile, atomically: true, encoding: .utf8)
        // A blocking sleep: a `Task.sleep` can overrun the settle interval when other
        // suites keep the concurrency pool busy, and then the first half is rightly read.
        usleep(300_000)
        #expect(store.reloadCounts.total == 0)
        let refunds = folder.appendingPathComponent("refunds.yaml")
        try (String(contentsOf: refunds, encoding: .utf8) + "# second half of the edit\n")
            .write(to: refunds, atomically: true, encoding: .utf8)
        let whole = try #require(LoadedPolicies.load(paths: [folder.path]).policySet)
        #expect(try await eventually { store.current?.policySet.digest == whole.digest })
        try await Task.sleep(for: .milliseconds(300))
        #expect(store.reloadCounts.total == 1)
    }

    @Test func aSwappedLinkIsPickedUp() async throws {
        let layout = try LinkedPolicies()
        defer { layout.remove() }
        let store = PolicyStore(paths: [layout.link], logger: Fixture.logger)
        store.loadNow()
        let triggers = ReloadTriggers(store: store, settle: 0.1)
        triggers.watch(every: 0.05)
        defer { triggers.cancel() }
        let next = layout.releases + "/policies.next"
        try FileManager.default.copyItem(atPath: layout.releases + "/policies.initial", toPath: next)
        let setFile = next + "/policy-set.yaml"
        try bumpVersion("policy-set.yaml", String(contentsOfFile: setFile, encoding: .utf8))
            .write(toFile: setFile, atomically: true, encoding: .utf8)
        #expect(PolicyStore.swapLink(layout.link, to: "releases/policies.next") == nil)
        #expect(try await eventually { store.current?.policySet.version == "2027.01" })
    }
}

extension HTTPFields {
    fileprivate static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var fields = lhs
        fields.append(contentsOf: rhs)
        return fields
    }
}
