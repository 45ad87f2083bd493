import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy

/// The reference pack on pre-decoded requests (the embedded case), with and without
/// the explanation, plus request decoding and JSON rendering, which `--jsonl` adds.
enum PolicyBenchmarks {
    static func all(root: String) throws -> [Benchmark] {
        let loaded = LoadedPolicies.load(paths: ["\(root)/Policies"])
        guard let set = loaded.policySet else {
            fatalError("the reference pack does not load: \(loaded.diagnostics.items)")
        }
        let decoder = RequestDecoder(schema: set.schema)
        func request(_ name: String) throws -> (bytes: [UInt8], root: ObjectValue) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/Examples/requests/\(name).json")))
            return (bytes, try decoder.decode(bytes).get().root)
        }
        let exampleNames = try FileManager.default.contentsOfDirectory(atPath: "\(root)/Examples/requests")
            .filter { $0.hasSuffix(".json") }.sorted().map { String($0.dropLast(".json".count)) }
        let examples = try exampleNames.map { try request($0).root }
        let paid = try request("buyer-paid-card")
        let abuse = try request("abuse-review")
        let explain = DecisionOptions(explain: true)
        // Every example request as a JSON Lines line (compact, as `jq -c` writes it).
        let lines: [[UInt8]] = try exampleNames.map { name in
            compacted(Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/Examples/requests/\(name).json"))))
        }

        // One benchmark per situation (`RescindBench "example "` runs them all), so the
        // median over the pack's situations and the slowest can be read off.
        let perExample = zip(exampleNames, examples).map { name, root in
            Benchmark("example \(name)", iterations: 200_000, rounds: 5) { n in
                for _ in 0..<n { blackHole(set.decide(root)) }
            }
        }

        return perExample + [
            Benchmark("decision, buyer-paid-card (allow + refund)", iterations: 500_000) { n in
                for _ in 0..<n { blackHole(set.decide(paid.root)) }
            },
            Benchmark("decision, abuse-review (threshold count)", iterations: 500_000) { n in
                for _ in 0..<n { blackHole(set.decide(abuse.root)) }
            },
            Benchmark("decision, every example request in turn", iterations: 500_000) { n in
                // The pack's situations (Examples/requests) one after another: the mean
                // over a mix of allows, denials and reviews.
                var index = 0
                for _ in 0..<n {
                    blackHole(set.decide(examples[index]))
                    index = index + 1 == examples.count ? 0 : index + 1
                }
            },
            Benchmark("decision with explanation, buyer-paid-card", iterations: 50_000) { n in
                // Recorded while deciding; the explanation is a view read when asked for.
                for _ in 0..<n { blackHole(set.decide(paid.root, options: explain)) }
            },
            Benchmark("explanation read in full, buyer-paid-card", iterations: 50_000) { n in
                // What a program reading the explanation does: every rule, condition,
                // outcome, observed value and threshold (texts are rendered elsewhere).
                for _ in 0..<n { blackHole(readInFull(set.decide(paid.root, options: explain).explanation!)) }
            },
            Benchmark("explanation + JSON, buyer-paid-card", iterations: 20_000) { n in
                var buffer: [UInt8] = []
                for _ in 0..<n {
                    buffer.removeAll(keepingCapacity: true)
                    set.decide(paid.root, options: explain).writeJSON(into: &buffer)
                    blackHole(buffer)
                }
            },
            Benchmark("request decode, buyer-paid-card (JSON → typed)", iterations: 500_000) { n in
                for _ in 0..<n { blackHole(decoder.decode(paid.bytes)) }
            },
            Benchmark("request decode, JSONL mix (every example, compact)", iterations: 500_000) { n in
                // What `eval --jsonl` decodes: one compact line per request, per request.
                for i in 0..<n { blackHole(decoder.decode(lines[i % lines.count])) }
            },
            Benchmark("decide + JSON, buyer-paid-card (texts rendered)", iterations: 200_000) { n in
                var buffer: [UInt8] = []
                for _ in 0..<n {
                    buffer.removeAll(keepingCapacity: true)
                    set.decide(paid.root).writeJSON(into: &buffer)
                    blackHole(buffer)
                }
            },
            Benchmark("JSON write only, buyer-paid-card (texts rendered)", iterations: 200_000) { n in
                // The decision JSON alone: rendering reasons and obligations included,
                // deciding not.
                let decision = set.decide(paid.root)
                var buffer: [UInt8] = []
                for _ in 0..<n {
                    buffer.removeAll(keepingCapacity: true)
                    decision.writeJSON(into: &buffer)
                    blackHole(buffer)
                }
            },
            Benchmark("decode + decide + JSON, buyer-paid-card", iterations: 200_000) { n in
                // What `eval --jsonl` does per line, minus reading and writing the stream.
                var buffer: [UInt8] = []
                for _ in 0..<n {
                    buffer.removeAll(keepingCapacity: true)
                    if case .success(let decoded) = decoder.decode(paid.bytes) {
                        set.decide(decoded.root).writeJSON(into: &buffer)
                    }
                    blackHole(buffer)
                }
            },
            Benchmark("decode + decide + JSON, JSONL mix (every example)", iterations: 200_000) { n in
                // `eval --jsonl` per line over the pack's situations, minus the stream.
                var buffer: [UInt8] = []
                var index = 0
                for _ in 0..<n {
                    buffer.removeAll(keepingCapacity: true)
                    if case .success(let decoded) = decoder.decode(lines[index]) {
                        set.decide(decoded.root).writeJSON(into: &buffer)
                    }
                    blackHole(buffer)
                    index = index + 1 == lines.count ? 0 : index + 1
                }
            },
        ]
    }

    /// Visits every part of an explanation; the sum keeps the optimizer from skipping any.
    static func readInFull(_ explanation: Explanation) -> Int {
        var sum = 0
        for rule in explanation.rules {
            sum &+= rule.matched ? 1 : 0
            for condition in rule.conditions {
                if case .true = condition.outcome { sum &+= 1 }
                for observed in condition.observed {
                    sum &+= observed.path.utf8.count &+ Int(observed.raw.kind.rawValue)
                }
            }
        }
        for threshold in explanation.thresholds { sum &+= Int(threshold.count ?? 0) }
        return sum
    }
}

/// JSON text without the whitespace between tokens, members in their order (what
/// `jq -c` and the throughput script's `json.dumps` write): `JSONCompaction`, as the
/// decision log compacts requests.
private func compacted(_ json: [UInt8]) -> [UInt8] {
    guard let compact = JSONCompaction.compactObject(json) else { fatalError("an example request is not one JSON object") }
    return compact.bytes
}
