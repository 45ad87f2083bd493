import Foundation
import Testing

/// `rescind check --strict`: a warning fails the check the way an error does.
@Suite("check --strict")
struct CheckStrictTests {
    /// A copy of the pack whose calendar lists a holiday on a Saturday: it loads, with a warning.
    static func packWithWarning() throws -> URL {
        let copy = try PolicyCLI.copyOfPolicies()
        try PolicyCLI.edit(
            copy.appendingPathComponent("calendar-cn-mainland.yaml"),
            replacing: #"  - "2026-10-01..2026-10-07"       # 国庆节 National Day (Thu..Wed), 7 days"#,
            with: #"""
                  - "2026-10-01..2026-10-07"       # 国庆节 National Day (Thu..Wed), 7 days
                  - "2026-11-07"
                """#)
        return copy
    }

    @Test("without --strict a warning is reported and the check passes")
    func warningPasses() throws {
        let copy = try Self.packWithWarning()
        defer { try? FileManager.default.removeItem(at: copy) }
        let run = try CLI.run(["check", copy.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("warning[policy-calendar-no-effect]: holiday `2026-11-07` falls only on saturday"), "\(run.stdout)")
        #expect(run.stderr.hasPrefix("ok: marketplace-cancellations"), "\(run.stderr)")
        #expect(run.stderr.contains("1 warning"), "\(run.stderr)")
    }

    @Test("with --strict the same warning fails the check with the validation exit code")
    func warningFailsStrict() throws {
        let copy = try Self.packWithWarning()
        defer { try? FileManager.default.removeItem(at: copy) }
        let run = try CLI.run(["check", "--strict", copy.path])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stdout.contains("warning[policy-calendar-no-effect]"), "\(run.stdout)")
        #expect(run.stderr.hasPrefix("failed (--strict): marketplace-cancellations"), "\(run.stderr)")
        #expect(run.stderr.contains("1 warning"), "\(run.stderr)")
        let json = try CLI.run(["check", "--strict", "--format", "json", copy.path])
        #expect(json.status == 3)
    }

    @Test("with --strict a clean pack passes, and errors still fail")
    func strictCleanAndErrors() throws {
        let clean = try CLI.run(["check", "--strict", "Policies"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(
            copy.appendingPathComponent("who-may-cancel.yaml"), replacing: #"duration("30m")"#, with: #"duration("30 min")"#)
        let broken = try CLI.run(["check", "--strict", copy.path])
        #expect(broken.status == 3)
        #expect(broken.stdout.contains(#"error[policy-invalid-constant]: `"30 min"` is not a CEL duration"#), "\(broken.stdout)")
        #expect(broken.stderr.hasPrefix("failed: 2 errors"), "\(broken.stderr)")
    }
}
