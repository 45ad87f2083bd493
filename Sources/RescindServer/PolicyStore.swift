import Dispatch
import Foundation
import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy

/// One loaded policy set with what serving it needs; immutable, so a request keeps
/// deciding with the set it started with while a reload swaps in another.
package struct PolicySnapshot: Sendable {
    package let policySet: PolicySet
    /// Built once per set: the decoder's plan depends on the schema.
    package let decoder: RequestDecoder
    package let loadedAt: Date
    /// The locales the set's texts are written in (`PolicySet.locales`).
    package var locales: [String] { policySet.locales }

    init(policySet: PolicySet, loadedAt: Date, limits: RequestLimits) {
        self.policySet = policySet
        self.decoder = RequestDecoder(schema: policySet.schema, limits: limits)
        self.loadedAt = loadedAt
    }
}

/// How the last reload went.
package struct ReloadStatus: Sendable {
    package let at: Date
    /// Nil when it succeeded; else the error diagnostics as a JSON array.
    package let diagnosticsJSON: String?
    /// The first error, for logs and the summary message.
    package let firstError: String?

    package var succeeded: Bool { diagnosticsJSON == nil }
}

/// The policy set being served, swapped atomically on reload. Loading and checking run
/// on a private serial queue, off the request path, one at a time and at a low CPU
/// priority (ReloadQueue), so a large set compiling for seconds leaves the cores to
/// the requests; a set with errors never replaces the one being served.
package final class PolicyStore: @unchecked Sendable {
    /// What `load` reads.
    package let paths: [String]
    private let limits: RequestLimits
    /// The limits every load applies: start-up, reloads, checks and deployments alike
    /// (`--max-file-size` and the rest).
    package let policyLimits: PolicyLimits
    // The lock guards only the swap and the reads of these fields: deciding holds a
    // snapshot, never the lock.
    private let lock = NSLock()
    private var _current: PolicySnapshot?
    private var _lastReload: ReloadStatus?
    private var _reloads = 0, _failures = 0
    private var _loadedFingerprint: PolicyFingerprint?
    /// Every load, check and deploy runs here, one at a time (Deploy.swift too).
    let queue: ReloadQueue
    let logger: Logger

    package init(
        paths: [String], limits: RequestLimits = .default, policyLimits: PolicyLimits = .default,
        logger: Logger = Logger(label: "rescind.policies")
    ) {
        self.paths = paths
        self.limits = limits
        self.policyLimits = policyLimits
        self.logger = logger
        let nice = Self.reloadNice()
        if nice == nil {
            logger.warning(
                "RESCIND_RELOAD_NICE must be an integer in 0…19; using \(ReloadQueue.defaultNice)",
                metadata: ["found": "\(ProcessInfo.processInfo.environment["RESCIND_RELOAD_NICE"] ?? "")"])
        }
        self.queue = ReloadQueue(label: "rescind.policy-reload", nice: nice ?? ReloadQueue.defaultNice)
    }

    /// The reload thread's nice value from `RESCIND_RELOAD_NICE` (0–19), the default
    /// when it is not set, nil when it is set to anything else. 0 is the priority
    /// reloads had before they got a thread of their own: the before/after measurement
    /// of docs/performance.md sets it.
    static func reloadNice(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard let text = environment["RESCIND_RELOAD_NICE"] else { return ReloadQueue.defaultNice }
        guard let value = Int32(text), (0...19).contains(value) else { return nil }
        return value
    }

    /// The set being served; nil until a load succeeds.
    package var current: PolicySnapshot? { lock.withLock { _current } }
    /// The last load attempt, good or bad.
    package var lastReload: ReloadStatus? { lock.withLock { _lastReload } }
    /// Load attempts after the first, and how many of them failed.
    package var reloadCounts: (total: Int, failed: Int) { lock.withLock { (_reloads, _failures) } }

    /// Loads and checks the policies now, on the caller's thread (start-up); returns
    /// what was loaded, so the caller can print diagnostics.
    @discardableResult
    package func loadNow() -> LoadedPolicies {
        queue.sync { loadOnQueue()! }
    }

    /// Loads and checks the policies on the reload queue and swaps them in when clean.
    @discardableResult
    package func reload() async -> ReloadStatus {
        await withCheckedContinuation { continuation in
            queue.async {
                self.loadOnQueue()
                // Read on the queue: no other load can have run in between.
                continuation.resume(returning: self.lastReload!)
            }
        }
    }

    /// The watcher's reload: as `reload()`, but nothing is swapped or counted when the
    /// files changed while they were read; `done` gets whether the load counted, so the
    /// watcher can settle again.
    func reloadUnlessChanging(_ done: @escaping @Sendable (Bool) -> Void) {
        queue.async { done(self.loadOnQueue(discardIfChanged: true) != nil) }
    }

    /// Checks a candidate set (path → text) without serving it, on the reload queue so
    /// a large candidate does not hold up a request thread.
    package func check(_ sources: [(path: String, text: String)]) async -> LoadedPolicies {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: LoadedPolicies.load(sources: sources, limits: self.policyLimits)) }
        }
    }

    /// Runs on `queue` only. The files are fingerprinted before and after reading: a
    /// set that changed while it was read may be half old, half new, so it is read
    /// again (a few times, then taken as read) or, with `discardIfChanged` (the watcher,
    /// which settles and tries again), dropped without touching the served set.
    @discardableResult
    func loadOnQueue(discardIfChanged: Bool = false) -> LoadedPolicies? {
        for attempt in 1...3 {
            let before = PolicyFingerprint(paths)
            let loaded = LoadedPolicies.load(paths: paths, limits: policyLimits)
            let after = PolicyFingerprint(paths)
            if before == after || attempt == 3 {
                if before != after {
                    // Still being written after three reads: taken as read, but said, as
                    // it may mix old and new files (the watcher never gets here: it settles).
                    logger.warning(
                        "policy files kept changing while being read; loaded the last read",
                        metadata: ["attempts": "\(attempt)"])
                }
                commit(loaded, fingerprint: after)
                return loaded
            }
            logger.info("policy files changed while being read", metadata: ["attempt": "\(attempt)"])
            if discardIfChanged { return nil }
        }
        return nil
    }

    /// The files as they were when the served set (or the last failed attempt) was read:
    /// the watcher reloads only when the folder differs from this.
    var loadedFingerprint: PolicyFingerprint? { lock.withLock { _loadedFingerprint } }

    /// How long `retire` waits for requests still deciding with a replaced set.
    static let retireWait: Duration = .seconds(1)

    /// Frees a set a swap replaced, here on the reload thread (at its low priority)
    /// rather than on whichever request thread lets go of it last, as freeing a large
    /// set takes a while, and never under the lock requests take to read `current`.
    /// Requests that took the old snapshot before the swap keep it alive until they
    /// answer: this waits for them, up to `retireWait`, and then leaves the freeing to
    /// the last of them. Runs on `queue` only.
    func retire(_ retiring: Retiring) {
        guard var set = retiring.take()?.policySet else { return }
        let deadline = ContinuousClock.now + Self.retireWait
        while !isKnownUniquelyReferenced(&set), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// Records a load: swaps the set in when clean, counts and logs. Runs on `queue` only.
    func commit(_ loaded: LoadedPolicies, fingerprint: PolicyFingerprint) {
        let now = Date()
        let status: ReloadStatus
        if let policySet = loaded.policySet {
            let snapshot = PolicySnapshot(policySet: policySet, loadedAt: now, limits: limits)
            status = ReloadStatus(at: now, diagnosticsJSON: nil, firstError: nil)
            var replaced: PolicySnapshot?
            lock.withLock {
                if _lastReload != nil { _reloads += 1 }
                replaced = _current
                _current = snapshot
                _lastReload = status
                _loadedFingerprint = fingerprint
            }
            // After this work item, so the reload's caller has its answer first.
            let retiring = Retiring(replaced)
            replaced = nil
            queue.async { self.retire(retiring) }
        } else {
            let errors = loaded.diagnostics.errors
            status = ReloadStatus(
                at: now, diagnosticsJSON: JSONWriter.text { JSONDiagnosticRenderer().write(loaded.diagnostics, into: &$0) },
                firstError: errors.first.map { "\($0.code): \($0.message)" } ?? "policy set failed to load")
            lock.withLock {
                if _lastReload != nil {
                    _reloads += 1
                    _failures += 1
                }
                _lastReload = status
                _loadedFingerprint = fingerprint
            }
        }
        if let policySet = loaded.policySet {
            logger.info(
                "policies loaded",
                metadata: ["policy": "\(policySet.name)", "version": "\(policySet.version)", "digest": "\(policySet.digest)"])
        } else {
            // The set being served (if any) stays: a broken edit must not take decisions down.
            logger.error(
                "policy load failed; keeping the current set",
                metadata: ["errors": "\(loaded.diagnostics.errors.count)", "first": "\(status.firstError ?? "")"])
        }
    }
}

/// A replaced snapshot on its way to `PolicyStore.retire`: a box, so that taking it out
/// leaves no copy behind in the closure that carried it (a copy would keep the set
/// referenced, and `retire` would wait for itself).
final class Retiring: @unchecked Sendable {
    private var snapshot: PolicySnapshot?

    init(_ snapshot: PolicySnapshot?) { self.snapshot = snapshot }

    /// The snapshot, once; used on the reload queue only.
    func take() -> PolicySnapshot? {
        defer { snapshot = nil }
        return snapshot
    }
}
