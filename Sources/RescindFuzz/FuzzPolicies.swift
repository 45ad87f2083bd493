import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Fuzz target `policies`: a whole policy folder, loaded, checked and compiled from
// memory as `rescind check` and `POST /v1/policies:check` do. The input is split at
// NUL bytes (which YAML text cannot hold) into up to `maxFiles` files named
// `p0.yaml`, `p1.yaml`, …, so definitions in one file and uses in another (schema and
// rules, calendars, thresholds, duplicate ids) meet.
// Invariants: a set is returned exactly when there is no error; every diagnostic
// points into one of the files; loading is deterministic (same digest and
// diagnostics); a set that loads decides a fixed request (when its schema accepts
// it) and any request the reference pack's fixed request decodes to, with valid,
// deterministic decision JSON.

private let maxFiles = 8
private let separator: UInt8 = 0

func fuzzPolicies(_ data: UnsafeRawBufferPointer) {
    var sources: [(path: String, text: String)] = []
    for chunk in data.split(separator: separator, maxSplits: maxFiles - 1, omittingEmptySubsequences: false) {
        sources.append((path: "p\(sources.count).yaml", text: String(decoding: chunk, as: UTF8.self)))
    }
    let names = Set(sources.map(\.path))
    let loaded = LoadedPolicies.load(sources: sources)

    precondition((loaded.policySet == nil) == loaded.diagnostics.hasErrors, "a set was returned with errors, or withheld without one")
    for diagnostic in loaded.diagnostics {
        if let span = diagnostic.span {
            precondition(names.contains(span.file), "diagnostic names an unknown file: \(span.file)")
            precondition(span.start.line >= 1 && span.start.column >= 1, "diagnostic location is not 1-based")
            precondition(span.start <= span.end, "diagnostic span ends before it starts")
        }
    }
    let firstFew = loaded.diagnostics.items.prefix(16)
    _ = HumanRenderer(sources: loaded.sources).render(firstFew)
    _ = JSONDiagnosticRenderer().render(firstFew)

    guard let policySet = loaded.policySet else { return }
    let again = LoadedPolicies.load(sources: sources)
    precondition(again.policySet?.digest == policySet.digest, "loading twice gave another digest")
    precondition(again.diagnostics.items == loaded.diagnostics.items, "loading twice gave other diagnostics")

    let decoder = RequestDecoder(schema: policySet.schema)
    switch decoder.decode(ReferencePack.fixedRequest) {
    case .success(let decoded): checkDecisions(policySet, decoded)
    case .failure(let error):
        ReferencePack.fixedRequest.utf8.withContiguousStorageIfAvailable { bytes in
            checkRejection(error, input: UnsafeRawBufferPointer(bytes), limits: decoder.limits)
        }
    }
}
