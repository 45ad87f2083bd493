import RescindJSON

/// Splits a JSON array into its elements' byte ranges without parsing them, so each
/// batch item is decoded by `RequestDecoder` from its own bytes, exactly as a single
/// request would be: same errors, same paths, same limits (`JSONScanner.arrayItems`).
/// Nil when the body is not an array.
func jsonArrayItems(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
    JSONScanner.arrayItems(bytes)
}
