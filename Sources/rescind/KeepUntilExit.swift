/// Keeps `value` alive until the process exits, so it is never torn down: freeing a
/// 10,000-rule set object by object takes a tenth of a second that `rescind check` would
/// otherwise spend after its answer is printed, while the kernel takes back a process's
/// memory at once when it exits (compilers skip their frees the same way). Only for
/// values a command holds to the end anyway; never in a loop.
func keepUntilExit<Value>(_ value: Value) {
    _ = Unmanaged.passRetained(Kept(value))
}

private final class Kept<Value> {
    let value: Value
    init(_ value: Value) { self.value = value }
}
