import Foundation
import Testing

/// The package's one library product exposes the embedding API and nothing else: every
/// other declaration is `package` (visible to the package's own modules and tests, not
/// to a service that embeds Rescind). A new `public` has to be chosen deliberately, by
/// adding it here and to `Sources/Rescind/Rescind.docc/Rescind.md`.
@Suite("Public surface")
struct PublicSurfaceTests {
    /// The top-level declarations (types, or extensions of them) that may hold `public`
    /// declarations, by module. Everything the embedding API hands out is one of these:
    /// the Rescind module's own types and renderings, and the values `Exports.swift`
    /// re-exports (plus the collection views an explanation's properties are typed as).
    static let allowed: [String: Set<String>] = [
        "Rescind": [
            "PolicyEngine", "RequestFileError", "PolicyDiagnostics", "ExplanationSelection",
            // The renderings: `text`, `markdown(showing:)`, `humanDescription`.
            "Decision", "Explanation", "RequestError",
        ],
        "RescindEngine": [
            "Decision", "Effect", "Reason", "Obligation", "Refund", "LocalTime", "PolicyIdentity",
            "EvaluationProblem", "SourceReference",
            "Explanation", "RuleExplanations", "RuleExplanation", "ConditionExplanations",
            "ConditionExplanation", "ObservedValues", "ObservedValue", "ThresholdExplanation",
            "RefundExplanation",
            "DecodedRequest", "RequestError", "RequestFieldError", "RequestErrorCode",
        ],
        "CELRuntime": ["CELDecimal"],
        "RescindDiagnostics": [
            "Diagnostic", "Severity", "DiagnosticFormat", "DiagnosticCode", "DiagnosticNote", "SourceSpan",
            "SourceLocation",
        ],
    ]

    /// A `public` declaration: where it is and the top-level declaration it belongs to.
    struct PublicDeclaration: Hashable, CustomStringConvertible {
        let file: String
        let line: Int
        let module: String
        let owner: String
        var description: String { "\(file):\(line): public in `\(owner)` (module \(module))" }
    }

    /// Every `public` declaration under `Sources/` (not `public import`), found by reading
    /// the source: a line whose code (comments removed) has `public` as a modifier. The
    /// owner is the last top-level declaration above it (one that starts at column 0, as
    /// every top-level declaration in this code base does).
    static func publicDeclarations() throws -> [PublicDeclaration] {
        let sources = CLI.packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let topLevel = try Regex(
            #"^(?:@[\w()]+\s+)*(?:(?:public|package|internal|fileprivate|private|final|indirect)\s+)*(?:struct|enum|class|actor|protocol|extension|func|var|let|typealias)\s+([A-Za-z_]\w*)"#)
        let publicModifier = try Regex(#"(?:^|[\s)])public\s"#)
        var found: [PublicDeclaration] = []
        for file in files {
            let relative = String(file.path.dropFirst(sources.path.count + 1))
            let module = String(relative.prefix { $0 != "/" })
            var owner = "(top level)"
            let text = try String(contentsOf: file, encoding: .utf8)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String(line)
                if let match = code.firstMatch(of: topLevel), let name = match.output[1].substring {
                    owner = String(name)
                }
                guard code.contains(publicModifier), !code.contains(#/\bpublic\s+import\s/#) else { continue }
                found.append(PublicDeclaration(file: "Sources/" + relative, line: index + 1, module: module, owner: owner))
            }
        }
        return found.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    @Test("only the embedding API and the values it re-exports are public; the rest is package")
    func onlyTheEmbeddingAPIIsPublic() throws {
        let declarations = try Self.publicDeclarations()
        let extra = declarations.filter { !(Self.allowed[$0.module]?.contains($0.owner) ?? false) }
        #expect(extra.isEmpty, """
            these declarations are public but not part of the embedding API: make them `package`, \
            or add their type to PublicSurfaceTests.allowed and Rescind.docc:
            \(extra.map(\.description).joined(separator: "\n"))
            """)
    }

    @Test("every type on the list is still public (the list says what the API is)")
    func theListIsCurrent() throws {
        let declarations = try Self.publicDeclarations()
        for (module, owners) in Self.allowed {
            for owner in owners.sorted() {
                #expect(declarations.contains { $0.module == module && $0.owner == owner },
                        "`\(owner)` in \(module) is on the list but declares nothing public")
            }
        }
        // The scan does see declarations (a broken pattern would pass the test above).
        #expect(declarations.contains { $0.module == "Rescind" && $0.owner == "PolicyEngine" })
    }

    @Test("the CEL façade re-exports nothing: its users import the stages they use")
    func celFacadeDoesNotReExport() throws {
        let facade = CLI.packageRoot.appendingPathComponent("Sources/CEL/CEL.swift")
        let text = try String(contentsOf: facade, encoding: .utf8)
        #expect(!text.contains("@_exported"))
    }
}
