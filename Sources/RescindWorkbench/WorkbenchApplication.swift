import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import RescindServer
import RescindTooling

/// The application `rescind workbench` runs: the page's files and its API over the
/// policy folder. Built here so tests drive it through Hummingbird's test client.
package func buildWorkbenchApplication(
    configuration: WorkbenchConfiguration, logger: Logger = Logger(label: "rescind.workbench")
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: LocalPageGuard(configuredHost: configuration.host))
    let routes = WorkbenchRoutes(
        configuration: configuration, workspace: Workspace(folder: configuration.policies), logger: logger)
    let assets = WorkbenchAssets(folder: configuration.assets)
    var table = RouteTable(router: router)
    table.on(.get, "/") { _, _ in try assets.response(for: "index.html") }
    table.on(.get, "/assets/{name}") { _, context in
        try assets.response(for: context.parameters.get("name") ?? "")
    }
    // The book fragment's own styles (scoped under `.rescind-book`), as `rescind book` embeds them.
    table.on(.get, "/book.css") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: BookHTML.stylesheet)))
    }
    table.on(.get, "/healthz") { _, _ in Response.json("{\"status\":\"ok\"}\n") }
    table.on(.get, "/api/workspace") { _, _ in try await routes.workspaceDocument() }
    let maxBody = configuration.maxBodyBytes
    func post(_ path: String, _ handler: @escaping @Sendable (WorkbenchRoutes, WorkbenchBody) async throws -> Response) {
        table.on(.post, path) { request, _ in try await handler(routes, try await decodeBody(request, limit: maxBody)) }
    }
    post("/api/check") { try await $0.check($1) }
    post("/api/book") { try await $0.book($1) }
    post("/api/try") { try await $0.decide($1) }
    post("/api/tests") { try await $0.runTests($1) }
    post("/api/impact") { try await $0.impact($1) }
    post("/api/diff") { try await $0.diff($1) }
    post("/api/save") { try await $0.save($1) }
    post("/api/patch") { try await $0.patch($1) }
    table.refuseOtherMethods()
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "rescind-workbench"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info("workbench ready", metadata: [
                "url": "http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)/",
                "policies": "\(configuration.policies)",
            ])
        },
        logger: logger)
}

/// The page's body as JSON, read up to `limit` bytes.
private func decodeBody(_ request: Request, limit: Int) async throws -> WorkbenchBody {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: limit)
    } catch {
        throw APIError(.contentTooLarge, code: "request-too-large", message: "the request body is larger than \(limit) bytes")
    }
    do {
        return try JSONDecoder().decode(WorkbenchBody.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
        throw WorkbenchError.badBody(describe(error)).apiError
    }
}

private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        "$" + context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue) is missing"
    case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
    case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}

/// The page can write policy files, so only pages it served may call it: the `Host` must
/// name this machine (a DNS-rebinding page names its own domain), an `Origin` must be the
/// page's own, and every POST carries `X-Rescind-Workbench`, which a page elsewhere cannot
/// send without a CORS preflight the workbench never grants.
struct LocalPageGuard<Context: RequestContext>: RouterMiddleware {
    let configuredHost: String

    static var header: HTTPField.Name { HTTPField.Name("X-Rescind-Workbench")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let refusal = Self.refusal(
            authority: request.head.authority, origin: request.headers[.origin], isPost: request.method == .post,
            marked: request.headers[Self.header] != nil, configuredHost: configuredHost)
        {
            throw refusal
        }
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Why a call is refused; nil when it may go ahead. `authority` is the `Host` header.
    static func refusal(authority: String?, origin: String?, isPost: Bool, marked: Bool, configuredHost: String) -> APIError? {
        if let authority, !isLocal(authority, configuredHost: configuredHost) {
            return APIError(
                .forbidden, code: "workbench-foreign-host",
                message: "the workbench answers pages of this machine only (host `\(authority)`)")
        }
        if let origin, origin != authority.map({ "http://\($0)" }) {
            return APIError(
                .forbidden, code: "workbench-foreign-origin", message: "the workbench answers its own page only (origin `\(origin)`)")
        }
        if isPost, !marked {
            return APIError(
                .forbidden, code: "workbench-missing-header",
                message: "calls to the workbench's API carry the header `X-Rescind-Workbench: 1`")
        }
        return nil
    }

    static func isLocal(_ host: String, configuredHost: String) -> Bool {
        let name: Substring
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            name = host[host.index(after: host.startIndex)..<close]
        } else {
            name = host.split(separator: ":", maxSplits: 1).first ?? ""
        }
        return ["127.0.0.1", "localhost", "::1", configuredHost].contains(String(name))
    }
}

/// The page's files: bundled with the library (looked up beside the executable, as the
/// service's OpenAPI document is), or read from `--assets` when given.
struct WorkbenchAssets: Sendable {
    let folder: String?

    static let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"]

    static let bundled: URL? = {
        let bundle = "Rescind_RescindWorkbench.resources/Assets"
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent(bundle) }
            // A build on this machine, run from its tree (tests, `swift run`).
            + [URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Assets")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }
    }()

    func response(for name: String) throws -> Response {
        let type = Self.types[(name as NSString).pathExtension]
        guard let type, !name.contains("/"), !name.hasPrefix("."),
            let base = folder.map({ URL(fileURLWithPath: $0) }) ?? Self.bundled,
            let data = FileManager.default.contents(atPath: base.appendingPathComponent(name).path)
        else {
            throw APIError(.notFound, code: "not-found", message: "no page file `\(name)`")
        }
        return Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
