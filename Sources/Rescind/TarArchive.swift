import RescindDiagnostics
import RescindPolicy
/// A small, strict reader of ustar and pax tar archives (POSIX.1-2001), enough for a
/// policy folder sent to `POST /v1/policies:check` as `tar -cf - -C Policies .`.
///
/// Nothing is ever written to disk, but the names still become the paths diagnostics
/// point at, so an archive is refused rather than repaired: only regular files and
/// directories are accepted; absolute names, `..`, links, devices, sparse files, bad
/// checksums, truncated data and anything after the end marker are errors with a
/// stable code. GNU tar's default format is read too (its magic, and `L` long names),
/// since that is what `tar -cf` writes on most Linux machines.
package enum TarArchive {
    package static let blockSize = 512

    /// Whether `bytes` starts with a tar header: the `ustar` magic at offset 257, and a
    /// first byte (the first name's) that no JSON object starts with, `{` or space; a
    /// JSON text may well hold `ustar` at offset 257.
    package static func looksLikeTar(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= blockSize, Array(bytes[257..<262]) == Array("ustar".utf8) else { return false }
        return ![UInt8(ascii: "{"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[0])
    }

    /// The regular files of the archive, in archive order; directories are checked
    /// and skipped.
    package static func read(_ bytes: [UInt8], limits: TarLimits) throws(TarError) -> [TarMember] {
        var reader = Reader(bytes: bytes, limits: limits)
        return try reader.readAll()
    }

    /// The policy files of the archive (`*.yaml`, `*.yml`, not `*.tests.yaml`, as a
    /// folder is read), as UTF-8 text; other files (READMEs, tests) are ignored.
    package static func policySources(_ bytes: [UInt8], limits: TarLimits) throws(TarError) -> [(path: String, text: String)] {
        var sources: [(path: String, text: String)] = []
        for member in try read(bytes, limits: limits) where PolicyLoader.isPolicyFile(member.path) {
            guard let text = String(validating: member.bytes, as: UTF8.self) else {
                throw TarError(code: "tar-not-utf8", message: "`\(member.path)` is not UTF-8 text")
            }
            sources.append((member.path, text))
        }
        return sources
    }
}

/// One regular file read from an archive.
package struct TarMember: Sendable, Equatable {
    /// The name inside the archive, normalized: no leading `./`, no empty or `.` parts.
    package let path: String
    package let bytes: [UInt8]

    package init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }
}

/// Bounds on what one archive may hold, so a small body cannot make the reader do
/// unbounded work (every header, pax ones included, counts as an entry).
package struct TarLimits: Sendable {
    /// The most headers (files, directories, extended headers) read.
    package var maxEntries: Int
    /// The largest member, extended headers included (a policy file's own limit).
    package var maxMemberBytes: Int
    /// The most bytes all regular members may hold together.
    package var maxTotalBytes: Int

    package init(maxEntries: Int = 1000, maxMemberBytes: Int = 1 << 20, maxTotalBytes: Int = 1 << 20) {
        self.maxEntries = maxEntries
        self.maxMemberBytes = maxMemberBytes
        self.maxTotalBytes = maxTotalBytes
    }
}

/// Why an archive was refused: `code` is stable (docs/server.md lists them), the
/// message names the member.
package struct TarError: Error, Equatable {
    package let code: String
    package let message: String

    package init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    static func truncated(_ what: String) -> TarError {
        TarError(code: "tar-truncated", message: "the archive ends inside \(what)")
    }

    static func invalid(_ message: String) -> TarError {
        TarError(code: "tar-invalid-header", message: message)
    }
}

private struct Reader {
    let bytes: [UInt8]
    let limits: TarLimits
    var offset = 0
    var entries = 0
    var total = 0
    var members: [TarMember] = []
    var seen: Set<String> = []
    /// What a pax `x` header or a GNU `L` header says about the next entry.
    var nextPath: String?
    var nextSize: Int?

    init(bytes: [UInt8], limits: TarLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func readAll() throws(TarError) -> [TarMember] {
        while true {
            guard offset + TarArchive.blockSize <= bytes.count else {
                throw .truncated(offset == bytes.count ? "no end-of-archive marker" : "a header")
            }
            if isZeroBlock(at: offset) {
                try readEnd()
                return members
            }
            entries += 1
            guard entries <= limits.maxEntries else {
                throw TarError(code: "tar-too-many-entries", message: "the archive has more than \(limits.maxEntries) entries")
            }
            try readEntry()
        }
    }

    /// The end: two zero blocks, then only zero padding (tar pads to its record size).
    mutating func readEnd() throws(TarError) {
        if nextPath != nil || nextSize != nil { throw .invalid("an extended header is not followed by an entry") }
        guard offset + 2 * TarArchive.blockSize <= bytes.count, isZeroBlock(at: offset + TarArchive.blockSize) else {
            throw .truncated("the end-of-archive marker (two zero blocks)")
        }
        guard bytes[(offset + 2 * TarArchive.blockSize)...].allSatisfy({ $0 == 0 }) else {
            throw TarError(code: "tar-trailing-data", message: "data follows the end-of-archive marker")
        }
    }

    mutating func readEntry() throws(TarError) {
        let header = offset
        try checkChecksum(header)
        let magic = Array(bytes[header + 257..<header + 265])
        let posix = magic == Array("ustar\u{0}00".utf8)
        let gnu = magic == Array("ustar  \u{0}".utf8)
        guard posix || gnu else { throw .invalid("entry \(entries) is not a ustar header") }
        let type = bytes[header + 156]
        var size = try number(at: header + 124, length: 12, field: "size")
        // ustar splits long names into prefix/name; in GNU headers the prefix bytes hold
        // other fields, and long names come in `L` entries instead.
        var name = try text(at: header, length: 100)
        if posix {
            let prefix = try text(at: header + 345, length: 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        // Extended headers describe the next entry; they never carry files.
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"):
            let data = try memberData(header: header, size: size, name: "an extended header")
            if type == UInt8(ascii: "x") {
                try applyPax(data)
            } else if type == UInt8(ascii: "L") {
                nextPath = try longName(data)
            }  // a global (`g`) header only sets defaults for fields this reader ignores
            return
        default: break
        }
        if let path = nextPath { name = path }
        if let override = nextSize { size = override }
        nextPath = nil
        nextSize = nil
        let isDirectory = type == UInt8(ascii: "5")
        let path = try normalizedPath(name, isDirectory: isDirectory)
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            let data = try memberData(header: header, size: size, name: "`\(path)`")
            total += size
            guard total <= limits.maxTotalBytes else {
                throw TarError(code: "tar-too-large", message: "the members hold more than \(limits.maxTotalBytes) bytes")
            }
            guard seen.insert(path).inserted else {
                throw TarError(code: "tar-duplicate-path", message: "`\(path)` appears twice in the archive")
            }
            members.append(TarMember(path: path, bytes: data))
        case UInt8(ascii: "5"):
            _ = try memberData(header: header, size: size, name: "`\(path)`")
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "K"):
            throw TarError(code: "tar-link", message: "`\(path)` is a link; only regular files are accepted")
        default:
            let shown = type >= 0x20 && type < 0x7F ? String(UnicodeScalar(type)) : "\\(\(type))"
            throw TarError(
                code: "tar-unsupported-entry",
                message: "`\(path)` has entry type `\(shown)`; only regular files and directories are accepted")
        }
    }

    /// The `size` bytes after the header at `header`, and moves past their padding.
    mutating func memberData(header: Int, size: Int, name: String) throws(TarError) -> [UInt8] {
        guard size <= limits.maxMemberBytes else {
            throw TarError(
                code: "tar-member-too-large", message: "\(name) is \(size) bytes; a member may hold at most \(limits.maxMemberBytes)")
        }
        let start = header + TarArchive.blockSize
        let padded = (size + TarArchive.blockSize - 1) / TarArchive.blockSize * TarArchive.blockSize
        guard start + padded <= bytes.count else { throw .truncated(name) }
        offset = start + padded
        return Array(bytes[start..<start + size])
    }

    /// The header checksum: the sum of its bytes with the checksum field read as
    /// spaces. Some old writers summed signed bytes; both sums are accepted.
    func checkChecksum(_ header: Int) throws(TarError) {
        let stored = try number(at: header + 148, length: 8, field: "checksum")
        var unsigned = 0, signed = 0
        for index in header..<header + TarArchive.blockSize {
            let byte = (148..<156).contains(index - header) ? UInt8(ascii: " ") : bytes[index]
            unsigned += Int(byte)
            signed += Int(Int8(bitPattern: byte))
        }
        guard stored == unsigned || stored == signed else {
            throw TarError(code: "tar-bad-checksum", message: "the header of entry \(entries) has a bad checksum")
        }
    }

    /// An octal field: optional leading spaces, digits, then NUL or space padding.
    /// Base-256 (GNU, for sizes of 8 GiB and more) is never needed here and refused.
    func number(at start: Int, length: Int, field: String) throws(TarError) -> Int {
        var index = start
        let end = start + length
        guard bytes[start] & 0x80 == 0 else {
            throw TarError(code: "tar-member-too-large", message: "entry \(entries) has a base-256 \(field)")
        }
        while index < end, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var value = 0, digits = 0
        while index < end, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]) {
            value = value * 8 + Int(bytes[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        while index < end, bytes[index] == 0 || bytes[index] == UInt8(ascii: " ") { index += 1 }
        guard digits > 0, digits <= 11, index == end else {
            throw .invalid("entry \(entries) has an invalid \(field) field")
        }
        return value
    }

    /// A NUL-terminated (or full-width) UTF-8 field.
    func text(at start: Int, length: Int) throws(TarError) -> String {
        let field = bytes[start..<start + length]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        guard let text = String(validating: field[start..<end], as: UTF8.self) else {
            throw .invalid("entry \(entries) has a name that is not UTF-8")
        }
        return text
    }

    /// pax records, `LENGTH KEY=VALUE\n`, where LENGTH counts the whole record. `path`
    /// and `size` apply to the next entry; times, owners and vendor keys are ignored;
    /// GNU sparse maps would make the data something else than the file, so they are
    /// refused.
    mutating func applyPax(_ data: [UInt8]) throws(TarError) {
        var index = 0
        while index < data.count {
            var length = 0, cursor = index
            while cursor < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[cursor]), length < 1 << 30 {
                length = length * 10 + Int(data[cursor] - UInt8(ascii: "0"))
                cursor += 1
            }
            guard cursor > index, cursor < data.count, data[cursor] == UInt8(ascii: " "), length > cursor - index + 1,
                index + length <= data.count, data[index + length - 1] == UInt8(ascii: "\n"),
                let equals = data[(cursor + 1)..<(index + length - 1)].firstIndex(of: UInt8(ascii: "="))
            else { throw .invalid("entry \(entries) has a malformed pax record") }
            guard let key = String(validating: data[(cursor + 1)..<equals], as: UTF8.self),
                let value = String(validating: data[(equals + 1)..<(index + length - 1)], as: UTF8.self)
            else { throw .invalid("entry \(entries) has a pax record that is not UTF-8") }
            switch key {
            case "path": nextPath = value
            case "size":
                guard let size = Int(value), size >= 0 else { throw .invalid("entry \(entries) has an invalid pax size `\(value)`") }
                nextSize = size
            case _ where key.hasPrefix("GNU.sparse."):
                throw TarError(code: "tar-unsupported-entry", message: "sparse files are not accepted")
            default: break
            }
            index += length
        }
    }

    /// A GNU `L` entry's data: the next entry's name, NUL-terminated.
    func longName(_ data: [UInt8]) throws(TarError) -> String {
        let end = data.firstIndex(of: 0) ?? data.endIndex
        guard let name = String(validating: data[..<end], as: UTF8.self) else {
            throw .invalid("entry \(entries) has a long name that is not UTF-8")
        }
        return name
    }

    /// The name without `./`, empty or `.` parts; absolute names and `..` are refused,
    /// so a name can only ever point inside the archive.
    func normalizedPath(_ name: String, isDirectory: Bool) throws(TarError) -> String {
        if name.hasPrefix("/") {
            throw TarError(code: "tar-absolute-path", message: "`\(name)` is an absolute path; names must be relative")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") {
            throw TarError(code: "tar-path-traversal", message: "`\(name)` contains `..`; names must stay inside the archive")
        }
        guard !parts.isEmpty || isDirectory else { throw .invalid("entry \(entries) is a file without a name") }
        return parts.joined(separator: "/")
    }

    func isZeroBlock(at start: Int) -> Bool {
        bytes[start..<start + TarArchive.blockSize].allSatisfy { $0 == 0 }
    }
}
