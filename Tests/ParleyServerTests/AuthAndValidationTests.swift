// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

/// Requests refused before LiveKit is called: LiveKit is a dead port here, so any call would 503.
@Suite("Authentication and request validation")
struct AuthAndValidationTests {
    func harness() async throws -> Harness {
        try await Harness.make(livekitURL: "http://127.0.0.1:\(try freePort())")
    }

    @Test("no token, bad signature, expired, wrong scheme, unknown API key → 401 with the JSON error shape")
    func unauthenticated() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let cases: [(String, HTTPFields)] = [
            ("no token", [:]),
            ("bad signature", [.authorization: "Bearer " + Harness.userToken("alice", secret: "another-secret-0123456789abcdef")]),
            ("expired", [.authorization: "Bearer " + Authenticator.signHS256(
                claims: ["sub": "alice", "exp": now - 3600], secret: Harness.jwtSecret)]),
            ("no exp", [.authorization: "Bearer " + Authenticator.signHS256(claims: ["sub": "alice"], secret: Harness.jwtSecret)]),
            ("no sub", [.authorization: "Bearer " + Authenticator.signHS256(claims: ["exp": now + 60], secret: Harness.jwtSecret)]),
            ("alg none", [.authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."]),
            ("basic scheme", [.authorization: "Basic YWxpY2U6cHc="]),
            ("unknown api key", [.init("X-API-Key")!: "not-a-key-0123456789"]),
            ("garbage", [.authorization: "Bearer a.b.c"]),
        ]
        let h = try await harness()
        defer { h.cleanUpFiles() }
        try await h.run { client in
            for (name, headers) in cases {
                for (method, uri) in [(HTTPRequest.Method.get, "/v1/sessions"), (.post, "/session")] {
                    let r = try await client.call(method, uri, body: method == .post ? "{}" : nil, headers: headers)
                    #expect(r.status == .unauthorized, "\(name) \(uri): \(r.text)")
                    #expect(r.errorCode == "unauthenticated", "\(name)")
                    #expect(r.headers[.wwwAuthenticate] != nil)
                }
            }
            // Health needs no credentials.
            #expect(try await client.call(.get, "/healthz").status == .ok)
        }
    }

    @Test("a static API key authenticates as its configured name (header or bearer)")
    func apiKey() async throws {
        let h = try await harness()
        defer { h.cleanUpFiles() }
        try await h.run { client in
            let viaHeader = try await client.call(.get, "/v1/sessions", headers: [.init("X-API-Key")!: Harness.apiKey])
            #expect(viaHeader.status == .ok, "\(viaHeader.text)")
            let viaBearer = try await client.call(.get, "/v1/sessions", auth: Harness.apiKey)
            #expect(viaBearer.status == .ok)
        }
    }

    @Test("malformed JSON 400, non-object 400, oversized 413, unknown field / bad values 422, unknown agent_config keys 422 naming them")
    func validation() async throws {
        let h = try await harness()
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        try await h.run { client in
            let malformed = try await client.call(.post, "/v1/sessions", auth: alice, body: #"{"agent": "support""#)
            #expect(malformed.status == .badRequest && malformed.errorCode == "malformed_json", "\(malformed.text)")
            let empty = try await client.call(.post, "/v1/sessions", auth: alice, body: "")
            #expect(empty.status == .badRequest && empty.errorCode == "malformed_json")
            let array = try await client.call(.post, "/v1/sessions", auth: alice, body: "[1, 2]")
            #expect(array.status == .badRequest && array.errorMessage.contains("JSON object"))

            let big = "{\"agent\": \"support\", \"room_name\": \"" + String(repeating: "a", count: 5000) + "\"}"
            let tooLarge = try await client.call(.post, "/v1/sessions", auth: alice, body: big)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.errorCode == "payload_too_large", "\(tooLarge.text)")
            let tooLargeSeed = try await client.call(.post, "/session", auth: alice, body: big)
            #expect(tooLargeSeed.status == .contentTooLarge)

            let unknownKeys = try await client.call(.post, "/v1/sessions", auth: alice, body: """
                {"agent": "support", "agent_config": {"llm": "openai/gpt-4o-mini", "temperature": 0.2, "api_key": "x"}}
                """)
            #expect(unknownKeys.status == .unprocessableContent, "\(unknownKeys.text)")
            #expect(unknownKeys.errorCode == "unknown_agent_config_keys")
            #expect(unknownKeys.errorMessage.contains("temperature") && unknownKeys.errorMessage.contains("api_key"))
            #expect(((unknownKeys.json["error"] as? [String: Any])?["details"] as? [String]) == ["api_key", "temperature"])

            let cases: [(String, String, String)] = [
                (#"{"agent": "support", "colour": "red"}"#, "unknown_fields", "colour"),
                (#"{"mode": "voice"}"#, "missing_field", "agent"),
                (#"{"agent": 7}"#, "invalid_field", "agent: must be a string, got number"),
                (#"{"agent": "support", "mode": "hologram"}"#, "invalid_field", "mode"),
                (#"{"agent": "support", "room_name": "bad room!"}"#, "invalid_field", "room_name"),
                (#"{"agent": "support", "agent_config": "fast"}"#, "invalid_field", "agent_config: must be an object"),
                (#"{"agent": "support", "agent_config": {"realtime": "yes"}}"#, "invalid_field",
                 "agent_config.realtime: must be a boolean, got string"),
                (#"{"agent": "support", "agent_config": {"stt": true}}"#, "invalid_field", "agent_config.stt: must be a string"),
            ]
            for (body, code, fragment) in cases {
                let r = try await client.call(.post, "/v1/sessions", auth: alice, body: body)
                #expect(r.status == .unprocessableContent, "\(body): \(r.text)")
                #expect(r.errorCode == code, "\(body): \(r.text)")
                #expect(r.errorMessage.contains(fragment), "\(body): \(r.errorMessage)")
            }
            let badLimit = try await client.call(.get, "/v1/sessions?limit=0", auth: alice)
            #expect(badLimit.status == .unprocessableContent)
            let badReason = try await client.call(.delete, "/v1/sessions/ses_x?reason=a%20b", auth: alice)
            #expect(badReason.status == .unprocessableContent)
        }
    }

    @Test("seed 004: bad userIdentity → 422 invalid_identity; unknown agentConfig key → 422")
    func seedValidation() async throws {
        let h = try await harness()
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        try await h.run { client in
            for identity in ["", "has space", "semi;colon", "ü-umlaut", String(repeating: "x", count: 129)] {
                let r = try await client.call(.post, "/session", auth: alice, body: #"{"userIdentity": "\#(identity)"}"#)
                #expect(r.status == .unprocessableContent && r.errorCode == "invalid_identity", "\(identity): \(r.text)")
            }
            let missing = try await client.call(.post, "/session", auth: alice, body: "{}")
            #expect(missing.status == .unprocessableContent && missing.errorCode == "missing_field")
            let badRoom = try await client.call(.post, "/session", auth: alice,
                                                body: #"{"userIdentity": "u1", "roomName": "a/b"}"#)
            #expect(badRoom.status == .unprocessableContent)
            let unknown = try await client.call(.post, "/session", auth: alice,
                                                body: #"{"userIdentity": "u1", "agentConfig": {"voice_speed": 2}}"#)
            #expect(unknown.status == .unprocessableContent && unknown.errorCode == "unknown_agent_config_keys")
            #expect(unknown.errorMessage.contains("voice_speed"))
        }
    }
}
