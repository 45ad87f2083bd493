import CELCommon
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindServer

/// The answer to a check: the diagnostics of `rescind check`, each with the file it is
/// in (a name inside the folder, for the editor) and its rendering with the source line
/// and caret; the summary line; and, when the set loads, its identity and the request
/// schema the "try" form is built from.
struct CheckAnswer {
    let edited: EditedSet
    let loaded: LoadedPolicies
    /// The language of the messages, notes, help and summary (codes and spans stay).
    let locale: Diagnostic.Locale

    var json: String { json(error: nil) }

    /// With `error`, the answer of a refused save: the same document under `error`.
    func json(error: WorkbenchError?) -> String {
        JSONWriter.text(capacity: 16 << 10) { out in
            out.beginObject()
            if let error {
                out.member("error", object: { out in
                    out.member("code", string: error.code)
                    out.member("message", string: error.message)
                })
            }
            out.member("ok", bool: loaded.policySet != nil)
            out.member("errors", integer: loaded.diagnostics.errors.count)
            out.member("warnings", integer: loaded.diagnostics.warnings.count)
            out.member("summary", string: loaded.summary(in: locale))
            if let policySet = loaded.policySet {
                out.member("policy", object: { out in
                    out.member("name", string: policySet.name)
                    out.member("version", string: policySet.version)
                    out.member("digest", string: policySet.digest)
                })
                let schema = RequestJSONSchema(schema: policySet.schema).object(policySet.schema.root, depth: 0)
                if let data = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys]) {
                    out.member("request_schema", json: String(decoding: data, as: UTF8.self))
                }
                // JSON objects have no order: the form lays fields out as the schema declares them.
                out.member("field_order", object: { out in
                    Self.writeFieldOrder(policySet.schema.root, path: "", depth: 0, into: &out)
                })
            }
            out.key("diagnostics")
            out.array { out in
                for diagnostic in loaded.diagnostics {
                    out.element()
                    Self.write(diagnostic, sources: loaded.sources, folder: edited.folder, locale: locale, into: &out)
                }
            }
            out.endObject()
        }
    }

    /// One diagnostic: the fields of `rescind check --format json`, plus `name` (the file
    /// inside the folder, nil for a diagnostic of the whole set) and `rendered`.
    static func write(
        _ diagnostic: Diagnostic, sources: SourceMap, folder: String, locale: Diagnostic.Locale, into out: inout JSONWriter
    ) {
        out.object { out in
            out.member("name", string: diagnostic.span.map { name(of: $0.file, in: folder) })
            out.member("diagnostic", json: JSONDiagnosticRenderer(locale: locale).object(diagnostic))
            out.member("rendered", string: HumanRenderer(sources: sources, locale: locale).render(diagnostic))
        }
    }

    /// Each object's field names in declaration order, by the object's dotted path (`""`
    /// for the request, `order`, `buyer_history.cancellations` for a list's elements).
    static func writeFieldOrder(_ type: ObjectType, path: String, depth: Int, into out: inout JSONWriter) {
        guard depth <= 32 else { return }
        out.key(named: path)
        out.strings(type.fields.map(\.name))
        for field in type.fields {
            let child = path.isEmpty ? field.name : "\(path).\(field.name)"
            switch field.type {
            case .object(let object), .list(.object(let object)):
                writeFieldOrder(object, path: child, depth: depth + 1, into: &out)
            default: continue
            }
        }
    }

    /// `path` as a name inside `folder` (`Policies/x.yaml` → `x.yaml`); unchanged otherwise.
    static func name(of path: String, in folder: String) -> String {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
