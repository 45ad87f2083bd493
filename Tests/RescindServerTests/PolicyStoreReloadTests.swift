import Foundation
import Rescind
import RescindEngine
import RescindPolicy
import RescindUnsafe
import Testing

@testable import RescindServer

/// The store's reload queue (one at a time, in order, at the lowest CPU priority), the
/// swap, and what becomes of the set a swap replaces: freed, so repeated reloads do
/// not grow the process.
@Suite struct PolicyStoreReloadTests {
    /// Holds an object without keeping it alive.
    final class Probe: @unchecked Sendable {
        weak var object: PolicySet?
        init(_ object: PolicySet?) { self.object = object }
    }

    @Test func loadsRunOnAThreadOfTheLowestPriority() throws {
        #if os(Linux)
        let store = PolicyStore(paths: [Fixture.policies], logger: Fixture.logger)
        let callerNice = try #require(ThreadPriority.currentThreadNice)
        #expect(store.queue.threadNice == 19)
        #expect(store.queue.sync { ThreadPriority.currentThreadNice } == 19)
        // A load runs there, not on the caller's thread.
        let loaded = store.queue.sync { (ThreadPriority.currentThreadNice, store.loadOnQueue()?.policySet != nil) }
        #expect(loaded == (19, true))
        // The caller (a request thread, in the server) keeps its own priority.
        #expect(ThreadPriority.currentThreadNice == callerNice)
        #endif
    }

    @Test func theNiceValueCanBeSetForMeasuring() {
        #expect(PolicyStore.reloadNice(environment: [:]) == 19)
        #expect(PolicyStore.reloadNice(environment: ["RESCIND_RELOAD_NICE": "0"]) == 0)
        #expect(PolicyStore.reloadNice(environment: ["RESCIND_RELOAD_NICE": "19"]) == 19)
        for wrong in ["-1", "20", "low", ""] {
            #expect(PolicyStore.reloadNice(environment: ["RESCIND_RELOAD_NICE": wrong]) == nil, "\(wrong)")
        }
    }

    @Test func theQueueRunsItsWorkOneAtATimeInOrder() async throws {
        let queue = ReloadQueue(label: "rescind.test-queue")
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var entries: [String] = []
            func add(_ entry: String) { lock.withLock { entries.append(entry) } }
        }
        let log = Log()
        for index in 0..<20 {
            queue.async {
                log.add("start \(index)")
                Thread.sleep(forTimeInterval: 0.001)
                log.add("end \(index)")
            }
        }
        let last = queue.sync { () -> Int in
            log.add("sync")
            return 20
        }
        #expect(last == 20)
        #expect(log.entries == (0..<20).flatMap { ["start \($0)", "end \($0)"] } + ["sync"])
    }

    @Test func eachReloadFreesTheSetItReplaced() async throws {
        let store = PolicyStore(paths: [Fixture.policies], logger: Fixture.logger)
        store.loadNow()
        var replaced: [Probe] = []
        for _ in 1...5 {
            replaced.append(Probe(store.current?.policySet))
            #expect(await store.reload().succeeded)
        }
        // The replaced set is freed by a work item of its own, after the reload answered.
        store.queue.sync {}
        #expect(replaced.count == 5 && replaced.allSatisfy { $0.object == nil })
        #expect(store.current?.policySet != nil)
        #expect(store.reloadCounts == (5, 0))
    }

    @Test func aSetStillDecidingIsKeptUntilItsRequestLetsGo() async throws {
        let store = PolicyStore(paths: [Fixture.policies], logger: Fixture.logger)
        store.loadNow()
        // A request took the snapshot before the swap.
        var held = store.current
        let probe = Probe(held?.policySet)
        #expect(await store.reload().succeeded)
        #expect(store.current?.policySet !== probe.object)
        do {
            // It still decides with its set after the swap.
            let snapshot = try #require(held)
            let request = try Fixture.request("buyer-paid-card")
            let decision = snapshot.policySet.decide(try snapshot.decoder.decode(request).get().root).json
            #expect(decision.contains("\"effect\":\"allow\""))
        }
        // Its answer sent, the request lets go; the reload queue frees the set.
        held = nil
        store.queue.sync {}
        #expect(probe.object == nil)
    }

    /// While the folder flips between two versions, every snapshot a reader takes is one
    /// whole set: its decoder and its set belong together, and it decides as that set
    /// does loaded on its own.
    @Test(.timeLimit(.minutes(2))) func readersSeeOneWholeSetDuringReloads() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let setFile = folder.appendingPathComponent("policy-set.yaml")
        let original = try String(contentsOf: setFile, encoding: .utf8)
        let versions = ["swap.a", "swap.b"]
        let texts = versions.map { original.replacingOccurrences(of: "version: \"2026.12\"", with: "version: \"\($0)\"") }
        #expect(texts[0] != original)
        let request = try Fixture.request("buyer-paid-card")
        var decisions: [String: String] = [:]
        for text in texts {
            try Data(text.utf8).write(to: setFile)
            let set = try #require(LoadedPolicies.load(paths: [folder.path]).policySet)
            decisions[set.digest] = set.decide(try RequestDecoder(schema: set.schema).decode(request).get().root).json
        }
        let expected = decisions
        #expect(expected.count == 2)
        let store = PolicyStore(paths: [folder.path], logger: Fixture.logger)
        store.loadNow()

        // Readers on threads of their own (not the concurrency pool the reloads' awaits
        // need), pausing between reads so the low-priority reloads get on.
        final class Readers: @unchecked Sendable {
            private let lock = NSLock()
            private var stopped = false
            var reads = 0, wrong = 0
            var digests: Set<String> = []
            let done = DispatchGroup()
            var isStopped: Bool { lock.withLock { stopped } }
            func stop() {
                lock.withLock { stopped = true }
                done.wait()
            }
            func record(digest: String?, right: Bool) {
                lock.withLock {
                    reads += 1
                    if !right { wrong += 1 }
                    if let digest { digests.insert(digest) }
                }
            }
        }
        let readers = Readers()
        for _ in 0..<2 {
            readers.done.enter()
            Thread {
                while !readers.isStopped {
                    let snapshot = store.current
                    let decoded = snapshot.flatMap { try? $0.decoder.decode(request).get() }
                    if let snapshot, let decoded {
                        let digest = snapshot.policySet.digest
                        readers.record(digest: digest, right: snapshot.policySet.decide(decoded.root).json == expected[digest])
                    } else {
                        readers.record(digest: nil, right: false)
                    }
                    usleep(200)
                }
                readers.done.leave()
            }.start()
        }
        for index in 0..<10 {
            try Data(texts[index % 2].utf8).write(to: setFile)
            #expect(await store.reload().succeeded)
            #expect(store.current?.policySet.version == versions[index % 2])
        }
        readers.stop()
        #expect(readers.wrong == 0)
        #expect(readers.reads > 0)
        #expect(readers.digests.isSubset(of: Set(expected.keys)))
    }
}
