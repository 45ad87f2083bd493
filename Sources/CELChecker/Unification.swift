import CELCommon

/// The bindings of type parameters found so far while checking one expression, and the
/// assignability rules that grow them.
///
/// The rules follow cel-go's checker: `dyn` (and the error type) is assignable both
/// ways; `null` is assignable to the "legacy nullable" types (objects, opaque types,
/// timestamps and durations); an enum string is a `string`; lists, maps and opaque
/// types are assignable parameter by parameter; any `type(...)` is assignable to any
/// other. Binding a parameter that is already bound keeps the more general of the two
/// types, so `[1, dyn(2)]`-style joins widen to `dyn` instead of failing.
struct TypeSubstitution {
    private var bindings: [String: CELType] = [:]

    /// Whether a value of type `source` may be used where `target` is expected. On
    /// success the bindings grow to make it so; on failure they are left untouched.
    mutating func unify(_ source: CELType, _ target: CELType) -> Bool {
        var attempt = self
        guard attempt.assign(source, target) else { return false }
        self = attempt
        return true
    }

    /// `unify` for parameter lists of equal length.
    mutating func unify(_ sources: [CELType], _ targets: [CELType]) -> Bool {
        guard sources.count == targets.count else { return false }
        var attempt = self
        for (source, target) in zip(sources, targets) where !attempt.assign(source, target) { return false }
        self = attempt
        return true
    }

    /// `type` with bound parameters replaced by their bindings; unbound parameters become
    /// `dyn` when `unboundToDyn` (for the final types of a checked expression).
    func substitute(_ type: CELType, unboundToDyn: Bool = false) -> CELType {
        switch type {
        case .typeParam(let name):
            if let bound = bindings[name] { return substitute(bound, unboundToDyn: unboundToDyn) }
            return unboundToDyn ? .dyn : type
        case .list(let element):
            return .list(substitute(element, unboundToDyn: unboundToDyn))
        case .map(let key, let value):
            return .map(substitute(key, unboundToDyn: unboundToDyn), substitute(value, unboundToDyn: unboundToDyn))
        case .type(let inner):
            return .type(inner.map { substitute($0, unboundToDyn: unboundToDyn) })
        case .opaque(let name, let params):
            return .opaque(name, params.map { substitute($0, unboundToDyn: unboundToDyn) })
        default:
            return type
        }
    }

    // MARK: - Assignability

    private mutating func assign(_ source: CELType, _ target: CELType) -> Bool {
        if case .typeParam(let name) = target {
            let (valid, alreadyBound) = bindIfValid(name, to: source)
            if valid { return true }
            if alreadyBound { return false }
            // Otherwise the source may itself be a parameter that can take the target.
        }
        if case .typeParam(let name) = source {
            return bindIfValid(name, to: target).valid
        }
        if source.isDynOrError || target.isDynOrError { return true }
        if source == .null { return target.isNullable }
        if target == .null { return source.isNullable }

        switch (source, target) {
        case (.bool, .bool), (.int, .int), (.uint, .uint), (.double, .double), (.bytes, .bytes),
             (.timestamp, .timestamp), (.duration, .duration):
            return true
        case (.string, .string), (.string, .enumString), (.enumString, .string), (.enumString, .enumString):
            // Enum strings are plain strings at runtime; literal values are validated
            // separately, where the literal is known.
            return true
        case (.object(let a), .object(let b)):
            return a == b
        case (.type, .type):
            return true
        case (.list(let a), .list(let b)):
            return assign(a, b)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return assign(k1, k2) && assign(v1, v2)
        case (.opaque(let n1, let p1), .opaque(let n2, let p2)):
            guard n1 == n2, p1.count == p2.count else { return false }
            for (a, b) in zip(p1, p2) where !assign(a, b) { return false }
            return true
        default:
            return false
        }
    }

    /// Whether `type` can be (or already is) the binding of parameter `name`, and whether
    /// `name` was bound before. Binds it when possible, widening an existing binding to
    /// the more general type.
    private mutating func bindIfValid(_ name: String, to type: CELType) -> (valid: Bool, alreadyBound: Bool) {
        if type == .typeParam(name) { return (true, true) }
        if let bound = bindings[name] {
            if type == bound { return (true, true) }
            guard assign(type, bound) else { return (false, true) }
            let widened = Self.mostGeneral(type, bound)
            if !occurs(name, in: widened) { bindings[name] = widened }
            return (true, true)
        }
        guard !occurs(name, in: type) else { return (false, false) }
        bindings[name] = type
        return (true, false)
    }

    /// The occurs check: whether parameter `name` appears in `type`, directly or through
    /// bindings. Binding a parameter to a type containing itself would never terminate.
    private func occurs(_ name: String, in type: CELType) -> Bool {
        switch type {
        case .typeParam(let other):
            if other == name { return true }
            return bindings[other].map { occurs(name, in: $0) } ?? false
        case .list(let element): return occurs(name, in: element)
        case .map(let key, let value): return occurs(name, in: key) || occurs(name, in: value)
        case .type(let inner): return inner.map { occurs(name, in: $0) } ?? false
        case .opaque(_, let params): return params.contains { occurs(name, in: $0) }
        default: return false
        }
    }

    // MARK: - Generality

    /// Of two types known to unify, the more general one (`dyn` over `int`, `string` over
    /// an enum string).
    static func mostGeneral(_ a: CELType, _ b: CELType) -> CELType {
        if case .enumString(let x) = a, case .enumString(let y) = b, x != y { return .string }
        return isEqualOrLessSpecific(a, b) ? a : b
    }

    /// Whether `a` is `b` or matches it through `dyn` or type parameters.
    private static func isEqualOrLessSpecific(_ a: CELType, _ b: CELType) -> Bool {
        if a == .dyn || a.isTypeParam { return true }
        if b == .dyn || b.isTypeParam { return false }
        switch (a, b) {
        case (.string, .enumString): return true
        case (.list(let x), .list(let y)): return isEqualOrLessSpecific(x, y)
        case (.map(let k1, let v1), .map(let k2, let v2)):
            return isEqualOrLessSpecific(k1, k2) && isEqualOrLessSpecific(v1, v2)
        case (.opaque(let n1, let p1), .opaque(let n2, let p2)):
            return n1 == n2 && p1.count == p2.count && zip(p1, p2).allSatisfy { isEqualOrLessSpecific($0, $1) }
        case (.type, .type): return true
        default: return a == b
        }
    }
}

extension CELType {
    var isDynOrError: Bool {
        switch self {
        case .dyn, .error: true
        default: false
        }
    }

    var isTypeParam: Bool {
        if case .typeParam = self { return true }
        return false
    }

    /// Whether `null` is assignable to this type. cel-go keeps the original checker's
    /// rule: messages, opaque types, timestamps and durations accept `null`.
    var isNullable: Bool {
        switch self {
        case .null, .object, .opaque, .timestamp, .duration: true
        default: false
        }
    }

    /// Whether this is one of the numeric types, for hints about implicit conversions.
    var isNumeric: Bool {
        switch self {
        case .int, .uint, .double: true
        default: false
        }
    }
}
