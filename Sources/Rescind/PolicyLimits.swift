import RescindPolicy
import RescindYAML

/// Every bound on loading a policy set: the YAML reader's (file size, nesting, alias
/// expansion, errors per file) and the CEL parser's (condition length and nesting).
/// The defaults assume policy files may come from an untrusted place; a deployment
/// that generates large sets raises them (`rescind … --max-file-size 4MiB`, or the
/// `RESCIND_MAX_*` variables; docs/limits.md).
package struct PolicyLimits: Sendable, Hashable {
    /// The YAML reader's limits.
    package var yaml: YAMLLimits
    /// The longest condition accepted, in UTF-8 bytes.
    package var maxExpressionLength: Int
    /// The deepest nesting a condition may have.
    package var maxExpressionDepth: Int

    /// Creates limits; every argument defaults to the default limit.
    package init(
        yaml: YAMLLimits = .default, maxExpressionLength: Int = PolicyCompiler.Options().maxExpressionLength,
        maxExpressionDepth: Int = PolicyCompiler.Options().maxExpressionDepth
    ) {
        self.yaml = yaml
        self.maxExpressionLength = maxExpressionLength
        self.maxExpressionDepth = maxExpressionDepth
    }

    /// The default limits, the ones for hostile input.
    package static let `default` = PolicyLimits()

    /// `options` with the CEL limits set from these.
    package func applied(to options: PolicyCompiler.Options) -> PolicyCompiler.Options {
        var options = options
        options.maxExpressionLength = maxExpressionLength
        options.maxExpressionDepth = maxExpressionDepth
        return options
    }
}
