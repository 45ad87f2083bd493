import Dispatch
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs `app` until SIGTERM or SIGINT, then stops it within `shutdownTimeout`: the
/// listener closes at once, the requests in flight are answered, and whatever
/// connections remain when the time is up (a client that sent half a request and
/// stalled) are closed. A second signal closes them at once. Returns when the server
/// has stopped, so the caller can then flush the decision log; `true` when a signal
/// stopped it.
package func runUntilSignalled(
    _ app: some ApplicationProtocol, shutdownTimeout: Duration, connections: ConnectionTracker, logger: Logger
) async throws -> Bool {
    let signals = ShutdownSignals(timeout: shutdownTimeout, connections: connections, logger: logger)
    defer { signals.cancel() }
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    // A second signal, and the deadline, close the connections (`ShutdownSignals`);
    // ServiceLifecycle, which cannot take the same signals for both, cancels the
    // server's tasks a second after the deadline as a backstop.
    configuration.maximumGracefulShutdownDuration = shutdownTimeout + .seconds(1)
    configuration.maximumCancellationDuration = .seconds(5)
    do {
        try await ServiceGroup(configuration: configuration).run()
    } catch where signals.received {
        // Stopping late is still stopping: the caller flushes the log and exits 0.
        logger.warning("the server stopped after its shutdown deadline", metadata: ["error": "\(error)"])
    }
    return signals.received
}

/// Logs the start of a shutdown and enforces its deadline. ServiceLifecycle watches the
/// same signals and starts the graceful stop; Dispatch delivers a signal to every source
/// registered for it. The default action is left alone (ServiceLifecycle turns it off
/// when it starts watching): ignoring the signal sooner would swallow a SIGTERM that
/// arrived before the server runs.
final class ShutdownSignals: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "rescind.shutdown")
    /// Touched on `queue` only, and read once the server has stopped.
    private var count = 0
    private var deadline: (any DispatchSourceTimer)?

    var received: Bool { queue.sync { count > 0 } }

    init(timeout: Duration, connections: ConnectionTracker, logger: Logger) {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                count += 1
                if count == 1 {
                    logger.info(
                        "shutting down: no new connections; finishing the requests in flight",
                        metadata: ["signal": "\(name)", "shutdown_timeout": "\(seconds(timeout))"])
                    let timer = DispatchSource.makeTimerSource(queue: queue)
                    timer.schedule(deadline: .now() + .nanoseconds(Int(clamping: timeout.nanoseconds)))
                    timer.setEventHandler {
                        let closed = connections.closeAll()
                        if closed > 0 {
                            logger.warning(
                                "shutdown deadline passed; closing the remaining connections",
                                metadata: ["connections": "\(closed)"])
                        }
                    }
                    timer.resume()
                    deadline = timer
                } else {
                    let closed = connections.closeAll()
                    logger.warning(
                        "second signal: closing every connection now", metadata: ["signal": "\(name)", "connections": "\(closed)"])
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        queue.sync {
            for source in sources { source.cancel() }
            sources.removeAll()
            deadline?.cancel()
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + components.attoseconds / 1_000_000_000
    }
}
