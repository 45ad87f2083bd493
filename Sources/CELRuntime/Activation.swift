/// The variables a program reads, each assigned a slot at plan time. Evaluation reads
/// variables by slot index; names are resolved once, when an activation is built.
@usableFromInline package struct ActivationLayout: Sendable {
    /// Variable names by slot.
    package let names: [String]
    private let slots: [String: Int]
    /// Each slot's "unbound" marker, made once so activations share them.
    let unbound: ContiguousArray<Value>

    package init(names: [String]) {
        self.names = names
        var slots: [String: Int] = [:]
        for (index, name) in names.enumerated() { slots[name] = index }
        self.slots = slots
        self.unbound = ContiguousArray(names.map { Activation.unboundValue($0) })
    }

    /// The slot of a variable, or nil if the program never reads it.
    package func slot(of name: String) -> Int? { slots[name] }

    @usableFromInline package var count: Int { names.count }

    /// The marker an unbound slot holds.
    @usableFromInline func unboundValue(_ slot: Int) -> Value { unbound[slot] }
}

/// Variable values for one evaluation, stored by slot. Build one with
/// `Program.makeActivation(_:)` and reuse it: setting a slot is an array store.
///
/// Unset slots hold an "undeclared reference" error value, so reading an unbound
/// variable yields that error (which `||`/`&&` may absorb) rather than trapping; that
/// marker is also how a slot is known to be unbound.
@usableFromInline package struct Activation: Sendable {
    @usableFromInline package let layout: ActivationLayout
    @usableFromInline var values: ContiguousArray<Value>

    /// An activation with every variable unbound.
    package init(layout: ActivationLayout) {
        self.layout = layout
        self.values = layout.unbound
    }

    /// An activation whose slot `i` holds `value(i)`, or is unbound where that is nil.
    /// Builds the storage in one pass, for callers that bind many variables per evaluation.
    @inlinable
    package init(layout: ActivationLayout, value: (Int) -> Value?) {
        self.layout = layout
        self.values = ContiguousArray(unsafeUninitializedCapacity: layout.count) { buffer, count in
            for slot in 0..<layout.count {
                (buffer.baseAddress! + slot).initialize(to: value(slot) ?? layout.unboundValue(slot))
            }
            count = layout.count
        }
    }

    /// An activation binding the variables named in `bindings`; names the program does
    /// not read are ignored.
    package init(layout: ActivationLayout, bindings: [String: Value]) {
        self.init(layout: layout)
        for (name, value) in bindings { self[name] = value }
    }

    /// The value in a slot (an error value if unbound).
    @inlinable
    package subscript(slot slot: Int) -> Value {
        get { values[slot] }
        set { values[slot] = newValue }
    }

    /// The value of a variable by name; setting a name the program never reads does nothing.
    package subscript(name: String) -> Value? {
        get { layout.slot(of: name).map { values[$0] } }
        set {
            guard let slot = layout.slot(of: name) else { return }
            values[slot] = newValue ?? Activation.unboundValue(name)
        }
    }

    /// Whether a slot has been given a value.
    package func isBound(slot: Int) -> Bool { Activation.isBound(values[slot]) }

    /// Whether a slot value is a real binding rather than the unbound marker.
    @inline(__always)
    static func isBound(_ value: Value) -> Bool {
        if case .error(let error) = value, error.code == .undeclaredReference { return false }
        return true
    }

    static func unboundValue(_ name: String) -> Value {
        .error(EvalError(.undeclaredReference, "undeclared reference to '\(name)'"))
    }
}
