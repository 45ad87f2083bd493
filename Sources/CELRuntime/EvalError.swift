/// An error raised while evaluating an expression: what went wrong, in lowercase, and
/// the id of the expression node that failed (-1 when not known).
///
/// A class so that `Value.error` stays one word wide; errors are rare and allocation
/// on the error path is fine.
@usableFromInline package final class EvalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Broad classes of runtime errors, for callers that branch on them.
    @usableFromInline package enum Code: String, Sendable, Hashable {
        case noMatchingOverload = "no-matching-overload"
        case noSuchKey = "no-such-key"
        case noSuchField = "no-such-field"
        case unsupportedFieldSelection = "unsupported-field-selection"
        case overflow
        case divisionByZero = "division-by-zero"
        case outOfRange = "out-of-range"
        case invalidArgument = "invalid-argument"
        case indexOutOfBounds = "index-out-of-bounds"
        case undeclaredReference = "undeclared-reference"
        case unboundFunction = "unbound-function"
        case conversion
        case costLimitExceeded = "cost-limit-exceeded"
        case limitExceeded = "limit-exceeded"
        case invalidMapKey = "invalid-map-key"
        case repeatedMapKey = "repeated-map-key"
    }

    package let code: Code
    package let message: String
    package let exprID: Int32

    @usableFromInline package init(_ code: Code, _ message: String, exprID: Int32 = -1) {
        self.code = code
        self.message = message
        self.exprID = exprID
    }

    /// The same error attributed to an expression node, unless it already has one.
    package func located(at id: Int32) -> EvalError {
        exprID >= 0 ? self : EvalError(code, message, exprID: id)
    }

    @usableFromInline package var description: String { message }

    @usableFromInline package static func == (lhs: EvalError, rhs: EvalError) -> Bool {
        lhs === rhs || (lhs.code == rhs.code && lhs.message == rhs.message && lhs.exprID == rhs.exprID)
    }

    @usableFromInline package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}

// Constructors for the errors the standard library raises, so messages stay uniform.
extension EvalError {
    static func noMatchingOverload(_ function: String, _ args: [Value]) -> EvalError {
        let kinds = args.map { $0.runtimeType.name }.joined(separator: ", ")
        return EvalError(.noMatchingOverload, "no matching overload for '\(displayName(function))' applied to '(\(kinds))'")
    }

    static func noMatchingOverload(_ function: String, _ a: Value) -> EvalError {
        EvalError(.noMatchingOverload, "no matching overload for '\(displayName(function))' applied to '(\(a.runtimeType.name))'")
    }

    static func noMatchingOverload(_ function: String, _ a: Value, _ b: Value) -> EvalError {
        EvalError(
            .noMatchingOverload,
            "no matching overload for '\(displayName(function))' applied to '(\(a.runtimeType.name), \(b.runtimeType.name))'")
    }

    static func noSuchKey(_ key: Value) -> EvalError {
        EvalError(.noSuchKey, "no such key: `\(key.celLiteral)`")
    }

    static func overflow(_ operation: String) -> EvalError {
        EvalError(.overflow, "integer overflow in \(operation)")
    }

    static let divisionByZero = EvalError(.divisionByZero, "division by zero")
    static let moduloByZero = EvalError(.divisionByZero, "modulus by zero")

    static func outOfRange(_ what: String) -> EvalError { EvalError(.outOfRange, what) }

    /// Operators are reported by their spec names (`_+_`), as other CEL runtimes do.
    private static func displayName(_ function: String) -> String { function }
}

extension Value {
    /// Shorthand for an error value.
    @inlinable
    static func fail(_ code: EvalError.Code, _ message: String) -> Value { .error(EvalError(code, message)) }
}
