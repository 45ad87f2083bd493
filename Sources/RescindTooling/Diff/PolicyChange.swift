import RescindDiagnostics

/// A sentence in each locale the diff speaks.
package struct DiffWords: Sendable, Hashable {
    package var en: String
    package var zhCN: String

    package init(_ en: String, _ zhCN: String) {
        self.en = en
        self.zhCN = Self.spaced(zhCN)
    }

    /// Chinese text with a space between a code span and a Chinese character next to it
    /// (`规则 `x` 的条件`), however the parts were joined.
    private static func spaced(_ text: String) -> String {
        var out = ""
        var inCode = false
        var previous: Character?
        for character in text {
            if character == "`" {
                if !inCode, let previous, isHan(previous) { out.append(" ") }
                inCode.toggle()
            } else if !inCode, previous == "`", isHan(character) {
                out.append(" ")
            }
            out.append(character)
            previous = character
        }
        return out
    }

    private static func isHan(_ character: Character) -> Bool {
        character.unicodeScalars.first.map { (0x4E00...0x9FFF).contains($0.value) } ?? false
    }

    package func callAsFunction(_ locale: Diagnostic.Locale) -> String { locale == .en ? en : zhCN }
}

/// One difference between two policy sets: what (kind and id), how (added, removed,
/// changed), which part (field), the values on each side, the sentence that says it,
/// and where it is written on each side.
package struct PolicyChange: Sendable, Hashable {
    /// What changed. The order of the cases is the order of the report: by file kind
    /// (policy set, schema, calendars, rules, thresholds, refunds), then by kind.
    package enum Kind: String, Sendable, CaseIterable, Comparable {
        case policySet = "policy_set"
        case enumType = "enum"
        case enumValue = "enum_value"
        case type
        case typeField = "type_field"
        case field
        case calendar
        case holiday
        case workday
        case rule
        case threshold
        case tier
        case refunds
        case refundCase = "refund_case"

        /// The file kind it is written in, which names the report's section.
        package var section: Section {
            switch self {
            case .policySet: .policySet
            case .enumType, .enumValue, .type, .typeField, .field: .schema
            case .calendar, .holiday, .workday: .calendars
            case .rule: .rules
            case .threshold, .tier: .thresholds
            case .refunds, .refundCase: .refunds
            }
        }

        package static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// A section of the report: one per kind of policy file.
    package enum Section: String, Sendable, CaseIterable {
        case policySet = "policy_set"
        case schema
        case calendars
        case rules
        case thresholds
        case refunds

        package var title: DiffWords {
            switch self {
            case .policySet: DiffWords("policy set", "策略集")
            case .schema: DiffWords("request schema", "请求结构")
            case .calendars: DiffWords("calendars", "日历")
            case .rules: DiffWords("rules", "规则")
            case .thresholds: DiffWords("thresholds", "阈值")
            case .refunds: DiffWords("refunds", "退款")
            }
        }
    }

    /// Whether the item (or, with `field`, the part of it) was added, removed or changed.
    package enum Change: String, Sendable, CaseIterable {
        case added, removed, changed

        package var title: DiffWords {
            switch self {
            case .added: DiffWords("added", "新增")
            case .removed: DiffWords("removed", "删除")
            case .changed: DiffWords("changed", "修改")
            }
        }
    }

    package var kind: Kind
    /// The item: a rule's, threshold's or calendar's id; `threshold/tier` for a tier,
    /// `calendar/date` for a holiday or workday, `enum.value`, `type.field`, a schema
    /// field's path (`order.total`), `group/case` for a refund case (`initiate_within/bank_transfer`).
    package var id: String
    package var change: Change
    /// The part of the item that changed (`at_least`, `condition`, `reason.zh-CN`,
    /// `obligations.notify.within`); nil when the item itself was added or removed.
    package var field: String?
    /// The value before and after, as written (CEL code for conditions); nil on the side
    /// where it does not exist.
    package var before: String?
    package var after: String?
    /// The sentence, in each locale.
    package var words: DiffWords
    /// Where the item (or field) is written on each side; nil on the side where it does
    /// not exist.
    package var beforeSpan: SourceSpan?
    package var afterSpan: SourceSpan?
    /// Whether the words leave the values out (conditions, texts): renderers then show
    /// the before and after themselves.
    package var showsValues: Bool = false
    /// Orders changes of one kind: the id unless the kind orders otherwise.
    var sortKey: String
}
