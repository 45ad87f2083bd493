import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// The line operators and scripts wait for: the address actually bound (with `--port 0`
/// the system picks the port), the policy set served and where decisions are logged.
func logListening(
    host: String?, port: Int?, configuration: ServerConfiguration, store: PolicyStore, decisionLog: DecisionLogWriter?,
    logger: Logger
) {
    let host = host ?? configuration.host
    let port = port ?? configuration.port
    let address = host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    var metadata: Logger.Metadata = ["address": "\(address)", "port": "\(port)"]
    if let set = store.current?.policySet {
        metadata["policy"] = "\(set.name)"
        metadata["version"] = "\(set.version)"
        metadata["digest"] = "\(set.digest)"
    }
    if let decisionLog {
        metadata["decision_log"] = "\(decisionLog.configuration.path)"
        metadata["decision_log_sample"] = "\(decisionLog.configuration.sampleRate)"
        metadata["decision_log_durability"] = "\(decisionLog.configuration.durability)"
        // The id every line of this run carries, to find them (and their gaps) again.
        metadata["decision_log_boot_id"] = "\(decisionLog.bootID)"
    }
    logger.info("listening", metadata: metadata)
}
