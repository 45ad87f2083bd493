// The Rescind engine library: everything a service embedding Rescind needs, from one import.
@_exported import CEL
@_exported import RescindCELLibrary
@_exported import RescindDiagnostics
@_exported import RescindYAML
