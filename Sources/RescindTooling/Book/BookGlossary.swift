/// How the book names the fields and enum values of the shipped request schema
/// (Policies/schema.yaml), in English and Chinese. Anything not listed here — a field or
/// value another policy set adds — is shown as written, in code, so the book never
/// guesses what a name means.
struct BookGlossary {
    /// How a field is named as the subject of a sentence, and the verbs an enum test
    /// on it reads with ("the cancellation was started by a buyer").
    struct Subject {
        let en: String
        let zh: String
        /// "is" / "is not" unless the field reads better with its own verb.
        var enVerb = "is"
        var enNegatedVerb = "is not"
        /// For a timestamp, the clause after "after" ("the order was placed").
        var enAfter: String? = nil
    }

    /// A bool field's meaning when true and when false.
    struct Flag {
        let enTrue: String
        let enFalse: String
        let zhTrue: String
        let zhFalse: String
    }

    static let subjects: [String: Subject] = [
        "actor.role": Subject(en: "the person asking", zh: "申请人"),
        "actor.id": Subject(en: "the person asking", zh: "申请人"),
        "reason": Subject(en: "the reason for cancelling", zh: "取消原因"),
        "at": Subject(en: "the request", zh: "申请时间", enAfter: "the request was made"),
        "order.id": Subject(en: "the order number", zh: "订单号"),
        "order.status": Subject(en: "the order", zh: "订单状态"),
        "order.placed_at": Subject(en: "the order", zh: "下单时间", enAfter: "the order was placed"),
        "order.total": Subject(en: "the order total", zh: "订单金额"),
        "order.currency": Subject(en: "the order's currency", zh: "订单币种"),
        "order.payment_method": Subject(en: "the payment method", zh: "支付方式"),
        "order.seller_id": Subject(en: "the order's seller", zh: "订单卖家"),
        "order.buyer_id": Subject(en: "the order's buyer", zh: "订单买家"),
        "buyer_history.cancellations": Subject(en: "the buyer's past cancellations", zh: "买家的历史取消记录"),
        "seller_stats.orders_30d": Subject(
            en: "the seller's number of orders in the last 30 days", zh: "卖家近 30 天的订单数"),
        "seller_stats.stockout_cancellations_30d": Subject(
            en: "the seller's number of stock-out cancellations in the last 30 days", zh: "卖家近 30 天因缺货取消的订单数"),
        // The items of a counted list (a threshold's `where` and `timestamp`).
        "item.initiator": Subject(
            en: "the cancellation", zh: "该笔取消的发起方", enVerb: "was started by", enNegatedVerb: "was not started by"),
        "item.reason": Subject(en: "the cancellation's reason", zh: "该笔取消的原因"),
        "item.at": Subject(en: "the time of the cancellation", zh: "该笔取消的时间"),
        "item.order_id": Subject(en: "the cancelled order", zh: "被取消的订单号"),
    ]

    static let flags: [String: Flag] = [
        "actor.verified": Flag(
            enTrue: "the customer's identity has been verified", enFalse: "the customer's identity has not been verified",
            zhTrue: "客户身份已核实", zhFalse: "客户身份未核实"),
    ]

    /// Enum values by enum name, then value: (English, Chinese).
    static let values: [String: [String: (en: String, zh: String)]] = [
        "role": [
            "buyer": ("a buyer", "买家"), "seller": ("a seller", "卖家"), "support": ("support staff", "客服"),
            "system": ("the system", "系统"),
        ],
        "order_status": [
            "pending_payment": ("awaiting payment", "待付款"), "paid": ("paid", "已付款"),
            "processing": ("being processed", "处理中"), "shipped": ("shipped", "已发货"),
            "delivered": ("delivered", "已签收"), "cancelled": ("cancelled", "已取消"),
        ],
        "cancel_reason": [
            "changed_mind": ("a change of mind", "改变主意"), "input_error": ("an input error", "信息填写有误"),
            "payment_failed": ("a failed payment", "支付失败"), "stock_out": ("a stock-out", "商品缺货"),
            "price_change": ("a price change", "价格变动"), "fraud_suspected": ("suspected fraud", "疑似欺诈"),
            "other": ("another reason", "其他原因"),
        ],
        "payment_method": [
            "card": ("card", "银行卡"), "wallet": ("wallet", "电子钱包"), "bank_transfer": ("bank transfer", "银行转账"),
        ],
    ]

    /// What a request field holds, for the table of the request's fields: its own
    /// entry, else its subject's words.
    static func meaning(_ path: String) -> (en: String, zh: String)? {
        if let meaning = meanings[path] { return meaning }
        return subjects[path].map { ($0.en, $0.zh) }
    }

    static let meanings: [String: (en: String, zh: String)] = [
        "id": ("the request's id", "申请编号"),
        "at": ("when the cancellation is requested", "申请取消的时间"),
        "locale": ("the language of the reasons in the answer", "答复中原因文本的语言"),
        "actor": ("who asks", "申请人"),
        "actor.id": ("who asks: their id", "申请人编号"),
        "actor.role": ("who asks: buyer, seller, support or the system", "申请人角色"),
        "actor.verified": ("support staff have verified the customer's identity", "客服是否已核实客户身份"),
        "order": ("the order", "订单"),
        "order.status": ("the order's status", "订单状态"),
        "order.placed_at": ("when the order was placed", "下单时间"),
        "buyer_history": ("the buyer's cancellation history", "买家的取消记录"),
        "seller_stats": ("the seller's figures for the last 30 days", "卖家近 30 天的统计数据"),
        "item.initiator": ("who started the cancellation", "取消发起方"),
        "item.at": ("when the cancellation was made", "取消时间"),
    ]

    /// Who an obligation is addressed to (`to: buyer`).
    static let recipients: [String: (en: String, zh: String)] = [
        "buyer": ("the buyer", "买家"), "seller": ("the seller", "卖家"), "support": ("support", "客服"),
    ]
}
