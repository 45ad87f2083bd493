import Hummingbird
import RescindServer

/// What the workbench refuses, each with the HTTP status the page is answered with and a
/// stable code (docs/workbench.md); messages lowercase, user input in backticks.
package enum WorkbenchError: Error, Sendable, Equatable {
    case notAFolder(String)
    case cannotRead(String)
    case notUTF8(String)
    case cannotWrite(String, String)
    /// The folder changed on disk after the page read it.
    case changedOnDisk
    /// A file the page sent that the folder does not hold (or a path leaving it).
    case unknownFile(String)
    /// A policy file of the folder missing from what the page sent.
    case missingFile(String)
    /// Save asked for a set that does not load cleanly.
    case setHasErrors(Int)
    /// The saved folder does not load: impact and diff have no baseline.
    case savedSetHasErrors(String)
    case badBody(String)
    case noRequests
    case unreadableRequests(String)

    var status: HTTPResponse.Status {
        switch self {
        case .notAFolder, .cannotRead, .notUTF8, .cannotWrite, .unreadableRequests: .internalServerError
        case .changedOnDisk, .savedSetHasErrors: .conflict
        case .unknownFile, .missingFile, .badBody: .badRequest
        case .setHasErrors: .unprocessableContent
        case .noRequests: .notFound
        }
    }

    var code: String {
        switch self {
        case .notAFolder: "workbench-not-a-folder"
        case .cannotRead, .notUTF8: "workbench-cannot-read"
        case .cannotWrite: "workbench-cannot-write"
        case .changedOnDisk: "workbench-changed-on-disk"
        case .unknownFile: "workbench-unknown-file"
        case .missingFile: "workbench-missing-file"
        case .setHasErrors: "workbench-set-has-errors"
        case .savedSetHasErrors: "workbench-saved-set-has-errors"
        case .badBody: "workbench-bad-body"
        case .noRequests: "workbench-no-requests"
        case .unreadableRequests: "workbench-cannot-read"
        }
    }

    var message: String {
        switch self {
        case .notAFolder(let path): "`\(path)` is not a policy folder"
        case .cannotRead(let name): "cannot read `\(name)`"
        case .notUTF8(let name): "`\(name)` is not UTF-8 text"
        case .cannotWrite(let name, let reason): "cannot write `\(name)`: \(reason)"
        case .changedOnDisk:
            "the policy folder changed on disk since the page read it; nothing was saved (reload the page, or download a patch)"
        case .unknownFile(let name): "`\(name)` is not a file of the policy folder"
        case .missingFile(let name): "the edited set lacks `\(name)`"
        case .setHasErrors(let count):
            "the edited set has \(count) error\(count == 1 ? "" : "s"): nothing was saved (fix them, or download a patch)"
        case .savedSetHasErrors(let folder):
            "the saved policies in `\(folder)` do not load: there is nothing to compare the edit with (`rescind check \(folder)`)"
        case .badBody(let reason): "the request body is not what the workbench expects: \(reason)"
        case .noRequests: "no requests to replay: start the workbench with `--requests FILE` (a decision log or sample requests)"
        case .unreadableRequests(let path): "cannot read the requests file `\(path)`"
        }
    }

    /// The error as the service's JSON error object.
    var apiError: APIError { APIError(status, code: code, message: message) }
}
