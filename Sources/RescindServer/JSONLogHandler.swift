import Foundation
import Logging
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy

/// How `rescind serve` writes its own logs (`--log-format`).
package enum LogFormat: String, Sendable, CaseIterable, LosslessStringConvertible {
    /// swift-log's default: `2026-07-03T13:26:22+0800 info rescind.server: key=value [Module] message`.
    case text
    /// One JSON object per line (`JSONLogHandler`), for log collectors.
    case json

    package init?(_ description: String) { self.init(rawValue: description) }
    package var description: String { rawValue }
}

/// A swift-log handler writing one JSON object per line:
///
/// ```json
/// {"timestamp":"2026-07-03T05:26:22.000830Z","level":"info","label":"rescind.server","message":"listening","address":"http://127.0.0.1:8080","digest":"2f57…","source":"RescindServer"}
/// ```
///
/// Keys, in order: `timestamp` (UTC, microseconds, as the decision log's `logged_at`),
/// `level`, `label`, `message`, the metadata (the provider's, then the logger's, then the
/// call's, later ones winning; sorted by key, so a line is reproducible), `error` when
/// the event carries one, and `source` (the module). Metadata is flattened: a nested
/// dictionary `{"a": {"b": "x"}}` becomes `"a.b":"x"`, so collectors index every field
/// without a schema for nested ones; an array becomes an array of strings. A metadata key
/// that would shadow one of the fixed keys is written as `metadata.KEY`.
package struct JSONLogHandler: LogHandler {
    /// The logger's own metadata (`logger[metadataKey:]`).
    package var metadata: Logger.Metadata = [:]
    /// Contextual metadata, read at each event.
    package var metadataProvider: Logger.MetadataProvider?
    /// The lowest level written; `rescind serve` sets it from `LOG_LEVEL`.
    package var logLevel: Logger.Level = .info
    /// The logger's label, written as `label`.
    package let label: String
    private let output: @Sendable ([UInt8]) -> Void

    /// A handler writing to standard error, like swift-log's default text handler.
    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, output: JSONLogHandler.standardError)
    }

    /// A handler handing each line (with its newline) to `output`; tests collect them.
    package init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil, output: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// One of the logger's own metadata values.
    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one line.
    package func log(event: LogEvent) {
        output(line(for: event, at: WallClock.now()))
    }

    static let fixedKeys: Set<String> = ["timestamp", "level", "label", "message", "error", "source"]

    /// The line for `event` (with its newline), stamped `time`.
    func line(for event: LogEvent, at time: WallClock) -> [UInt8] {
        var merged = metadataProvider?.get() ?? [:]
        merged.merge(metadata) { $1 }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var flat: [(key: String, value: FlatValue)] = []
        flatten(merged, prefix: "", into: &flat)
        return JSONWriter.bytes { out in
            out.beginObject()
            out.key("timestamp")
            out.time(seconds: Int64(time.seconds), nanoseconds: Int32(time.nanoseconds), fraction: .microseconds)
            out.member("level", string: event.level.rawValue)
            out.member("label", string: label)
            out.member("message", string: event.message.description)
            for (key, value) in flat.sorted(by: { $0.key < $1.key }) {
                out.key(named: Self.fixedKeys.contains(key) ? "metadata." + key : key)
                switch value {
                case .string(let string): out.string(string)
                case .strings(let strings): out.strings(strings)
                }
            }
            if let error = event.error { out.member("error", string: "\(error)") }
            out.member("source", string: event.source)
            out.endObject()
            out.byte(UInt8(ascii: "\n"))
        }
    }

    /// A metadata value as a line holds it, once nested dictionaries are flattened.
    private enum FlatValue {
        case string(String)
        case strings([String])
    }

    /// Dotted keys for nested dictionaries.
    private func flatten(_ metadata: Logger.Metadata, prefix: String, into flat: inout [(key: String, value: FlatValue)]) {
        for (key, value) in metadata {
            let name = prefix + key
            switch value {
            case .dictionary(let nested): flatten(nested, prefix: name + ".", into: &flat)
            case .array(let values): flat.append((name, .strings(values.map(Self.text))))
            case .string(let string): flat.append((name, .string(string)))
            case .stringConvertible(let value): flat.append((name, .string(value.description)))
            }
        }
    }

    /// A value inside an array, as text (swift-log's own rendering for nested containers).
    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let value): value.description
        case .dictionary, .array: value.description
        }
    }

    /// Each line with one `write(2)`, under a lock: lines from concurrent loggers never
    /// interleave (a `FILE` stream may split a long line into several writes).
    private static let standardError: @Sendable ([UInt8]) -> Void = { (bytes: [UInt8]) -> Void in
        stderrLock.withLock { _ = writeFully(STDERR_FILENO, bytes) }
    }
}

private let stderrLock = NSLock()

/// Writes all of `bytes` to `fd`, retrying interrupted and short writes. Returns how
/// many bytes were written: `bytes.count`, or fewer when a write failed (a full disk).
@discardableResult
func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return offset
            }
            offset += written
        }
        return offset
    }
}
