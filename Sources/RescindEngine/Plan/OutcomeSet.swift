/// The rules and tiers a decision matched, as a set of indexes into `PolicySet.outcomes`;
/// iterates in index order (policy order). Up to 64 outcomes need no allocation.
struct OutcomeSet: Sendable, Sequence {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    mutating func insert(_ index: Int) {
        if index < 64 {
            low |= 1 << UInt64(index)
            return
        }
        let word = index / 64 - 1
        while high.count <= word { high.append(0) }
        high[word] |= 1 << UInt64(index % 64)
    }

    func makeIterator() -> Iterator { Iterator(word: low, rest: high.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var word: UInt64
        var rest: IndexingIterator<[UInt64]>
        var base = 0

        mutating func next() -> Int? {
            while word == 0 {
                guard let next = rest.next() else { return nil }
                word = next
                base += 64
            }
            let bit = word.trailingZeroBitCount
            word &= word - 1
            return base + bit
        }
    }
}
