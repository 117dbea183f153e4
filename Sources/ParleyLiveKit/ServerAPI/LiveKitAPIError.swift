// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A Twirp error code (twirp v8.1.3 errors.go; docs/livekit-protocol.md §2 "Errors"). A struct, not
/// an enum, so a code this client does not know yet still round-trips.
public struct TwirpErrorCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let canceled = Self("canceled")
    public static let unknown = Self("unknown")
    public static let invalidArgument = Self("invalid_argument")
    public static let malformed = Self("malformed")
    public static let deadlineExceeded = Self("deadline_exceeded")
    public static let notFound = Self("not_found")
    public static let badRoute = Self("bad_route")
    public static let alreadyExists = Self("already_exists")
    public static let permissionDenied = Self("permission_denied")
    public static let unauthenticated = Self("unauthenticated")
    public static let resourceExhausted = Self("resource_exhausted")
    public static let failedPrecondition = Self("failed_precondition")
    public static let aborted = Self("aborted")
    public static let outOfRange = Self("out_of_range")
    public static let unimplemented = Self("unimplemented")
    public static let `internal` = Self("internal")
    public static let unavailable = Self("unavailable")
    public static let dataLoss = Self("data_loss")

    /// The code a Twirp client gives a response whose body is not a Twirp error (a proxy page, the
    /// auth middleware's plain-text 401): derived from the HTTP status alone.
    public init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .internal
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .badRoute
        case 429, 502, 503, 504: self = .unavailable
        default: self = .unknown
        }
    }
}

/// A failed LiveKit server-API call. Either the server answered with an error (`httpStatus` set;
/// `code`/`message` from its Twirp JSON body, or from the status and text of a non-JSON body such
/// as the plain-text 401 "invalid token: …" the auth middleware sends before Twirp runs), or no
/// answer came (`transportFailure` set, `code` is `unavailable` for a refused connection).
///
/// Messages never contain a token or the API secret: the server's 401 text echoes the token, so
/// anything shaped like a JWT is replaced with `<redacted token>`.
///
/// Note: a token without the grant a method needs gets `unauthenticated` / "permissions denied"
/// from LiveKit (server pkg/service/auth.go twirpAuthError), not `permission_denied`; use
/// `isAuthFailure` to handle both.
public struct LiveKitAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: TwirpErrorCode
    public var message: String
    public var httpStatus: Int?
    public var meta: [String: String]
    public var transportFailure: HTTPTransportError?
    /// How many times the call was tried before giving up.
    public var attempts: Int

    public init(code: TwirpErrorCode, message: String, httpStatus: Int? = nil, meta: [String: String] = [:],
                transportFailure: HTTPTransportError? = nil, attempts: Int = 1) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.meta = meta
        self.transportFailure = transportFailure
        self.attempts = attempts
    }

    /// The connection could not be made (server down, wrong host or port).
    public var isConnectionFailure: Bool { transportFailure?.kind == .connectionFailed }
    /// Bad token, missing grant, or the wrong room in the grant.
    public var isAuthFailure: Bool { code == .unauthenticated || code == .permissionDenied }
    /// Safe to repeat (see `RetryPolicy`).
    public var isRetryable: Bool {
        if let transportFailure { return transportFailure.isRetryable }
        return code == .unavailable || httpStatus == 503
    }

    public var description: String {
        var s = "LiveKit API error \(code)"
        if let httpStatus { s += " (HTTP \(httpStatus))" }
        if !message.isEmpty { s += ": \(message)" }
        if attempts > 1 { s += " after \(attempts) attempts" }
        return s
    }

    /// Builds the error for a non-2xx response. Never fails: an unreadable body becomes text.
    static func fromResponse(status: Int, body: Data, secret: String?) -> LiveKitAPIError {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
           let code = object["code"] as? String, !code.isEmpty {
            var meta: [String: String] = [:]
            if let m = object["meta"] as? [String: Any] {
                for (k, v) in m { meta[k] = redact("\(v)", secret: secret) }
            }
            return LiveKitAPIError(code: TwirpErrorCode(code), message: redact(object["msg"] as? String ?? "", secret: secret),
                                   httpStatus: status, meta: meta)
        }
        var text = String(decoding: body.prefix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = "HTTP \(status) with an empty body" }
        if text.count > 500 { text = String(text.prefix(500)) + "…" }
        return LiveKitAPIError(code: TwirpErrorCode(httpStatus: status), message: redact(text, secret: secret),
                               httpStatus: status)
    }

    /// Replaces JWT-shaped runs (three base64url parts starting `eyJ`) and the secret itself.
    static func redact(_ text: String, secret: String?) -> String {
        var out = text.replacing(#/eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*/#, with: "<redacted token>")
        if let secret, secret.count >= 4 { out = out.replacingOccurrences(of: secret, with: "<redacted>") }
        return out
    }
}
