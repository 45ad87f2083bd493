// The embedding API is `PolicyEngine`, `PolicyDiagnostics`, `ExplanationSelection` and
// the renderings in this module, plus the values they hand out, re-exported one by one
// below: a service that embeds Rescind imports `Rescind` and nothing else, and sees
// none of the compiler, the plan or the CEL runtime (Rescind.docc/Rescind.md lists it).

// A decision and what it carries.
@_exported import struct RescindEngine.Decision
@_exported import enum RescindEngine.Effect
@_exported import struct RescindEngine.Reason
@_exported import struct RescindEngine.Obligation
@_exported import struct RescindEngine.Refund
@_exported import struct RescindEngine.LocalTime
@_exported import struct RescindEngine.PolicyIdentity
@_exported import struct RescindEngine.EvaluationProblem
@_exported import struct RescindEngine.SourceReference
@_exported import struct CELRuntime.CELDecimal

// Why: the explanation of a decision asked for with `explain: true`.
@_exported import struct RescindEngine.Explanation
@_exported import struct RescindEngine.RuleExplanation
@_exported import struct RescindEngine.ConditionExplanation
@_exported import struct RescindEngine.ObservedValue
@_exported import struct RescindEngine.ThresholdExplanation
@_exported import struct RescindEngine.RefundExplanation

// A request, decoded and checked against the policy set's schema, or why it was not.
@_exported import struct RescindEngine.DecodedRequest
@_exported import struct RescindEngine.RequestError
@_exported import struct RescindEngine.RequestFieldError
@_exported import enum RescindEngine.RequestErrorCode

// What checking a policy folder reports.
@_exported import struct RescindDiagnostics.Diagnostic
@_exported import enum RescindDiagnostics.Severity
@_exported import enum RescindDiagnostics.DiagnosticFormat
@_exported import struct RescindDiagnostics.DiagnosticCode
@_exported import struct RescindDiagnostics.DiagnosticNote
@_exported import struct RescindDiagnostics.SourceSpan
@_exported import struct RescindDiagnostics.SourceLocation
