import RescindUnsafe
import Testing

@Suite("the unsafe fence")
struct FenceTests {
    final class Tracked: Sendable {}

    @Test("a table reads back what was copied in, from index zero, for plain and counted elements")
    func tablesHoldTheirElements() {
        let arena = PlanArena(initialBlockSize: 64)
        let numbers = arena.table(Array(0..<1000))
        let words = arena.table(["buyer", "seller", "support"])
        let empty = arena.table([Int]())
        #expect(Array(numbers) == Array(0..<1000))
        #expect(numbers.startIndex == 0 && numbers[999] == 999)
        #expect(Array(words) == ["buyer", "seller", "support"])
        #expect(empty.isEmpty)
        // Blocks grow, so a thousand small tables take a few blocks, not a thousand.
        for _ in 0..<1000 { _ = arena.table([UInt8(1), 2, 3]) }
        #expect(arena.reservedBytes < 64 * 1024 * 2)
    }

    @Test("tables are aligned for their elements whatever came before")
    func alignment() {
        let arena = PlanArena(initialBlockSize: 64)
        _ = arena.table([UInt8(7)])
        let wide = arena.table([UInt64.max, 1])
        let ranges = arena.table([0..<3, 5..<9])
        #expect(wide[0] == .max && wide[1] == 1)
        #expect(ranges[1] == 5..<9)
        // Reading misaligned words works on x86, so the values alone cannot show it: check
        // where each table starts.
        func aligned<T>(_ table: ArenaTable<T>) -> Bool {
            table.withContiguousStorageIfAvailable {
                Int(bitPattern: $0.baseAddress) % MemoryLayout<T>.alignment == 0
            } ?? false
        }
        #expect(aligned(wide))
        #expect(aligned(ranges))
    }

    @Test("freeing the arena deinitializes what its tables hold, once")
    func arenaReleasesElements() {
        weak var probe: Tracked?
        do {
            let arena = PlanArena()
            let object = Tracked()
            probe = object
            let table = arena.table([object, object])
            #expect(table.count == 2)
            _ = arena  // the arena outlives the table's last use
        }
        #expect(probe == nil, "the arena released its elements")
    }

    @Test("an unowned reference reads the object without owning it")
    func unownedReference() {
        let object = Tracked()
        let reference = UnownedRef(object)
        #expect(reference.withObject { $0 === object })
        #expect(reference.object === object)
    }

    @Test("scratch tables are zeroed, separate, and work past the inline size")
    func scratch() {
        for (words, bytes) in [(1, 3), (2, 40), (20, 300)] {
            let sums = Scratch.withTables(words: words, bytes: bytes) { wordTable, byteTable -> (UInt64, Int) in
                #expect(wordTable.count == words && byteTable.count == bytes)
                var total: UInt64 = 0
                for index in wordTable.indices { total += wordTable[index] }
                byteTable.fill(-2)
                for index in wordTable.indices { wordTable[index] = .max }
                // Filling the words leaves the bytes alone, and the other way round.
                return (total, byteTable.indices.filter { byteTable[$0] == -2 }.count)
            }
            #expect(sums.0 == 0)
            #expect(sums.1 == bytes)
        }
    }

    @Test("a row of a plan's bit sets intersects into scratch words, from the row's start")
    func scratchIntersection() {
        let arena = PlanArena()
        // Three rows of 5 words: row r's word w is all ones but bit (r + w).
        let rows = arena.table((0..<15).map { ~(UInt64(1) << UInt64($0 / 5 + $0 % 5)) })
        Scratch.withTables(words: 5, bytes: 0) { words, _ in
            words.fill(.max)
            words.formIntersection(with: rows, from: 0)
            words.formIntersection(with: rows, from: 10)
            for index in words.indices {
                #expect(words[index] == ~(UInt64(1) << UInt64(index)) & ~(UInt64(1) << UInt64(2 + index)))
            }
        }
    }

    @Test("string content is escaped in pieces as a whole string would be")
    func outputContent() {
        let arena = PlanArena()
        let pieces = ["plain ", "quote \" back\\ tab\t nl\n ctl\u{01} del\u{7F}", " 订单 é", "", "12345678"]
        let bytes = arena.table(Array(pieces.joined().utf8))
        let whole = OutputBuffer.bytes { $0.string(pieces.joined()) }
        let inPieces = OutputBuffer.bytes { out in
            out.byte(0x22)
            for piece in pieces { out.content(piece) }
            out.byte(0x22)
        }
        let fromTable = OutputBuffer.bytes { out in
            out.byte(0x22)
            out.content(bytes, 0..<bytes.count)
            out.byte(0x22)
            out.append(bytes, 0..<5)
        }
        #expect(inPieces == whole)
        #expect(fromTable == whole + Array("plain".utf8))
    }

    @Test("a byte buffer keeps its bytes when it grows, and allocates nothing until used")
    func byteBuffer() {
        var buffer = ByteBuffer()
        #expect(buffer.capacity == 0 && buffer.base == nil)
        let start = buffer.reserve(4)
        for index in 0..<4 { start[index] = UInt8(index + 1) }
        let grown = buffer.grow(to: 1024, preserving: 4)
        #expect((0..<4).map { grown[$0] } == [1, 2, 3, 4])
        #expect(buffer.capacity == 1024)
        #expect(buffer.reserve(10) == grown, "a large enough buffer is reused")
    }

    @Test("an owned buffer reads and writes in place")
    func ownedBuffer() {
        let buffer = OwnedBuffer(repeating: UInt8(0), count: 5)
        buffer[3] = 9
        #expect(buffer.count == 5)
        #expect((0..<5).map { buffer[$0] } == [0, 0, 0, 9, 0])
        let empty = OwnedBuffer(repeating: UInt8(0), count: 0)
        #expect(empty.count == 0)
    }

    @Test("borrowed views read an array in place, from zero")
    func borrowed() {
        let values = [3, 1, 4, 1, 5]
        let sum = values.withBorrowedTable { table in table.reduce(0, +) }
        #expect(sum == 14)
    }

    @Test func identicalRepresentationsAreEqualStringsOnly() {
        #expect(Representation.identical("buyer", "buyer"))
        #expect(!Representation.identical("buyer", "buyers"))
        #expect(!Representation.identical("buyer", "seller"))
        // Canonically equivalent, but different code points: CEL keeps them apart.
        #expect(!Representation.identical("\u{E9}", "e\u{301}"))
        // A heap string (more than 15 UTF-8 bytes) and a copy share their storage.
        let long = String(repeating: "cancellation ", count: 4)
        let copy = long
        #expect(Representation.identical(long, copy))
        #expect(!Representation.identical(long, long + "!"))
    }
}
