// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Mints LiveKit access tokens: HS256 JWTs signed with the API secret (RFC 7519, RFC 7515).
///
/// ```swift
/// var token = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "caller-42")
/// token.video = .join(room: "support-7")
/// token.roomConfig = RoomConfiguration(agents: [RoomAgentDispatch(agentName: "support-agent", metadata: json)])
/// let jwt = try token.jwt()
/// ```
///
/// `iat` and `nbf` are "now" (the server revokes by `nbf`, so it must be the issue time);
/// `exp` is now + `ttl` (6 hours by default, as in the official SDKs).
public struct AccessToken: Sendable {
    public var apiKey: String
    public var apiSecret: String
    public var identity: String?
    public var name: String?
    public var metadata: String?
    public var attributes: [String: String]?
    public var kind: String?
    public var video: VideoGrant?
    public var roomConfig: RoomConfiguration?
    public var roomPreset: String?
    public var sha256: String?
    /// Lifetime in seconds.
    public var ttl: Int64 = 6 * 3600

    public init(apiKey: String, apiSecret: String, identity: String? = nil) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
        self.identity = identity
    }

    /// The claims this token carries when issued at `now` (seconds since 1970).
    public func claims(now: Int64) -> ClaimGrants {
        ClaimGrants(iss: apiKey, sub: identity, iat: now, nbf: now, exp: now + ttl, name: name, metadata: metadata,
                    attributes: attributes, kind: kind, video: video, roomConfig: roomConfig, roomPreset: roomPreset,
                    sha256: sha256)
    }

    /// The signed token. Throws when the key or secret is empty (a token nobody can verify).
    public func jwt(now: Int64 = Int64(Date().timeIntervalSince1970)) throws(TokenError) -> String {
        guard !apiKey.isEmpty else { throw TokenError.missingCredentials("API key is empty") }
        guard !apiSecret.isEmpty else { throw TokenError.missingCredentials("API secret is empty") }
        guard ttl > 0 else { throw TokenError.missingCredentials("ttl must be positive, got \(ttl) s") }
        return JWT.sign(claims: claims(now: now), secret: apiSecret)
    }
}
