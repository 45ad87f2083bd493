import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Fuzz target `request`: an HTTP body as `POST /v1/decisions` reads it. The decoder
// walks untrusted bytes through raw pointers; a request it accepts is decided by the
// reference pack and written as decision JSON (`Application.decideItem`'s calls).
// Invariants: a rejection has errors with `$` paths and offsets inside the input;
// decoding is deterministic; decisions are valid, deterministic JSON (`checkDecisions`).

func fuzzRequest(_ data: UnsafeRawBufferPointer) {
    let decoder = ReferencePack.decoder
    let result = decoder.decode(data)
    switch result {
    case .failure(let error):
        checkRejection(error, input: data, limits: decoder.limits)
        // The same bytes are rejected the same way.
        guard case .failure(let again) = decoder.decode(data), again == error else {
            preconditionFailure("decoding twice disagrees: \(error)")
        }
    case .success(let decoded):
        guard case .success(let again) = decoder.decode(data), again.value == decoded.value else {
            preconditionFailure("decoding twice disagrees")
        }
        // An accepted request is accepted from a copy at another address too (no
        // reads outside the buffer that happen to succeed).
        let copy = Array(data)
        guard case .success = decoder.decode(copy) else { preconditionFailure("a copy of an accepted request is rejected") }
        checkDecisions(ReferencePack.policySet, decoded)
    }
}
