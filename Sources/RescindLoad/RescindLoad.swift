// A load generator for `rescind serve`, on loopback: keep-alive connections, each
// with one request in flight (a closed loop, or an open one at a fixed `--rate`), for a
// bounded time; latency per request in a histogram. Scripts/serve-bench.sh builds,
// starts a server and runs it; Scripts/scale-bench.sh runs it at a fixed rate.
//
//   .build/release/RescindLoad --port 8080 --connections 32 --duration 10
//   .build/release/RescindLoad --port 8080 --batch 100 --json
//   .build/release/RescindLoad --port 8080 --connections 8 --rate 2000 --duration 30

import ArgumentParser
import Foundation
import RescindLoadKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct RescindLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "RescindLoad",
        abstract: "Load `rescind serve` over loopback and report throughput and latency percentiles.",
        discussion: """
            Each connection sends the example requests in turn (connection N starts at \
            the Nth), one at a time, and measures each request from its first byte \
            written to the last byte of the answer. The client runs on the same machine \
            as the server: its CPU time is taken from the server's. With --rate the \
            requests start on a fixed schedule instead (an open loop), each on a free \
            connection, and latency counts from when a request was due.
            """)

    @Option(help: "The server's host (loopback only: this is a load tool).")
    var host = "127.0.0.1"

    @Option(help: "The server's port.")
    var port: Int

    @Option(help: "Keep-alive connections.")
    var connections = 32

    @Option(help: "Client threads the connections are spread over.")
    var threads = 1

    @Option(help: "Measured seconds (at most 600).")
    var duration = 10.0

    @Option(help: "Unmeasured seconds first (connections open, caches warm).")
    var warmup = 1.0

    @Option(help: "Requests per batch (POST /v1/decisions:batch); 0 posts single decisions.")
    var batch = 0

    @Option(help: ArgumentHelp(
        "Requests per second on a fixed schedule (an open loop; latency from when each was due); 0 sends each connection's next request as soon as its answer is in.",
        valueName: "PER_SECOND"))
    var rate = 0.0

    @Option(help: "Seconds before an unanswered request counts as a timeout.")
    var timeout = 5.0

    @Option(help: ArgumentHelp("Sent with every request as `Authorization: Bearer TOKEN`.", valueName: "TOKEN"))
    var token: String?

    @Flag(help: "Ask for explanations (`?explain=true`).")
    var explain = false

    @Option(help: ArgumentHelp(
        "GET this path instead of posting decisions (e.g. /healthz: the HTTP stack's own cost, for comparison).",
        valueName: "PATH"))
    var get: String?

    @Option(help: ArgumentHelp(
        "The server's process id: its CPU time during the measured seconds is reported too (Linux, /proc).",
        valueName: "PID"))
    var serverPid: Int32?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Argument(help: "Request files, folders of *.json, or *.jsonl files of one request a line (default: Examples/requests).")
    var requests: [String] = []

    func validate() throws {
        guard ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.") else {
            throw ValidationError("the host must be a loopback address; found `\(host)`")
        }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration must be in (0, 600]") }
        guard warmup >= 0, connections > 0, threads > 0, batch >= 0, timeout > 0 else {
            throw ValidationError("--warmup, --connections, --threads, --batch and --timeout must not be negative")
        }
        guard rate >= 0, rate <= 1_000_000 else { throw ValidationError("--rate must be in [0, 1000000]") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let bodies = try requestBodies()
        let query = explain ? "?explain=true" : ""
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let loadRequests: [LoadRequest]
        if let get {
            loadRequests = [LoadRequest(method: "GET", path: get, host: authority, headers: Array(headers.dropFirst()), body: [])]
        } else if batch > 0 {
            // As many batches as there are bodies, each starting one body further on.
            loadRequests = bodies.indices.map { first in
                let items = (0..<batch).map { bodies[(first + $0) % bodies.count] }
                let body = [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
                return LoadRequest(
                    path: "/v1/decisions:batch" + query, host: authority, headers: headers, body: body, decisions: batch)
            }
        } else {
            loadRequests = bodies.map {
                LoadRequest(path: "/v1/decisions" + query, host: authority, headers: headers, body: $0)
            }
        }
        var configuration = LoadConfiguration(
            host: host, port: port, connections: connections, threads: threads, duration: warmup, warmup: 0,
            timeout: timeout, requests: loadRequests, rate: rate)
        // The warm-up is a run of its own, so the CPU times below cover the measured
        // seconds only.
        if warmup > 0 { _ = try runLoad(configuration) }
        configuration.duration = duration
        let before = cpuSeconds(), serverBefore = serverPid.flatMap(processCPUSeconds)
        let result = try runLoad(configuration)
        let cpu = CPUTimes(
            client: cpuSeconds() - before,
            server: serverBefore.flatMap { start in serverPid.flatMap(processCPUSeconds).map { $0 - start } })
        print(json ? jsonSummary(result, cpu: cpu) : textSummary(result, cpu: cpu))
        if result.requests == 0 { throw ExitCode(2) }
    }

    func requestBodies() throws -> [[UInt8]] {
        let manager = FileManager.default
        var files: [String] = []
        for path in requests.isEmpty ? ["Examples/requests"] : requests {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("no such file or folder: `\(path)`")
            }
            if isDirectory.boolValue {
                files += try manager.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw ValidationError("no request files") }
        let bodies = try files.flatMap { file -> [[UInt8]] in
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            guard file.hasSuffix(".jsonl") else { return [bytes] }
            return bytes.split(separator: UInt8(ascii: "\n")).map(Array.init).filter { !$0.allSatisfy { $0 == 32 || $0 == 13 } }
        }
        guard !bodies.isEmpty else { throw ValidationError("no requests in \(files.joined(separator: ", "))") }
        return bodies
    }

    /// This process's user and system CPU time: what the client took from the machine.
    func cpuSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Another process's user and system CPU time, from /proc/PID/stat; nil elsewhere.
    func processCPUSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3, utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func milliseconds(_ nanoseconds: UInt64) -> String { String(format: "%.3f", Double(nanoseconds) / 1e6) }

    func textSummary(_ result: LoadResult, cpu: CPUTimes) -> String {
        let seconds = max(result.seconds, 1e-9)
        let latency = result.latency
        let kind = get.map { "GET \($0)" } ?? (batch > 0 ? "batches of \(batch)" : "single decisions")
        var lines = [
            (get == nil
                ? "\(result.requests) requests (\(result.decisions) decisions, \(kind))"
                : "\(result.requests) requests (\(kind))")
                + " in \(String(format: "%.2f", seconds)) s over \(connections) connections, \(threads) client thread(s): "
                + String(format: "%.0f requests/s", Double(result.requests) / seconds)
                + (get == nil ? String(format: ", %.0f decisions/s", Double(result.decisions) / seconds) : ""),
            "latency ms per request: p50 \(milliseconds(latency.percentile(0.5)))  p90 \(milliseconds(latency.percentile(0.9)))  "
                + "p99 \(milliseconds(latency.percentile(0.99)))  p99.9 \(milliseconds(latency.percentile(0.999)))  "
                + "max \(milliseconds(latency.max))  mean \(String(format: "%.3f", latency.mean / 1e6))",
            "statuses: " + result.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                + "; connect errors \(result.connectErrors), broken \(result.ioErrors), timeouts \(result.timeouts)",
            cpu.text(name: "client", seconds: seconds, requests: result.requests),
        ]
        if rate > 0 {
            lines.insert(
                "open loop at \(String(format: "%.0f", rate)) requests/s; sent after due, ms: "
                    + "p50 \(milliseconds(result.sendDelay.percentile(0.5)))  p99 \(milliseconds(result.sendDelay.percentile(0.99)))  "
                    + "max \(milliseconds(result.sendDelay.max))",
                at: 2)
        }
        if cpu.server != nil { lines.append(cpu.text(name: "server", seconds: seconds, requests: result.requests)) }
        if !result.errorMessages.isEmpty { lines.append("first errors: " + result.errorMessages.joined(separator: "; ")) }
        return lines.joined(separator: "\n")
    }

    func jsonSummary(_ result: LoadResult, cpu: CPUTimes) -> String {
        let seconds = max(result.seconds, 1e-9)
        let latency = result.latency
        func ms(_ value: UInt64) -> String { milliseconds(value) }
        let statuses = result.statuses.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        return "{\"connections\":\(connections),\"threads\":\(threads),\"batch\":\(batch),\"rate\":\(rate),"
            + "\"seconds\":\(String(format: "%.3f", seconds)),\"requests\":\(result.requests),\"decisions\":\(result.decisions),"
            + "\"requests_per_second\":\(String(format: "%.1f", Double(result.requests) / seconds)),"
            + "\"decisions_per_second\":\(String(format: "%.1f", Double(result.decisions) / seconds)),"
            + "\"latency_ms\":{\"p50\":\(ms(latency.percentile(0.5))),\"p90\":\(ms(latency.percentile(0.9))),"
            + "\"p99\":\(ms(latency.percentile(0.99))),\"p999\":\(ms(latency.percentile(0.999))),\"max\":\(ms(latency.max)),"
            + "\"mean\":\(String(format: "%.3f", latency.mean / 1e6))},"
            + "\"send_delay_ms\":{\"p50\":\(ms(result.sendDelay.percentile(0.5))),\"p99\":\(ms(result.sendDelay.percentile(0.99))),"
            + "\"max\":\(ms(result.sendDelay.max))},"
            + "\"statuses\":{\(statuses)},\"connect_errors\":\(result.connectErrors),\"broken\":\(result.ioErrors),"
            + "\"timeouts\":\(result.timeouts),\"failed\":\(result.failures),"
            + "\"client_cpu_seconds\":\(String(format: "%.3f", cpu.client)),"
            + "\"server_cpu_seconds\":\(cpu.server.map { String(format: "%.3f", $0) } ?? "null")}"
    }
}

/// CPU seconds spent during the measured run: the client's own, and the server's when
/// its process id was given.
struct CPUTimes {
    let client: Double
    let server: Double?

    func text(name: String, seconds: Double, requests: Int) -> String {
        let value = name == "client" ? client : server ?? 0
        return "\(name) CPU "
            + String(format: "%.2f s (%.2f cores, %.1f us per request)", value, value / seconds, value * 1e6 / Double(max(1, requests)))
    }
}
