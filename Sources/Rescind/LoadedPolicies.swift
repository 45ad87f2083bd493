import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// Loading a policy set end to end: read (YAML → model), check and compile.
package struct LoadedPolicies: Sendable {
    /// The compiled set; nil when any error was found.
    package let policySet: PolicySet?
    /// Every diagnostic from every stage, in file order.
    package let diagnostics: Diagnostics
    /// The sources, to render diagnostics with their lines.
    package let sources: SourceMap
    /// What the files say, as read before checking (what `rescind diff` compares).
    package let model: PolicyModel

    /// Loads, checks and compiles the policy files under `paths`.
    package static func load(
        paths: [String], limits: PolicyLimits = .default, options: PolicyCompiler.Options = .init()
    ) -> LoadedPolicies {
        assemble(PolicyLoader(limits: limits.yaml).load(paths: paths), limits.applied(to: options))
    }

    /// Loads, checks and compiles in-memory files (path → text).
    package static func load(
        sources: [(path: String, text: String)], limits: PolicyLimits = .default,
        options: PolicyCompiler.Options = .init()
    ) -> LoadedPolicies {
        assemble(PolicyLoader(limits: limits.yaml).load(sources: sources), limits.applied(to: options))
    }

    /// Loads, checks and compiles in-memory files read from one policy folder (e.g. at
    /// a git revision); `name` is the path inside the folder, so the digest equals that
    /// of the same files loaded from disk.
    package static func load(
        folder: String, files: [(path: String, name: String, text: String)], limits: PolicyLimits = .default,
        options: PolicyCompiler.Options = .init()
    ) -> LoadedPolicies {
        assemble(PolicyLoader(limits: limits.yaml).load(folder: folder, files: files), limits.applied(to: options))
    }

    private static func assemble(_ loaded: PolicyLoadResult, _ options: PolicyCompiler.Options) -> LoadedPolicies {
        var diagnostics = loaded.diagnostics
        // Compile even after YAML errors, to report every problem at once; a set with
        // any error is never returned.
        var compiler = PolicyCompiler(options: options)
        let compiled = compiler.compile(loaded.model, digest: loaded.digest)
        diagnostics.append(contentsOf: compiled.diagnostics)
        let policySet = compiled.policySet
        return LoadedPolicies(
            policySet: diagnostics.hasErrors ? nil : policySet, diagnostics: Diagnostics(diagnostics.sorted()),
            sources: loaded.sources, model: loaded.model)
    }
}

extension LoadedPolicies {
    /// The line `rescind check` ends with: "ok: NAME VERSION: 9 rules, 1 thresholds, 7
    /// files, 1 warning", "failed (--strict): …" when `strict` and there are warnings, or
    /// "failed: 2 errors, 0 warnings"; in `locale`.
    package func summary(strict: Bool = false, in locale: Diagnostic.Locale = .en) -> String {
        let errors = diagnostics.errors.count, warnings = diagnostics.warnings.count
        guard let set = policySet else {
            switch locale {
            case .en: return "failed: \(Self.plural(errors, "error")), \(Self.plural(warnings, "warning"))"
            case .zhCN: return "未通过：\(errors) 个错误，\(warnings) 个警告"
            }
        }
        let passed = !(strict && warnings > 0)
        switch locale {
        case .en:
            return "\(passed ? "ok" : "failed (--strict)"): \(set.name) \(set.version): \(set.rules.count) rules, "
                + "\(set.thresholds.count) thresholds, \(set.files.count) files"
                + (warnings > 0 ? ", \(Self.plural(warnings, "warning"))" : "")
        case .zhCN:
            return "\(passed ? "通过" : "未通过（--strict）")：\(set.name) \(set.version)：\(set.rules.count) 条规则，"
                + "\(set.thresholds.count) 个阈值，\(set.files.count) 个文件" + (warnings > 0 ? "，\(warnings) 个警告" : "")
        }
    }

    private static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
}
