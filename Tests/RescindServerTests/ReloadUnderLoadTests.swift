import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindLoadKit
import Testing

@testable import RescindServer

/// RELOAD UNDER LOAD — a 30-second test on a real loopback socket. Skip it with
/// `swift test --skip ReloadUnderLoadTests`; `RESCIND_RELOAD_LOAD_SECONDS=N` runs it
/// for N seconds instead.
///
/// A live server (Hummingbird's `.live` test mode: the application from
/// `buildApplication`, on port 0) answers single and batch decisions on four keep-alive
/// connections while its policy folder is rewritten 20 times: good versions (each its
/// own `version` and `abuse-review` tier, written through a temp file and a rename),
/// YAML errors, CEL type errors, and one non-atomic write reloaded while the file is
/// half written. Every answer must be 200 and byte for byte the decision of one of
/// the good versions, as the library decides it; the failed reloads must be counted.
@Suite struct ReloadUnderLoadTests {
    static let seconds: Double = ProcessInfo.processInfo.environment["RESCIND_RELOAD_LOAD_SECONDS"].flatMap(Double.init) ?? 30

    /// One rewrite of the folder.
    enum Step {
        case good(version: String, reviewAt: Int)
        case yamlError
        case celTypeError
        /// A good version whose thresholds file is written in place in two halves, with a
        /// reload between them.
        case halfWritten(version: String, reviewAt: Int)
    }

    static let steps: [Step] = (1...20).map { index in
        let reviewAt = 4 + index % 4  // 4…7: between the warn (3) and block (8) tiers
        switch index {
        case 3, 11, 18: return .yamlError
        case 6, 15: return .celTypeError
        case 9: return .halfWritten(version: "load.\(index)", reviewAt: reviewAt)
        default: return .good(version: "load.\(index)", reviewAt: reviewAt)
        }
    }

    struct Originals {
        let policySet: String
        let thresholds: String
        let refunds: String

        func policySet(version: String) -> String {
            policySet.replacingOccurrences(of: "version: \"2026.12\"", with: "version: \"\(version)\"")
        }

        func thresholds(reviewAt: Int) -> String {
            thresholds.replacingOccurrences(of: "at_least: 5", with: "at_least: \(reviewAt)")
        }
    }

    @Test(.timeLimit(.minutes(5))) func everyAnswerComesFromAFullyLoadedGoodSet() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        @Sendable func file(_ name: String) -> URL { folder.appendingPathComponent(name) }
        let originals = Originals(
            policySet: try String(contentsOf: file("policy-set.yaml"), encoding: .utf8),
            thresholds: try String(contentsOf: file("abuse-thresholds.yaml"), encoding: .utf8),
            refunds: try String(contentsOf: file("refunds.yaml"), encoding: .utf8))
        #expect(originals.thresholds.components(separatedBy: "at_least: 5").count == 2)

        // The requests: every example the schema accepts, alone and in batches of 5.
        let names = try FileManager.default.contentsOfDirectory(
            atPath: Fixture.packageRoot.appendingPathComponent("Examples/requests").path
        ).filter { $0.hasSuffix(".json") }.sorted().map { String($0.dropLast(5)) }
        let initialSet = try #require(LoadedPolicies.load(paths: [folder.path]).policySet)
        let decoder = RequestDecoder(schema: initialSet.schema)
        let examples = try names.map { (name: $0, body: try Fixture.request($0)) }.filter {
            (try? decoder.decode($0.body).get()) != nil
        }
        let bodies = examples.map(\.body)
        #expect(bodies.count >= 20)
        let batches = stride(from: 0, to: bodies.count, by: 5).map { Array(bodies[$0..<min($0 + 5, bodies.count)]) }

        // What each good version decides, computed by the library from the same texts.
        var goodVersions: [(version: String, files: [String: String])] = [("2026.12", [:])]
        for step in Self.steps {
            switch step {
            case .good(let version, let reviewAt), .halfWritten(let version, let reviewAt):
                goodVersions.append(
                    (version, ["policy-set.yaml": originals.policySet(version: version),
                               "abuse-thresholds.yaml": originals.thresholds(reviewAt: reviewAt)]))
            case .yamlError, .celTypeError: break
            }
        }
        let policyFiles = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        var answers = [[[UInt8]]](repeating: [], count: bodies.count + batches.count)
        var digests: [String] = []
        for good in goodVersions {
            let files = try policyFiles.map { name in
                (path: file(name).path, name: name, text: try good.files[name] ?? String(contentsOf: file(name), encoding: .utf8))
            }
            let set = try #require(LoadedPolicies.load(folder: folder.path, files: files).policySet, "\(good.version)")
            #expect(set.version == good.version)
            digests.append(set.digest)
            // Each set decodes with its own decoder: a decision reads the request through
            // the schema objects of the set that decoded it.
            let setDecoder = RequestDecoder(schema: set.schema)
            let decisions = try bodies.map { try set.decide(setDecoder.decode($0).get().root).json }
            for (index, decision) in decisions.enumerated() { answers[index].append(Array((decision + "\n").utf8)) }
            var start = 0
            for (index, batch) in batches.enumerated() {
                let joined = decisions[start..<start + batch.count].joined(separator: ",")
                answers[bodies.count + index].append(Array("{\"results\":[\(joined)]}\n".utf8))
                start += batch.count
            }
        }
        let versions = goodVersions.map(\.version)
        #expect(Set(digests).count == versions.count)
        // The versions are told apart by outcome too, not only by their names.
        let abuseReview = try #require(examples.firstIndex { $0.name == "abuse-review" })
        #expect(Set(answers[abuseReview].map { String(decoding: $0, as: UTF8.self).contains("\"effect\":\"review\"") }).count == 2)

        let (app, store) = Fixture.app(policies: folder.path)
        #expect(store.current?.policySet.digest == digests[0])
        let tally = AnswerTally(answers: answers)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let json = [("Content-Type", "application/json")]
            let requests =
                bodies.map { LoadRequest(path: "/v1/decisions", host: "localhost", headers: json, body: Array($0.utf8)) }
                + batches.map {
                    LoadRequest(
                        path: "/v1/decisions:batch", host: "localhost", headers: json,
                        body: Array("[\($0.joined(separator: ","))]".utf8),
                        decisions: $0.count)
                }
            let configuration = LoadConfiguration(
                host: "localhost", port: port, connections: 4, threads: 1, duration: Self.seconds, warmup: 0, timeout: 20,
                requests: requests)
            async let load = runLoadOffThePool(configuration, check: tally.check)
            let start = ContinuousClock.now
            var expectedReloads = 0, expectedFailures = 0
            for (index, step) in Self.steps.enumerated() {
                // Spread over 90% of the run, so the last version serves for a while.
                try await Task.sleep(until: start + .seconds(Self.seconds * 0.9 * Double(index + 1) / Double(Self.steps.count)))
                switch step {
                case .good(let version, let reviewAt):
                    try replace(file("refunds.yaml"), with: originals.refunds)
                    try replace(file("abuse-thresholds.yaml"), with: originals.thresholds(reviewAt: reviewAt))
                    try replace(file("policy-set.yaml"), with: originals.policySet(version: version))
                    #expect(await store.reload().succeeded, "\(version)")
                case .yamlError:
                    try replace(file("policy-set.yaml"), with: originals.policySet(version: "broken.\(index + 1)"))
                    try replace(file("refunds.yaml"), with: originals.refunds + "\n  this: [is not: valid\n")
                    #expect(await store.reload().succeeded == false)
                    expectedFailures += 1
                case .celTypeError:
                    try replace(file("policy-set.yaml"), with: originals.policySet(version: "broken.\(index + 1)"))
                    try replace(file("refunds.yaml"), with: originals.refunds)
                    try replace(
                        file("abuse-thresholds.yaml"),
                        with: originals.thresholds.replacingOccurrences(of: "item.initiator == \"buyer\"", with: "item.initiator == 5"))
                    #expect(await store.reload().succeeded == false)
                    expectedFailures += 1
                case .halfWritten(let version, let reviewAt):
                    try replace(file("refunds.yaml"), with: originals.refunds)
                    try replace(file("policy-set.yaml"), with: originals.policySet(version: version))
                    // In place, as a careless editor or `cp` would: cut inside a quoted
                    // reason, so the first half is not valid YAML, and reload then.
                    let full = originals.thresholds(reviewAt: reviewAt)
                    let text = Array(full.utf8)
                    let quoted = try #require(full.range(of: "en: \"You have cancelled"))
                    let cut = full.utf8.distance(from: full.startIndex, to: quoted.upperBound)
                    let handle = try FileHandle(forWritingTo: file("abuse-thresholds.yaml"))
                    try handle.truncate(atOffset: 0)
                    try handle.write(contentsOf: text[..<cut])
                    try handle.synchronize()
                    #expect(await store.reload().succeeded == false)
                    expectedFailures += 1
                    expectedReloads += 1
                    try handle.write(contentsOf: text[cut...])
                    try handle.close()
                    #expect(await store.reload().succeeded, "\(version)")
                }
                expectedReloads += 1
            }
            let result = try await load
            print(
                "reload under load: \(result.requests) requests (\(result.decisions) decisions) in \(Int(Self.seconds)) s, "
                    + "p99 \(Double(result.latency.percentile(0.99)) / 1e6) ms, statuses \(result.statuses), "
                    + "\(tally.seenVersions.count) of \(versions.count) good versions served, failures \(result.failures)")

            #expect(result.failures == 0, "\(result.errorMessages) \(tally.mismatches)")
            #expect(result.statuses.keys.sorted() == [200])
            #expect(result.requests > 200, "too little traffic to mean anything: \(result.requests)")
            let seen = tally.seenVersions
            #expect(seen.contains(versions.count - 1), "the last version was never served")
            #expect(seen.count >= versions.count / 2, "only versions \(seen.sorted()) were served")

            // The reloads, failed ones included, are counted where operators look.
            #expect(expectedReloads == 21 && expectedFailures == 6)
            #expect(store.reloadCounts == (expectedReloads, expectedFailures))
            let policies = try await client.execute(uri: "/v1/policies", method: .get)
            #expect(policies.object["reloads"] as? [String: Int] == ["total": expectedReloads, "failed": expectedFailures])
            #expect((policies.object["policy"] as? [String: Any])?["version"] as? String == versions.last)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains("rescind_policy_reloads_total{result=\"error\"} \(expectedFailures)"))
            #expect(metrics.text.contains("rescind_policy_reloads_total{result=\"ok\"} \(expectedReloads - expectedFailures)"))
        }
    }
}

/// Writes through a temp file in the same folder and a rename, so a reader sees the
/// old file or the new one, never a part.
private func replace(_ url: URL, with text: String) throws {
    let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    try Data(text.utf8).write(to: temp)
    guard rename(temp.path, url.path) == 0 else {
        try? FileManager.default.removeItem(at: temp)
        throw CocoaError(.fileWriteUnknown)
    }
}

/// Runs the (blocking) load on a thread of its own, not on the cooperative pool the
/// server's tasks need.
private func runLoadOffThePool(_ configuration: LoadConfiguration, check: @escaping ResponseCheck) async throws -> LoadResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runLoad(configuration, check: check) }) }.start()
    }
}

/// The answers each request may get (one per good version) and which versions were
/// seen; `check` runs on the load thread.
private final class AnswerTally: @unchecked Sendable {
    let answers: [[[UInt8]]]
    private let lock = NSLock()
    private var seen: Set<Int> = []
    private var _mismatches: [String] = []

    init(answers: [[[UInt8]]]) {
        self.answers = answers
    }

    var seenVersions: Set<Int> { lock.withLock { seen } }
    var mismatches: [String] { lock.withLock { _mismatches } }

    var check: ResponseCheck {
        { [self] request, status, body in
            let version = status == 200 ? answers[request].firstIndex { $0.elementsEqual(body) } : nil
            lock.withLock {
                if let version {
                    seen.insert(version)
                } else if _mismatches.count < 3 {
                    // Where the answer leaves the nearest expected one, to read the difference.
                    let expected = answers[request].first ?? []
                    let at = zip(expected, body).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.count, body.count)
                    _mismatches.append(
                        "request \(request) got \(status), differing at byte \(at): "
                            + "`\(String(decoding: body.dropFirst(max(0, at - 40)).prefix(120), as: UTF8.self))`, expected "
                            + "`\(String(decoding: expected.dropFirst(max(0, at - 40)).prefix(120), as: UTF8.self))`")
                }
            }
            return version != nil
        }
    }
}
