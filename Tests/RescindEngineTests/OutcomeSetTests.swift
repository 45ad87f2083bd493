import Testing

@testable import RescindEngine

/// The matched set's two layouts (bits below 64, a sorted list above) behave as one set.
@Suite struct OutcomeSetTests {
    @Test func iteratesInIndexOrderWhateverTheInsertionOrder() {
        // Scrambled, repeating sequences of 0 … 40 indexes below 300 (a fixed formula,
        // so a failure reproduces).
        for round in 0..<200 {
            let indexes = (0..<(round % 41)).map { (round &* 7_919 &+ $0 &* 4_513 &+ $0 &* $0 &* 31) % 300 }
            var set = OutcomeSet()
            for index in indexes { set.insert(index) }
            #expect(Array(set) == Set(indexes).sorted(), "inserted \(indexes)")
        }
    }

    @Test func ascendingInsertsAndDuplicates() {
        var set = OutcomeSet()
        for index in [3, 63, 64, 65, 9_999, 10_000, 10_000, 64, 3] { set.insert(index) }
        #expect(Array(set) == [3, 63, 64, 65, 9_999, 10_000])
    }
}
