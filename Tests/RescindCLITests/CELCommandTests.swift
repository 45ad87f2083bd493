import Foundation
import Testing

/// `rescind cel`, through the real binary: output text, JSON contract and exit codes.
@Suite("rescind cel")
struct CELCommandTests {
    @Test("prints VALUE : TYPE", arguments: [
        ("[1, 2, 3].map(x, x * 2)", "[2, 4, 6] : list(int)"),
        ("1u + 2u", "3u : uint"),
        ("'a' + \"b\"", "\"ab\" : string"),
        ("b'\\x00a'", "b\"\\x00a\" : bytes"),
        ("2.0 * 3.0", "6.0 : double"),
        ("{'b': 1, 'a': 2}", "{\"a\": 2, \"b\": 1} : map(string, int)"),
        ("type(1)", "int : type(int)"),
        ("null", "null : null_type"),
        ("timestamp('2026-11-27T10:00:00+08:00')", "timestamp(\"2026-11-27T02:00:00Z\") : google.protobuf.Timestamp"),
        ("duration('30m')", "duration(\"1800s\") : google.protobuf.Duration"),
        ("(decimal('129.99') * decimal('0.05')).round(2)", "decimal(\"6.5\") : decimal"),
    ])
    func values(_ expression: String, _ expected: String) throws {
        let run = try CLI.run(["cel", expression])
        #expect(run.stdout == expected + "\n")
        #expect(run.status == 0)
    }

    @Test("--json prints the fixed value/type object")
    func jsonValue() throws {
        let run = try CLI.run(["cel", "[1, 2, 3].map(x, x * 2)", "--json"])
        #expect(run.stdout == "{\"value\": \"[2, 4, 6]\", \"type\": \"list(int)\"}\n")
        #expect(run.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: String]
        #expect(object == ["value": "[2, 4, 6]", "type": "list(int)"])
    }

    @Test("--json errors carry the stage as kind", arguments: [
        ("1 +", "parse"),
        ("ordr.status", "check"),
        ("1 + 'a'", "check"),
        ("1 / 0", "eval"),
        ("[1, 2][5]", "eval"),
        ("9223372036854775807 + 1", "eval"),
    ])
    func jsonErrors(_ expression: String, _ kind: String) throws {
        let run = try CLI.run(["cel", expression, "--json"])
        #expect(run.status == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let error = try #require(object["error"] as? [String: String])
        #expect(error["kind"] == kind)
        #expect(!(error["message"] ?? "").isEmpty)
        #expect(object.count == 1)
    }

    @Test("bindings from --var are dyn and keep JSON integers as ints")
    func variables() throws {
        let run = try CLI.run([
            "cel", "order.status in ['paid', 'processing'] && order.items.size() == count",
            "--var", "order={\"status\": \"paid\", \"items\": [1, 2]}", "--var", "count=2",
        ])
        #expect(run.stdout == "true : bool\n")
        #expect(run.status == 0)
    }

    @Test("bindings from a file, overridden by --var")
    func bindingsFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-bindings-\(UUID()).json")
        try Data(#"{"x": 40, "y": 1}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try CLI.run(["cel", "x + y", "--bindings", file.path, "--var", "y=2"])
        #expect(run.stdout == "42 : int\n")
    }

    @Test("a check error is rendered with the source line, a caret and did-you-mean")
    func renderedCheckError() throws {
        let run = try CLI.run(["cel", "ordr.status == 'paid'", "--var", "order={}"])
        #expect(run.status == 3)
        #expect(run.stdout == """
            <expr>:1:1: error[cel-undeclared-reference]: undeclared reference to `ordr`
              |
            1 | ordr.status == 'paid'
              | ^~~~
              = help: did you mean `order`?

            """)
    }

    @Test("an evaluation error points at the failing sub-expression")
    func renderedEvalError() throws {
        let run = try CLI.run(["cel", "x > 0 && m['missing'] == 1", "--var", "x=1", "--var", "m={}"])
        #expect(run.status == 3)
        #expect(run.stdout == """
            <expr>:1:10: error[cel-eval-no-such-key]: no such key: `"missing"`
              |
            1 | x > 0 && m['missing'] == 1
              |          ^~~~~~~~~~~~
            
            """)
    }

    @Test("bad --var values are usage errors", arguments: [["--var", "x"], ["--var", "x=not json"], ["--var", "=1"]])
    func usageErrors(_ flags: [String]) throws {
        let run = try CLI.run(["cel", "1"] + flags)
        #expect(run.status == 64)
        #expect(run.stderr.contains("--var"))
    }
}
