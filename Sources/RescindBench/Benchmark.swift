// Rescind's benchmarks. Run in release mode on a quiet machine:
//
//   swift run -c release RescindBench            # all benchmarks
//   swift run -c release RescindBench cel        # only those whose name contains "cel"
//
// Each benchmark runs `rounds` timed rounds of `iterations` calls after a warm-up and
// prints the median and the best round in nanoseconds per call. Only one core is used.

import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// Keeps the optimizer from discarding benchmarked work.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

struct Benchmark {
    let name: String
    let iterations: Int
    let rounds: Int
    let body: (Int) -> Void

    init(_ name: String, iterations: Int = 2_000_000, rounds: Int = 9, body: @escaping (Int) -> Void) {
        self.name = name
        self.iterations = iterations
        self.rounds = rounds
        self.body = body
    }

    /// Nanoseconds per call of each round, sorted. With `RESCIND_BENCH_ITERATIONS=N`, one
    /// round of N calls and no warm-up: for counting instructions under
    /// `valgrind --tool=callgrind`, which the load of other processes does not disturb.
    func run() -> [Double] {
        if let fixed = ProcessInfo.processInfo.environment["RESCIND_BENCH_ITERATIONS"].flatMap(Int.init) {
            let start = DispatchTime.now().uptimeNanoseconds
            body(fixed)
            return [Double(DispatchTime.now().uptimeNanoseconds - start) / Double(max(fixed, 1))]
        }
        body(max(1, iterations / 10))  // warm caches and lazy statics
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            body(iterations)
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            samples.append(Double(elapsed) / Double(iterations))
        }
        return samples.sorted()
    }
}

@main
enum BenchmarkMain {
    static func main() throws {
        let filter = CommandLine.arguments.dropFirst().first
        // The reference pack is read from the package root (the working directory of
        // `swift run`), or from RESCIND_ROOT.
        let root = ProcessInfo.processInfo.environment["RESCIND_ROOT"] ?? FileManager.default.currentDirectoryPath
        let benchmarks = try CELBenchmarks.all() + PolicyBenchmarks.all(root: root)
        #if DEBUG
        print("warning: a debug build; use `swift run -c release RescindBench` for real figures")
        #endif
        print("benchmark".padding(toLength: 48, withPad: " ", startingAt: 0) + "   median ns     best ns")
        for benchmark in benchmarks where filter.map({ benchmark.name.contains($0) }) ?? true {
            let samples = benchmark.run()
            let median = samples[samples.count / 2]
            print(
                benchmark.name.padding(toLength: 48, withPad: " ", startingAt: 0)
                    + String(format: "%12.1f%12.1f", median, samples[0]))
        }
    }
}
