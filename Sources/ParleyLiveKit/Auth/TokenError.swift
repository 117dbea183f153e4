// SPDX-License-Identifier: Apache-2.0

/// Why a token could not be made or was refused. The message names the cause and never
/// contains the token or the secret.
public enum TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingCredentials(String)
    case malformed(String)
    case unsupportedAlgorithm(String)
    case unknownAPIKey(String)
    case badSignature
    case missingExpiry
    case expired(expiredAt: Int64, now: Int64)
    case notYetValid(validFrom: Int64, now: Int64)
    case invalidClaims(String)

    public var description: String {
        switch self {
        case .missingCredentials(let why): return "cannot sign token: \(why)"
        case .malformed(let why): return "malformed token: \(why)"
        case .unsupportedAlgorithm(let alg): return "token algorithm \(alg) is not supported (LiveKit uses HS256)"
        case .unknownAPIKey(let key): return "token issued by unknown API key \"\(key)\""
        case .badSignature: return "token signature does not match the API secret"
        case .missingExpiry: return "token has no exp claim"
        case .expired(let at, let now): return "token expired \(now - at) s ago (exp \(at))"
        case .notYetValid(let from, let now): return "token not valid for another \(from - now) s (nbf \(from))"
        case .invalidClaims(let why): return "token claims are invalid: \(why)"
        }
    }
}
