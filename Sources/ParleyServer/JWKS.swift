// SPDX-License-Identifier: Apache-2.0

import COpenSSL
import Foundation

/// The operator identity provider's public keys (a JWKS file, RFC 7517): RSA keys for RS256 and
/// P-256 EC keys for ES256, verified with the OpenSSL the WebRTC stack already links. Keys are read
/// once at start (restart to rotate); a token picks its key by `kid`, or, without one, every key
/// of the algorithm's type is tried.
public final class JWKSet: @unchecked Sendable {
    /// One public key; the EVP_PKEY is immutable after loading and only used for verification.
    final class Key {
        let kid: String?
        let alg: String   // "RS256" or "ES256"
        let pkey: OpaquePointer

        init(kid: String?, alg: String, pkey: OpaquePointer) {
            self.kid = kid
            self.alg = alg
            self.pkey = pkey
        }

        deinit { EVP_PKEY_free(pkey) }
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    let keys: [Key]
    public var count: Int { keys.count }

    init(keys: [Key]) { self.keys = keys }

    public static func load(path: String) throws -> JWKSet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read JWKS file \(path)")
        }
        return try parse(data)
    }

    /// Parses `{"keys": [...]}`; keys with `use` other than `sig` are skipped, unsupported key
    /// types or curves are an error (a silently ignored key would fail every login later).
    public static func parse(_ data: Data) throws -> JWKSet {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let list = root["keys"] as? [[String: Any]] else {
            throw LoadError(description: "JWKS is not a JSON object with a \"keys\" array")
        }
        var keys: [Key] = []
        for (i, jwk) in list.enumerated() {
            if let use = jwk["use"] as? String, use != "sig" { continue }
            let kid = jwk["kid"] as? String
            let name = kid.map { "key \"\($0)\"" } ?? "key #\(i)"
            func b64(_ field: String) throws -> [UInt8] {
                guard let text = jwk[field] as? String, let d = Authenticator.base64URLDecode(Substring(text)), !d.isEmpty else {
                    throw LoadError(description: "JWKS \(name): \(field) is missing or not base64url")
                }
                return Array(d)
            }
            let der: [UInt8]
            let alg: String
            switch jwk["kty"] as? String {
            case "RSA":
                alg = "RS256"
                if let a = jwk["alg"] as? String, a != "RS256" {
                    throw LoadError(description: "JWKS \(name): alg \(a) is not supported (RS256, ES256)")
                }
                let n = try b64("n"), e = try b64("e")
                guard n.count >= 256 else { throw LoadError(description: "JWKS \(name): RSA keys must be at least 2048 bits") }
                der = DER.rsaSubjectPublicKeyInfo(n: n, e: e)
            case "EC":
                alg = "ES256"
                guard jwk["crv"] as? String == "P-256" else {
                    throw LoadError(description: "JWKS \(name): curve \(jwk["crv"] as? String ?? "?") is not supported (P-256)")
                }
                if let a = jwk["alg"] as? String, a != "ES256" {
                    throw LoadError(description: "JWKS \(name): alg \(a) is not supported (RS256, ES256)")
                }
                let x = try b64("x"), y = try b64("y")
                guard x.count == 32, y.count == 32 else { throw LoadError(description: "JWKS \(name): x and y must be 32 bytes") }
                der = DER.p256SubjectPublicKeyInfo(x: x, y: y)
            default:
                throw LoadError(description: "JWKS \(name): kty \(jwk["kty"] as? String ?? "?") is not supported (RSA, EC)")
            }
            let pkey: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
                var p: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_PUBKEY(nil, &p, buffer.count)
            }
            guard let pkey else { throw LoadError(description: "JWKS \(name): not a valid public key") }
            keys.append(Key(kid: kid, alg: alg, pkey: pkey))
        }
        guard !keys.isEmpty else { throw LoadError(description: "JWKS has no signing keys") }
        return JWKSet(keys: keys)
    }

    /// True when `signature` over `signingInput` verifies with a key for `alg` (and `kid`, if given).
    func verify(alg: String, kid: String?, signingInput: [UInt8], signature: [UInt8]) -> Bool {
        let candidates = keys.filter { $0.alg == alg && (kid == nil || $0.kid == kid) }
        var sig = signature
        if alg == "ES256" {
            // JWS carries r || s; OpenSSL wants an ECDSA-Sig-Value.
            guard signature.count == 64 else { return false }
            sig = DER.sequence(DER.integer(Array(signature[0..<32])) + DER.integer(Array(signature[32..<64])))
        }
        for key in candidates {
            guard let ctx = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(ctx) }
            guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key.pkey) == 1 else { continue }
            let ok = sig.withUnsafeBufferPointer { s in
                signingInput.withUnsafeBufferPointer { m in
                    EVP_DigestVerify(ctx, s.baseAddress, s.count, m.baseAddress, m.count)
                }
            }
            if ok == 1 { return true }
        }
        ERR_clear_error()
        return false
    }
}

/// The few DER shapes a JWK needs.
enum DER {
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 {
            bytes.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }
    static func sequence(_ content: [UInt8]) -> [UInt8] { tlv(0x30, content) }

    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var m = Array(magnitude.drop { $0 == 0 })
        if m.isEmpty { m = [0] }
        if m[0] & 0x80 != 0 { m.insert(0, at: 0) }
        return tlv(0x02, m)
    }

    static func bitString(_ content: [UInt8]) -> [UInt8] { tlv(0x03, [0] + content) }

    static let rsaEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
    static let ecPublicKeyP256: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
                                           0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]

    static func rsaSubjectPublicKeyInfo(n: [UInt8], e: [UInt8]) -> [UInt8] {
        sequence(sequence(rsaEncryption) + bitString(sequence(integer(n) + integer(e))))
    }

    static func p256SubjectPublicKeyInfo(x: [UInt8], y: [UInt8]) -> [UInt8] {
        sequence(sequence(ecPublicKeyP256) + bitString([0x04] + x + y))
    }
}
