import RescindDiagnostics
import RescindYAML
import Testing

/// The full human rendering of YAML diagnostics, compared exactly: these are what a
/// policy author sees, so any change to wording or layout should show up here.
@Suite("Golden human-rendered diagnostics")
struct GoldenDiagnosticsTests {
    @Test("syntax error")
    func syntaxError() {
        let result = load("reason: late delivery: refund\n")
        #expect(
            rendered(result) == """
                test.yaml:1:22: error[yaml-syntax]: mapping values are not allowed in this context
                  |
                1 | reason: late delivery: refund
                  |                      ^
                  = help: a value that contains `: ` must be quoted, e.g. `"a: b"`

                """)
    }

    @Test("syntax error with context note")
    func syntaxErrorWithContext() {
        let result = load("regions: [EU, US\nfee: 5\n")
        #expect(
            rendered(result) == """
                test.yaml:2:4: error[yaml-syntax]: did not find expected ',' or ']'
                  |
                2 | fee: 5
                  |    ^
                test.yaml:1:10: note: the flow sequence starts here
                  |
                1 | regions: [EU, US
                  |          ^

                """)
    }

    @Test("duplicate key")
    func duplicateKey() {
        let result = load("name: refunds\nwindow: 30\nname: returns\n")
        #expect(
            rendered(result) == """
                test.yaml:3:1: error[yaml-duplicate-key]: duplicate key `name` in mapping
                  |
                3 | name: returns
                  | ^~~~
                test.yaml:1:1: note: first defined here
                  |
                1 | name: refunds
                  | ^~~~
                  = help: remove one of the two entries, or merge them

                """)
    }

    @Test("alias limit")
    func aliasLimit() {
        let result = load(
            "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n",
            limits: YAMLLimits(maxAliasExpansion: 20))
        #expect(
            rendered(result) == """
                test.yaml:3:8: error[yaml-alias-limit]: alias `*b` makes aliases expand to more than 20 nodes
                  |
                3 | c: &c [*b, *b, *b]
                  |        ^~
                  = help: this looks like an alias bomb ("billion laughs"); the limit protects against hostile input (`--max-alias-expansion` or `RESCIND_MAX_ALIAS_EXPANSION` raises it)

                """)
    }

    @Test("depth limit")
    func depthLimit() {
        let result = load("a:\n  b:\n    c: [1, [2]]\n", limits: YAMLLimits(maxDepth: 4))
        #expect(
            rendered(result) == """
                test.yaml:3:12: error[yaml-depth-limit]: collections are nested more than 4 levels deep
                  |
                3 |     c: [1, [2]]
                  |            ^
                  = help: flatten the structure; the limit protects against hostile input (`--max-yaml-depth` or `RESCIND_MAX_YAML_DEPTH` raises it)

                """)
    }

    @Test("size limit")
    func sizeLimit() {
        let result = load("policy: refunds\nwindow: 30\n", limits: YAMLLimits(maxFileSize: 16))
        #expect(
            rendered(result) == """
                test.yaml:1:1: error[yaml-size-limit]: file is 27 bytes, more than the limit of 16 bytes
                  |
                1 | policy: refunds
                  | ^
                  = help: split the policy into smaller files, or raise the limit with `--max-file-size` (or `RESCIND_MAX_FILE_SIZE`), e.g. `--max-file-size 4MiB`; the limit protects against hostile input

                """)
    }

    @Test("undefined alias")
    func undefinedAlias() {
        let result = load("base: &fees {flat: 5}\nrule: *fee\n")
        #expect(
            rendered(result) == """
                test.yaml:2:7: error[yaml-undefined-alias]: alias `*fee` refers to no anchor defined before it
                  |
                2 | rule: *fee
                  |       ^~~~
                  = help: did you mean `*fees`?

                """)
    }

    @Test("boolean-like word where a boolean is expected")
    func booleanLike() throws {
        let result = load("refundable: yes\n")
        var diagnostics = Diagnostics()
        let value = try #require(result.documents.first?.mapping?["refundable"]).bool(diagnostics: &diagnostics)
        #expect(value == true)
        #expect(
            rendered(diagnostics, source: result.source) == """
                test.yaml:1:13: warning[yaml-boolean-like]: `yes` is read as `true` here, but YAML 1.2 reads it as a string elsewhere
                  |
                1 | refundable: yes
                  |             ^~~
                  = help: write `true` (booleans are only `true` and `false`)

                """)
    }

    @Test("unknown and missing keys from the mapping decoder")
    func unknownAndMissingKeys() throws {
        let result = load("nmae: refunds\nenabled: true\n")
        var diagnostics = Diagnostics()
        let root = try #require(result.documents.first)
        var fields = try #require(YAMLMappingDecoder(root, describedAs: .en("policy", zh: "策略"), diagnostics: &diagnostics))
        _ = fields.required("name", as: String.self, diagnostics: &diagnostics)
        _ = fields.optional("enabled", as: Bool.self, diagnostics: &diagnostics)
        fields.finish(diagnostics: &diagnostics)
        #expect(
            rendered(diagnostics, source: result.source) == """
                test.yaml:1:1: error[yaml-missing-key]: missing required key `name` in policy
                  |
                1 | nmae: refunds
                  | ^
                  = help: add `name: …`
                test.yaml:1:1: error[yaml-unknown-key]: unknown key `nmae` in policy
                  |
                1 | nmae: refunds
                  | ^~~~
                  = help: did you mean `name`?

                """)
    }
}
