import CELRuntime
import RescindJSON

/// Renders a decision's texts: reasons from their templates, obligations from theirs.
struct MessageRenderer {
    let decision: Decision
    /// Built when a template needs CEL; most holes are request fields, read directly.
    private var activation: Activation?

    init(decision: Decision) { self.decision = decision }

    private var policy: PolicySet { decision.policySet }

    /// The reason of a matched rule or tier in the decision's locale.
    mutating func render(outcome index: Int) -> String {
        let outcome = policy.outcomes[index]
        let count = outcome.threshold.flatMap { decision.tierCount(of: $0) }
        return render(outcome.reason, count: count)
    }

    /// One hole of outcome `index`'s reason, as `render(outcome:)` writes it.
    mutating func holeText(_ expression: CompiledExpression, outcome index: Int) -> String {
        let count = policy.outcomes[index].threshold.flatMap { decision.tierCount(of: $0) }
        return text(of: value(of: expression, count: count), expression: expression)
    }

    mutating func render(_ message: LocalizedMessage, count: Int64? = nil) -> String {
        guard let template = message.template(for: decision.locale) else { return "" }
        var text = ""
        for part in template.parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let expression): text += self.text(of: value(of: expression, count: count), expression: expression)
            }
        }
        return text
    }

    /// How a value reads in a text: strings as they are, decimals with two places,
    /// times in the policy's zone, a failed hole as its source in braces.
    private func text(of value: Value, expression: CompiledExpression) -> String {
        switch value {
        case .string(let s): s
        case .decimal(let d): d.formatted(scale: 2)
        case .timestamp(let t): policy.localTime(t.seconds).description
        case .error: "{\(expression.source)}"
        case let value: value.celLiteral
        }
    }

    private mutating func value(of expression: CompiledExpression, count: Int64?) -> Value {
        if case .field(let path) = expression.shortcut, let value = path.read(from: decision.request) { return value }
        if activation == nil { activation = policy.activation(for: decision.request) }
        // Only tier reasons can read `count`, and each passes its own.
        if let slot = policy.countSlot, let count { activation![slot: slot] = .int(count) }
        switch expression.program.evaluate(activation!) {
        case .success(let value): return value
        case .failure(let error): return .error(error)
        }
    }

    /// An obligation from its template; computed fields take the next collected values,
    /// and the type's declaration adds the rest (see `ObligationType`).
    func obligation(
        _ template: ObligationTemplate, source: String, reason: String, values: inout IndexingIterator<[Value]>
    ) -> Obligation {
        var fields: [Obligation.Field] = []
        for (name, value) in template.fields {
            switch value {
            case .text(let text): fields.append(.init(name: name, value: .string(text)))
            case .int(let int): fields.append(.init(name: name, value: .int(int)))
            case .expression(_, let scale):
                switch values.next() {
                case .decimal(let d)?: fields.append(.init(name: name, value: .decimal(d, scale: scale)))
                case .string(let s)?: fields.append(.init(name: name, value: .string(s)))
                case .int(let i)?: fields.append(.init(name: name, value: .int(i)))
                case .bool(let b)?: fields.append(.init(name: name, value: .bool(b)))
                case .timestamp(let t)?: fields.append(.init(name: name, value: .time(policy.localTime(t.seconds))))
                case .error?, nil: break  // reported as a problem when decided
                case let other?: fields.append(.init(name: name, value: .string(other.celLiteral)))
                }
            case .deadline(let after, let label, let key):
                fields.append(.init(name: name, value: .string(label)))
                if case .timestamp(let at)? = policy.rootValue(policy.atSlot, of: decision.request),
                    let due = at.adding(after)
                {
                    fields.append(.init(name: key, value: .time(policy.localTime(due.seconds))))
                }
            }
        }
        if template.type.carriesReason { fields.append(.init(name: ObligationType.reasonKey, value: .string(reason))) }
        return Obligation(type: template.type.name, source: source, fields: fields)
    }
}

extension PolicySet {
    /// The obligation types decisions of this set can carry, each with the names of its
    /// fields in the decision JSON (besides `type` and `source`), in policy order: what
    /// `MessageRenderer.obligation` and `Refund` write.
    package var obligationFieldNames: [(type: String, fields: [String])] {
        var result: [(type: String, fields: [String])] = []
        if refunds != nil { result.append((Refund.type, Refund.fieldNames)) }
        for template in outcomes.flatMap(\.obligations) {
            var names: [String] = []
            for (name, value) in template.fields {
                names.append(name)
                if case .deadline(_, _, let key) = value { names.append(key) }
            }
            if template.type.carriesReason { names.append(ObligationType.reasonKey) }
            if let index = result.firstIndex(where: { $0.type == template.type.name }) {
                result[index].fields += names.filter { !result[index].fields.contains($0) }
            } else {
                result.append((template.type.name, names))
            }
        }
        return result
    }
}

/// Deadlines are shown in the calendar's zone: `2026-12-02T23:59:59+08:00`, by
/// `RescindJSON`'s RFC 3339 formatter (the decision JSON writes them with the same).
enum Deadline {
    static func format(_ epochSeconds: Int64, offset: Int) -> String {
        RFC3339.string(seconds: epochSeconds, offset: offset)
    }
}
