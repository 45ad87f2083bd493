import Dispatch
import Foundation
import Rescind

/// What makes the served policies reload: SIGHUP, and a change to the policy files
/// (polled: inotify is Linux-only and misses editors that replace files by rename).
/// Both only start a reload on the store's queue; the signal handler and the timer
/// never load anything themselves.
public final class ReloadTriggers: @unchecked Sendable {
    private let store: PolicyStore
    private var sources: [any DispatchSourceProtocol] = []
    private let queue = DispatchQueue(label: "rescind.reload-triggers")
    /// Touched on `queue` only.
    private var fingerprint: [String]

    public init(store: PolicyStore) {
        self.store = store
        self.fingerprint = Self.fingerprint(store.paths)
    }

    /// Reload on SIGHUP (the default action, ending the process, is turned off).
    public func reloadOnHangup() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { [store] in Task { await store.reload() } }
        source.resume()
        sources.append(source)
    }

    /// Reload when the policy files (names, sizes, modification times) change, checked
    /// every `interval` seconds.
    public func watch(every interval: Double) {
        guard interval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = Self.fingerprint(self.store.paths)
            guard now != self.fingerprint else { return }
            self.fingerprint = now
            Task { await self.store.reload() }
        }
        timer.resume()
        sources.append(timer)
    }

    /// Stops both (graceful shutdown).
    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }

    static func fingerprint(_ paths: [String]) -> [String] {
        PolicyLoader.policyFiles(in: paths).map { file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            return "\(file)\t\(size)\t\(modified)"
        }
    }
}
