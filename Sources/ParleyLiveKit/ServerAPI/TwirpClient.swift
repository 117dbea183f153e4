// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Calls LiveKit's server API: Twirp with JSON bodies (docs/livekit-protocol.md §2 "Transport").
///
/// Each call is `POST {base}/twirp/livekit.<Service>/<Method>` with a freshly minted token that
/// carries exactly the grant that method needs and lives 10 minutes, so a leaked header is worth
/// little and no long-lived admin token sits in memory. Failures become `LiveKitAPIError`; the
/// ones that prove nothing happened are retried per `retry`.
public struct TwirpClient: Sendable {
    /// http(s) base URL (a ws(s):// LIVEKIT_URL is converted).
    public let baseURL: URL
    public let apiKey: String
    let apiSecret: String
    public var transport: any HTTPTransport
    public var retry: RetryPolicy
    /// Per-attempt limit on the whole exchange.
    public var timeout: Duration
    /// Lifetime of each per-call token, in seconds.
    public var tokenTTL: Int64 = 600

    public init(url: String, apiKey: String, apiSecret: String, transport: any HTTPTransport = URLSessionTransport(),
                retry: RetryPolicy = .default, timeout: Duration = .seconds(10)) throws(LiveKitAPIError) {
        guard let base = Self.httpBase(url) else {
            throw LiveKitAPIError(code: .invalidArgument, message: "not a LiveKit server URL: \(url)")
        }
        guard !apiKey.isEmpty, !apiSecret.isEmpty else {
            throw LiveKitAPIError(code: .invalidArgument, message: "API key and secret are required")
        }
        baseURL = base
        self.apiKey = apiKey
        self.apiSecret = apiSecret
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
    }

    /// `wss://host` → `https://host`, `ws://` → `http://`; a trailing slash is dropped, a path kept.
    static func httpBase(_ text: String) -> URL? {
        guard var parts = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
              let scheme = parts.scheme?.lowercased(), parts.host?.isEmpty == false else { return nil }
        switch scheme {
        case "ws": parts.scheme = "http"
        case "wss": parts.scheme = "https"
        case "http", "https": parts.scheme = scheme
        default: return nil
        }
        while parts.path.hasSuffix("/") { parts.path.removeLast() }
        parts.query = nil
        parts.fragment = nil
        return parts.url
    }

    /// One RPC. `grant` is the whole `video` claim of the call's token.
    public func call<Request: Encodable, Response: Decodable>(
        service: String, method: String, _ request: Request, grant: VideoGrant, as _: Response.Type = Response.self
    ) async throws(LiveKitAPIError) -> Response {
        let url = baseURL.appendingPathComponent("twirp/livekit.\(service)/\(method)")
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch {
            throw LiveKitAPIError(code: .invalidArgument, message: "cannot encode \(method) request: \(error)")
        }
        var attempt = 0
        while true {
            attempt += 1
            var token = AccessToken(apiKey: apiKey, apiSecret: apiSecret)
            token.video = grant
            token.ttl = tokenTTL
            let jwt: String
            do { jwt = try token.jwt() } catch {
                throw LiveKitAPIError(code: .invalidArgument, message: error.description, attempts: attempt)
            }
            let httpRequest = HTTPRequest(url: url, method: "POST",
                                          headers: ["Content-Type": "application/json", "Accept": "application/json",
                                                    "Authorization": "Bearer \(jwt)"],
                                          body: body, timeout: timeout)
            var failure: LiveKitAPIError
            do {
                let response = try await transport.send(httpRequest)
                if (200..<300).contains(response.status) {
                    do { return try JSONDecoder().decode(Response.self, from: response.body) } catch {
                        throw LiveKitAPIError(code: .malformed, message: "undecodable \(method) response: "
                                                  + TokenVerifier.describe(error),
                                              httpStatus: response.status, attempts: attempt)
                    }
                }
                failure = LiveKitAPIError.fromResponse(status: response.status, body: response.body, secret: apiSecret)
            } catch let error as LiveKitAPIError {
                throw error
            } catch let error as HTTPTransportError {
                failure = LiveKitAPIError(code: error.kind == .timedOut ? .deadlineExceeded : .unavailable,
                                          message: LiveKitAPIError.redact(error.message, secret: apiSecret),
                                          transportFailure: error)
            } catch is CancellationError {
                throw LiveKitAPIError(code: .canceled, message: "\(method) cancelled", attempts: attempt)
            } catch {
                failure = LiveKitAPIError(code: .unknown, message: LiveKitAPIError.redact("\(error)", secret: apiSecret),
                                          transportFailure: HTTPTransportError(.other, "\(type(of: error))"))
            }
            failure.attempts = attempt
            guard failure.isRetryable, attempt < retry.maxAttempts else { throw failure }
            do { try await Task.sleep(for: retry.backoff(afterAttempt: attempt)) } catch {
                throw LiveKitAPIError(code: .canceled, message: "\(method) cancelled while waiting to retry",
                                      attempts: attempt)
            }
        }
    }
}
