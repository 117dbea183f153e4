// SPDX-License-Identifier: Apache-2.0

import Hummingbird
import Logging

/// Turns every failure into the JSON error shape. `APIError` passes through; Hummingbird's own
/// errors keep their status with a stable code; anything else is logged and becomes a bare 500
/// (no exception text reaches the client).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let mapped: APIError
            switch error.status {
            case .notFound: mapped = APIError(.notFound, "not_found", "no route \(request.method) \(request.uri.path)")
            case .contentTooLarge: mapped = APIError(.contentTooLarge, "payload_too_large", "request body is too large")
            case .methodNotAllowed: mapped = APIError(.methodNotAllowed, "method_not_allowed", "method not allowed")
            case .badRequest: mapped = APIError(.badRequest, "bad_request", "bad request")
            default: mapped = APIError(error.status, "http_\(error.status.code)", error.status.reasonPhrase)
            }
            return try mapped.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["type": "\(type(of: error))"])
            return try APIError.internal.response(from: request, context: context)
        }
    }
}
