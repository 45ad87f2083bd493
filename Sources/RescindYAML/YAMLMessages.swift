import RescindDiagnostics

// Every diagnostic code and message text of the YAML layer lives in this file, so the
// wording stays consistent and is reviewed in one place.

extension DiagnosticCode {
    /// libyaml could not scan or parse the text (bad indentation, unclosed bracket…).
    package static let yamlSyntax: DiagnosticCode = "yaml-syntax"
    /// The file is not valid UTF-8.
    package static let yamlInvalidUTF8: DiagnosticCode = "yaml-invalid-utf8"
    /// The file could not be opened or read.
    package static let yamlUnreadableFile: DiagnosticCode = "yaml-unreadable-file"
    /// A mapping has the same key twice.
    package static let yamlDuplicateKey: DiagnosticCode = "yaml-duplicate-key"
    /// An alias (`*name`) names no anchor defined before it in the document.
    package static let yamlUndefinedAlias: DiagnosticCode = "yaml-undefined-alias"
    /// An alias refers to a node that contains the alias.
    package static let yamlRecursiveAlias: DiagnosticCode = "yaml-recursive-alias"
    /// Aliases expand to more nodes than `YAMLLimits.maxAliasExpansion`.
    package static let yamlAliasLimit: DiagnosticCode = "yaml-alias-limit"
    /// The file has more errors than `YAMLLimits.maxErrors`; loading stopped.
    package static let yamlTooManyErrors: DiagnosticCode = "yaml-too-many-errors"
    /// Collections nest deeper than `YAMLLimits.maxDepth`.
    package static let yamlDepthLimit: DiagnosticCode = "yaml-depth-limit"
    /// The file is larger than `YAMLLimits.maxFileSize`.
    package static let yamlSizeLimit: DiagnosticCode = "yaml-size-limit"
    /// An explicit core tag does not fit the node (`!!int abc`, `!!str [a]`).
    package static let yamlInvalidTag: DiagnosticCode = "yaml-invalid-tag"
    /// An integer does not fit in 64 bits.
    package static let yamlIntegerOutOfRange: DiagnosticCode = "yaml-integer-out-of-range"
    /// A YAML 1.1 boolean word (`yes`, `no`, `on`, `off`, `y`, `n`) where a boolean is expected.
    package static let yamlBooleanLike: DiagnosticCode = "yaml-boolean-like"
    /// A node has another kind than the one expected.
    package static let yamlTypeMismatch: DiagnosticCode = "yaml-type-mismatch"
    /// A mapping has a key that the reader does not know.
    package static let yamlUnknownKey: DiagnosticCode = "yaml-unknown-key"
    /// A mapping lacks a required key.
    package static let yamlMissingKey: DiagnosticCode = "yaml-missing-key"
}

/// The diagnostics the YAML layer produces, one function per situation.
enum YAMLMessages {
    /// Help shared by the limits: they exist because policy files can come from
    /// untrusted places, which is worth saying so nobody "fixes" them blindly.
    private static let limitRationale = "the limit protects against hostile input"

    // MARK: Reading

    static func unreadableFile(path: String, reason: String) -> Diagnostic {
        .error(.yamlUnreadableFile, "cannot read `\(path)`: \(reason)", at: nil)
    }

    static func fileTooLarge(size: Int?, limit: Int, at span: SourceSpan) -> Diagnostic {
        let message =
            size.map { "file is \($0) bytes, more than the limit of \(limit) bytes" }
            ?? "file is larger than the limit of \(limit) bytes"
        return .error(
            .yamlSizeLimit, message, at: span,
            help: "split the policy into smaller files; \(limitRationale)")
    }

    static func invalidUTF8(at span: SourceSpan, invalidSequences: Int) -> Diagnostic {
        let more =
            invalidSequences > 1 ? [DiagnosticNote("the file has \(invalidSequences) invalid byte sequences")] : []
        return .error(
            .yamlInvalidUTF8, "file is not valid UTF-8: invalid byte sequence", at: span, notes: more,
            help: "save the file as UTF-8")
    }

    // MARK: Syntax (libyaml)

    static func syntax(
        problem: String, at span: SourceSpan, context: (text: String, span: SourceSpan)?, foundTab: Bool
    )
        -> Diagnostic
    {
        let notes = context.map { [DiagnosticNote(contextNote($0.text), span: $0.span)] } ?? []
        return .error(
            .yamlSyntax, problem, at: span, notes: notes, help: syntaxHelp(problem: problem, foundTab: foundTab))
    }

    static func disallowedCharacter(problem: String, codePoint: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlSyntax, "\(problem): found U+\(hex(codePoint))", at: span,
            help: "remove the character or escape it in a double-quoted string")
    }

    static func parserOutOfMemory(at span: SourceSpan?) -> Diagnostic {
        .error(.yamlSyntax, "the YAML parser ran out of memory", at: span)
    }

    /// libyaml says "while parsing a flow sequence"; pointing at that place reads
    /// better as "the flow sequence starts here".
    private static func contextNote(_ context: String) -> String {
        for prefix in ["while parsing a ", "while parsing an ", "while scanning a ", "while scanning an "]
        where context.hasPrefix(prefix) {
            return "the \(context.dropFirst(prefix.count)) starts here"
        }
        return context
    }

    /// Hints for the libyaml problems people hit most; libyaml's own words are accurate
    /// but rarely say what to change.
    private static func syntaxHelp(problem: String, foundTab: Bool) -> String? {
        if foundTab { return "YAML does not allow tabs for indentation; indent with spaces" }
        switch problem {
        case "mapping values are not allowed in this context":
            return "a value that contains `: ` must be quoted, e.g. `\"a: b\"`"
        case "found undefined tag handle":
            return "use `!!` for core tags (e.g. `!!str`) or declare the handle with `%TAG`"
        case "did not find expected key", "did not find expected '-' indicator":
            return "check the indentation: entries of one collection must line up"
        case "found unexpected end of stream":
            return "a quoted string or flow collection is not closed"
        case "found character that cannot start any token":
            return "quote values that start with a reserved character such as `@` or `%`"
        case "found unknown escape character":
            return "in double quotes `\\` starts an escape; use single quotes, or write `\\\\` for a backslash"
        default:
            return nil
        }
    }

    // MARK: Structure

    static func duplicateKey(_ key: YAMLNode, at span: SourceSpan, firstAt firstSpan: SourceSpan) -> Diagnostic {
        .error(
            .yamlDuplicateKey, "duplicate key \(quote(key)) in mapping", at: span,
            notes: [DiagnosticNote("first defined here", span: firstSpan)],
            help: "remove one of the two entries, or merge them")
    }

    static func undefinedAlias(_ name: String, at span: SourceSpan, knownAnchors: some Collection<String>) -> Diagnostic
    {
        // Edit distance is quadratic in name length and linear in the number of
        // anchors; hostile files can make both large, and a suggestion is only
        // plausible for short names among a modest number of anchors.
        let maxSuggestionLength = 64
        var suggestion: String?
        if name.utf8.count <= maxSuggestionLength, knownAnchors.count <= 1_000 {
            suggestion = Suggestions.closest(to: name, in: knownAnchors.filter { $0.utf8.count <= maxSuggestionLength })
        }
        let help =
            suggestion.map { "did you mean `*\($0)`?" }
            ?? "define the anchor with `&\(excerpt(name))` on a node before this alias"
        return .error(
            .yamlUndefinedAlias, "alias `*\(excerpt(name))` refers to no anchor defined before it", at: span, help: help
        )
    }

    static func recursiveAlias(_ name: String, at span: SourceSpan, anchorAt anchorSpan: SourceSpan) -> Diagnostic {
        .error(
            .yamlRecursiveAlias, "alias `*\(excerpt(name))` refers to a node that contains it", at: span,
            notes: [DiagnosticNote("anchor `&\(excerpt(name))` is defined here", span: anchorSpan)],
            help: "a node cannot include itself; copy the values instead")
    }

    static func aliasLimit(_ name: String, limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlAliasLimit, "alias `*\(excerpt(name))` makes aliases expand to more than \(limit) nodes", at: span,
            help: "this looks like an alias bomb (\"billion laughs\"); \(limitRationale)")
    }

    static func tooManyErrors(limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlTooManyErrors, "stopped after \(limit) errors; the rest of the file was not checked", at: span,
            help: "fix the errors above and load the file again")
    }

    static func depthLimit(limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlDepthLimit, "collections are nested more than \(limit) levels deep", at: span,
            help: "flatten the structure; \(limitRationale)")
    }

    static func invalidTaggedValue(tag: String, text: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlInvalidTag, "`\(excerpt(text))` is not a valid `\(YAMLCoreSchema.displayName(ofTag: tag))` value",
            at: span, help: "remove the tag or fix the value")
    }

    static func tagMismatch(tag: String, kind: YAMLNodeKind, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlInvalidTag,
            "tag `\(YAMLCoreSchema.displayName(ofTag: tag))` cannot be applied to \(kind.describedWithArticle)",
            at: span, help: "remove the tag")
    }

    static func integerOutOfRange(_ text: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlIntegerOutOfRange, "integer `\(excerpt(text))` does not fit in 64 bits", at: span,
            help: "quote it if it is an identifier, e.g. `\"\(excerpt(text))\"`")
    }

    // MARK: Typed access

    static func booleanLike(_ text: String, meaning: Bool, at span: SourceSpan, notes: [DiagnosticNote]) -> Diagnostic {
        .warning(
            .yamlBooleanLike,
            "`\(text)` is read as `\(meaning)` here, but YAML 1.2 reads it as a string elsewhere", at: span,
            notes: notes, help: "write `\(meaning)` (booleans are only `true` and `false`)")
    }

    static func typeMismatch(
        expected: String, found node: YAMLNode, help: String?, notes: [DiagnosticNote]
    ) -> Diagnostic {
        .error(
            .yamlTypeMismatch, "expected \(expected), found \(describe(node))", at: node.span, notes: notes, help: help)
    }

    static func unknownKey(_ key: YAMLNode, in context: String?, knownKeys: [String]) -> Diagnostic {
        let keyText = key.scalar?.text ?? key.description
        let help =
            Suggestions.didYouMean(keyText, in: knownKeys)
            ?? (knownKeys.isEmpty ? nil : "expected \(Suggestions.quotedList(knownKeys.sorted()))")
        return .error(.yamlUnknownKey, "unknown key \(quote(key))\(inContext(context))", at: key.span, help: help)
    }

    static func missingKey(_ key: String, in context: String?, at span: SourceSpan) -> Diagnostic {
        .error(.yamlMissingKey, "missing required key `\(key)`\(inContext(context))", at: span, help: "add `\(key): …`")
    }

    static func aliasNote(_ alias: YAMLAliasReference) -> DiagnosticNote {
        DiagnosticNote("the value comes from anchor `&\(excerpt(alias.name))` defined here", span: alias.anchoredSpan)
    }

    // MARK: Formatting helpers

    private static func inContext(_ context: String?) -> String {
        context.map { " in \($0)" } ?? ""
    }

    /// A node as it appears in a message: scalars by their text in backticks,
    /// collections by kind.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let scalar):
            switch scalar.value {
            case .null: "null"
            case .bool: "the boolean `\(excerpt(scalar.text))`"
            case .int: "the integer `\(excerpt(scalar.text))`"
            case .float: "the number `\(excerpt(scalar.text))`"
            case .string: "the string `\(excerpt(scalar.text))`"
            }
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }

    /// A key in backticks; collection keys are shown in flow notation.
    private static func quote(_ key: YAMLNode) -> String {
        "`\(excerpt(key.scalar?.text ?? key.description))`"
    }

    /// User text cut to one short line, so a huge or multi-line scalar cannot flood a
    /// message, and without backticks, which would break the quoting.
    static func excerpt(_ text: String, limit: Int = 40) -> String {
        var line = String(text.prefix(while: { $0 != "\n" && $0 != "\r" })).replacing("`", with: "'")
        var truncated = line.count < text.count
        if line.count > limit {
            line = String(line.prefix(limit))
            truncated = true
        }
        return truncated ? line + "…" : line
    }

    private static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
