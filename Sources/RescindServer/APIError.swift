import Hummingbird
import NIOHTTP1
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy

/// An error answered as JSON, `{"error": {"code", "message", "path"?, "help"?}}`. The
/// code is stable (clients branch on it); the message is for people and may change.
package struct APIError: HTTPResponseError, Sendable {
    package let status: HTTPResponse.Status
    /// The error object's JSON, without a trailing newline.
    package let object: String
    /// Answered with `Connection: close`, and the connection is closed after it: the
    /// rest of the request (an oversized or broken body) is not read.
    var closesConnection = false
    /// The `Allow` header of a 405: the methods the path takes.
    var allow: String?

    /// A service error: `code` is one of the codes in docs/server.md.
    package init(_ status: HTTPResponse.Status, code: String, message: String, closesConnection: Bool = false) {
        self.status = status
        self.object = JSONWriter.text(capacity: 64 + message.utf8.count) { out in
            out.object { out in
                out.member("error", object: { out in
                    out.member("code", string: code)
                    out.member("message", string: message)
                })
            }
        }
        self.closesConnection = closesConnection
    }

    /// A rejected request: the same error object `rescind eval --json` prints, with its
    /// JSON path, so clients parse one shape wherever they meet it.
    package init(_ error: RequestError) {
        self.status = .badRequest
        self.object = error.errorObject(line: nil)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if closesConnection { headers[.connection] = "close" }
        if let allow { headers[.allow] = allow }
        return .json(status: status, object + "\n", headers: headers)
    }

    static func notReady() -> APIError {
        APIError(.serviceUnavailable, code: "not-ready", message: "no policy set is loaded")
    }

    /// 405: the path exists, not with this method; `allow` lists the methods it takes.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allow: String) -> APIError {
        var error = APIError(
            .methodNotAllowed, code: "method-not-allowed",
            message: "`\(path)` does not take \(method.rawValue); it takes \(allow)")
        error.allow = allow
        return error
    }

    /// 408: the head or the body did not arrive in time.
    static func requestTimeout(_ message: String) -> APIError {
        APIError(.requestTimeout, code: "request-timeout", message: message, closesConnection: true)
    }

    /// 400: the HTTP message itself is broken (a bad chunk size, an unknown transfer
    /// coding, a body cut short); the stream cannot be trusted, so the connection closes.
    static func malformedRequest(_ error: HTTPParserError) -> APIError {
        APIError(
            .badRequest, code: "malformed-http",
            message: "the HTTP request is malformed: \(String(describing: error).lowercased())", closesConnection: true)
    }
}

/// Turns Hummingbird's own errors (no route, body too large, …) into the same JSON
/// shape as ours, so a client never has to parse two kinds of error.
package struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPParserError {
            context.logger.debug("malformed request", metadata: ["error": "\(error)"])
            throw APIError.malformedRequest(error)
        } catch let error as RequestBodyTimeout {
            throw APIError.requestTimeout(error.description)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase.lowercased())
        } catch {
            context.logger.error("internal error", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not-found"
        case .methodNotAllowed: "method-not-allowed"
        case .contentTooLarge: "body-too-large"
        case .badRequest: "bad-request"
        default: status.code >= 500 ? "internal" : "http-\(status.code)"
        }
    }
}

extension Response {
    /// A JSON response from text already encoded.
    package static func json(status: HTTPResponse.Status = .ok, _ text: String, headers: HTTPFields = [:]) -> Response {
        json(status: status, Array(text.utf8), headers: headers)
    }

    /// A JSON response from bytes already encoded.
    package static func json(status: HTTPResponse.Status = .ok, _ bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
