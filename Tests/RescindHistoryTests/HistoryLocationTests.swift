import Testing

@testable import RescindHistory

/// `--history` / `RESCIND_HISTORY` locations: the forms accepted, and located errors that
/// never repeat a password.
@Suite("History locations")
struct HistoryLocationTests {
    static func error(_ text: String) -> String? {
        do {
            _ = try HistoryLocation(parsing: text)
            return nil
        } catch { return error.description }
    }

    @Test func sqlitePaths() throws {
        #expect(try HistoryLocation(parsing: "sqlite:history.db") == .sqlite(path: "history.db"))
        #expect(try HistoryLocation(parsing: "sqlite:/var/lib/rescind/h.db") == .sqlite(path: "/var/lib/rescind/h.db"))
        #expect(try HistoryLocation(parsing: "sqlite:///var/lib/rescind/h.db") == .sqlite(path: "/var/lib/rescind/h.db"))
    }

    @Test func postgresURL() throws {
        let location = try HistoryLocation(
            parsing: "postgres://rescind:p%40ss:word@db.internal:6432/orders?sslmode=require&schema=rescind&pool_max=32&application_name=eu-1")
        guard case .postgres(let postgres) = location else {
            Issue.record("not postgres")
            return
        }
        #expect(postgres.user == "rescind")
        #expect(postgres.password == "p@ss:word")
        #expect(postgres.host == "db.internal")
        #expect(postgres.port == 6432)
        #expect(postgres.database == "orders")
        #expect(postgres.tls == .require)
        #expect(postgres.schema == "rescind")
        #expect(postgres.poolMax == 32)
        #expect(postgres.applicationName == "eu-1")
        #expect(location.description == "postgres://rescind:***@db.internal:6432/orders?sslmode=require&schema=rescind&pool_max=32")
    }

    @Test func postgresDefaults() throws {
        let location = try HistoryLocation(parsing: "postgresql://u@[::1]/d")
        #expect(location == .postgres(PostgresLocation(user: "u", password: nil, host: "::1", port: 5432, database: "d")))
        #expect(location.description == "postgres://u@[::1]:5432/d")
    }

    @Test func errorsAreLocated() {
        let cases: [(String, String)] = [
            ("mysql://u@h/d", "column 1: error: unknown history location `mysql:`; expected `sqlite:PATH` or `postgres://USER@HOST/DATABASE`"),
            ("history.db", "column 1: error: unknown history location no scheme; expected `sqlite:PATH` or `postgres://USER@HOST/DATABASE`"),
            ("sqlite:", "column 8: error: `sqlite:` needs a file path, e.g. `sqlite:/var/lib/rescind/history.db`"),
            ("postgres://h/d", "column 12: error: a postgres URL needs a user: `postgres://USER@HOST/DATABASE`"),
            ("postgres://u@/d", "column 14: error: a postgres URL needs a host: `postgres://USER@HOST/DATABASE`"),
            ("postgres://u@h", "column 15: error: a postgres URL needs a database: `postgres://USER@HOST/DATABASE`"),
            ("postgres://u@h/", "column 16: error: a postgres URL needs a database: `postgres://USER@HOST/DATABASE`"),
            ("postgres://u:secret@h:99999/d", "column 23: error: port `99999` is not a number from 1 to 65535"),
            ("postgres://u@h:x/d", "column 16: error: port `x` is not a number from 1 to 65535"),
            ("postgres://u@[::1/d", "column 14: error: an IPv6 host needs its closing `]`"),
            ("postgres://u:se%zzcret@h/d", "column 14: error: the password has a bad `%` escape or is not UTF-8"),
            ("postgres://u@h/d?sslmode=verify", "column 26: error: unknown `sslmode` `verify`; expected `disable`, `prefer` or `require`"),
            ("postgres://u@h/d?schema=Bad-Name", "column 25: error: schema `Bad-Name` must be a lowercase identifier (letters, digits, `_`; at most 63)"),
            ("postgres://u@h/d?pool_max=0", "column 27: error: `pool_max` `0` is not a number from 1 to 1000"),
            ("postgres://u@h/d?sslmode=disable&timeout=3", "column 34: error: unknown parameter `timeout`; expected `sslmode`, `schema`, `pool_max` or `application_name`"),
        ]
        for (text, expected) in cases {
            let message = Self.error(text)
            #expect(message == expected, "\(text)")
            #expect(message?.contains("secret") == false)
        }
    }
}
