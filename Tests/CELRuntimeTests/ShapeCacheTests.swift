import CEL
import CELCommon
import CELRuntime
import Testing

/// An expression compiled from its shape's cached trees is the expression a fresh compile
/// gives: the same nodes with the same ranges, types and references, the same issues and
/// the same values.
@Suite("compiling by shape")
struct ShapeCacheTests {
    let environment = CELEnvironment(variables: ["s": .string, "d": .string, "n": .int])

    /// Each pair: an expression that seeds its shape, then others of that shape whose
    /// literals are longer, shorter, empty or invalid.
    static let shapes: [[String]] = [
        [
            #"timestamp(s) < timestamp("2026-01-01T00:00:00Z")"#,
            #"timestamp(s) < timestamp("2027-06-30T12:00:00+08:00")"#,
            #"timestamp(s) < timestamp("2026-1-1")"#,
            #"timestamp(s) < timestamp("")"#,
        ],
        [
            #"duration(d) >= duration("1h") && n > 2 && duration(d) < duration("36h")"#,
            #"duration(d) >= duration("90m") && n > 2 && duration(d) < duration("1s")"#,
            #"duration(d) >= duration("1h30m15s") && n > 2 && duration(d) < duration("soon")"#,
        ],
        [
            #"[duration("1h"), duration("2h")].exists(x, x > duration(d)) ? "long" : s + "é""#,
            #"[duration("10h"), duration("2m")].exists(x, x > duration(d)) ? "long" : s + "é""#,
        ],
    ]

    static let activations: [[String: Value]] = [
        ["s": .string("2026-06-01T00:00:00Z"), "d": .string("2h"), "n": .int(3)],
        ["s": .string("2025-12-31T23:59:59Z"), "d": .string("45m"), "n": .int(1)],
        ["s": .string("2030-01-01T00:00:00+08:00"), "d": .string("40h"), "n": .int(5)],
    ]

    @Test("each expression of a shape compiles as it would alone", arguments: shapes)
    func sameAsAFreshCompile(shape: [String]) throws {
        let cache = CELShapeCache(liftingArgumentsOf: ["timestamp", "duration"])
        for source in shape {
            let fresh = environment.compile(source)
            let reused = environment.compile(source, shapes: cache)
            #expect(reused.issues.map(\.description) == fresh.issues.map(\.description), "\(source)")
            let (a, b) = (try #require(fresh.program), try #require(reused.program))
            #expect(Self.nodes(b.parsed.expr) == Self.nodes(a.parsed.expr), "\(source)")
            #expect(Self.nodes(b.checked!.expr) == Self.nodes(a.checked!.expr), "\(source)")
            #expect(b.checked!.types == a.checked!.types)
            #expect(b.parsed.source == source)
            for bindings in Self.activations {
                #expect("\(b.evaluate(bindings))" == "\(a.evaluate(bindings))", "\(source) with \(bindings)")
            }
        }
        // Every expression after the first came from the cache.
        #expect(cache.reused == shape.count - 1)
    }

    @Test("a literal the scan does not read, or that is not a conversion's argument, is compiled afresh")
    func onlyPlainLiteralsOfTheFunctionsAreLifted() {
        let cache = CELShapeCache(liftingArgumentsOf: ["timestamp"])
        for source in [
            #"timestamp("2026-01-01T00:00:00Z") < timestamp(s)"#,
            #"timestamp("2026-01-02T00:00:00Z") < timestamp(s)"#,
            #"timestamp("2026-01-0\u0033T00:00:00Z") < timestamp(s)"#,
            #"s.timestamp("x") == 1"#,
            #"mytimestamp("2026") == s"#,
            #"s == "timestamp(\"2026\")""#,
        ] {
            _ = environment.compile(source, shapes: cache)
        }
        // Only the second takes the first's trees: escapes are left to the parser, a
        // receiver call or another name is not the function, and a quote inside a
        // string is not a call.
        #expect(cache.reused == 1)
    }

    /// Every node as (id, kind without children, range), in walk order.
    static func nodes(_ root: Expr) -> [String] {
        var result: [String] = []
        root.walk { expr in
            let kind: String =
                switch expr.kind {
                case .constant(let c): "\(c)"
                case .ident(let name): name
                case .select(_, let field, let testOnly): ".\(field)\(testOnly ? "?" : "")"
                case .call(_, let function, let args): "\(function)/\(args.count)"
                case .list(let elements): "[\(elements.count)]"
                case .map(let entries): "{\(entries.count)}"
                case .structure(let name, _): name
                case .comprehension(let c): "\(c.macro) \(c.iterVar) \(c.accuVar)"
                }
            result.append("\(expr.id) \(kind) \(expr.range.start)..<\(expr.range.end)")
            return true
        }
        return result
    }
}
