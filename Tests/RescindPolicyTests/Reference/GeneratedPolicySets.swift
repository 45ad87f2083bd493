import CEL
import CELRuntime
import Foundation
import PropertyBased
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Random policy sets and requests over one small schema, for the three-sided
// differential test. Everything is made of small integers drawn by PropertyBased's
// generators, so a failing case shrinks (fewer rules, smaller indexes) and a seed
// reproduces it; the integers are turned into YAML and JSON text here.

/// One CEL condition over the schema, chosen from a catalogue by `kind`, with two
/// parameters that pick the constants (enum values, boundaries).
struct AtomSpec: Sendable, CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int

    static let roles = ["buyer", "seller", "support"]
    static let statuses = ["paid", "processing", "shipped"]
    static let methods = ["card", "wallet"]
    /// Totals and limits meet at these, so comparisons are tried at their edges.
    static let amounts = ["0", "1", "49.99", "50", "100", "100.01", "400", "999.99"]
    static let durations = ["30m", "1h", "90m", "2h", "3599s", "7200s"]

    static let generator = zip(Gen.int(in: 0...19), Gen.int(in: 0...7), Gen.int(in: 0...7))
        .map { AtomSpec(kind: $0.0, a: $0.1, b: $0.2) }

    var cel: String {
        let role = Self.roles[a % 3]
        let method = Self.methods[a % 2]
        let amount = Self.amounts[b % Self.amounts.count]
        let duration = Self.durations[b % Self.durations.count]
        // A non-empty subset of the statuses, from a bit mask.
        let statuses = Self.statuses.enumerated().filter { ((a % 7) + 1) & (1 << $0.offset) != 0 }
            .map { "\"\($0.element)\"" }.joined(separator: ", ")
        switch kind {
        case 0: return "actor.role == \"\(role)\""
        case 1: return "actor.role != \"\(role)\""
        case 2: return "order.status in [\(statuses)]"
        case 3: return "!(order.method in [\"\(method)\"])"
        case 4: return "order.method == \"\(method)\""
        case 5: return "order.total > decimal(\"\(amount)\")"
        case 6: return "order.total <= \(b * 150)"
        case 7: return "order.items >= \(a)"
        case 8: return "order.items * 2 + 1 < \(b * 2)"
        case 9: return "at - order.placed_at >= duration(\"\(duration)\")"
        case 10: return "at - order.placed_at < duration(\"\(duration)\")"
        case 11: return "100 / order.items > \(a * 10)"  // fails when there are no items
        case 12: return "actor.role == \"\(role)\" && order.status in [\(statuses)]"
        case 13: return "order.status != \"\(Self.statuses[b % 3])\" && order.total > decimal(\"\(amount)\")"
        case 14: return "actor.verified"
        case 15: return "order.items > \(a) || actor.role == \"\(role)\""
        case 16: return "order.method == \"\(method)\" && actor.role in [\"\(role)\", \"support\"]"
        case 17: return "order.items > \(a % 6)"
        case 18: return "at - order.placed_at > duration(\"\(duration)\")"
        default: return "size(history.events) >= \(a % 4)"
        }
    }

    var description: String { cel }
}

/// A `when` of one of a few shapes (a CEL string, `&&`/`||`/`!` in CEL, nested
/// `all`/`any`/`not`) over three atoms.
struct ConditionSpec: Sendable, CustomStringConvertible {
    var shape: Int
    var atoms: [AtomSpec]

    static let generator = zip(Gen.int(in: 0...11), AtomSpec.generator.array(of: 3))
        .map { ConditionSpec(shape: $0.0, atoms: $0.1) }

    /// A `when` tree, before it is written as YAML.
    indirect enum Node {
        case cel(String)
        case all([Node])
        case any([Node])
        case not(Node)
    }

    var node: Node {
        let (x, y, z) = (atoms[0].cel, atoms[1].cel, atoms[2].cel)
        switch shape {
        case 0: return .cel(x)
        case 1: return .cel("\(x) && \(y)")
        case 2: return .cel("\(x) || \(y)")
        case 3: return .cel("!(\(x))")
        case 4: return .all([.cel(x), .cel(y)])
        case 5: return .any([.cel(x), .cel(y)])
        case 6: return .not(.cel(x))
        case 7: return .all([.cel(x), .any([.cel(y), .cel(z)])])
        case 8: return .any([.all([.cel(x), .cel(y)]), .not(.cel(z))])
        case 9: return .all([.cel(x), .not(.any([.cel(y), .cel(z)]))])
        case 10: return .all([.cel(x), .cel(y), .cel(z)])
        default: return .any([.cel(x)])
        }
    }

    /// `key: …` at `indent` spaces.
    func yaml(key: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        if case .cel(let text) = node { return "\(pad)\(key): '\(text)'\n" }
        return "\(pad)\(key):\n" + Self.mapping(node, indent: indent + 2)
    }

    /// A compound node as a block mapping (`all:`, `any:` or `not:`) at `indent` spaces.
    static func mapping(_ node: Node, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        switch node {
        case .cel(let text): return "\(pad)'\(text)'\n"
        case .not(.cel(let text)): return "\(pad)not: '\(text)'\n"
        case .not(let inner): return "\(pad)not:\n" + mapping(inner, indent: indent + 2)
        case .all(let items): return "\(pad)all:\n" + items.map { item($0, indent: indent + 2) }.joined()
        case .any(let items): return "\(pad)any:\n" + items.map { item($0, indent: indent + 2) }.joined()
        }
    }

    /// A list item at `indent` spaces: a quoted CEL string, or a mapping after `- `.
    static func item(_ node: Node, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        if case .cel(let text) = node { return "\(pad)- '\(text)'\n" }
        return pad + "- " + mapping(node, indent: indent + 2).dropFirst(indent + 2)
    }

    var description: String { "\(shape):\(atoms)" }
}

struct RuleSpec: Sendable {
    var condition: ConditionSpec
    var effect: Int
    var reason: Int
    var obligation: Int
    var suspends: Bool

    static let generator = zip(ConditionSpec.generator, Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int(in: 0...4), Gen.bool)
        .map { RuleSpec(condition: $0.0, effect: $0.1, reason: $0.2, obligation: $0.3, suspends: $0.4) }
}

struct ThresholdSpec: Sendable {
    var applies: AtomSpec?
    var filter: Int
    var window: Int
    /// Each tier's `at_least` above the previous one (the first's above zero).
    var steps: [Int]
    var effects: [Int]
    var onMissing: Int

    static let generator = zip(
        AtomSpec.generator.optional, Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int(in: 1...2).array(of: 1...3),
        Gen.int(in: 0...2).array(of: 3), Gen.int(in: 0...3)
    ).map { ThresholdSpec(applies: $0.0, filter: $0.1, window: $0.2, steps: $0.3, effects: $0.4, onMissing: $0.5) }
}

struct RefundSpec: Sendable {
    var applies: AtomSpec?
    var feeWhen: AtomSpec
    var feeFallback: Bool
    var initiateWhen: AtomSpec
    var days: [Int]

    static let generator = zip(
        AtomSpec.generator.optional, AtomSpec.generator, Gen.bool, AtomSpec.generator, Gen.int(in: 0...5).array(of: 4)
    ).map { RefundSpec(applies: $0.0, feeWhen: $0.1, feeFallback: $0.2, initiateWhen: $0.3, days: $0.4) }
}

/// A request, and how it is tampered with after decoding (a value outside its enum, a
/// field taken out), as an embedding program could build it.
struct RequestSpec: Sendable {
    var role: Int
    var status: Int
    var method: Int
    var total: Int
    var items: Int
    var day: Int
    var hour: Int
    var placed: Int
    var verified: Bool
    var history: Int
    var events: [Int]
    var tamper: Int
    var locale: Int

    static let placedMinutes = [0, 29, 30, 31, 59, 60, 61, 89, 90, 91, 119, 120, 121, 600, -5]
    /// Minutes before `at`: the windows' edges (24h, 48h, 30m) and either side, and one in the future.
    static let eventMinutes = [0, 1, 29, 30, 31, 60, 1439, 1440, 1441, 2879, 2880, 2881, -1]

    static let generator = zip(
        zip(Gen.int(in: 0...2), Gen.int(in: 0...2), Gen.int(in: 0...1), Gen.int(in: 0...15), Gen.int(in: 0...5)),
        zip(Gen.int(in: 0...19), Gen.int(in: 0...23), Gen.int(in: 0...14), Gen.bool),
        zip(Gen.int(in: 0...3), Gen.int(in: 0...38).array(of: 0...6), Gen.int(in: 0...29), Gen.int(in: 0...2))
    ).map { parts in
        let (first, second, third) = parts
        return RequestSpec(
            role: first.0, status: first.1, method: first.2, total: first.3, items: first.4, day: second.0,
            hour: second.1, placed: second.2, verified: second.3, history: third.0, events: third.1, tamper: third.2,
            locale: third.3)
    }

    var totalText: String {
        total < AtomSpec.amounts.count ? AtomSpec.amounts[total] : ["0.01", "20", "399.99", "400.05", "1000", "7.5", "250", "600"][total - AtomSpec.amounts.count]
    }

    /// The request's `at`: around the calendar's October holidays and make-up workday, or
    /// at the end of the year the calendar covers.
    var at: Int {
        let base = day < 16
            ? 1_790_553_600 + day * 86_400  // 2026-09-28T00:00:00Z
            : 1_798_243_200 + (day - 16) * 86_400  // 2026-12-26T00:00:00Z
        return base + hour * 3600
    }

    /// `2026-09-28T10:00:00Z` (an ISO8601DateFormatter costs more than a decision).
    static func text(_ seconds: Int) -> String {
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - day * 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(CivilDate(daysSinceEpoch: day))T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))Z"
    }

    var json: [String: Any] {
        var request: [String: Any] = [
            "id": "req-\(role)\(status)\(total)",
            "at": Self.text(at),
            "actor": ["id": "u-\(role)", "role": AtomSpec.roles[role], "verified": verified],
            "order": [
                "status": AtomSpec.statuses[status], "method": AtomSpec.methods[method], "total": totalText,
                "items": items, "placed_at": Self.text(at - Self.placedMinutes[placed] * 60),
                "currency": "CNY",
            ] as [String: Any],
        ]
        // 0: no history (the threshold's list is missing); 1: an empty one; else events.
        if history == 1 { request["history"] = ["events": [Any]()] }
        if history >= 2 {
            request["history"] = ["events": events.map { code -> [String: Any] in
                ["at": Self.text(at - Self.eventMinutes[code % Self.eventMinutes.count] * 60),
                 "by": AtomSpec.roles[code / Self.eventMinutes.count]]
            }]
        }
        if locale == 1 { request["locale"] = "zh-CN" }
        if locale == 2 { request["locale"] = "zh_cn" }
        return request
    }

    /// `tamper` from this on changes the decoded request (about one request in five).
    static let firstTamper = 24

    /// The decoded request as tampered with (most requests are left as decoded).
    func tampered(_ root: ObjectValue) -> ObjectValue {
        switch tamper {
        case Self.firstTamper: return replacing("role", of: "actor", in: root, with: .string("admin"))
        case Self.firstTamper + 1: return replacing("role", of: "actor", in: root, with: nil)
        case Self.firstTamper + 2: return replacing("total", of: "order", in: root, with: nil)
        case Self.firstTamper + 3: return replacing("method", of: "order", in: root, with: .string("crypto"))
        case Self.firstTamper + 4: return replacing("placed_at", of: "order", in: root, with: nil)
        case Self.firstTamper + 5:
            guard case .object(let history)? = root["history"], case .list(var items)? = history["events"],
                case .object(let first)? = items.first
            else { return replacing("items", of: "order", in: root, with: nil) }
            items[0] = .object(Self.replacing("by", in: first, with: .string("robot")))
            return Self.replacing("history", in: root, with: .object(Self.replacing("events", in: history, with: .list(items))))
        default: return root
        }
    }

    private func replacing(_ field: String, of object: String, in root: ObjectValue, with value: Value?) -> ObjectValue {
        guard case .object(let inner)? = root[object] else { return root }
        return Self.replacing(object, in: root, with: .object(Self.replacing(field, in: inner, with: value)))
    }

    static func replacing(_ field: String, in object: ObjectValue, with value: Value?) -> ObjectValue {
        var fields = Array(object.fields)
        fields[object.type.slot(of: field)!] = value
        return ObjectValue.make(type: object.type, fields: fields)
    }
}

/// A whole policy set: its header, rules, an optional threshold and refunds.
struct PolicySetSpec: Sendable {
    var defaultEffect: Int
    var onError: Int
    var rules: [RuleSpec]
    var threshold: ThresholdSpec?
    var refunds: RefundSpec?

    static let generator = zip(
        Gen.int(in: 0...2), Gen.int(in: 0...2), RuleSpec.generator.array(of: 1...6), ThresholdSpec.generator.optional(valueRate: 0.6),
        RefundSpec.generator.optional(valueRate: 0.6)
    ).map { PolicySetSpec(defaultEffect: $0.0, onError: $0.1, rules: $0.2, threshold: $0.3, refunds: $0.4) }

    static let effects = ["allow", "review", "deny"]

    /// The files of the set, path → YAML.
    var files: [(path: String, text: String)] {
        var header = """
            kind: policy_set
            name: generated
            version: "1"
            default:
              effect: \(Self.effects[defaultEffect])
              reason: {en: "Nothing matched.", zh-CN: "没有匹配的规则。"}

            """
        if onError == 1 { header += "on_error: deny\n" }
        if onError == 2 { header += "on_error: {effect: review, reason: {en: \"Checked by hand.\", zh-CN: \"人工审核。\"}}\n" }
        let schema = """
            kind: schema
            enums:
              role: [buyer, seller, support]
              status: [paid, processing, shipped]
              method: [card, wallet]
            types:
              event:
                at: timestamp
                by: role
            request:
              id: string
              at: timestamp
              locale: {type: string, default: en}
              actor:
                id: string
                role: role
                verified: bool
              order:
                status: status
                method: method
                total: {type: decimal, minimum: "0", maximum: "1000"}
                items: int
                placed_at: timestamp
                currency: string
              history:
                type: object
                optional: true
                fields:
                  events: list(event)

            """
        let calendar = """
            kind: calendar
            name: cal
            time_zone: Asia/Shanghai
            years: 2026
            holidays:
              - 2026-10-01..2026-10-07
            workdays:
              - 2026-10-10

            """
        var files: [(path: String, text: String)] = [("policy-set.yaml", header), ("schema.yaml", schema), ("calendar.yaml", calendar), ("rules.yaml", rulesYAML)]
        if let threshold { files.append(("thresholds.yaml", Self.yaml(threshold))) }
        if let refunds { files.append(("refunds.yaml", Self.yaml(refunds))) }
        return files
    }

    var rulesYAML: String {
        var text = "kind: rules\nrules:\n"
        for (index, rule) in rules.enumerated() {
            text += "  - id: rule-\(index)\n"
            text += rule.condition.yaml(key: "when", indent: 4)
            text += "    effect: \(Self.effects[rule.effect])\n"
            switch rule.reason {
            case 0: text += "    reason: {en: \"Rule \(index).\", zh-CN: \"规则 \(index)。\"}\n"
            case 1: text += "    reason: {en: \"Rule \(index) for {order.total} by {actor.role}.\", zh-CN: \"规则 \(index)：{order.total}。\"}\n"
            default: text += "    reason: {en: \"Rule \(index) at {at}, {order.items} items.\", zh-CN: \"规则 \(index)。\"}\n"
            }
            switch rule.obligation {
            case 1: text += "    obligations:\n      - type: notify\n        within: 24h\n"
            case 2: text += "    obligations:\n      - type: voucher\n        amount: 'order.total * decimal(\"0.1\")'\n"
            case 3: text += "    obligations:\n      - type: warn_account\n"
            case 4: text += "    obligations:\n      - type: restrict_account\n        for: 14d\n      - type: notify\n        to: seller\n        within: 2h\n"
            default: break
            }
            if rule.suspends && threshold != nil { text += "    suspends: [repeat]\n" }
        }
        return text
    }

    static func yaml(_ threshold: ThresholdSpec) -> String {
        var text = "kind: thresholds\nthresholds:\n  - id: repeat\n"
        if let applies = threshold.applies { text += "    applies_when: '\(applies.cel)'\n" }
        text += "    count: history.events\n"
        switch threshold.filter {
        case 1: text += "    where: 'item.by == \"buyer\"'\n"
        case 2: text += "    where: 'item.by in [\"buyer\", \"support\"]'\n"
        default: break
        }
        text += "    timestamp: item.at\n"
        text += "    window: \(["24h", "48h", "30m"][threshold.window])\n"
        if threshold.onMissing > 0 { text += "    on_missing: \(effects[threshold.onMissing - 1])\n" }
        text += "    tiers:\n"
        var floor = 0
        for (index, step) in threshold.steps.enumerated() {
            floor += step
            text += "      - id: tier-\(index)\n"
            text += "        at_least: \(floor)\n"
            text += "        effect: \(effects[threshold.effects[index]])\n"
            text += "        reason: {en: \"Counted {count}.\", zh-CN: \"计数 {count}。\"}\n"
            if index == 0 { text += "        obligations: [{type: warn_account}]\n" }
        }
        return text
    }

    static func yaml(_ refunds: RefundSpec) -> String {
        var text = "kind: refunds\ncalendar: cal\n"
        if let applies = refunds.applies { text += "applies_when: '\(applies.cel)'\n" }
        text += "currency: order.currency\n"
        text += "fee:\n  - when: '\(refunds.feeWhen.cel)'\n    amount: 'min(order.total * decimal(\"0.05\"), decimal(\"20.00\")).round(2)'\n"
        if refunds.feeFallback { text += "  - amount: 'decimal(\"1.50\")'\n" }
        text += "amount: order.total - fee\n"
        text += "initiate_within:\n  - when: '\(refunds.initiateWhen.cel)'\n    days: \(refunds.days[0])\n  - days: \(refunds.days[1])\n"
        // Every method has a case, as the load proves; a method outside the enum has none.
        text += "expect_within:\n  - when: order.method == \"card\"\n    days: \(refunds.days[2])\n"
        text += "  - when: order.method == \"wallet\"\n    days: \(refunds.days[3])\n"
        return text
    }
}
