import CELChecker
import CELCommon

/// A small request schema shaped like a Rescind policy's: an order with an enum status,
/// line items, a customer and free-form metadata.
enum Fixtures {
    static let orderStatus = StringEnum(
        name: "order_status", values: ["pending_payment", "paid", "shipped", "delivered", "cancelled"])

    static let item = ObjectType(name: "item", fields: [
        .init(name: "sku", type: .string),
        .init(name: "quantity", type: .int),
        .init(name: "price", type: .double),
    ])

    static let customer = ObjectType(name: "customer", fields: [
        .init(name: "name", type: .string),
        .init(name: "email", type: .string),
        .init(name: "tier", type: .string),
    ])

    static let order = ObjectType(name: "order", fields: [
        .init(name: "id", type: .string),
        .init(name: "total", type: .double),
        .init(name: "status", type: .enumString(orderStatus)),
        .init(name: "items", type: .list(.object(item))),
        .init(name: "tags", type: .list(.string)),
        .init(name: "customer", type: .object(customer)),
        .init(name: "created_at", type: .timestamp),
        .init(name: "metadata", type: .map(.string, .string)),
        .init(name: "previous_statuses", type: .list(.enumString(orderStatus)), required: false),
    ])

    static let environment = TypeEnvironment(variables: [
        "order": .object(order),
        "now": .timestamp,
        "limits": .map(.string, .int),
    ])
}
