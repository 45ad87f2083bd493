import RescindDiagnostics
import RescindEngine
import RescindJSON

/// How a rejected request is reported by the command line: for people, and as the
/// error object `rescind eval --jsonl` and `rescind replay --format json` write.
extension RequestError {
    /// Every error on its own line with its JSON path, and the help when there is one.
    public var humanDescription: String { humanDescription(in: .en) }

    /// `humanDescription` in `locale`: the messages and the `help` label in that
    /// language; `error[code]` and the JSON path as they are.
    public func humanDescription(in locale: Diagnostic.Locale) -> String {
        let help = locale == .zhCN ? "  = 提示：" : "  = help: "
        return errors.map { item in
            "error[\(item.code)]: \(item.path): \(item.message(in: locale))\n"
                + (item.help(in: locale).map { help + $0 + "\n" } ?? "")
        }.joined()
    }

    /// `{"error": {"code", "message", "path"}}`, with the input line number when streaming.
    public func errorObject(line: Int?) -> String { errorObject(line: line, in: .en) }

    /// `errorObject(line:)` with the message and help in `locale` (code and path as they are).
    package func errorObject(line: Int?, in locale: Diagnostic.Locale) -> String {
        JSONWriter.text(capacity: 128 + message.utf8.count) { writeErrorObject(line: line, in: locale, into: &$0) }
    }

    /// `errorObject(line:)`, into a document being written.
    package func writeErrorObject(line: Int?, in locale: Diagnostic.Locale = .en, into out: inout JSONWriter) {
        out.object { out in
            out.key("error")
            writeError(line: line, in: locale, into: &out)
        }
    }

    /// The object inside `errorObject(line:)`, `{"code", "message", "path", "help"?,
    /// "line"?}`: a decision-log line's `error`.
    package func writeError(line: Int?, in locale: Diagnostic.Locale = .en, into out: inout JSONWriter) {
        out.object { out in
            out.member("code", string: code.rawValue)
            out.member("message", string: first.message(in: locale))
            out.member("path", string: path)
            if let help = first.help(in: locale) { out.member("help", string: help) }
            if let line { out.member("line", integer: line) }
        }
    }
}
