/// Latencies in nanoseconds, counted in log-linear buckets (HdrHistogram's layout):
/// exact below 128 ns, then 128 buckets per power of two, so any value is reported
/// within 1/128 (0.8%) of what was measured. Recording is a shift and an increment,
/// never an allocation, so it costs nothing next to a request.
package struct LatencyHistogram: Sendable {
    static let subBucketBits = 7
    static let subBuckets = 1 << subBucketBits
    /// 57 magnitudes (shifts 0…56 cover every UInt64) of 128 buckets.
    private var counts = [UInt64](repeating: 0, count: 58 * LatencyHistogram.subBuckets)
    package private(set) var count: UInt64 = 0
    package private(set) var min: UInt64 = .max
    package private(set) var max: UInt64 = 0
    private var sum: Double = 0

    package init() {}

    /// The arithmetic mean, in nanoseconds.
    package var mean: Double { count == 0 ? 0 : sum / Double(count) }

    package mutating func record(_ nanoseconds: UInt64) {
        counts[Self.index(nanoseconds)] += 1
        count += 1
        sum += Double(nanoseconds)
        if nanoseconds < min { min = nanoseconds }
        if nanoseconds > max { max = nanoseconds }
    }

    package mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        sum += other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    /// The value at or below which `fraction` (0…1) of the recorded values lie: the
    /// upper end of that value's bucket, never above the largest value seen.
    package func percentile(_ fraction: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((fraction * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucket) in counts.enumerated() where bucket > 0 {
            seen += bucket
            if seen >= rank { return Swift.min(Self.upperBound(index), max) }
        }
        return max
    }

    static func index(_ value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let shift = (63 - value.leadingZeroBitCount) - subBucketBits
        let sub = Int(value >> UInt64(shift)) - subBuckets  // 0…127: the top 8 bits less the leading one
        return (shift + 1) * subBuckets + sub
    }

    static func upperBound(_ index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let shift = index / subBuckets - 1
        let sub = UInt64(index % subBuckets + subBuckets)
        // The bucket's last value, written so the top bucket (ending at UInt64.max) does not overflow.
        return (sub << UInt64(shift)) | ((1 << UInt64(shift)) - 1)
    }
}
