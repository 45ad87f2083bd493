import CEL
import RescindDiagnostics
import RescindEngine

/// Checks across rules that no single expression shows: rules that can never match
/// (contradictory tests of one enum field) and rules that never decide (another rule
/// with a stronger effect matches whenever they do).
struct StaticChecks {
    let schema: RequestSchema

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

    private func conjuncts(_ expr: Expr) -> [Expr] {
        if case .call(nil, Operator.logicalAnd, let args) = expr.kind { return args.flatMap(conjuncts) }
        return [expr]
    }

    private func add(_ expr: Expr, to requirements: inout Requirements) {
        let text = Unparser.unparse(expr)
        guard let (path, values) = enumTest(expr), let enumeration = enumType(of: path) else {
            requirements.others.insert(text)
            return
        }
        let allowed = values.intersection(enumeration.values)
        if let existing = requirements.allowed[path] {
            let both = existing.intersection(allowed)
            if both.isEmpty, requirements.contradiction == nil {
                requirements.contradiction = (path, "`\(requirements.firstTest[path] ?? path)`", "`\(text)`")
            }
            requirements.allowed[path] = both
        } else {
            requirements.allowed[path] = allowed
            requirements.firstTest[path] = text
        }
    }

    /// `path == "v"`, `path != "v"`, `path in [...]`, `!(path in [...])` as the set of
    /// values that satisfy it.
    private func enumTest(_ expr: Expr) -> (String, Set<String>)? {
        switch expr.kind {
        case .call(nil, Operator.equals, let args) where args.count == 2:
            guard let path = path(args[0]), case .constant(.string(let v)) = args[1].kind else { return nil }
            return (path, [v])
        case .call(nil, Operator.notEquals, let args) where args.count == 2:
            guard let path = path(args[0]), case .constant(.string(let v)) = args[1].kind,
                let all = enumType(of: path)?.values
            else { return nil }
            return (path, Set(all).subtracting([v]))
        case .call(nil, Operator.in, let args) where args.count == 2:
            guard let path = path(args[0]), case .list(let elements) = args[1].kind else { return nil }
            var values: Set<String> = []
            for element in elements {
                guard case .constant(.string(let v)) = element.kind else { return nil }
                values.insert(v)
            }
            return (path, values)
        case .call(nil, Operator.logicalNot, let args) where args.count == 1:
            guard let (path, values) = enumTest(args[0]), let all = enumType(of: path)?.values else { return nil }
            return (path, Set(all).subtracting(values))
        default:
            return nil
        }
    }

    private func path(_ expr: Expr) -> String? {
        switch expr.kind {
        case .ident(let name): name
        case .select(let operand, let field, false): path(operand).map { "\($0).\(field)" }
        default: nil
        }
    }

    private func enumType(of path: String) -> StringEnum? {
        var parts = path.split(separator: ".").map(String.init)
        if parts.first == PolicySet.requestVariable { parts.removeFirst() }
        var type = CELType.object(schema.root)
        for part in parts {
            guard case .object(let object) = type, let field = object.field(part) else { return nil }
            type = field.type
        }
        if case .enumString(let e) = type { return e }
        return nil
    }
}
