// TEMPORARY, until the tooling moves out (issue 13, branch `tooling`): the policy tests,
// replay, git and decision-log files still in this module were written against every
// module re-exported whole, and read them through these imports (an `@_exported` import
// is seen by every file of its module). They also reach embedders, which is what the
// curated `Exports.swift` ends: when the tooling files move to RescindTooling with imports
// of their own, delete this file. Nothing else in the package relies on it: the
// commands, the server, the fuzzer, the benchmarks and the tests import these modules
// themselves.
@_exported import CEL
@_exported import RescindDiagnostics
@_exported import RescindEngine
@_exported import RescindPolicy
@_exported import RescindYAML
