import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// The `seq` numbers a decision log's entries carry, per `boot_id` (one process's run of
/// the service), and the runs of numbers missing between the smallest and the largest
/// seen. A missing number is an entry the service accepted for the log that is not in
/// the input: dropped because the buffer was full, refused by the file, or in a file
/// not given (docs/decision-log.md). Numbers before the first one seen (rotated files
/// deleted) and after the last (a tail lost to a crash) are not gaps: nothing shows
/// where a boot's log started or ended.
///
/// Lines may come in any order, from several files and boots: the numbers are kept as
/// sorted runs, so memory grows with the number of gaps, not of entries. Mergeable:
/// the union of two parts' numbers is the whole's, whatever their order.
struct SequenceTally: Sendable {
    /// Runs of numbers seen, sorted and apart (never adjacent), per boot id; the boot
    /// being read is kept aside, in `currentRuns`.
    private var settled: [String: [ClosedRange<Int>]] = [:]
    /// The boot of the last line added (its id's bytes and text) and its runs: lines
    /// come boot after boot, so most lines cost a comparison, not a dictionary lookup.
    private var currentBoot: [UInt8] = []
    private var currentKey: String?
    private var currentRuns: [ClosedRange<Int>] = []

    /// Every boot's runs.
    var boots: [String: [ClosedRange<Int>]] {
        var all = settled
        if let currentKey { all[currentKey] = currentRuns }
        return all
    }

    /// Counts entry `seq` of the boot whose id is `boot` (its UTF-8 bytes).
    mutating func add(_ seq: Int, boot: UnsafeRawBufferPointer) {
        if currentKey == nil || !boot.elementsEqual(currentBoot) {
            settle()
            currentBoot = Array(boot)
            let key = String(decoding: boot, as: UTF8.self)
            currentRuns = settled.removeValue(forKey: key) ?? []
            currentKey = key
        }
        Self.insert(seq...seq, into: &currentRuns)
    }

    /// Puts the current boot's runs back with the others.
    private mutating func settle() {
        guard let key = currentKey else { return }
        settled[key] = currentRuns
        currentKey = nil
        currentBoot = []
        currentRuns = []
    }

    mutating func merge(_ other: SequenceTally) {
        settle()
        for (boot, theirs) in other.boots {
            var runs = settled.removeValue(forKey: boot) ?? []
            for run in theirs { Self.insert(run, into: &runs) }
            settled[boot] = runs
        }
    }

    /// Adds `run`, joining the runs it touches or overlaps.
    private static func insert(_ run: ClosedRange<Int>, into runs: inout [ClosedRange<Int>]) {
        // Logs are read in order: the usual number extends the last run.
        if let last = runs.last {
            if run.lowerBound > last.upperBound + 1 {
                runs.append(run)
                return
            }
            if run.lowerBound >= last.lowerBound {
                runs[runs.count - 1] = last.lowerBound...max(last.upperBound, run.upperBound)
                return
            }
        } else {
            runs.append(run)
            return
        }
        // The first run that ends at or after the number before `run` starts.
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].upperBound + 1 < run.lowerBound { low = middle + 1 } else { high = middle }
        }
        var end = low
        var joined = run
        while end < runs.count, runs[end].lowerBound <= run.upperBound + 1 {
            joined = min(joined.lowerBound, runs[end].lowerBound)...max(joined.upperBound, runs[end].upperBound)
            end += 1
        }
        runs.replaceSubrange(low..<end, with: [joined])
    }

    /// The missing runs, by boot id and then number.
    var gaps: [SequenceGap] {
        let boots = self.boots
        return boots.keys.sorted().flatMap { boot in
            let runs = boots[boot]!
            return zip(runs, runs.dropFirst()).map { SequenceGap(bootID: boot, missing: $0.upperBound + 1...$1.lowerBound - 1) }
        }
    }
}

/// Entries missing from a decision log: numbers `missing` of boot `bootID` were
/// accepted for the log and are not in the input.
package struct SequenceGap: Sendable, Hashable {
    /// The `boot_id` of the process that wrote the entries around the gap.
    package let bootID: String
    /// The `seq` numbers missing.
    package let missing: ClosedRange<Int>

    /// Numbers `missing` of boot `bootID`.
    package init(bootID: String, missing: ClosedRange<Int>) {
        self.bootID = bootID
        self.missing = missing
    }

    /// "seq 1001–1650 missing in boot 3f2a…".
    package var text: String {
        let numbers = missing.count == 1 ? "seq \(missing.lowerBound)" : "seq \(missing.lowerBound)–\(missing.upperBound)"
        return "\(numbers) missing in boot \(bootID)"
    }
}
