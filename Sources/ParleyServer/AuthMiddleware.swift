// SPDX-License-Identifier: Apache-2.0

import Hummingbird

/// Authenticates every request it wraps (all routes except health) and records the caller.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let principal = try authenticator.authenticate(authorization: request.headers[.authorization],
                                                       apiKeyHeader: request.headers[.init("X-API-Key")!])
        context.principal = principal
        context.logger[metadataKey: "user_id"] = "\(principal.id)"
        return try await next(request, context)
    }
}
