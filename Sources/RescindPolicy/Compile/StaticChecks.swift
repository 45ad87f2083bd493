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
        for (index, rule) in rules.enumerated() {
            guard let when = rule.when, let requirements = requirements(of: when) else { continue }
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
        var groups: [Set<String>: [Int]] = [:]
        for (position, entry) in analysed.enumerated() { groups[entry.requirements.others, default: []].append(position) }
        for (rule, requirements) in analysed {
            let effect = rules[rule].effect.value
            // The first stronger rule in file order, as when every pair was compared.
            var first: Int?
            for key in Self.subsets(of: requirements.others, among: groups) {
                for position in groups[key]! {
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

    private func requirements(of condition: ConditionModel) -> Requirements? {
        var requirements = Requirements()
        var atoms: [ExpressionText] = []
        switch condition {
        case .expression(let text): atoms = [text]
        case .all(let items, _):
            for item in items {
                guard case .expression(let text) = item else { return nil }
                atoms.append(text)
            }
        default: return nil
        }
        for atom in atoms {
            guard let parsed = CELParser().parse(atom.source).0 else { return nil }
            for conjunct in conjuncts(parsed.expr) { add(conjunct, to: &requirements) }
        }
        return requirements
    }

    private func conjuncts(_ expr: Expr) -> [Expr] { EnumTestRecognizer.conjuncts(expr) }

    private func add(_ expr: Expr, to requirements: inout Requirements) {
        let text = Unparser.unparse(expr)
        guard let test = EnumTestRecognizer(enumType: shortcuts.requestEnumType).test(expr),
            let field = shortcuts.requestField(test.path)
        else {
            requirements.others.insert(text)
            return
        }
        let path = field.description
        if let existing = requirements.allowed[path] {
            let both = existing.intersection(test.passing)
            if both.isEmpty, requirements.contradiction == nil {
                requirements.contradiction = (path, "`\(requirements.firstTest[path] ?? path)`", "`\(text)`")
            }
            requirements.allowed[path] = both
        } else {
            requirements.allowed[path] = test.passing
            requirements.firstTest[path] = text
        }
    }
}
