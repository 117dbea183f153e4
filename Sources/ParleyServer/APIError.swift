// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird

/// An error the API answers with: an HTTP status and a stable machine-readable `code`, rendered as
/// `{"error": {"code": "...", "message": "..."}}`. Messages are written for the caller and never
/// carry tokens, secrets or internal exception text.
public struct APIError: Error, Sendable, Equatable, HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Field names or keys the error is about (e.g. the unknown agent_config keys), when useful.
    public var details: [String]?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var details: [String]?
        }
        var error: Inner
    }

    public var jsonBody: Data {
        (try? JSONEncoder().encode(Body(error: .init(code: code, message: message, details: details))))
            ?? Data(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="parley""# }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonBody)))
    }
}

extension APIError {
    static func unauthenticated(_ message: String) -> APIError { APIError(.unauthorized, "unauthenticated", message) }
    static let forbidden = APIError(.forbidden, "forbidden", "the session belongs to another user")
    static func sessionNotFound(_ id: String) -> APIError {
        APIError(.notFound, "session_not_found", "no session \(id)")
    }
    static func malformedJSON(_ why: String) -> APIError { APIError(.badRequest, "malformed_json", why) }
    static func invalid(_ field: String, _ why: String) -> APIError {
        APIError(.unprocessableContent, "invalid_field", "\(field): \(why)", details: [field])
    }
    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "request body exceeds \(limit) bytes")
    }
    static let storeUnavailable = APIError(.serviceUnavailable, "store_unavailable",
                                           "the session store is unavailable; nothing was created")
    static let `internal` = APIError(.internalServerError, "internal", "internal error")
}
