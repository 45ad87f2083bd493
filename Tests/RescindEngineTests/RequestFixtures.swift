import CELCommon
import CELRuntime
import RescindEngine

/// The reference cancellation request's schema, built by hand as the policy compiler
/// would from `docs/policy-language.md`'s `schema` document.
enum Fixtures {
    static let role = StringEnum(name: "role", values: ["buyer", "seller", "support", "system"])
    static let orderStatus = StringEnum(
        name: "order_status", values: ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"])
    static let reason = StringEnum(
        name: "reason",
        values: ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change", "fraud_suspected", "other"])
    static let paymentMethod = StringEnum(name: "payment_method", values: ["card", "wallet", "bank_transfer"])

    static let cancellation = ObjectType(
        name: "cancellation",
        fields: [
            .init(name: "order_id", type: .string),
            .init(name: "at", type: .timestamp),
            .init(name: "initiator", type: .enumString(role)),
            .init(name: "reason", type: .enumString(reason)),
        ])
    static let actor = ObjectType(
        name: "actor",
        fields: [
            .init(name: "id", type: .string),
            .init(name: "role", type: .enumString(role)),
            .init(name: "verified", type: .bool),
        ])
    static let order = ObjectType(
        name: "order",
        fields: [
            .init(name: "id", type: .string),
            .init(name: "status", type: .enumString(orderStatus)),
            .init(name: "placed_at", type: .timestamp),
            .init(name: "total", type: .decimal),
            .init(name: "currency", type: .string),
            .init(name: "payment_method", type: .enumString(paymentMethod)),
            .init(name: "seller_id", type: .string),
        ])
    static let buyerHistory = ObjectType(
        name: "buyer_history", fields: [.init(name: "cancellations", type: .list(.object(cancellation)))])
    static let sellerStats = ObjectType(
        name: "seller_stats",
        fields: [
            .init(name: "orders_30d", type: .int),
            .init(name: "stockout_cancellations_30d", type: .int),
        ])
    static let request = ObjectType(
        name: "request",
        fields: [
            .init(name: "id", type: .string),
            .init(name: "at", type: .timestamp),
            .init(name: "locale", type: .string, required: false),
            .init(name: "actor", type: .object(actor)),
            .init(name: "reason", type: .enumString(reason)),
            .init(name: "order", type: .object(order)),
            .init(name: "buyer_history", type: .object(buyerHistory), required: false),
            .init(name: "seller_stats", type: .object(sellerStats), required: false),
        ])

    static let schema = RequestSchema(
        root: request,
        enums: [role.name: role, orderStatus.name: orderStatus, reason.name: reason, paymentMethod.name: paymentMethod],
        defaults: ["request": [request.slot(of: "locale")!: .string("en")]])

    static let decoder = RequestDecoder(schema: schema)

    /// The reference request (the contract), exactly as written in the brief.
    static let reference = """
        {
          "id": "req-1", "at": "2026-11-27T10:00:00+08:00", "locale": "zh-CN",
          "actor": {"id": "u-1", "role": "buyer", "verified": false},
          "reason": "changed_mind",
          "order": {"id": "o-1", "status": "paid", "placed_at": "2026-11-27T09:40:00+08:00",
                    "total": "129.99", "currency": "CNY", "payment_method": "card", "seller_id": "s-1"},
          "buyer_history": {"cancellations": [
              {"order_id": "o-0", "at": "2026-11-20T12:00:00Z", "initiator": "buyer", "reason": "changed_mind"}]},
          "seller_stats": {"orders_30d": 120, "stockout_cancellations_30d": 3}
        }
        """

    /// The smallest valid request: every optional field left out.
    static let minimal = """
        {"id": "req-2", "at": "2026-11-27T10:00:00Z",
         "actor": {"id": "u-1", "role": "seller", "verified": true},
         "reason": "stock_out",
         "order": {"id": "o-1", "status": "paid", "placed_at": "2026-11-27T09:40:00Z",
                   "total": "10", "currency": "CNY", "payment_method": "wallet", "seller_id": "s-1"}}
        """

    /// Types the reference request does not use: durations, maps, `dyn`, `uint`, `double`.
    static let misc = ObjectType(
        name: "misc",
        fields: [
            .init(name: "grace", type: .duration, required: false),
            .init(name: "tags", type: .map(.string, .int), required: false),
            .init(name: "extra", type: .dyn, required: false),
            .init(name: "count", type: .uint, required: false),
            .init(name: "ratio", type: .double, required: false),
            .init(name: "note", type: .string, required: false),
            .init(name: "when", type: .timestamp, required: false),
            .init(name: "blob", type: .bytes, required: false),
        ])
    static let miscDecoder = RequestDecoder(schema: RequestSchema(root: misc))
}

extension String {
    /// The UTF-8 byte offset of the first occurrence of `needle` (test inputs are ASCII
    /// around what they look for).
    func byteOffset(of needle: String) -> Int {
        guard let range = range(of: needle) else { fatalError("`\(needle)` not in the test input") }
        return utf8.distance(from: startIndex, to: range.lowerBound)
    }

    /// The text with the first `target` replaced (fails loudly if absent).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { fatalError("`\(target)` not in the test input") }
        return replacingCharacters(in: range, with: replacement)
    }
}

extension Result where Failure == RequestError {
    /// The error, or nil if decoding succeeded.
    var error: RequestError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Value {
    var object: ObjectValue? {
        if case .object(let object) = self { return object }
        return nil
    }
    var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }
}
