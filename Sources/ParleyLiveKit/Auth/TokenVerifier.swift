// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyRTC

/// Verifies LiveKit access tokens the way the server does (protocol auth/verifier.go): HS256
/// only, the issuer (`iss`) must be a known API key, the signature must match that key's
/// secret, `exp` must be present, and `exp`/`nbf` are checked with one minute of leeway.
/// Used for webhooks (their `Authorization` header is such a token) and in tests.
public struct TokenVerifier: Sendable {
    /// API key → secret.
    public var keys: [String: String]
    public var leeway: Int64 = 60

    public init(keys: [String: String]) { self.keys = keys }
    public init(apiKey: String, apiSecret: String) { keys = [apiKey: apiSecret] }

    public func verify(_ token: String, now: Int64 = Int64(Date().timeIntervalSince1970)) throws(TokenError) -> ClaimGrants {
        let (header, payload, signingInput, signature) = try JWT.decode(token)
        let alg = header["alg"] as? String ?? "none"
        guard alg == "HS256" else { throw .unsupportedAlgorithm(alg) }
        let claims: ClaimGrants
        do {
            claims = try JSONDecoder().decode(ClaimGrants.self, from: payload)
        } catch {
            throw .invalidClaims(Self.describe(error))
        }
        guard let secret = keys[claims.iss] else { throw .unknownAPIKey(claims.iss) }
        let expected = Digest.hmacSHA256(key: Array(secret.utf8), data: Array(signingInput.utf8))
        guard Digest.constantTimeEqual(expected, signature) else { throw .badSignature }
        guard let exp = claims.exp else { throw .missingExpiry }
        if now > exp + leeway { throw .expired(expiredAt: exp, now: now) }
        if let nbf = claims.nbf, now + leeway < nbf { throw .notYetValid(validFrom: nbf, now: now) }
        return claims
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "missing \(key.stringValue)"
        default:
            return "\(error)"
        }
    }
}
