import RescindDiagnostics
import RescindEngine

/// How a rejected request is reported by the command line: for people, and as the
/// error object `rescind eval --jsonl` and `rescind replay --format json` write.
extension RequestError {
    /// Every error on its own line with its JSON path, and the help when there is one.
    public var humanDescription: String {
        errors.map { item in
            "error[\(item.code)]: \(item.path): \(item.message)\n" + (item.help.map { "  = help: \($0)\n" } ?? "")
        }.joined()
    }

    /// `{"error": {"code", "message", "path"}}`, with the input line number when streaming.
    public func errorObject(line: Int?) -> String {
        var text = "{\"error\":{\"code\":\(jsonString(code.rawValue)),\"message\":\(jsonString(message)),\"path\":\(jsonString(path))"
        if let help { text += ",\"help\":\(jsonString(help))" }
        if let line { text += ",\"line\":\(line)" }
        return text + "}}"
    }
}
