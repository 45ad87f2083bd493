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
/// template and part on the way, then a string built and escaped. Here the ids are one
/// small table, and each reason is a run of ops in one more: literal bytes, already
/// escaped (`literal`, a 32-bit little-endian length, the bytes), a hole (`hole`, the
/// index into `holes`), `end`.
///
/// Column `c` is the locale `locales[c]`; the last column, `locales.count`, is every
/// other locale (each reason's own fallback); columns with the same template share
/// their ops. The element reads `{"rule":<id>,"text":"…"}`; JSON escaping is byte by
/// byte, so literal runs escaped when built and holes escaped when written make the
/// same bytes as the whole text escaped at once. `MessageRenderer.render(outcome:)`
/// gives the same texts as strings, from the templates (the differential tests
/// compare the two).
final class OutcomeTexts: Sendable {
    private enum Op: UInt8 {
        case end, literal, hole
    }

    private let arena: PlanArena
    /// Each outcome's id as a JSON string, back to back: outcome `o`'s is
    /// `idBytes[idStarts[o] ..< idStarts[o + 1]]`. Apart from the reasons, so the
    /// `matched_rules` of a decision read a small table.
    private let idBytes: ArenaTable<UInt8>
    private let idStarts: ArenaTable<Int32>
    /// Where outcome `o`'s reason in column `c` starts in `ops`:
    /// `reasonStarts[o × columnCount + c]`.
    private let reasonStarts: ArenaTable<Int32>
    private let ops: ArenaTable<UInt8>
    private let columnCount: Int
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
    /// For each hole that reads a request field, its path, unretained (the hole's
    /// expression keeps it alive): a reason reads the field with no reference counted.
    private let holeFields: ArenaTable<UnownedRef<FieldPath>?>

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
        columnCount = columns.count

        var ids: [UInt8] = []
        var idStarts: [Int32] = [0]
        var ops: [UInt8] = []
        var reasonStarts: [Int32] = []
        var holes: [CompiledExpression] = []
        var holeIndex: [HoleKey: Int] = [:]
        func put(_ number: Int) {
            withUnsafeBytes(of: UInt32(number).littleEndian) { ops += $0 }
        }
        func literal(_ bytes: [UInt8]) {
            guard !bytes.isEmpty else { return }
            ops.append(Op.literal.rawValue)
            put(bytes.count)
            ops += bytes
        }
        for outcome in outcomes {
            ids += JSONWriter.bytes { $0.string(outcome.id) }
            idStarts.append(Int32(ids.count))
            // Columns with the same template (a locale without a text of its own reads
            // the fallback's) share their ops.
            var written: [(template: MessageTemplate?, start: Int32)] = []
            for locale in columns {
                let template = locale.map { outcome.reason.template(for: $0) } ?? outcome.reason.fallbackTemplate
                if let same = written.first(where: { $0.template === template }) {
                    reasonStarts.append(same.start)
                    continue
                }
                let start = Int32(ops.count)
                written.append((template, start))
                reasonStarts.append(start)
                var pending: [UInt8] = []
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
                        ops.append(Op.hole.rawValue)
                        put(index)
                    }
                }
                literal(pending)
                ops.append(Op.end.rawValue)
            }
        }
        precondition(ids.count <= Int(Int32.max) && ops.count <= Int(Int32.max), "outcome texts past 2 GiB")
        self.idBytes = arena.table(ids)
        self.idStarts = arena.table(idStarts)
        self.ops = arena.table(ops)
        self.reasonStarts = arena.table(reasonStarts)
        self.holes = holes
        self.holeFields = arena.table(holes.map { expression in
            if case .field(let path) = expression.shortcut { UnownedRef(path) } else { nil }
        })
    }

    /// The text of hole `hole` when it reads a string field the request has; nil when
    /// it must be rendered in full (`MessageRenderer`).
    @inline(__always)
    func fieldText(of hole: Int, in request: ObjectValue) -> String? {
        holeFields[hole]?.withObject { path in
            if case .string(let text)? = path.read(from: request) { text } else { nil }
        }
    }

    /// The column of a decision's locale.
    func column(of locale: String) -> Int {
        locales.firstIndex(of: locale) ?? locales.count
    }

    @inline(__always)
    private func number(at offset: Int) -> Int {
        Int(UInt32(ops[offset]) | UInt32(ops[offset + 1]) << 8 | UInt32(ops[offset + 2]) << 16
            | UInt32(ops[offset + 3]) << 24)
    }

    /// Writes outcome `index`'s id as a JSON string.
    @inline(__always)
    func writeID(of index: Int, into out: inout JSONWriter) {
        out.append(idBytes, Int(idStarts[index])..<Int(idStarts[index + 1]))
    }

    /// Writes outcome `index`'s `reasons` element in `column`; `hole(i)` gives the text
    /// of `holes[i]` for this outcome.
    @inline(__always)
    func writeReason(
        of index: Int, column: Int, into out: inout JSONWriter, hole: (Int) -> String
    ) {
        out.literal(#"{"rule":"#)
        writeID(of: index, into: &out)
        out.literal(#","text":""#)
        var position = Int(reasonStarts[index &* columnCount &+ column])
        while true {
            let op = ops[position]
            if op == Op.literal.rawValue {
                let length = number(at: position + 1)
                out.append(ops, position + 5..<position + 5 + length)
                position += 5 + length
            } else if op == Op.hole.rawValue {
                out.content(hole(number(at: position + 1)))
                position += 5
            } else {
                break
            }
        }
        out.literal(#""}"#)
    }
}
