import CELCommon

/// The arithmetic operators over every kind the standard library defines them for,
/// with int64/uint64 overflow checks, division-by-zero errors and timestamp/duration
/// range checks. Each returns `nil` when no overload fits the operand kinds, so the
/// caller can try extension overloads before reporting "no matching overload".
enum Arithmetic {
    static func add(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (r, o) = x.addingReportingOverflow(y)
            return o ? .error(.overflow("addition")) : .int(r)
        case (.uint(let x), .uint(let y)):
            let (r, o) = x.addingReportingOverflow(y)
            return o ? .error(.overflow("addition")) : .uint(r)
        case (.double(let x), .double(let y)): return .double(x + y)
        case (.string(let x), .string(let y)): return .string(x + y)
        case (.bytes(let x), .bytes(let y)): return .bytes(x + y)
        case (.list(let x), .list(let y)): return .list(x + y)
        case (.timestamp(let t), .duration(let d)), (.duration(let d), .timestamp(let t)):
            return t.adding(d).map(Value.timestamp) ?? .error(.outOfRange("timestamp out of range"))
        case (.duration(let x), .duration(let y)):
            return x.adding(y).map(Value.duration) ?? .error(.outOfRange("duration out of range"))
        default: return nil
        }
    }

    static func subtract(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (r, o) = x.subtractingReportingOverflow(y)
            return o ? .error(.overflow("subtraction")) : .int(r)
        case (.uint(let x), .uint(let y)):
            let (r, o) = x.subtractingReportingOverflow(y)
            return o ? .error(.overflow("subtraction")) : .uint(r)
        case (.double(let x), .double(let y)): return .double(x - y)
        case (.timestamp(let x), .timestamp(let y)):
            return x.subtracting(y).map(Value.duration) ?? .error(.outOfRange("duration out of range"))
        case (.timestamp(let t), .duration(let d)):
            guard let negated = d.negated, let r = t.adding(negated) else {
                return .error(.outOfRange("timestamp out of range"))
            }
            return .timestamp(r)
        case (.duration(let x), .duration(let y)):
            return x.subtracting(y).map(Value.duration) ?? .error(.outOfRange("duration out of range"))
        default: return nil
        }
    }

    static func multiply(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (r, o) = x.multipliedReportingOverflow(by: y)
            return o ? .error(.overflow("multiplication")) : .int(r)
        case (.uint(let x), .uint(let y)):
            let (r, o) = x.multipliedReportingOverflow(by: y)
            return o ? .error(.overflow("multiplication")) : .uint(r)
        case (.double(let x), .double(let y)): return .double(x * y)
        default: return nil
        }
    }

    static func divide(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            if y == 0 { return .error(.divisionByZero) }
            let (r, o) = x.dividedReportingOverflow(by: y)
            return o ? .error(.overflow("division")) : .int(r)
        case (.uint(let x), .uint(let y)):
            return y == 0 ? .error(.divisionByZero) : .uint(x / y)
        case (.double(let x), .double(let y)): return .double(x / y)
        default: return nil
        }
    }

    static func modulo(_ a: Value, _ b: Value) -> Value? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            if y == 0 { return .error(.moduloByZero) }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            return o ? .error(.overflow("modulus")) : .int(r)
        case (.uint(let x), .uint(let y)):
            return y == 0 ? .error(.moduloByZero) : .uint(x % y)
        default: return nil
        }
    }

    static func negate(_ a: Value) -> Value? {
        switch a {
        case .int(let x):
            return x == .min ? .error(.overflow("negation")) : .int(-x)
        case .double(let x): return .double(-x)
        case .duration(let d): return d.negated.map(Value.duration) ?? .error(.outOfRange("duration out of range"))
        default: return nil
        }
    }
}
