import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// `POST /v1/policies:check` with a tar body, and the tar reader on its own.
@Suite struct TarCheckTests {
    /// `tar -cf - -C folder .` with the system tar, in `format` (nil: tar's default,
    /// GNU on Debian).
    static func systemTar(_ folder: URL, format: String? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar"] + (format.map { ["--format=\($0)"] } ?? []) + ["-cf", "-", "-C", folder.path, "."]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return Array(data)
    }

    /// The JSON map of the same policy files, as CheckTests sends it.
    static func jsonMap(_ folder: URL) throws -> String {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where PolicyLoader.isPolicyFile(name) {
            files[name] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: files, options: [.sortedKeys]), as: UTF8.self)
    }

    static func post(
        _ client: some TestClientProtocol, _ body: [UInt8], contentType: String? = "application/x-tar"
    ) async throws -> TestResponse {
        var headers = bearer(Fixture.adminToken)
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(
            uri: "/v1/policies:check", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    @Test func systemTarGivesTheSameAnswerAsTheJSONMap() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = try Self.jsonMap(folder)
        // Files that are not policies ride along in a real folder; they are ignored.
        try "# notes\n".write(to: folder.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try "cases: []\n".write(to: folder.appendingPathComponent("x.tests.yaml"), atomically: true, encoding: .utf8)
        let (app, store) = Fixture.app()
        try await app.test(.router) { client in
            let expected = try await client.execute(
                uri: "/v1/policies:check", method: .post, headers: bearer(Fixture.adminToken), body: ByteBuffer(string: json))
            #expect(expected.status == .ok)
            #expect(expected.object["ok"] as? Bool == true)
            // The names inside the archive are the names in the folder, so the digest is
            // the one the served folder has.
            #expect(expected.text.contains("\"digest\":\"\(store.current?.policySet.digest ?? "?")\""))
            for format in [nil, "ustar", "pax", "gnu"] {
                let tar = try Self.systemTar(folder, format: format)
                let declared = try await Self.post(client, tar)
                #expect(declared.status == .ok, "format \(format ?? "default")")
                #expect(declared.text == expected.text, "format \(format ?? "default")")
                // Without a content type, or as octet-stream, the magic decides; a form type
                // (curl's default for --data-binary) is refused.
                for type in [nil, "application/octet-stream"] as [String?] {
                    let sniffed = try await Self.post(client, tar, contentType: type)
                    #expect(sniffed.text == expected.text, "format \(format ?? "default"), \(type ?? "no type")")
                }
                let form = try await Self.post(client, tar, contentType: "application/x-www-form-urlencoded")
                #expect(form.status == .unsupportedMediaType)
            }
        }
    }

    @Test func brokenPolicyInATarIsLocated() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let refunds = folder.appendingPathComponent("refunds.yaml")
        let lines = try String(contentsOf: refunds, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try (lines.joined(separator: "\n") + "\n  this: [is not: valid\n").write(to: refunds, atomically: true, encoding: .utf8)
        let thresholds = folder.appendingPathComponent("abuse-thresholds.yaml")
        try String(contentsOf: thresholds, encoding: .utf8)
            .replacingOccurrences(of: "where: item.initiator == \"buyer\"", with: "where: item.initiator == 5")
            .write(to: thresholds, atomically: true, encoding: .utf8)
        let (app, store) = Fixture.app()
        try await app.test(.router) { client in
            let response = try await Self.post(client, try Self.systemTar(folder, format: "pax"))
            #expect(response.status == .ok)
            #expect(response.object["ok"] as? Bool == false)
            #expect(response.object["policy"] is NSNull)
            let diagnostics = try #require(response.object["diagnostics"] as? [[String: Any]])
            func span(_ file: String) -> [String: Any]? {
                diagnostics.lazy.compactMap { $0["span"] as? [String: Any] }.first { $0["file"] as? String == file }
            }
            // The YAML error is on the appended line, the CEL error where `where:` is.
            let yaml = try #require(span("refunds.yaml"))
            #expect((yaml["start"] as? [String: Int])?["line"] == lines.count + 1)
            let cel = try #require(span("abuse-thresholds.yaml"))
            #expect(((cel["start"] as? [String: Int])?["line"] ?? 0) > 1)
        }
        #expect(store.reloadCounts == (0, 0))
    }

    /// What the endpoint answers for broken archives: 400 and the reader's code.
    @Test func malformedArchivesAre400WithStableCodes() async throws {
        let folder = try Fixture.policyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.systemTar(folder, format: "ustar")
        var badChecksum = good
        badChecksum[0] ^= 0x01  // the first member's name
        var traversal = TarBuilder()
        traversal.add("../x.yaml", text: "kind: refunds\n")
        traversal.end()
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("link.yaml").path, withDestinationPath: "/etc/passwd")
        let symlink = try Self.systemTar(folder)
        let cases: [(String, [UInt8], String)] = [
            ("truncated in a member", Array(good.prefix(700)), "tar-truncated"),
            ("truncated at a block edge", Array(good.prefix(1536)), "tar-truncated"),
            ("../x", traversal.bytes, "tar-path-traversal"),
            ("symlink", symlink, "tar-link"),
            ("bad checksum", badChecksum, "tar-bad-checksum"),
            ("declared tar, JSON body", Array("{}".utf8), "tar-truncated"),
        ]
        try await Fixture.app().app.test(.router) { client in
            for (name, body, code) in cases {
                let response = try await Self.post(client, body)
                #expect(response.status == .badRequest, "\(name)")
                #expect(response.errorCode == code, "\(name)")
            }
            // Over the body limit, a tar is refused like any body.
            let response = try await Self.post(client, [UInt8](repeating: 0, count: (1 << 20) + 512))
            #expect(response.status == .contentTooLarge)
        }
    }
}

/// The reader alone, on archives built byte by byte.
@Suite struct TarReaderTests {
    let limits = TarLimits(maxEntries: 10, maxMemberBytes: 4096, maxTotalBytes: 8192)

    func code(_ build: (inout TarBuilder) -> Void, limits: TarLimits? = nil) -> String? {
        var builder = TarBuilder()
        build(&builder)
        do {
            _ = try TarArchive.read(builder.bytes, limits: limits ?? self.limits)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func readsFilesAndSkipsDirectories() throws {
        var builder = TarBuilder()
        builder.add("./", type: "5")
        builder.add("./a.yaml", text: "a: 1\n")
        builder.add("sub/", type: "5")
        builder.add("b.yaml", text: "b: 2\n", prefix: "sub")
        builder.add("./c.yaml", text: "", gnu: true)
        builder.end(padTo: 10240)
        let members = try TarArchive.read(builder.bytes, limits: limits)
        #expect(members.map(\.path) == ["a.yaml", "sub/b.yaml", "c.yaml"])
        #expect(members.map { String(decoding: $0.bytes, as: UTF8.self) } == ["a: 1\n", "b: 2\n", ""])
    }

    @Test func paxAndGNULongNames() throws {
        let long = String(repeating: "d/", count: 60) + "policy.yaml"
        var builder = TarBuilder()
        builder.add("PaxHeader", type: "x", text: TarBuilder.paxRecord("path", long) + TarBuilder.paxRecord("mtime", "1.5"))
        builder.add("short.yaml", text: "x: 1\n")
        builder.add("././@LongLink", type: "L", text: "gnu/" + long + "\u{0}", gnu: true)
        builder.add("trunc", text: "y: 2\n", gnu: true)
        builder.end()
        let members = try TarArchive.read(builder.bytes, limits: limits)
        #expect(members.map(\.path) == [long, "gnu/" + long])
    }

    @Test func unsafeNamesAndEntryTypes() {
        #expect(code { $0.add("/etc/x.yaml", text: "a"); $0.end() } == "tar-absolute-path")
        #expect(code { $0.add("a/../../x.yaml", text: "a"); $0.end() } == "tar-path-traversal")
        #expect(code { $0.add("x.yaml", text: "a", prefix: ".."); $0.end() } == "tar-path-traversal")
        #expect(
            code {
                $0.add("PaxHeader", type: "x", text: TarBuilder.paxRecord("path", "../../etc/cron.d/x"))
                $0.add("harmless.yaml", text: "a")
                $0.end()
            } == "tar-path-traversal")
        #expect(code { $0.add("l.yaml", type: "2", linkname: "/etc/passwd"); $0.end() } == "tar-link")
        #expect(code { $0.add("h.yaml", type: "1", linkname: "a.yaml"); $0.end() } == "tar-link")
        #expect(code { $0.add("fifo", type: "6"); $0.end() } == "tar-unsupported-entry")
        #expect(code { $0.add("dev", type: "3"); $0.end() } == "tar-unsupported-entry")
        #expect(
            code {
                $0.add("PaxHeader", type: "x", text: TarBuilder.paxRecord("GNU.sparse.major", "1"))
                $0.add("s.yaml", text: "a")
                $0.end()
            } == "tar-unsupported-entry")
        #expect(code { $0.add("a.yaml", text: "a"); $0.add("./a.yaml", text: "b"); $0.end() } == "tar-duplicate-path")
        #expect(code { $0.add("", text: "a"); $0.end() } == "tar-invalid-header")
    }

    @Test func sizeAndCountLimits() {
        #expect(code { $0.add("big.yaml", text: String(repeating: "x", count: 4097)); $0.end() } == "tar-member-too-large")
        #expect(
            code {
                for index in 0..<3 { $0.add("\(index).yaml", text: String(repeating: "x", count: 3000)) }
                $0.end()
            } == "tar-too-large")
        #expect(
            code {
                for index in 0..<11 { $0.add("\(index)/", type: "5") }
                $0.end()
            } == "tar-too-many-entries")
        // A size that claims more than the archive holds is a truncation, not a read past the end.
        #expect(code({ $0.add("a.yaml", text: "abc", size: 3000); $0.end() }, limits: TarLimits()) == "tar-truncated")
    }

    @Test func structure() {
        #expect(code { $0.add("a.yaml", text: "a") } == "tar-truncated")  // no end marker
        #expect(code { $0.add("a.yaml", text: "a"); $0.bytes += [UInt8](repeating: 0, count: 512) } == "tar-truncated")
        #expect(code { $0.add("a.yaml", text: "a"); $0.end(); $0.bytes += [1] + [UInt8](repeating: 0, count: 511) } == "tar-trailing-data")
        #expect(code { $0.add("a.yaml", text: "a", magic: "ustar\u{0}99"); $0.end() } == "tar-invalid-header")
        #expect(code { $0.add("a.yaml", text: "a", sizeField: "12x"); $0.end() } == "tar-invalid-header")
        #expect(code { $0.add("a.yaml", text: "a", checksumDelta: 1); $0.end() } == "tar-bad-checksum")
        #expect(
            code { $0.add("PaxHeader", type: "x", text: "99 path=x\n"); $0.add("a.yaml", text: "a"); $0.end() }
                == "tar-invalid-header")
        #expect(code { $0.add("PaxHeader", type: "x", text: TarBuilder.paxRecord("path", "a")); $0.end() } == "tar-invalid-header")
    }

    @Test func policySourcesAreUTF8PolicyFilesOnly() throws {
        var builder = TarBuilder()
        builder.add("a.yaml", text: "a: 1\n")
        builder.add("a.tests.yaml", text: "cases: []\n")
        builder.add("README.md", bytes: [0xFF, 0xFE])
        builder.end()
        let sources = try TarArchive.policySources(builder.bytes, limits: limits)
        #expect(sources.map(\.path) == ["a.yaml"])
        var binary = TarBuilder()
        binary.add("b.yaml", bytes: [0x61, 0xFF])
        binary.end()
        #expect(throws: TarError(code: "tar-not-utf8", message: "`b.yaml` is not UTF-8 text")) {
            try TarArchive.policySources(binary.bytes, limits: limits)
        }
    }

    @Test func sniffing() {
        var builder = TarBuilder()
        builder.add("a.yaml", text: "a")
        builder.end()
        #expect(builder.bytes.withUnsafeBytes(TarArchive.looksLikeTar))
        // `ustar` at offset 257 of a JSON object is still JSON.
        let prefix = "{\"a.yaml\": \""
        let json = Array((prefix + String(repeating: "x", count: 257 - prefix.utf8.count) + String(repeating: "ustar ", count: 100) + "\"}").utf8)
        #expect(json.withUnsafeBytes { Array($0[257..<262]) } == Array("ustar".utf8))
        #expect(!json.withUnsafeBytes(TarArchive.looksLikeTar))
        #expect(!(Array(" \n".utf8) + json).withUnsafeBytes(TarArchive.looksLikeTar))
    }
}

/// Writes ustar headers by hand, for archives `tar` would refuse to make.
struct TarBuilder {
    var bytes: [UInt8] = []

    static func paxRecord(_ key: String, _ value: String) -> String {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return "\(length)\(body)"
    }

    mutating func add(
        _ name: String, type: Character = "0", text: String = "", bytes data: [UInt8]? = nil, linkname: String = "",
        prefix: String = "", gnu: Bool = false, magic: String? = nil, size: Int? = nil, sizeField: String? = nil,
        checksumDelta: Int = 0
    ) {
        let data = data ?? Array(text.utf8)
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ value: String, at offset: Int) {
            for (index, byte) in value.utf8.enumerated() { header[offset + index] = byte }
        }
        put(name, at: 0)
        put("0000644\u{0}", at: 100)
        put("0000000\u{0}", at: 108)
        put("0000000\u{0}", at: 116)
        put(sizeField ?? octal(size ?? data.count, width: 11) + "\u{0}", at: 124)
        put("15133335400\u{0}", at: 136)
        put("        ", at: 148)
        header[156] = type.asciiValue!
        put(linkname, at: 157)
        put(magic ?? (gnu ? "ustar  \u{0}" : "ustar\u{0}00"), at: 257)
        put("root", at: 265)
        put("root", at: 297)
        if !gnu { put(prefix, at: 345) }
        let checksum = header.reduce(0) { $0 + Int($1) } + checksumDelta
        put(octal(checksum, width: 6) + "\u{0} ", at: 148)
        bytes += header
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The end-of-archive marker, then zero padding up to `padTo` bytes.
    mutating func end(padTo record: Int = 0) {
        bytes += [UInt8](repeating: 0, count: 1024)
        if record > 0, bytes.count % record != 0 { bytes += [UInt8](repeating: 0, count: record - bytes.count % record) }
    }
}
