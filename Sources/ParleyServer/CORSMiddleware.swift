// SPDX-License-Identifier: Apache-2.0

import Hummingbird

/// CORS for browser frontends, closed by default: only origins listed in `server.cors.allowed_origins`
/// (exact `scheme://host[:port]` matches, or `*`) get `Access-Control-Allow-Origin`. A preflight
/// (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered 204 here,
/// before authentication; from any other origin it is 403 with no CORS headers.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let settings: ServerConfig.CORS

    static let allowMethods = "GET, POST, DELETE, OPTIONS"

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let isPreflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        guard let origin, settings.allows(origin) else {
            if isPreflight {
                throw APIError(.forbidden, "cors_origin_not_allowed", "this origin may not call the API from a browser")
            }
            return try await next(request, context)
        }
        if isPreflight {
            var headers = HTTPFields()
            apply(origin, to: &headers)
            headers[.accessControlAllowMethods] = Self.allowMethods
            headers[.accessControlAllowHeaders] = settings.allowHeaders.joined(separator: ", ")
            headers[.accessControlMaxAge] = String(settings.maxAgeSeconds)
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        }
        apply(origin, to: &response.headers)
        return response
    }

    private func apply(_ origin: String, to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = settings.allowedOrigins.contains("*") && !settings.allowCredentials ? "*" : origin
        if settings.allowCredentials { headers[.accessControlAllowCredentials] = "true" }
        headers[.vary] = "Origin"
    }
}
