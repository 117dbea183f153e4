// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyCore
@testable import ParleyServer
import Testing

/// RS256 / ES256 tokens from a JWKS file. Keys, the JWKS and the tokens are made by PyJWT and
/// `cryptography` in the test-peer venv (an independent implementation).
@Suite("JWKS (RS256, ES256) bearer tokens", .serialized)
struct JWKSTests {
    static let script = #"""
    import json, sys, time, jwt
    from jwt.algorithms import RSAAlgorithm, ECAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa, ec
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    def jwk(alg, key, kid):
        d = json.loads(alg.to_jwk(key.public_key()))
        d["kid"] = kid
        d["use"] = "sig"
        return d
    jwks = {"keys": [jwk(RSAAlgorithm, rsa_key, "rsa-1"), jwk(ECAlgorithm, ec_key, "ec-1"),
                     {"kty": "oct", "k": "c2VjcmV0", "use": "enc"}]}
    now = int(time.time())
    def tok(key, alg, kid, sub="alice", exp=now + 600, extra=None):
        claims = {"sub": sub, "iat": now, "exp": exp}
        claims.update(extra or {})
        headers = {"kid": kid} if kid else {}
        return jwt.encode(claims, key, algorithm=alg, headers=headers)
    out = {
        "jwks": jwks,
        "rs256": tok(rsa_key, "RS256", "rsa-1"),
        "rs256_nokid": tok(rsa_key, "RS256", None, sub="carol"),
        "es256": tok(ec_key, "ES256", "ec-1", sub="bob"),
        "rogue": tok(rogue, "RS256", "rsa-1"),
        "unknown_kid": tok(rsa_key, "RS256", "rsa-9"),
        "expired": tok(ec_key, "ES256", "ec-1", exp=now - 3600),
        "es_as_rs": tok(ec_key, "ES256", "rsa-1"),
        "hs256": jwt.encode({"sub": "alice", "exp": now + 600}, "operator-jwt-secret-0123456789abcdef", algorithm="HS256"),
        "none": jwt.encode({"sub": "alice", "exp": now + 600}, None, algorithm="none"),
    }
    json.dump(out, sys.stdout)
    """#

    static func fixtures() throws -> [String: Any] {
        let p = Process()
        p.executableURL = LiveKitTestPeer.root.appendingPathComponent(".test-peers/venv/bin/python")
        p.arguments = ["-c", script]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw PeerError("jwks fixtures: \(String(decoding: errors, as: UTF8.self))") }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("RS256 and ES256 verify by kid (or by trying every key); forged, unknown kid, expired, wrong alg and none are 401")
    func verify() throws {
        let f = try Self.fixtures()
        let jwks = try JWKSet.parse(try JSONSerialization.data(withJSONObject: f["jwks"]!))
        #expect(jwks.count == 2, "the enc-only oct key is skipped")
        let auth = Authenticator(jwt: .init(jwks: jwks), apiKeys: [])
        func bearer(_ name: String) -> String { "Bearer \(f[name] as! String)" }
        #expect(try auth.authenticate(authorization: bearer("rs256"), apiKeyHeader: nil).id == "alice")
        #expect(try auth.authenticate(authorization: bearer("rs256_nokid"), apiKeyHeader: nil).id == "carol")
        #expect(try auth.authenticate(authorization: bearer("es256"), apiKeyHeader: nil).id == "bob")
        let cases: [(String, String)] = [("rogue", "signature is invalid"), ("unknown_kid", "key id is not known"),
                                         ("expired", "expired"), ("es_as_rs", "signature is invalid"),
                                         ("hs256", "HS256 is not accepted"), ("none", "is not accepted")]
        for (name, why) in cases {
            do throws(APIError) {
                _ = try auth.authenticate(authorization: bearer(name), apiKeyHeader: nil)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.status == .unauthorized && error.message.contains(why), "\(name): \(error.message)")
            }
        }
        // Both kinds at once: HS256 from the secret, RS256/ES256 from the JWKS.
        let both = Authenticator(jwt: .init(hs256Secret: Harness.jwtSecret, jwks: jwks), apiKeys: [])
        #expect(try both.authenticate(authorization: bearer("hs256"), apiKeyHeader: nil).id == "alice")
        #expect(try both.authenticate(authorization: bearer("es256"), apiKeyHeader: nil).id == "bob")
    }

    @Test("auth.jwt.jwks_file in the config; bad files are config errors; the API accepts the tokens")
    func config() async throws {
        let f = try Self.fixtures()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-jwks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("jwks.json").path
        try JSONSerialization.data(withJSONObject: f["jwks"]!).write(to: URL(fileURLWithPath: good))
        let bad = dir.appendingPathComponent("bad.json").path
        try Data(#"{"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}]}"#.utf8).write(to: URL(fileURLWithPath: bad))
        func load(_ jwt: String) throws -> ServerConfig {
            try ServerConfig(root: ConfigLoader.parse(yaml: """
                livekit: { url: ws://localhost:7880, api_key: k, api_secret: s }
                server:
                  auth: { jwt: \(jwt) }
                  profiles: { support: { agent_name: x } }
                """, file: "server.yaml", environment: [:]))
        }
        let config = try load(#"{ jwks_file: "\#(good)", audience: null }"#)
        #expect(config.jwt?.jwks?.count == 2 && config.jwt?.hs256Secret == nil)
        #expect(throws: (any Error).self) { try load(#"{ jwks_file: "\#(bad)" }"#) }
        #expect(throws: (any Error).self) { try load(#"{ jwks_file: "\#(dir.path)/missing.json" }"#) }
        #expect(throws: (any Error).self) { try load("{ issuer: idp }") }

        let h = try await Harness.make(livekitURL: "http://127.0.0.1:9") { $0.jwt = config.jwt }
        defer { h.cleanUpFiles() }
        let es256 = f["es256"] as! String
        let rogue = f["rogue"] as! String
        try await h.run { client in
            let ok = try await client.call(.get, "/v1/sessions", auth: es256)
            #expect(ok.status == .ok, "\(ok.text)")
            let forged = try await client.call(.get, "/v1/sessions", auth: rogue)
            #expect(forged.status == .unauthorized && !forged.text.contains(rogue))
        }
    }
}
