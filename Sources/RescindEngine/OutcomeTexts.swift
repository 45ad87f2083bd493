import CELRuntime
import RescindJSON
import RescindUnsafe

/// What the decision JSON says of each rule and tier, prepared when the set is built:
/// its id, and its `reasons` element in each locale the set's reasons are written in,
/// as JSON bytes with holes for the request's values.
///
/// A decision of a large set writes a handful of 10,000 outcomes. Rendered from the
/// `Outcome` values and their templates, each reason cost a chain of objects scattered
/// over the heap (a cache miss per link) and a retain and release for every string,
/// template and part on the way, then a string built and escaped. Here an outcome is
/// one record of bytes, already escaped: its id, then each locale's element as
/// literal runs and holes, so writing it is a few copies from one place.
///
/// Record of outcome `o`, from `recordStart[o]` in `records` (numbers are 32-bit,
/// little-endian):
///
///     id length · the id as a JSON string
///     per column: where its element starts, from the record's start
///     per column: ops — literal (length, bytes) · hole (index into `holes`) · end
///
/// Column `c` is the locale `locales[c]`; the last column, `locales.count`, is every
/// other locale (each reason's own fallback). The element reads
/// `{"rule":<id>,"text":"…"}`; JSON escaping is byte by byte, so literal runs escaped
/// when built and holes escaped when written make the same bytes as the whole text
/// escaped at once. `MessageRenderer.render(outcome:)` gives the same texts as strings,
/// from the templates.
final class OutcomeTexts: Sendable {
    private enum Op: UInt8 {
        case end, literal, hole
    }

    private let arena: PlanArena
    private let records: ArenaTable<UInt8>
    private let recordStart: ArenaTable<Int32>
    /// Whether the outcome brings obligations of its own (besides a refund).
    let carriesObligations: ArenaTable<Bool>
    /// The locales the reasons are written in, sorted.
    private let locales: [String]
    /// The distinct expressions in the holes. Holes that read a request field
    /// (`{order.id}`) are one per field, whichever reason they were compiled for: each
    /// reason's own copy would be one more object to fetch from memory per reason
    /// written, and a field reads the same in every reason (every path is resolved
    /// against the one request schema). Other holes are kept one per expression.
    let holes: [CompiledExpression]

    private enum HoleKey: Hashable {
        case field(String)
        case expression(ObjectIdentifier)

        init(_ expression: CompiledExpression) {
            if case .field(let path) = expression.shortcut {
                self = .field(path.description)
            } else {
                self = .expression(ObjectIdentifier(expression))
            }
        }
    }

    init(outcomes: [Outcome], in arena: PlanArena) {
        self.arena = arena
        carriesObligations = arena.table(outcomes.map { !$0.obligations.isEmpty })
        var locales = Set<String>()
        for outcome in outcomes { locales.formUnion(outcome.reason.locales) }
        self.locales = locales.sorted()
        let columns = self.locales.map(Optional.some) + [nil]

        var records: [UInt8] = []
        var recordStart: [Int32] = []
        var holes: [CompiledExpression] = []
        var holeIndex: [HoleKey: Int] = [:]
        func put(_ number: Int) {
            precondition(number >= 0 && number <= Int(Int32.max), "a reason's record past 2 GiB")
            withUnsafeBytes(of: UInt32(number).littleEndian) { records += $0 }
        }
        func set(_ number: Int, at offset: Int) {
            withUnsafeBytes(of: UInt32(number).littleEndian) { records.replaceSubrange(offset..<offset + 4, with: $0) }
        }
        func literal(_ bytes: [UInt8]) {
            guard !bytes.isEmpty else { return }
            records.append(Op.literal.rawValue)
            put(bytes.count)
            records += bytes
        }
        for outcome in outcomes {
            let start = records.count
            recordStart.append(Int32(start))
            let id = JSONWriter.bytes { $0.string(outcome.id) }
            put(id.count)
            records += id
            let offsets = records.count
            records += repeatElement(0, count: 4 * columns.count)
            for (column, locale) in columns.enumerated() {
                set(records.count - start, at: offsets + 4 * column)
                let template = locale.map { outcome.reason.template(for: $0) } ?? outcome.reason.fallbackTemplate
                var pending = Array(#"{"rule":"#.utf8) + id + Array(#","text":""#.utf8)
                for part in template?.parts ?? [] {
                    switch part {
                    case .text(let text):
                        pending += JSONWriter.bytes { $0.content(text) }
                    case .value(let expression):
                        literal(pending)
                        pending = []
                        let key = HoleKey(expression)
                        let index = holeIndex[key] ?? {
                            holes.append(expression)
                            holeIndex[key] = holes.count - 1
                            return holes.count - 1
                        }()
                        records.append(Op.hole.rawValue)
                        put(index)
                    }
                }
                literal(pending + Array(#""}"#.utf8))
                records.append(Op.end.rawValue)
            }
        }
        precondition(records.count <= Int(Int32.max), "reason records past 2 GiB")
        self.records = arena.table(records)
        self.recordStart = arena.table(recordStart)
        self.holes = holes
    }

    /// The column of a decision's locale.
    func column(of locale: String) -> Int {
        locales.firstIndex(of: locale) ?? locales.count
    }

    @inline(__always)
    private func number(at offset: Int) -> Int {
        Int(UInt32(records[offset]) | UInt32(records[offset + 1]) << 8 | UInt32(records[offset + 2]) << 16
            | UInt32(records[offset + 3]) << 24)
    }

    /// Writes outcome `index`'s id as a JSON string.
    @inline(__always)
    func writeID(of index: Int, into out: inout JSONWriter) {
        let start = Int(recordStart[index])
        out.append(records, start + 4..<start + 4 + number(at: start))
    }

    /// Writes outcome `index`'s `reasons` element in `column`; `hole(i)` gives the text
    /// of `holes[i]` for this outcome.
    @inline(__always)
    func writeReason(
        of index: Int, column: Int, into out: inout JSONWriter, hole: (Int) -> String
    ) {
        let start = Int(recordStart[index])
        let offsets = start + 4 + number(at: start)
        var position = start + number(at: offsets + 4 * column)
        while true {
            let op = records[position]
            if op == Op.literal.rawValue {
                let length = number(at: position + 1)
                out.append(records, position + 5..<position + 5 + length)
                position += 5 + length
            } else if op == Op.hole.rawValue {
                out.content(hole(number(at: position + 1)))
                position += 5
            } else {
                return
            }
        }
    }
}
