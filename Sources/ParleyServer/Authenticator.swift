// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyRTC

/// Who is calling: the JWT `sub`, or the configured name of a static API key.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case user
        case apiKey = "api_key"
    }

    public var id: String
    public var kind: Kind

    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }
}

/// Checks `Authorization: Bearer …` (or `X-API-Key`): an operator-issued HS256 JWT whose `sub` is
/// the user id, or a static API key for server-to-server calls. Errors say why without echoing
/// the credential.
public struct Authenticator: Sendable {
    public var jwt: ServerConfig.JWTSettings?
    /// SHA-256 of each key → principal name (keys are compared by digest, in constant time).
    private let apiKeyDigests: [(digest: [UInt8], name: String)]

    public init(jwt: ServerConfig.JWTSettings?, apiKeys: [ServerConfig.APIKey]) {
        self.jwt = jwt
        apiKeyDigests = apiKeys.map { (Digest.sha256(Array($0.key.utf8)), $0.name) }
    }

    public func authenticate(authorization: String?, apiKeyHeader: String?,
                             now: Int64 = Int64(Date().timeIntervalSince1970)) throws(APIError) -> Principal {
        if let apiKeyHeader, !apiKeyHeader.isEmpty { return try apiKey(apiKeyHeader) }
        guard let authorization, !authorization.isEmpty else {
            throw APIError.unauthenticated("missing Authorization: Bearer credentials")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthenticated("Authorization must use the Bearer scheme")
        }
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        if credential.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            return try verifyJWT(credential, now: now)
        }
        return try apiKey(credential)
    }

    private func apiKey(_ key: String) throws(APIError) -> Principal {
        let digest = Digest.sha256(Array(key.utf8))
        var match: String?
        for entry in apiKeyDigests where Digest.constantTimeEqual(entry.digest, digest) { match = entry.name }
        guard let match else { throw APIError.unauthenticated("unknown API key") }
        return Principal(id: match, kind: .apiKey)
    }

    struct Claims: Decodable {
        var sub: String?
        var exp: Double?
        var nbf: Double?
        var iss: String?
        var aud: Audience?

        enum Audience: Decodable {
            case one(String)
            case many([String])
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .one(s) } else { self = .many(try c.decode([String].self)) }
            }
            func contains(_ a: String) -> Bool {
                switch self {
                case .one(let s): s == a
                case .many(let list): list.contains(a)
                }
            }
        }
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    private func verifyJWT(_ token: String, now: Int64) throws(APIError) -> Principal {
        guard let jwt else { throw APIError.unauthenticated("bearer JWTs are not accepted by this server") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard let headerData = Self.base64URLDecode(parts[0]), let payload = Self.base64URLDecode(parts[1]),
              let signature = Self.base64URLDecode(parts[2]) else {
            throw APIError.unauthenticated("malformed token")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData) else {
            throw APIError.unauthenticated("malformed token header")
        }
        let signingInput = Array((parts[0] + "." + parts[1]).utf8)
        switch header.alg {
        case "HS256" where jwt.hs256Secret != nil:
            let expected = Digest.hmacSHA256(key: Array(jwt.hs256Secret!.utf8), data: signingInput)
            guard Digest.constantTimeEqual(expected, Array(signature)) else {
                throw APIError.unauthenticated("token signature is invalid")
            }
        case "RS256" where jwt.jwks != nil, "ES256" where jwt.jwks != nil:
            guard jwt.jwks!.verify(alg: header.alg!, kid: header.kid, signingInput: signingInput, signature: Array(signature))
            else {
                throw APIError.unauthenticated(header.kid.map { kid in
                    jwt.jwks!.keys.contains { $0.kid == kid } ? "token signature is invalid" : "token key id is not known"
                } ?? "token signature is invalid")
            }
        default:
            var accepted: [String] = []
            if jwt.hs256Secret != nil { accepted.append("HS256") }
            if jwt.jwks != nil { accepted += ["RS256", "ES256"] }
            throw APIError.unauthenticated("token algorithm \(header.alg ?? "none") is not accepted "
                                           + "(\(accepted.joined(separator: ", ")))")
        }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payload) else {
            throw APIError.unauthenticated("token claims are malformed")
        }
        guard let exp = claims.exp else { throw APIError.unauthenticated("token has no exp claim") }
        if Double(now) > exp + Double(jwt.leewaySeconds) { throw APIError.unauthenticated("token expired") }
        if let nbf = claims.nbf, Double(now + jwt.leewaySeconds) < nbf {
            throw APIError.unauthenticated("token is not valid yet")
        }
        if let issuer = jwt.issuer, claims.iss != issuer { throw APIError.unauthenticated("token issuer is not accepted") }
        if let audience = jwt.audience, claims.aud?.contains(audience) != true {
            throw APIError.unauthenticated("token audience is not accepted")
        }
        guard let sub = claims.sub, !sub.isEmpty, sub.utf8.count <= 256 else {
            throw APIError.unauthenticated("token has no sub claim")
        }
        return Principal(id: sub, kind: .user)
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == 0x2D || $0 == 0x5F }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }

    /// Signs an HS256 JWT (for tests and `parley` tooling that needs an operator token).
    public static func signHS256(claims: [String: Any], secret: String) -> String {
        func b64(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let header = b64(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = b64((try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data("{}".utf8))
        let sig = Digest.hmacSHA256(key: Array(secret.utf8), data: Array((header + "." + payload).utf8))
        return header + "." + payload + "." + b64(Data(sig))
    }
}
