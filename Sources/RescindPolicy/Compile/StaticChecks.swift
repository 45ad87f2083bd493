import CEL
import CELCommon
import CELParser
import RescindDiagnostics
import RescindEngine

/// Checks across rules that no single expression shows: rules that can never match
/// (contradictory tests of one enum field) and rules that never decide (another rule
/// with a stronger effect matches whenever they do).
struct StaticChecks {
    /// Resolves request paths and their enum types against the schema.
    let shortcuts: ShortcutFinder
    /// Groups of this many rules or more are searched through a `CoverIndex`; smaller ones
    /// member by member.
    private static let indexedGroupSize = 64
    /// The parsed form of a condition's text, when the compiler has it (else it is parsed here).
    var parsed: (String) -> Expr? = { _ in nil }

    /// What one condition text requires: its conjuncts, each an enum test or canonical text.
    private enum Atom {
        case test(path: String, passing: Set<String>, text: String)
        case other(String)
    }

    /// What a rule's top-level `all` requires: for enum-valued paths the set of values
    /// allowed, and every other condition as canonical text.
    struct Requirements {
        var allowed: [String: Set<String>] = [:]
        var firstTest: [String: String] = [:]
        var others: Set<String> = []
        var contradiction: (path: String, first: String, second: String)?
    }

    func check(_ rules: [RuleModel]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var analysed: [(rule: Int, requirements: Requirements)] = []
        // A large set repeats its tests: each text is analysed once.
        var atoms: [String: [Atom]?] = [:]
        for (index, rule) in rules.enumerated() {
            guard let when = rule.when, let requirements = requirements(of: when, atoms: &atoms) else { continue }
            if let contradiction = requirements.contradiction {
                diagnostics.append(PolicyMessages.neverMatches(
                    rule.id.value, path: contradiction.path, first: contradiction.first, second: contradiction.second,
                    at: rule.id.span))
                continue
            }
            analysed.append((index, requirements))
        }
        // A rule is shadowed by a stronger one whose other conditions are a subset of its
        // own, so only the groups keyed by such subsets are searched: rules that differ in
        // a comparison with a constant (the usual large set) never meet, and the check
        // stays near linear instead of comparing every pair.
        // Rules that share their other conditions (one threshold over a thousand enum
        // combinations) fill one group: a large group is searched through a `CoverIndex`.
        var groups: [Set<String>: [Int]] = [:]
        for (position, entry) in analysed.enumerated() { groups[entry.requirements.others, default: []].append(position) }
        var indexes: [Set<String>: CoverIndex] = [:]
        for (rule, requirements) in analysed {
            let effect = rules[rule].effect.value
            // The first stronger rule in file order, as when every pair was compared.
            var first: Int?
            for key in Self.subsets(of: requirements.others, among: groups) {
                let members = groups[key]!
                if members.count >= Self.indexedGroupSize {
                    if indexes[key] == nil {
                        indexes[key] = CoverIndex(members: members) {
                            (rules[analysed[$0].rule].effect.value, analysed[$0].requirements.allowed)
                        }
                    }
                    let index = indexes[key]!
                    if let found = index.firstCovering(requirements.allowed, effect: effect), found < first ?? .max {
                        first = found
                    }
                    continue
                }
                for position in members {
                    if let first, position >= first { break }
                    let other = analysed[position]
                    if rules[other.rule].effect.value > effect && implies(requirements, other.requirements) {
                        first = position
                        break
                    }
                }
            }
            if let first {
                let other = rules[analysed[first].rule]
                diagnostics.append(PolicyMessages.shadowed(
                    rules[rule].id.value, by: other.id.value, effect: other.effect.value.rawValue, at: rules[rule].id.span,
                    otherSpan: other.id.span))
            }
        }
        return diagnostics
    }

    /// The keys of `groups` that are subsets of `others`: every subset when there are few
    /// conditions (2^n lookups), else a scan of the keys.
    private static func subsets(of others: Set<String>, among groups: [Set<String>: [Int]]) -> [Set<String>] {
        guard others.count <= 8 else { return groups.keys.filter { $0.isSubset(of: others) } }
        let elements = Array(others)
        var found: [Set<String>] = []
        for mask in 0..<(1 << elements.count) {
            var subset: Set<String> = []
            for (bit, element) in elements.enumerated() where mask & (1 << bit) != 0 { subset.insert(element) }
            if groups[subset] != nil { found.append(subset) }
        }
        return found
    }

    /// Whether every request meeting `a` also meets `b`.
    private func implies(_ a: Requirements, _ b: Requirements) -> Bool {
        guard b.others.isSubset(of: a.others) else { return false }
        for (path, values) in b.allowed {
            guard let mine = a.allowed[path], mine.isSubset(of: values) else { return false }
        }
        return true
    }

    private func requirements(of condition: ConditionModel, atoms cache: inout [String: [Atom]?]) -> Requirements? {
        var requirements = Requirements()
        var texts: [ExpressionText] = []
        switch condition {
        case .expression(let text): texts = [text]
        case .all(let items, _):
            for item in items {
                guard case .expression(let text) = item else { return nil }
                texts.append(text)
            }
        default: return nil
        }
        for text in texts {
            let atoms: [Atom]? = if let known = cache[text.source] { known } else { analyse(text.source) }
            cache[text.source] = atoms
            guard let atoms else { return nil }
            for atom in atoms { add(atom, to: &requirements) }
        }
        return requirements
    }

    /// The conjuncts of a condition text; nil when it does not parse.
    private func analyse(_ source: String) -> [Atom]? {
        guard let expr = parsed(source) ?? CELParser().parse(source).0?.expr else { return nil }
        let recognizer = EnumTestRecognizer(enumType: shortcuts.requestEnumType)
        return EnumTestRecognizer.conjuncts(expr).map { conjunct in
            let text = Unparser.unparse(conjunct)
            guard let test = recognizer.test(conjunct), let field = shortcuts.requestField(test.path) else {
                return .other(text)
            }
            return .test(path: field.description, passing: test.passing, text: text)
        }
    }

    private func add(_ atom: Atom, to requirements: inout Requirements) {
        switch atom {
        case .other(let text):
            requirements.others.insert(text)
        case .test(let path, let passing, let text):
            if let existing = requirements.allowed[path] {
                let both = existing.intersection(passing)
                if both.isEmpty, requirements.contradiction == nil {
                    requirements.contradiction = (path, "`\(requirements.firstTest[path] ?? path)`", "`\(text)`")
                }
                requirements.allowed[path] = both
            } else {
                requirements.allowed[path] = passing
                requirements.firstTest[path] = text
            }
        }
    }
}

/// The rules of one group (the same other conditions) as rows of bits over its members,
/// so the first stronger rule covering a given one is found by intersecting a few rows
/// (one for the effect, one per path and value tested) instead of comparing the rule with
/// every member: 10,000 rules over one threshold took 2 s pairwise.
///
/// Member `m` covers a rule when its effect is stronger and, for every path `m` tests,
/// the rule tests it too and each value the rule lets pass passes `m`'s test.
private struct CoverIndex {
    /// The members' positions among the analysed rules, in file order.
    private let members: [Int]
    private let wordCount: Int
    /// For each effect, the members whose effect is stronger.
    private var stronger: [Effect: [UInt64]] = [:]
    /// For each path, the members that test it.
    private var testing: [String: [UInt64]] = [:]
    /// For each path and value, the members whose test of the path lets the value pass.
    private var passing: [String: [String: [UInt64]]] = [:]

    init(members: [Int], requirements: (Int) -> (effect: Effect, allowed: [String: Set<String>])) {
        self.members = members
        wordCount = (members.count + 63) / 64
        let empty = [UInt64](repeating: 0, count: wordCount)
        for effect in Effect.allCases { stronger[effect] = empty }
        for (bit, position) in members.enumerated() {
            let (word, mask) = (bit / 64, UInt64(1) << (bit % 64))
            let member = requirements(position)
            for effect in Effect.allCases where member.effect > effect { stronger[effect]![word] |= mask }
            for (path, values) in member.allowed {
                testing[path, default: empty][word] |= mask
                for value in values { passing[path, default: [:]][value, default: empty][word] |= mask }
            }
        }
    }

    /// The position of the first member that covers a rule allowing `allowed` with
    /// `effect`; nil when none does.
    func firstCovering(_ allowed: [String: Set<String>], effect: Effect) -> Int? {
        var candidates = stronger[effect]!
        var letsAllPass = [UInt64](repeating: 0, count: wordCount)
        for (path, testers) in testing {
            if let values = allowed[path] {
                for word in 0..<wordCount { letsAllPass[word] = ~0 }
                for value in values {
                    guard let row = passing[path]?[value] else {
                        for word in 0..<wordCount { letsAllPass[word] = 0 }
                        break
                    }
                    for word in 0..<wordCount { letsAllPass[word] &= row[word] }
                }
                for word in 0..<wordCount { candidates[word] &= ~testers[word] | letsAllPass[word] }
            } else {
                // A member testing a path the rule leaves open does not cover it.
                for word in 0..<wordCount { candidates[word] &= ~testers[word] }
            }
        }
        for word in 0..<wordCount where candidates[word] != 0 {
            return members[word * 64 + candidates[word].trailingZeroBitCount]
        }
        return nil
    }
}
