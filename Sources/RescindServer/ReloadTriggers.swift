import Dispatch
import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
#if canImport(Glibc)
import Glibc
#endif

/// What makes the served policies reload: SIGHUP, and a change to the policy files
/// (polled: inotify is Linux-only and misses editors that replace files by rename).
/// Both only start a reload on the store's queue; the signal handler and the timer
/// never load anything themselves.
package final class ReloadTriggers: @unchecked Sendable {
    private let store: PolicyStore
    /// How long the files must stay unchanged before the watcher reads them, so an
    /// editor's or `git checkout`'s write of several files is read whole.
    private let settle: Double
    private var sources: [any DispatchSourceProtocol] = []
    private let queue = DispatchQueue(label: "rescind.reload-triggers")
    /// True from a change seen until the reload it leads to is done; touched on `queue` only.
    private var settling = false

    /// `settle` is in seconds (`--reload-settle`); 0 reloads at the first poll that
    /// sees a change.
    package init(store: PolicyStore, settle: Double = 1) {
        self.store = store
        self.settle = max(0, settle)
    }

    /// Reload on SIGHUP (the default action, ending the process, is turned off).
    package func reloadOnHangup() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { [store] in Task { await store.reload() } }
        source.resume()
        sources.append(source)
    }

    /// Reload when the policy files change (what is read: each file's device, inode,
    /// size and modification time, following links), checked every `interval` seconds,
    /// once the files have stayed the same for the settle interval.
    package func watch(every interval: Double) {
        guard interval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        sources.append(timer)
    }

    /// Stops both (graceful shutdown).
    package func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
    }

    /// On `queue`: compares the folder with what the store last read.
    private func poll() {
        guard !settling else { return }
        let now = PolicyFingerprint(store.paths)
        guard now != store.loadedFingerprint else { return }
        settling = true
        settleThenReload(seen: now)
    }

    /// On `queue`: waits for the settle interval; reloads only if the files are still as
    /// `seen`, else waits again. A load the files changed under is dropped by the store
    /// and settled again too.
    private func settleThenReload(seen: PolicyFingerprint) {
        queue.asyncAfter(deadline: .now() + settle) { [weak self] in
            guard let self else { return }
            let now = PolicyFingerprint(self.store.paths)
            guard now == seen else { return self.settleThenReload(seen: now) }
            guard now != self.store.loadedFingerprint else {
                // Changed back (or a deploy already read it): nothing to do.
                self.settling = false
                return
            }
            // Straight onto the store's queue, not through a Task: a busy concurrency pool
            // (requests under load) must not hold up a reload.
            self.store.reloadUnlessChanging { loaded in
                self.queue.async {
                    if loaded {
                        self.settling = false
                    } else {
                        self.settleThenReload(seen: PolicyFingerprint(self.store.paths))
                    }
                }
            }
        }
    }
}

/// What the watcher compares: for each path given, the folder it resolves to (a link
/// swapped to an identical copy still counts), and for each policy file read, its name
/// with the device, inode, size and modification time of the file a link leads to, as
/// `stat(2)` sees it (not the link's own, which does not change when `..data` does).
struct PolicyFingerprint: Equatable, Sendable {
    let entries: [String]

    init(_ paths: [String]) {
        var entries: [String] = []
        for path in paths {
            entries.append("root\t\(path)\t\(URL(fileURLWithPath: path).resolvingSymlinksInPath().path)")
        }
        for file in PolicyLoader.policyFiles(in: paths) {
            var info = stat()
            guard stat(file, &info) == 0 else {
                entries.append("\(file)\tmissing")
                continue
            }
            entries.append(
                "\(file)\t\(info.st_dev):\(info.st_ino)\t\(info.st_size)\t\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        }
        self.entries = entries
    }
}
