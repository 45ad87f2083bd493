import Foundation
import Hummingbird
import Rescind
import RescindJSON
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// The files of a candidate set sent to `POST /v1/policies:check`: a tar archive
/// (`Content-Type: application/x-tar`, or any body that starts with a ustar header),
/// else a JSON object mapping file names to their YAML text. A JSON object starts with
/// `{` (or space) and a tar archive with a member's name, so sniffing is unambiguous
/// and clients that send no tar content type (curl's `--data-binary`) still work.
/// A tar member may be as large as the configured policy file limit (`maxFileSize`),
/// and no larger than the body.
func candidateSources(
    _ body: ByteBuffer, contentType: String?, maxBodyBytes: Int, maxFileSize: Int
) throws -> [(path: String, text: String)] {
    let declaredTar = contentType.map { type in
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return media == "application/x-tar" || media == "application/tar"
    } ?? false
    if declaredTar || body.withUnsafeReadableBytes(TarArchive.looksLikeTar) {
        let limits = TarLimits(
            maxEntries: 1000, maxMemberBytes: min(maxFileSize, maxBodyBytes), maxTotalBytes: maxBodyBytes)
        do {
            return try TarArchive.policySources(Array(body.readableBytesView), limits: limits)
        } catch {
            throw APIError(.badRequest, code: error.code, message: error.message)
        }
    }
    guard let files = body.withUnsafeReadableBytes({ JSONScanner.stringObject($0) }) else {
        throw APIError(
            .badRequest, code: "check-invalid-body",
            message: "the body must be a JSON object mapping file names to their YAML text, or a tar archive")
    }
    return files.sorted { $0.key < $1.key }.map { (path: $0.key, text: $0.value) }
}
