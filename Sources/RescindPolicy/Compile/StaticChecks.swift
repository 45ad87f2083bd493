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
        var analysed: [(rule: RuleModel, requirements: Requirements)] = []
        for rule in rules {
            guard let when = rule.when, let requirements = requirements(of: when) else { continue }
            if let contradiction = requirements.contradiction {
                diagnostics.append(PolicyMessages.neverMatches(
                    rule.id.value, path: contradiction.path, first: contradiction.first, second: contradiction.second,
                    at: rule.id.span))
                continue
            }
            analysed.append((rule, requirements))
        }
        for (rule, requirements) in analysed {
            for (other, otherRequirements) in analysed
            where other.effect.value > rule.effect.value && implies(requirements, otherRequirements) {
                diagnostics.append(PolicyMessages.shadowed(
                    rule.id.value, by: other.id.value, effect: other.effect.value.rawValue, at: rule.id.span,
                    otherSpan: other.id.span))
                break
            }
        }
        return diagnostics
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
