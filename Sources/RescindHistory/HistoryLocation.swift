/// Where the history lives, as `--history` and `RESCIND_HISTORY` give it:
///
/// - `sqlite:PATH` (`sqlite:///var/lib/rescind/history.db` reads as the absolute path
///   `/var/lib/rescind/history.db`; `sqlite:history.db` is relative to the working
///   directory);
/// - `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMETERS]` (or `postgresql://`):
///   user, password and database percent-decoded; HOST a name, an IPv4 address or
///   `[IPv6]`; PORT 5432 by default. Parameters: `sslmode` (`disable`, `prefer` — the
///   default — or `require`), `schema` (the tables' schema, created when missing; the
///   default is the user's search path), `pool_max` (the most connections per process,
///   default 10), `application_name`.
///
/// Errors are `.invalidLocation`, located by the column in the text, and never repeat a
/// password.
package enum HistoryLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    package var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }

    /// Reads a location; see the type's documentation for the forms.
    package init(parsing text: String) throws(HistoryError) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else {
                throw HistoryError(.invalidLocation, LocationMessages.emptyPath, location: "column \(text.count + 1)")
            }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
        } else {
            let scheme = text.firstIndex(of: ":").map { String(text[..<$0]) }
            throw HistoryError(.invalidLocation, LocationMessages.unknownScheme(scheme), location: "column 1")
        }
    }
}

/// A PostgreSQL server and database, from a `postgres://` URL.
package struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    package enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    package var user: String
    package var password: String?
    package var host: String
    package var port: Int = 5432
    package var database: String
    package var tls: TLSMode = .prefer
    /// The schema the tables live in; nil: the server's search path (`public`).
    package var schema: String?
    package var poolMax: Int = 10
    package var applicationName: String = "rescind"

    package init(
        user: String, password: String?, host: String, port: Int = 5432, database: String, tls: TLSMode = .prefer,
        schema: String? = nil, poolMax: Int = 10
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
        self.schema = schema
        self.poolMax = poolMax
    }

    /// The URL with its password shown as `***` (for logs and errors).
    package var description: String {
        let credentials = user.isEmpty ? "" : user + (password == nil ? "" : ":***") + "@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(credentials)\(shownHost):\(port)/\(database)"
        var parameters: [String] = []
        if tls != .prefer { parameters.append("sslmode=\(tls.rawValue)") }
        if let schema { parameters.append("schema=\(schema)") }
        if poolMax != 10 { parameters.append("pool_max=\(poolMax)") }
        if !parameters.isEmpty { text += "?" + parameters.joined(separator: "&") }
        return text
    }

    package init(parsing text: String) throws(HistoryError) {
        let bytes = Array(text.utf8)
        let schemeLength = text.hasPrefix("postgresql://") ? 13 : 11
        var index = schemeLength
        func fail(_ message: String, at position: Int) -> HistoryError {
            HistoryError(.invalidLocation, message, location: "column \(position + 1)")
        }
        func decoded(_ range: Range<Int>, _ what: String) throws(HistoryError) -> String {
            guard let value = percentDecoded(bytes[range]) else {
                throw fail(LocationMessages.badEscape(what), at: range.lowerBound)
            }
            return value
        }
        // The authority ends at the first `/` (or `?`); user info at its last `@`.
        let authorityEnd = bytes[index...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.count
        let at = bytes[index..<authorityEnd].lastIndex(of: UInt8(ascii: "@"))
        user = ""
        password = nil
        if let at {
            let colon = bytes[index..<at].firstIndex(of: UInt8(ascii: ":"))
            user = try decoded(index..<(colon ?? at), "user")
            if let colon { password = try decoded((colon + 1)..<at, "password") }
            index = at + 1
        }
        guard !user.isEmpty else { throw fail(LocationMessages.missingUser, at: schemeLength) }
        // Host: `[v6]` or up to a `:`.
        let hostEnd: Int
        if bytes[index..<authorityEnd].first == UInt8(ascii: "[") {
            guard let close = bytes[index..<authorityEnd].firstIndex(of: UInt8(ascii: "]")) else {
                throw fail(LocationMessages.unclosedBracket, at: index)
            }
            host = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            hostEnd = close + 1
            guard hostEnd == authorityEnd || bytes[hostEnd] == UInt8(ascii: ":") else {
                throw fail(LocationMessages.afterHost, at: hostEnd)
            }
        } else {
            hostEnd = bytes[index..<authorityEnd].firstIndex(of: UInt8(ascii: ":")) ?? authorityEnd
            host = try decoded(index..<hostEnd, "host")
        }
        guard !host.isEmpty else { throw fail(LocationMessages.missingHost, at: index) }
        if hostEnd < authorityEnd {
            let digits = bytes[(hostEnd + 1)..<authorityEnd]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits.count <= 5,
                let value = Int(String(decoding: digits, as: UTF8.self)), (1...65535).contains(value)
            else {
                throw fail(
                    LocationMessages.badPort(String(decoding: digits, as: UTF8.self)), at: hostEnd + 1)
            }
            port = value
        }
        index = authorityEnd
        guard index < bytes.count, bytes[index] == UInt8(ascii: "/") else {
            throw fail(LocationMessages.missingDatabase, at: index)
        }
        index += 1
        let databaseEnd = bytes[index...].firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
        database = try decoded(index..<databaseEnd, "database")
        guard !database.isEmpty else { throw fail(LocationMessages.missingDatabase, at: index) }
        index = databaseEnd
        guard index < bytes.count else { return }
        index += 1
        while index < bytes.count {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
            let equals = bytes[index..<end].firstIndex(of: UInt8(ascii: "=")) ?? end
            let name = try decoded(index..<equals, "parameter")
            let valueStart = min(equals + 1, end)
            let value = try decoded(valueStart..<end, "parameter")
            switch name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw fail(LocationMessages.badSSLMode(value), at: valueStart)
                }
                tls = mode
            case "schema":
                guard Self.isIdentifier(value) else { throw fail(LocationMessages.badSchema(value), at: valueStart) }
                schema = value
            case "pool_max":
                guard let count = Int(value), (1...1000).contains(count) else {
                    throw fail(LocationMessages.badPoolMax(value), at: valueStart)
                }
                poolMax = count
            case "application_name":
                applicationName = value
            default:
                throw fail(LocationMessages.unknownParameter(name), at: index)
            }
            index = end + 1
        }
    }

    /// A plain lowercase SQL identifier (it is written into DDL, so nothing needs quoting).
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 63 else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        return letter(first) && text.utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}

/// `%XX` escapes decoded; nil for a bad escape or bytes that are not UTF-8.
private func percentDecoded(_ bytes: ArraySlice<UInt8>) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index < bytes.endIndex {
        if bytes[index] == UInt8(ascii: "%") {
            guard index + 2 < bytes.endIndex, let high = hexDigit(bytes[index + 1]), let low = hexDigit(bytes[index + 2])
            else { return nil }
            out.append(high << 4 | low)
            index += 3
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return String(validating: out, as: UTF8.self)
}

private func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x61...0x66: byte - 0x61 + 10
    case 0x41...0x46: byte - 0x41 + 10
    default: nil
    }
}

/// The location parser's messages, together.
enum LocationMessages {
    static func unknownScheme(_ scheme: String?) -> String {
        let shown = scheme.map { "`\($0):`" } ?? "no scheme"
        return "unknown history location \(shown); expected `sqlite:PATH` or `postgres://USER@HOST/DATABASE`"
    }
    static let emptyPath = "`sqlite:` needs a file path, e.g. `sqlite:/var/lib/rescind/history.db`"
    static let missingUser = "a postgres URL needs a user: `postgres://USER@HOST/DATABASE`"
    static let missingHost = "a postgres URL needs a host: `postgres://USER@HOST/DATABASE`"
    static let missingDatabase = "a postgres URL needs a database: `postgres://USER@HOST/DATABASE`"
    static let unclosedBracket = "an IPv6 host needs its closing `]`"
    static let afterHost = "expected `:PORT` or `/DATABASE` after the host"
    static func badPort(_ text: String) -> String { "port `\(text)` is not a number from 1 to 65535" }
    static func badEscape(_ what: String) -> String { "the \(what) has a bad `%` escape or is not UTF-8" }
    static func badSSLMode(_ text: String) -> String {
        "unknown `sslmode` `\(text)`; expected `disable`, `prefer` or `require`"
    }
    static func badSchema(_ text: String) -> String {
        "schema `\(text)` must be a lowercase identifier (letters, digits, `_`; at most 63)"
    }
    static func badPoolMax(_ text: String) -> String { "`pool_max` `\(text)` is not a number from 1 to 1000" }
    static func unknownParameter(_ name: String) -> String {
        "unknown parameter `\(name)`; expected `sslmode`, `schema`, `pool_max` or `application_name`"
    }
}
