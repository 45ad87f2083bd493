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
    public func errorObject(line: Int?) -> String {
        JSONWriter.text(capacity: 128 + message.utf8.count) { writeErrorObject(line: line, into: &$0) }
    }

    /// `errorObject(line:)`, into a document being written.
    package func writeErrorObject(line: Int?, into out: inout JSONWriter) {
        out.object { out in
            out.key("error")
            writeError(line: line, into: &out)
        }
    }

    /// The object inside `errorObject(line:)`, `{"code", "message", "path", "help"?,
    /// "line"?}`: a decision-log line's `error`.
    package func writeError(line: Int?, into out: inout JSONWriter) {
        out.object { out in
            out.member("code", string: code.rawValue)
            out.member("message", string: message)
            out.member("path", string: path)
            if let help { out.member("help", string: help) }
            if let line { out.member("line", integer: line) }
        }
    }
}
