import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Fuzz target `tar`: a policy folder sent as a tar archive (`TarArchive`, as
// `POST /v1/policies:check` reads it). Invariants: an accepted archive's members have
// relative, normalized names (no `..`, `.`, empty parts, leading `/`), no duplicates,
// and sizes within the limits; writing the members back as a plain ustar archive and
// reading it gives the same members; `policySources` gives exactly the policy members;
// a refusal has one of the documented codes.

private let limits = TarLimits(maxEntries: 64, maxMemberBytes: 16 * 1024, maxTotalBytes: 64 * 1024)

private let knownCodes: Set<String> = [
    "tar-truncated", "tar-invalid-header", "tar-too-many-entries", "tar-trailing-data", "tar-too-large",
    "tar-duplicate-path", "tar-link", "tar-unsupported-entry", "tar-member-too-large", "tar-bad-checksum",
    "tar-absolute-path", "tar-path-traversal", "tar-not-utf8",
]

func fuzzTar(_ data: UnsafeRawBufferPointer) {
    _ = TarArchive.looksLikeTar(data)
    let bytes = Array(data)
    let members: [TarMember]
    do {
        members = try TarArchive.read(bytes, limits: limits)
    } catch {
        precondition(knownCodes.contains(error.code), "undocumented tar error code: \(error.code)")
        precondition(!error.message.isEmpty, "tar error without a message")
        do {
            _ = try TarArchive.policySources(bytes, limits: limits)
            preconditionFailure("policySources accepted an archive read refuses")
        } catch {}
        return
    }
    precondition(members.count <= limits.maxEntries, "more members than entries allowed")
    var seen: Set<String> = []
    var total = 0
    for member in members {
        let path = member.path
        precondition(!path.isEmpty, "a member without a name")
        precondition(!path.hasPrefix("/"), "absolute member name: \(path)")
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        precondition(!parts.contains(".."), "member name with `..`: \(path)")
        precondition(!parts.contains(".") && !parts.contains(""), "member name not normalized: \(path)")
        precondition(seen.insert(path).inserted, "duplicate member: \(path)")
        precondition(member.bytes.count <= limits.maxMemberBytes, "member over the size limit")
        total += member.bytes.count
    }
    precondition(total <= limits.maxTotalBytes, "members over the total limit")

    // Reading is a function of the bytes.
    precondition((try? TarArchive.read(bytes, limits: limits)) == members, "reading twice disagrees")

    // Round trip through a plain ustar archive (names that fit its 100-byte field).
    if members.allSatisfy({ $0.path.utf8.count <= 100 && !$0.path.utf8.contains(0) }) {
        let written = ustar(members)
        // A name starting with `{` or a space is one the service sniffs as JSON.
        if let first = members.first?.path.utf8.first, ![0x7B, 0x20, 0x09, 0x0A, 0x0D].contains(first) {
            precondition(written.withUnsafeBytes(TarArchive.looksLikeTar), "a written archive is not recognised as tar")
        }
        do {
            let reread = try TarArchive.read(written, limits: limits)
            precondition(reread == members, "members differ after writing them back")
        } catch {
            preconditionFailure("an archive of accepted members is refused: \(error.code) \(error.message)")
        }
    }

    let expected = members.filter { PolicyLoader.isPolicyFile($0.path) }
    do {
        let sources = try TarArchive.policySources(bytes, limits: limits)
        precondition(sources.map(\.path) == expected.map(\.path), "policySources picked other members")
        for (source, member) in zip(sources, expected) {
            precondition(Array(source.text.utf8) == member.bytes, "policy text differs from the member's bytes")
        }
    } catch {
        precondition(error.code == "tar-not-utf8", "policySources failed where read succeeded: \(error.code)")
        precondition(expected.contains { String(validating: $0.bytes, as: UTF8.self) == nil }, "tar-not-utf8 for UTF-8 members")
    }
}

/// A ustar archive of `members` (regular files), as `tar --format=ustar` writes one.
private func ustar(_ members: [TarMember]) -> [UInt8] {
    var out: [UInt8] = []
    for member in members {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        put(member.path, at: 0)
        put(octal(0o644, width: 7), at: 100)
        put(octal(0, width: 7), at: 108)
        put(octal(0, width: 7), at: 116)
        put(octal(member.bytes.count, width: 11), at: 124)
        put(octal(0, width: 11), at: 136)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 6), at: 148)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        out += header
        out += member.bytes
        out += [UInt8](repeating: 0, count: (512 - member.bytes.count % 512) % 512)
    }
    out += [UInt8](repeating: 0, count: 1024)
    return out
}
