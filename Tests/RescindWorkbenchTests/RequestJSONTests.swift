import Foundation
import Rescind
import RescindEngine
import Testing

@testable import RescindWorkbench

/// A policy test's request, written back as JSON for "try", must be the request the
/// test decided: every example request survives the round trip field for field.
@Suite("request JSON round trip")
struct RequestJSONTests {
    @Test("every example request decodes to the same object after being written back")
    func roundTrip() throws {
        let loaded = LoadedPolicies.load(paths: [Workbench.root.appendingPathComponent("Policies").path])
        let policySet = try #require(loaded.policySet)
        let decoder = RequestDecoder(schema: policySet.schema)
        let folder = Workbench.root.appendingPathComponent("Examples/requests")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count > 20)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let original = try decoder.decode(text).get().root
            let written = RequestJSON.text(of: original)
            let again = try decoder.decode(written).get().root
            #expect(again == original, "\(name): \(written)")
        }
    }
}
