import CEL
import CELRuntime
import Foundation
import PropertyBased
import Rescind
import RescindDiagnostics
import RescindPolicy
import Testing
@testable import RescindEngine

/// Three sides decide every generated request and must agree byte for byte on the
/// decision JSON: the engine with its shortcuts, the engine without them
/// (`PolicyCompiler.Options(shortcuts: false)`), and `ReferenceEvaluator`, which walks
/// each rule's condition tree with plain CEL and shares neither the plan nor the
/// evaluator. The two engine sides must also agree on the explained decision JSON.
/// Policy sets and requests are drawn from a small schema (`GeneratedPolicySets.swift`).
///
/// `RESCIND_DIFF_SETS` (default 40), `RESCIND_DIFF_REQUESTS` (60) and
/// `RESCIND_DIFF_SEED` set the size and the seed of the fixed sweep; a failure names
/// the seed and the set (`RESCIND_DIFF_SET=n` runs that set alone). The random run
/// (`RESCIND_DIFF_RANDOM_SETS`, default 20) draws new sets each time and shrinks a
/// failing one; PropertyBased prints the `.fixedSeed(…)` that replays it.
@Suite("three sides decide generated policy sets alike")
struct ThreeSidedDifferentialTests {
    static func setting(_ name: String) -> Int? { ProcessInfo.processInfo.environment[name].flatMap { Int($0) } }

    static let setCount = setting("RESCIND_DIFF_SETS") ?? 40
    static let requestCount = setting("RESCIND_DIFF_REQUESTS") ?? 60
    static let seed = ProcessInfo.processInfo.environment["RESCIND_DIFF_SEED"].flatMap { UInt64($0) } ?? 20_261_205

    /// What a sweep saw, so a generator that stops reaching a part of the engine fails.
    struct Tally {
        var decisions = 0
        var effects: [Effect: Int] = [:]
        var refunds = 0
        var problems: [EvaluationProblem.Kind: Int] = [:]
        var tiers = 0
        var tampered = 0
    }

    /// The first difference between the three sides for `spec` and `requests`, as text
    /// with the policy files and the request; nil when they agree on every request.
    static func difference(_ spec: PolicySetSpec, _ requests: [RequestSpec], tally: inout Tally) -> String? {
        let files = spec.files
        func listing() -> String { files.map { "--- \($0.path)\n\($0.text)" }.joined() }
        let loaded = LoadedPolicies.load(sources: files)
        guard let fast = loaded.policySet,
            let plain = LoadedPolicies.load(sources: files, options: PolicyCompiler.Options(shortcuts: false)).policySet
        else {
            return "the generated set does not load: \(loaded.diagnostics.items.map(\.message))\n\(listing())"
        }
        let reference = ReferenceEvaluator(policy: plain)
        let (fastDecoder, plainDecoder) = (RequestDecoder(schema: fast.schema), RequestDecoder(schema: plain.schema))
        for (number, request) in requests.enumerated() {
            let data = (try? JSONSerialization.data(withJSONObject: request.json, options: [.sortedKeys])) ?? Data()
            let decodedFast: ObjectValue
            let decodedPlain: ObjectValue
            do {
                decodedFast = try fastDecoder.decode(Array(data)).get().root
                decodedPlain = try plainDecoder.decode(Array(data)).get().root
            } catch {
                return "the generated request does not decode: \(error)\n\(String(decoding: data, as: UTF8.self))"
            }
            let (forFast, forPlain) = (request.tampered(decodedFast), request.tampered(decodedPlain))
            let decision = fast.decide(forFast)
            let sides = [decision.json, plain.decide(forPlain).json, reference.decide(forPlain).json]
            // Explaining is costly (its advice decides changed requests again): every
            // fourth request is explained on both engine sides.
            let explained = number % 4 == 0 ? [
                fast.decide(forFast, options: DecisionOptions(explain: true)).json,
                plain.decide(forPlain, options: DecisionOptions(explain: true)).json,
            ] : []
            tally.decisions += 1
            tally.effects[decision.effect, default: 0] += 1
            if decision.refund != nil { tally.refunds += 1 }
            for problem in decision.problems { tally.problems[problem.kind, default: 0] += 1 }
            if decision.matchedRules.contains(where: { $0.hasPrefix("tier-") }) { tally.tiers += 1 }
            if request.tamper >= RequestSpec.firstTamper { tally.tampered += 1 }
            let plainPrefix = String(sides[0].dropLast()) + #","explanation":"#
            let explanationsAgree = explained.isEmpty || (explained[0] == explained[1] && explained[0].hasPrefix(plainPrefix))
            if sides[0] != sides[1] || sides[0] != sides[2] || !explanationsAgree {
                // The decisions first: an explanation differs too when they do.
                let first = sides[0] != sides[1] ? Self.firstDifference(sides[0], sides[1], "shortcuts / no shortcuts")
                    : sides[1] != sides[2] ? Self.firstDifference(sides[1], sides[2], "no shortcuts / reference")
                    : Self.firstDifference(explained[0], explained[1], "explained: shortcuts / no shortcuts")
                return """
                    the sides differ (tamper \(request.tamper)): \(first)
                    request
                    \(String(decoding: data, as: UTF8.self))
                    shortcuts:    \(sides[0])
                    no shortcuts: \(sides[1])
                    reference:    \(sides[2])
                    \(explanationsAgree ? "explanations agree (or none)" : "explanations differ:\n\(explained[0])\n\(explained[1])")
                    \(listing())
                    """
            }
        }
        return nil
    }

    /// Where two JSON texts first differ, with some context on each side.
    static func firstDifference(_ a: String, _ b: String, _ sides: String) -> String {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        let index = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
        func around(_ bytes: [UInt8]) -> String {
            String(decoding: bytes[max(0, index - 60)..<min(bytes.count, index + 30)], as: UTF8.self)
        }
        return "first difference (\(sides)) at byte \(index): …\(around(x))… vs …\(around(y))…"
    }

    /// The generator state of set `index` of the sweep seeded with `seed` (splitmix64).
    static func state(_ seed: UInt64, _ index: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        var x = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (next(), next(), next(), next())
    }

    @Test("a fixed sweep of generated sets and requests")
    func fixedSweep() {
        let started = ContinuousClock.now
        var tally = Tally()
        var failures = 0
        let only = Self.setting("RESCIND_DIFF_SET")
        for index in 0..<Self.setCount where only == nil || only == index {
            var rng = Xoshiro(seed: Self.state(Self.seed, index))
            let spec = PolicySetSpec.generator.run(using: &rng)
            let requests = RequestSpec.generator.array(of: Self.requestCount).run(using: &rng)
            if let difference = Self.difference(spec, requests, tally: &tally) {
                Issue.record("RESCIND_DIFF_SEED=\(Self.seed) RESCIND_DIFF_SET=\(index): \(difference)")
                failures += 1
                if failures == 3 { break }
            }
        }
        print("three-sided sweep: seed \(Self.seed), \(Self.setCount) sets, \(tally.decisions) requests,"
            + " \(ContinuousClock.now - started); effects \(tally.effects.sorted { $0.key < $1.key }),"
            + " refunds \(tally.refunds), tiers \(tally.tiers), tampered \(tally.tampered),"
            + " problems \(tally.problems.sorted { $0.key.rawValue < $1.key.rawValue })")
        // The generator must keep reaching every part of a decision, else the sides agree
        // on nothing much.
        guard only == nil, Self.setCount >= 40, failures == 0 else { return }
        for effect in Effect.allCases { #expect(tally.effects[effect, default: 0] > tally.decisions / 50, "\(effect)") }
        #expect(tally.refunds > tally.decisions / 50)
        #expect(tally.tiers > tally.decisions / 100)
        for kind in [EvaluationProblem.Kind.evaluationError, .missingList, .noRefundCase, .calendarOutOfRange] {
            #expect(tally.problems[kind, default: 0] > 0, "\(kind)")
        }
    }

    @Test("random sets, shrunk when the sides differ")
    func randomSets() async {
        await propertyCheck(
            count: Self.setting("RESCIND_DIFF_RANDOM_SETS") ?? 20, input: PolicySetSpec.generator,
            RequestSpec.generator.array(of: 1...20)
        ) { spec, requests in
            var tally = Tally()
            let difference = Self.difference(spec, requests, tally: &tally)
            #expect(difference == nil, "\(difference ?? "")")
        }
    }

    /// The YAML writer of the generator nests `all`/`any`/`not` as the loader reads them.
    @Test("a generated condition tree loads as written")
    func conditionShapes() throws {
        let atoms = [AtomSpec(kind: 0, a: 0, b: 0), AtomSpec(kind: 5, a: 0, b: 4), AtomSpec(kind: 9, a: 0, b: 0)]
        for shape in 0...11 {
            let rule = RuleSpec(condition: ConditionSpec(shape: shape, atoms: atoms), effect: 0, reason: 0, obligation: 0, suspends: false)
            let spec = PolicySetSpec(defaultEffect: 2, onError: 0, rules: [rule], threshold: nil, refunds: nil)
            let loaded = LoadedPolicies.load(sources: spec.files)
            let set = try #require(loaded.policySet, "shape \(shape): \(loaded.diagnostics.items.map(\.message))\n\(spec.rulesYAML)")
            var leaves = 0
            func count(_ condition: Condition) {
                switch condition {
                case .expression: leaves += 1
                case .all(let items), .any(let items): items.forEach(count)
                case .not(let inner): count(inner)
                }
            }
            count(set.rules[0].condition)
            #expect(leaves == [1, 1, 1, 1, 2, 2, 1, 3, 3, 3, 3, 1][shape], "shape \(shape)")
        }
    }
}
