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

/// The diagnostics the YAML layer produces, one function per situation, each written
/// in English and in Chinese (zh-CN) side by side.
enum YAMLMessages {
    /// Help shared by the limits: they exist because policy files can come from
    /// untrusted places, which is worth saying so nobody "fixes" them blindly.
    private static let limitRationale = DiagnosticText.en(
        "the limit protects against hostile input", zh: "这一上限用于防范恶意输入")

    // MARK: Reading

    static func unreadableFile(path: String, reason: String) -> Diagnostic {
        .error(.yamlUnreadableFile, .en("cannot read `\(path)`: \(reason)", zh: "无法读取 `\(path)`：\(reason)"), at: nil)
    }

    static func fileTooLarge(size: Int?, limit: Int, at span: SourceSpan) -> Diagnostic {
        let message: DiagnosticText =
            size.map {
                .en("file is \($0) bytes, more than the limit of \(limit) bytes",
                    zh: "文件大小为 \($0) 字节，超过了 \(limit) 字节的上限")
            }
            ?? .en("file is larger than the limit of \(limit) bytes", zh: "文件大小超过了 \(limit) 字节的上限")
        return .error(
            .yamlSizeLimit, message, at: span,
            help: .en(
                "split the policy into smaller files, or raise the limit with `--max-file-size` "
                    + "(or `RESCIND_MAX_FILE_SIZE`), e.g. `--max-file-size 4MiB`; \(limitRationale.en)",
                zh: "请把策略拆分成几个较小的文件，或用 `--max-file-size`（或 `RESCIND_MAX_FILE_SIZE`）提高上限，"
                    + "例如 `--max-file-size 4MiB`；\(limitRationale.zh)"))
    }

    static func invalidUTF8(at span: SourceSpan, invalidSequences: Int) -> Diagnostic {
        let more =
            invalidSequences > 1
            ? [DiagnosticNote(.en(
                "the file has \(invalidSequences) invalid byte sequences", zh: "文件中共有 \(invalidSequences) 处无效的字节序列"))]
            : []
        return .error(
            .yamlInvalidUTF8,
            .en("file is not valid UTF-8: invalid byte sequence", zh: "文件不是有效的 UTF-8 编码：出现无效的字节序列"),
            at: span, notes: more, help: .en("save the file as UTF-8", zh: "请将文件另存为 UTF-8 编码"))
    }

    // MARK: Syntax (libyaml)

    static func syntax(
        problem: String, at span: SourceSpan, context: (text: String, span: SourceSpan)?, foundTab: Bool
    )
        -> Diagnostic
    {
        let notes = context.map { [DiagnosticNote(contextNote($0.text), span: $0.span)] } ?? []
        return .error(
            .yamlSyntax, libyamlProblem(problem), at: span, notes: notes,
            help: syntaxHelp(problem: problem, foundTab: foundTab))
    }

    static func disallowedCharacter(problem: String, codePoint: Int, at span: SourceSpan) -> Diagnostic {
        let problem = libyamlProblem(problem)
        return .error(
            .yamlSyntax,
            .en("\(problem.en): found U+\(hex(codePoint))", zh: "\(problem.zh)：出现了 U+\(hex(codePoint))"), at: span,
            help: .en(
                "remove the character or escape it in a double-quoted string",
                zh: "请删除该字符，或在双引号字符串中用转义写出它"))
    }

    static func parserOutOfMemory(at span: SourceSpan?) -> Diagnostic {
        .error(.yamlSyntax, .en("the YAML parser ran out of memory", zh: "YAML 解析器内存不足"), at: span)
    }

    /// libyaml's problem in both languages: its own English, and a Chinese version of the
    /// problems it reports (one it has not been seen to report keeps its English, after
    /// a Chinese lead-in, so the reader still learns it is a YAML syntax error).
    private static func libyamlProblem(_ problem: String) -> DiagnosticText {
        let chinese: String? =
            switch problem {
            case "mapping values are not allowed in this context": "此处不能出现映射的值"
            case "found undefined tag handle": "使用了未定义的标签句柄"
            case "did not find expected key": "没有找到应有的键"
            case "did not find expected '-' indicator": "没有找到应有的 '-' 列表标记"
            case "found unexpected end of stream": "文件意外结束"
            case "found character that cannot start any token": "出现了不能作为开头的字符"
            case "found unknown escape character": "未知的转义字符"
            case "could not find expected ':'": "没有找到应有的 ':'"
            case "did not find expected node content": "没有找到应有的节点内容"
            case "did not find expected ',' or ']'": "没有找到应有的 ',' 或 ']'"
            case "did not find expected ',' or '}'": "没有找到应有的 ',' 或 '}'"
            case "found a tab character that violates indentation", "found a tab character that violate indentation":
                "缩进中出现了制表符"
            case "found a tab character where an indentation space is expected": "应为缩进空格处出现了制表符"
            case "block sequence entries are not allowed in this context": "此处不能出现块序列的条目"
            case "did not find expected <document start>": "没有找到应有的文档开始标记"
            case "found unexpected document indicator": "出现了意外的文档标记"
            case "found incompatible YAML document": "YAML 文档的版本不兼容"
            case "control characters are not allowed": "不允许使用控制字符"
            case "found duplicate %YAML directive": "%YAML 指令重复"
            case "did not find expected comment or line break": "没有找到应有的注释或换行"
            case "found unexpected end of stream while scanning a quoted scalar": "引号字符串尚未结束，文件就结束了"
            case "found a document separator": "出现了文档分隔符"
            case "did not find URI escaped octet": "没有找到 URI 转义的字节"
            case "did not find expected whitespace or line break": "没有找到应有的空白或换行"
            case "found extra closing bracket", "found extra closing brace": "多出了一个右括号"
            default: nil
            }
        return .en(problem, zh: chinese ?? "YAML 语法错误（\(problem)）")
    }

    /// libyaml says "while parsing a flow sequence"; pointing at that place reads
    /// better as "the flow sequence starts here".
    private static func contextNote(_ context: String) -> DiagnosticText {
        for prefix in ["while parsing a ", "while parsing an ", "while scanning a ", "while scanning an "]
        where context.hasPrefix(prefix) {
            let what = String(context.dropFirst(prefix.count))
            return .en("the \(what) starts here", zh: "\(contextWhat(what))从这里开始")
        }
        return .en(context, zh: "YAML 解析上下文（\(context)）")
    }

    /// What libyaml was reading, in Chinese.
    private static func contextWhat(_ what: String) -> String {
        switch what {
        case "block mapping": "块映射"
        case "block collection": "块集合"
        case "block node": "块节点"
        case "flow sequence": "流式序列"
        case "flow mapping": "流式映射"
        case "flow node": "流式节点"
        case "node": "节点"
        case "simple key": "简单键"
        case "quoted scalar": "带引号的字符串"
        case "plain scalar": "不带引号的值"
        case "block scalar": "块标量"
        case "anchor": "锚点"
        case "alias": "别名"
        case "tag": "标签"
        case "directive": "指令"
        case "%TAG directive": "%TAG 指令"
        case "%YAML directive": "%YAML 指令"
        default: "此处（\(what)）"
        }
    }

    /// Hints for the libyaml problems people hit most; libyaml's own words are accurate
    /// but rarely say what to change.
    private static func syntaxHelp(problem: String, foundTab: Bool) -> DiagnosticText? {
        if foundTab {
            return .en(
                "YAML does not allow tabs for indentation; indent with spaces", zh: "YAML 不允许用制表符缩进，请改用空格")
        }
        switch problem {
        case "mapping values are not allowed in this context":
            return .en(
                "a value that contains `: ` must be quoted, e.g. `\"a: b\"`",
                zh: "含有 `: ` 的值必须加引号，例如 `\"a: b\"`")
        case "found undefined tag handle":
            return .en(
                "use `!!` for core tags (e.g. `!!str`) or declare the handle with `%TAG`",
                zh: "核心标签请用 `!!`（例如 `!!str`），或用 `%TAG` 声明该句柄")
        case "did not find expected key", "did not find expected '-' indicator":
            return .en(
                "check the indentation: entries of one collection must line up", zh: "请检查缩进：同一集合中的各项必须对齐")
        case "found unexpected end of stream":
            return .en(
                "a quoted string or flow collection is not closed", zh: "有带引号的字符串或流式集合没有闭合")
        case "found character that cannot start any token":
            return .en(
                "quote values that start with a reserved character such as `@` or `%`",
                zh: "以 `@`、`%` 等保留字符开头的值需要加引号")
        case "found unknown escape character":
            return .en(
                "in double quotes `\\` starts an escape; use single quotes, or write `\\\\` for a backslash",
                zh: "在双引号中 `\\` 表示转义；请改用单引号，或用 `\\\\` 表示一个反斜杠")
        default:
            return nil
        }
    }

    // MARK: Structure

    static func duplicateKey(_ key: YAMLNode, at span: SourceSpan, firstAt firstSpan: SourceSpan) -> Diagnostic {
        .error(
            .yamlDuplicateKey, .en("duplicate key \(quote(key)) in mapping", zh: "映射中的键 \(quote(key)) 重复"), at: span,
            notes: [DiagnosticNote(.en("first defined here", zh: "首次定义在这里"), span: firstSpan)],
            help: .en("remove one of the two entries, or merge them", zh: "请删除其中一项，或把两项合并"))
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
            suggestion.map { Suggestions.didYouMean("*\($0)") }
            ?? .en(
                "define the anchor with `&\(excerpt(name))` on a node before this alias",
                zh: "请在此别名之前的某个节点上用 `&\(excerpt(name))` 定义该锚点")
        return .error(
            .yamlUndefinedAlias,
            .en(
                "alias `*\(excerpt(name))` refers to no anchor defined before it",
                zh: "别名 `*\(excerpt(name))` 引用的锚点在它之前没有定义"),
            at: span, help: help)
    }

    static func recursiveAlias(_ name: String, at span: SourceSpan, anchorAt anchorSpan: SourceSpan) -> Diagnostic {
        .error(
            .yamlRecursiveAlias,
            .en(
                "alias `*\(excerpt(name))` refers to a node that contains it",
                zh: "别名 `*\(excerpt(name))` 引用了包含它自身的节点"),
            at: span,
            notes: [DiagnosticNote(
                .en("anchor `&\(excerpt(name))` is defined here", zh: "锚点 `&\(excerpt(name))` 定义在这里"), span: anchorSpan)],
            help: .en("a node cannot include itself; copy the values instead", zh: "节点不能包含自身，请改为复制这些值"))
    }

    static func aliasLimit(_ name: String, limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlAliasLimit,
            .en(
                "alias `*\(excerpt(name))` makes aliases expand to more than \(limit) nodes",
                zh: "别名 `*\(excerpt(name))` 使别名展开后超过 \(limit) 个节点"),
            at: span,
            help: .en(
                "this looks like an alias bomb (\"billion laughs\"); \(limitRationale.en) "
                    + "(`--max-alias-expansion` or `RESCIND_MAX_ALIAS_EXPANSION` raises it)",
                zh: "这看起来像是别名炸弹（“billion laughs”攻击）；\(limitRationale.zh)"
                    + "（可用 `--max-alias-expansion` 或 `RESCIND_MAX_ALIAS_EXPANSION` 提高）"))
    }

    static func tooManyErrors(limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlTooManyErrors,
            .en(
                "stopped after \(limit) errors; the rest of the file was not checked",
                zh: "已发现 \(limit) 个错误，检查就此停止；文件其余部分未检查"),
            at: span,
            help: .en(
                "fix the errors above and load the file again (`--max-errors` or `RESCIND_MAX_ERRORS` reports more)",
                zh: "请先修正上面的错误，再重新加载文件（可用 `--max-errors` 或 `RESCIND_MAX_ERRORS` 报告更多错误）"))
    }

    static func depthLimit(limit: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlDepthLimit,
            .en("collections are nested more than \(limit) levels deep", zh: "集合嵌套超过 \(limit) 层"), at: span,
            help: .en(
                "flatten the structure; \(limitRationale.en) (`--max-yaml-depth` or `RESCIND_MAX_YAML_DEPTH` raises it)",
                zh: "请减少嵌套层级；\(limitRationale.zh)（可用 `--max-yaml-depth` 或 `RESCIND_MAX_YAML_DEPTH` 提高）"))
    }

    static func invalidTaggedValue(tag: String, text: String, at span: SourceSpan) -> Diagnostic {
        let tagName = YAMLCoreSchema.displayName(ofTag: tag)
        return .error(
            .yamlInvalidTag,
            .en(
                "`\(excerpt(text))` is not a valid `\(tagName)` value",
                zh: "`\(excerpt(text))` 不是有效的 `\(tagName)` 值"),
            at: span, help: .en("remove the tag or fix the value", zh: "请去掉该标签，或改正这个值"))
    }

    static func tagMismatch(tag: String, kind: YAMLNodeKind, at span: SourceSpan) -> Diagnostic {
        let tagName = YAMLCoreSchema.displayName(ofTag: tag)
        return .error(
            .yamlInvalidTag,
            .en(
                "tag `\(tagName)` cannot be applied to \(kind.described.en)",
                zh: "标签 `\(tagName)` 不能用于\(kind.described.zh)"),
            at: span, help: .en("remove the tag", zh: "请去掉该标签"))
    }

    static func integerOutOfRange(_ text: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlIntegerOutOfRange,
            .en("integer `\(excerpt(text))` does not fit in 64 bits", zh: "整数 `\(excerpt(text))` 超出了 64 位整数的范围"),
            at: span,
            help: .en(
                "quote it if it is an identifier, e.g. `\"\(excerpt(text))\"`",
                zh: "如果它是一个标识符，请加上引号，例如 `\"\(excerpt(text))\"`"))
    }

    // MARK: Typed access

    static func booleanLike(_ text: String, meaning: Bool, at span: SourceSpan, notes: [DiagnosticNote]) -> Diagnostic {
        .warning(
            .yamlBooleanLike,
            .en(
                "`\(text)` is read as `\(meaning)` here, but YAML 1.2 reads it as a string elsewhere",
                zh: "`\(text)` 在这里按 `\(meaning)` 读取，但在其他地方 YAML 1.2 会把它当作字符串"),
            at: span, notes: notes,
            help: .en(
                "write `\(meaning)` (booleans are only `true` and `false`)",
                zh: "请写成 `\(meaning)`（布尔值只有 `true` 和 `false`）"))
    }

    static func typeMismatch(
        expected: DiagnosticText, found node: YAMLNode, help: DiagnosticText?, notes: [DiagnosticNote]
    ) -> Diagnostic {
        let found = describe(node)
        return .error(
            .yamlTypeMismatch,
            .en("expected \(expected.en), found \(found.en)", zh: "应为\(expected.zh)，实际是\(found.zh)"),
            at: node.span, notes: notes, help: help)
    }

    /// The help of a type mismatch: the value was quoted where a number or boolean was meant.
    static let removeQuotes = DiagnosticText.en(
        "remove the quotes: quoted values are always strings", zh: "请去掉引号：加了引号的值总是字符串")

    /// The help of a type mismatch: a number or boolean where a string was meant.
    static func quoteToKeepString(_ text: String) -> DiagnosticText {
        .en(
            "quote it to keep it a string: `\"\(excerpt(text))\"`",
            zh: "若要保留为字符串，请加上引号：`\"\(excerpt(text))\"`")
    }

    /// The help of a type mismatch: an empty value.
    static let writeAValue = DiagnosticText.en("write a value here", zh: "请在这里填写一个值")

    /// What `required` expects of a key left empty.
    static func valueFor(_ key: String) -> DiagnosticText {
        .en("a value for `\(key)`", zh: "`\(key)` 的值")
    }

    static func unknownKey(_ key: YAMLNode, in context: DiagnosticText?, knownKeys: [String]) -> Diagnostic {
        let keyText = key.scalar?.text ?? key.description
        let help =
            Suggestions.didYouMean(keyText, in: knownKeys)
            ?? (knownKeys.isEmpty
                ? nil
                : Suggestions.quoted(knownKeys.sorted()).map(en: { "expected \($0)" }, zh: { "应为 \($0)" }))
        return .error(
            .yamlUnknownKey,
            .en("unknown key \(quote(key))\(inContext(context).en)", zh: "\(inContext(context).zh)有未知的键 \(quote(key))"),
            at: key.span, help: help)
    }

    static func missingKey(_ key: String, in context: DiagnosticText?, at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlMissingKey,
            .en("missing required key `\(key)`\(inContext(context).en)", zh: "\(inContext(context).zh)缺少必填的键 `\(key)`"),
            at: span, help: .en("add `\(key): …`", zh: "请添加 `\(key): …`"))
    }

    static func aliasNote(_ alias: YAMLAliasReference) -> DiagnosticNote {
        DiagnosticNote(
            .en(
                "the value comes from anchor `&\(excerpt(alias.name))` defined here",
                zh: "这个值来自定义在这里的锚点 `&\(excerpt(alias.name))`"),
            span: alias.anchoredSpan)
    }

    // MARK: Formatting helpers

    /// " in rule" / "规则中"; empty without a context.
    private static func inContext(_ context: DiagnosticText?) -> DiagnosticText {
        context.map { .en(" in \($0.en)", zh: "\($0.zh)中") } ?? .en("", zh: "")
    }

    /// A node as it appears in a message: scalars by their text in backticks,
    /// collections by kind.
    static func describe(_ node: YAMLNode) -> DiagnosticText {
        switch node.content {
        case .scalar(let scalar):
            let text = excerpt(scalar.text)
            return switch scalar.value {
            case .null: .en("null", zh: "空值（null）")
            case .bool: .en("the boolean `\(text)`", zh: "布尔值 `\(text)`")
            case .int: .en("the integer `\(text)`", zh: "整数 `\(text)`")
            case .float: .en("the number `\(text)`", zh: "数字 `\(text)`")
            case .string: .en("the string `\(text)`", zh: "字符串 `\(text)`")
            }
        case .sequence: return .en("a sequence", zh: "序列")
        case .mapping: return .en("a mapping", zh: "映射")
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
