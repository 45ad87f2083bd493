// Placeholder until the parser and checker land.
func fuzzCEL(_ data: UnsafeRawBufferPointer) {}
