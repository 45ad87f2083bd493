/// A policy pack using every key the loaders accept (JSONSchemaTests): every optional key
/// of every document kind, each form a value may take, and test files using every key
/// of `kind: tests` and `kind: fixtures`. `rescind check` and `rescind test` pass on it;
/// JSONSchemaTests checks each schema's keys all appear in it.
enum EveryKeyPack {
    static let files: [(name: String, text: String)] = [
        ("calendar-sundays.yaml", #"""
            kind: calendar
            name: sundays-off
            time_zone: UTC
            years: 2026
            weekend: [SUNDAY]
            """#),
        ("calendar.yaml", #"""
            kind: calendar
            name: every-day
            description: Weekends off, one holiday and one make-up day.
            time_zone: Asia/Shanghai
            years: 2026..2027
            weekend: [Saturday, sunday]
            holidays:
              - "2026-01-01"
              - "2026-10-01..2026-10-07"
            workdays:
              - "2026-10-10"
            """#),
        ("every-key.fixtures.tests.yaml", #"""
            kind: fixtures
            description: Shared requests.
            include: []
            defaults:
              request: buyer
              locale: en
            fixtures:
              buyer:
                id: t-1
                at: 2026-11-27T10:00:00+08:00
                locale: en
                actor: {id: u-1, role: buyer}
                reason: changed_mind
                order: {id: o-1, status: paid, placed_at: 2026-11-27T09:00:00+08:00, total: "100.00", currency: CNY, seller_id: s-1, tags: {}}
                buyer_history: {cancellations: []}
              shipped:
                base: buyer
                set: {order.status: shipped}
              from-file:
                file: request.json
            generators:
              cancellations:
                description: N cancellations by the buyer, ten minutes apart.
                list: buyer_history.cancellations
                item: {order_id: "o-{n}", initiator: buyer, reason: changed_mind}
                timestamp: at
                spacing: 10m
            """#),
        ("every-key.tests.yaml", #"""
            kind: tests
            description: Every key a test file may have.
            include: every-key.fixtures.tests.yaml
            defaults:
              request: buyer
            fixtures:
              seller: {base: buyer, set: {actor: {id: s-1, role: seller}}}
            generators:
              old_cancellations:
                list: buyer_history.cancellations
                item: {order_id: "old-{n}", initiator: buyer, reason: other}
                timestamp: at
                spacing: 2h
            cases:
              - name: a buyer may cancel a paid order, with every obligation
                description: Each obligation type, with every field a decision writes.
                request: buyer
                locale: zh-CN
                expect:
                  effect: allow
                  deciding: [buyer-paid]
                  matched: buyer-paid
                  not_matched: [seller-any, grace]
                  tier: none
                  problems: none
                  obligations:
                    - {type: refund, source: refunds, amount: "100.00", fee: "0.00", currency: CNY, initiate_by: 2026-12-02T23:59:59+08:00, expected_by: 2026-12-02T23:59:59+08:00}
                    - {type: notify, source: buyer-paid, to: seller, within: 24h, due_by: 2026-11-28T10:00:00+08:00, template: cancel-notice, reason: 订单 o-1 可以取消。}
                    - {type: voucher, to: buyer, amount: "5.00", currency: CNY}
                    - {type: seller_penalty, seller: s-1, points: 2}
                    - {type: warn_account, account: u-1}
                    - {type: restrict_account, account: u-1, for: 14d, until: 2026-12-11T10:00:00+08:00}
                  reason:
                    locale: zh-CN
                    rule: buyer-paid
                    equals: 订单 o-1 可以取消。

              - name: the count decides the tier
                request: {set: {actor.id: u-2}}
                table:
                  columns: [cancellations, effect, expect.tier]
                  rows:
                    - [0, allow, none]
                    - [2, allow, warn]
                    - [3, deny, block]

              - name: a buyer without a history is reviewed
                request: {base: buyer, set: {buyer_history: null}}
                expect:
                  effect: review
                  problems: [missing-list]
                  reason:
                    - {locale: en, rule: on-missing, equals: No history.}
                    - {locale: zh-CN, contains: 取消记录}

              - name: a seller is reviewed
                request:
                  id: t-2
                  at: 2026-11-27T10:00:00+08:00
                  actor: {id: s-1, role: seller}
                  reason: other
                  order: {id: o-2, status: paid, placed_at: 2026-11-27T09:00:00+08:00, total: "10.00", seller_id: s-1, tags: {}}
                expect:
                  effect: review
                  deciding: seller-any
                  reason: {contains: Reviewed}

              - name: a request from a file, with the grace
                request: {file: request.json, set: {reason: other, cancellations: 3}}
                expect: {effect: allow, deciding: [buyer-paid, grace], tier: none}

              - name: a shipped order is refused
                request: shipped
                expect: {effect: deny, deciding: []}

              - name: a seller fixture
                request: seller
                expect: {effect: review}

              - name: cancellations older than the window do not count
                request: {base: from-file, set: {old_cancellations: 5}}
                expect: {effect: allow, tier: none}
            """#),
        ("policy-set.yaml", #"""
            kind: policy_set
            name: every-key
            version: "1.0"
            default:
              effect: deny
              reason: {en: "Not permitted.", zh-CN: "不允许取消。"}
            on_error:
              effect: review
              reason: {en: "A person reviews this.", zh-CN: "需人工审核。"}
            locales: [en, zh-CN]
            files: [calendar-sundays.yaml, calendar.yaml, policy-set.yaml, refunds.yaml, rules.yaml, schema.yaml, thresholds.yaml]
            history:
              list: buyer_history.cancellations
              buyer: 'actor.role == "buyer" ? actor.id : order.buyer_id'
              request_lists: accept
            on_history_unavailable:
              effect: review
              reason: {en: "History unavailable.", zh-CN: "暂时无法核实取消记录。"}
            """#),
        ("refunds.yaml", #"""
            kind: refunds
            calendar: every-day
            applies_when: order.status == "paid"
            currency: order.currency
            fee:
              - when:
                  all:
                    - order.express
                    - not: order.status == "shipped"
                amount: decimal("1.00")
              - amount: 0
            amount: order.total - fee
            initiate_within:
              - when:
                  any:
                    - order.express
                days: 1
              - days: 3
            expect_within:
              - days: 0
            """#),
        ("request.json", #"""
            {"id": "t-3", "at": "2026-11-27T10:00:00+08:00", "actor": {"id": "u-3", "role": "buyer"}, "reason": "changed_mind",
             "order": {"id": "o-3", "status": "paid", "placed_at": "2026-11-27T09:00:00+08:00", "total": "20.00", "currency": "CNY", "seller_id": "s-1", "tags": {}},
             "buyer_history": {"cancellations": []}}
            """#),
        ("rules.yaml", #"""
            kind: rules
            rules:
              - id: buyer-paid
                description: A buyer may cancel a paid order.
                when:
                  all:
                    - actor.role == "buyer"
                    - any:
                        - order.status == "paid"
                        - false
                    - not: order.status == "shipped"
                effect: allow
                reason: {en: "Order {order.id} may be cancelled.", zh-CN: "订单 {order.id} 可以取消。"}
                obligations:
                  - type: notify
                    to: seller
                    within: 24h
                    template: cancel-notice
                  - type: voucher
                    to: buyer
                    amount: decimal("5.00")
                    currency: '"CNY"'
                  - type: seller_penalty
                    seller: order.seller_id
                    points: 2
                  - type: warn_account
                    account: actor.id
                  - type: restrict_account
                    account: actor.id
                    for: 14d
              - id: grace
                when: actor.role == "buyer" && reason == "other"
                effect: allow
                reason: {en: "Not counted.", zh-CN: "不计入。"}
                suspends: [repeat-canceller]
              - id: seller-any
                description: {en: "A seller may cancel.", zh-CN: "卖家可以取消。"}
                when: actor.role == "seller"
                effect: review
                reason: {en: "Reviewed.", zh-CN: "需审核。"}
            """#),
        ("schema.yaml", #"""
            kind: schema
            enums:
              role: [buyer, seller]
              status: [paid, shipped]
              cancel_reason: [changed_mind, other]
            types:
              cancellation:
                order_id: string
                at: {type: timestamp, minimum: "2000-01-01T00:00:00Z", maximum: "2100-01-01T00:00:00Z"}
                initiator: role
                reason: cancel_reason
            request:
              id: string
              at: timestamp
              locale: {type: string, default: en, description: "Language of the reasons."}
              actor:
                id: string
                role: role
              reason: cancel_reason
              order:
                id: string
                status: status
                placed_at: timestamp
                total: {type: decimal, minimum: "0.00", maximum: "1000000.00"}
                currency: {type: string, optional: true}
                buyer_id: {type: string, default: ""}
                seller_id: string
                express: {type: bool, default: false}
                items: {type: int, minimum: 0, default: 1}
                tags: map(string, string)
              buyer_history:
                type: object
                optional: true
                fields:
                  cancellations: list(cancellation)
            """#),
        ("thresholds.yaml", #"""
            kind: thresholds
            thresholds:
              - id: repeat-canceller
                description: {en: "Counts the buyer's cancellations.", zh-CN: "统计买家的取消次数。"}
                applies_when:
                  all:
                    - actor.role == "buyer"
                    - any: [true]
                    - not: false
                count: buyer_history.cancellations
                where: item.initiator == "buyer"
                timestamp: item.at
                window: 1h30m
                on_missing:
                  effect: review
                  reason: {en: "No history.", zh-CN: "没有取消记录。"}
                tiers:
                  - id: warn
                    description: Warned.
                    at_least: 2
                    effect: allow
                    reason: {en: "{count} cancellations.", zh-CN: "已取消 {count} 次。"}
                    obligations:
                      - type: warn_account
                      - type: notify
                        to: support
                        within: 1h30m
                        template: repeat-canceller
                      - type: voucher
                        to: buyer
                        amount: 0
                        currency: order.currency
                      - type: seller_penalty
                        seller: order.seller_id
                        points: 1
                      - type: restrict_account
                        account: actor.id
                        for: 720h
                  - id: block
                    description: {en: "Blocked.", zh-CN: "拒绝。"}
                    at_least: 3
                    effect: deny
                    reason: {en: "{count} cancellations.", zh-CN: "已取消 {count} 次。"}
            """#),
    ]
}
