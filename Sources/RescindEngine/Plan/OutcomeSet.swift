/// The rules and tiers a decision matched, as a set of indexes into `PolicySet.outcomes`;
/// iterates in index order (policy order). The first 64 outcomes are bits of one word
/// (a small set's decision allocates nothing); later ones are kept as a sorted list, so
/// the set costs what matched, not how many outcomes the policy set has (a large set's
/// decision matches a few dozen of 10,000).
struct OutcomeSet: Sendable, Sequence {
    private var low: UInt64 = 0
    /// Matched outcomes from 64 on, ascending, without duplicates.
    private var high: [Int32] = []

    /// Adds `index`. Deciding adds in ascending order (rules, then tiers), which is an
    /// append; any other order is kept sorted.
    mutating func insert(_ index: Int) {
        if index < 64 {
            low |= 1 << UInt64(index)
            return
        }
        let value = Int32(index)
        guard let last = high.last, value <= last else {
            if high.isEmpty { high.reserveCapacity(32) }
            high.append(value)
            return
        }
        var lower = 0
        var upper = high.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if high[middle] < value { lower = middle + 1 } else { upper = middle }
        }
        if high[lower] != value { high.insert(value, at: lower) }
    }

    func makeIterator() -> Iterator { Iterator(word: low, rest: high.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var word: UInt64
        var rest: IndexingIterator<[Int32]>

        @inline(__always)
        mutating func next() -> Int? {
            if word != 0 {
                let bit = word.trailingZeroBitCount
                word &= word - 1
                return bit
            }
            return rest.next().map(Int.init)
        }
    }
}
