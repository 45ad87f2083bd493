import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// The committed fuzz seeds (`Fuzz/corpus/`, docs/fuzzing.md) still mean what
/// `Fuzz/generate.py` made them for, so a change to the schema or the readers that
/// leaves them stale (every seed rejected at its first byte) shows here, not as a
/// fuzzer that silently stops getting past the decoder. The fuzz targets' main
/// invariants are checked on them too, without libFuzzer.
@Suite("fuzz seed corpora")
struct FuzzSeedTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func seeds(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = root.appendingPathComponent("Fuzz/corpus/\(target)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { name in
            (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    static let pack = ReferencePackTests.policies.policySet!

    @Test("request seeds: the examples decode and decide to valid, deterministic JSON; the broken ones are rejected at a `$` path")
    func requestSeeds() throws {
        let decoder = RequestDecoder(schema: Self.pack.schema)
        let seeds = try Self.seeds("request")
        #expect(seeds.count >= 28)
        // Generated broken on purpose; the others (the examples, and one with escapes) decode.
        let broken: Set = ["invalid-enum.json", "unknown-field.json", "missing-at.json", "truncated.json", "deep.json"]
        for seed in seeds {
            switch decoder.decode(seed.bytes) {
            case .success(let decoded):
                #expect(!broken.contains(seed.name), "\(seed.name) should be rejected")
                for options in [DecisionOptions(), DecisionOptions(locale: "en", explain: true)] {
                    let first = Self.pack.decide(decoded.root, options: options).json
                    let second = Self.pack.decide(decoded.root, options: options).json
                    #expect(first == second, "\(seed.name)")
                    let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
                    #expect(object?["request_id"] as? String == decoded.id, "\(seed.name)")
                }
            case .failure(let error):
                #expect(broken.contains(seed.name), "\(seed.name) is rejected: \(error)")
                #expect(error.errors.allSatisfy { $0.path.hasPrefix("$") }, "\(seed.name): \(error)")
            }
        }
    }

    @Test("policy seeds: the whole pack, split at NUL bytes, loads clean and decides")
    func policySeeds() throws {
        let seeds = try Self.seeds("policies")
        let pack = try #require(seeds.first { $0.name == "pack" })
        let sources = pack.bytes.split(separator: 0, omittingEmptySubsequences: false).enumerated().map {
            (path: "p\($0.offset).yaml", text: String(decoding: $0.element, as: UTF8.self))
        }
        #expect(sources.count == 7)
        let loaded = LoadedPolicies.load(sources: sources)
        let policySet = try #require(loaded.policySet, "\(loaded.diagnostics.items.prefix(3))")
        let request = try Data(contentsOf: Self.root.appendingPathComponent("Examples/requests/buyer-paid-card.json"))
        let decoded = try RequestDecoder(schema: policySet.schema).decode(request).get()
        #expect(policySet.decide(decoded.root).effect == .allow)
    }

    @Test("tar seeds: archives are read or refused with a code; names stay inside the archive")
    func tarSeeds() throws {
        var read = 0
        for seed in try Self.seeds("tar") {
            do {
                let members = try TarArchive.read(seed.bytes, limits: TarLimits())
                read += 1
                #expect(!members.isEmpty, "\(seed.name)")
                for member in members {
                    #expect(!member.path.hasPrefix("/") && !member.path.split(separator: "/").contains(".."), "\(seed.name)")
                }
            } catch {
                #expect(["tar-link", "tar-invalid-header"].contains(error.code), "\(seed.name): \(error.code)")
            }
        }
        #expect(read >= 6, "the GNU, pax and ustar seeds are read")
    }

    @Test("replay seeds: decision-log lines are entries whose requests decode, the quick way and the exact way alike")
    func replaySeeds() throws {
        let decoder = RequestDecoder(schema: Self.pack.schema)
        for seed in try Self.seeds("replay") where seed.name.hasPrefix("log-") {
            for line in seed.bytes.split(separator: 0x0A) {
                Array(line).withUnsafeBytes { line in
                    let quick = DecisionLogLine.request(in: line, quick: true)
                    let exact = DecisionLogLine.request(in: line)
                    #expect(quick.isLogEntry && exact.isLogEntry, "\(seed.name)")
                    #expect(Array(quick.request) == Array(exact.request), "\(seed.name)")
                    switch decoder.decode(exact.request) {
                    case .success: #expect(seed.name != "log-error.jsonl", "its request has a misspelt reason")
                    case .failure(let error):
                        #expect(seed.name == "log-error.jsonl" && error.path == "$.reason", "\(seed.name): \(error)")
                    }
                }
            }
        }
    }
}
