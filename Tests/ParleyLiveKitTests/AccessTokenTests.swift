// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyLiveKit

@Suite("Access tokens")
struct AccessTokenTests {
    static let now: Int64 = 1_800_000_000

    func minted(ttl: Int64 = 6 * 3600) throws -> String {
        var t = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "caller-42")
        t.name = "Caller"
        t.video = .join(room: "support-7")
        t.roomConfig = RoomConfiguration(emptyTimeout: 60, maxParticipants: 2,
                                         agents: [RoomAgentDispatch(agentName: "support-agent", metadata: #"{"stt":"x"}"#)])
        t.ttl = ttl
        return try t.jwt(now: Self.now)
    }

    @Test("claims round-trip through our own verifier, with the 6 h default lifetime")
    func roundTrip() throws {
        let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret").verify(try minted(), now: Self.now)
        #expect(claims.iss == "devkey" && claims.sub == "caller-42" && claims.name == "Caller")
        #expect(claims.iat == Self.now && claims.nbf == Self.now && claims.exp == Self.now + 21_600)
        #expect(claims.video == .join(room: "support-7"))
        #expect(claims.roomConfig?.agents?.first?.agentName == "support-agent")
    }

    @Test("the wire form uses LiveKit's camelCase keys and omits absent claims")
    func wireForm() throws {
        let payload = try #require(JWT.base64URLDecode(try minted().split(separator: ".")[1]))
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.contains(#""video":{"canPublish":true,"canPublishData":true,"canSubscribe":true,"room":"support-7","roomJoin":true}"#))
        #expect(text.contains(#""roomConfig":{"agents":[{"agentName":"support-agent","metadata":"{\"stt\":\"x\"}"}],"emptyTimeout":60,"maxParticipants":2}"#))
        #expect(!text.contains("metadata\":null") && !text.contains("roomAdmin"))
    }

    @Test("refusals name the cause", arguments: [
        ("wrong secret", TokenError.badSignature),
        ("expired", TokenError.expired(expiredAt: AccessTokenTests.now + 10, now: AccessTokenTests.now + 71)),
        ("unknown key", TokenError.unknownAPIKey("devkey")),
    ])
    func refusals(name: String, expected: TokenError) throws {
        let token = try minted(ttl: name == "expired" ? 10 : 3600)
        let verifier: TokenVerifier
        var now = Self.now
        switch name {
        case "wrong secret": verifier = TokenVerifier(apiKey: "devkey", apiSecret: "other")
        case "unknown key": verifier = TokenVerifier(apiKey: "prodkey", apiSecret: "secret")
        default: verifier = TokenVerifier(apiKey: "devkey", apiSecret: "secret"); now += 71
        }
        #expect(throws: expected) { try verifier.verify(token, now: now) }
    }

    @Test("expiry and not-before get one minute of leeway, like the server")
    func leeway() throws {
        let token = try minted(ttl: 10)
        let v = TokenVerifier(apiKey: "devkey", apiSecret: "secret")
        _ = try v.verify(token, now: Self.now + 70)      // 60 s past exp: still accepted
        #expect(throws: TokenError.notYetValid(validFrom: Self.now, now: Self.now - 61)) {
            try v.verify(token, now: Self.now - 61)
        }
    }

    @Test("malformed, tampered and non-HS256 tokens are refused without crashing")
    func malformed() throws {
        let v = TokenVerifier(apiKey: "devkey", apiSecret: "secret")
        let good = try minted()
        let parts = good.split(separator: ".").map(String.init)
        #expect(throws: TokenError.malformed("expected 3 dot-separated parts, found 1")) { try v.verify("abc") }
        #expect(throws: TokenError.malformed("payload is not base64url")) { try v.verify("\(parts[0]).!!.\(parts[2])") }
        let none = JWT.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(throws: TokenError.unsupportedAlgorithm("none")) { try v.verify("\(none).\(parts[1]).") }
        // Flip one claim: the signature no longer matches.
        var payload = String(decoding: JWT.base64URLDecode(Substring(parts[1]))!, as: UTF8.self)
        payload = payload.replacingOccurrences(of: "caller-42", with: "caller-43")
        let tampered = "\(parts[0]).\(JWT.base64URL(Data(payload.utf8))).\(parts[2])"
        #expect(throws: TokenError.badSignature) { try v.verify(tampered, now: Self.now) }
        // Random garbage.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<120, using: &rng)
            let s = String((0..<n).map { _ in "abcXYZ019-_.=+/{}\"".randomElement(using: &rng)! })
            #expect(throws: TokenError.self) { try v.verify(s) }
        }
    }

    @Test("empty credentials cannot sign")
    func emptyCredentials() {
        #expect(throws: TokenError.missingCredentials("API secret is empty")) {
            try AccessToken(apiKey: "k", apiSecret: "").jwt()
        }
    }
}

/// Interop with the official Python SDK (livekit-api, installed by scripts/install-test-peers).
@Suite("Access tokens vs. the official livekit-api SDK", .serialized)
struct AccessTokenInteropTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func python(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let exe = Self.root.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            Issue.record("livekit-api test peer missing: run scripts/install-test-peers")
            return (127, "", "")
        }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["-W", "ignore", Self.root.appendingPathComponent("Tests/ParleyLiveKitTests/Fixtures/token_peer.py").path] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                String(decoding: e, as: UTF8.self))
    }

    @Test("a token minted by livekit-api verifies here with every claim intact")
    func theirsVerifiesHere() throws {
        let r = try python(["mint", "devkey", "secret"])
        try #require(r.status == 0, "\(r.err)")
        let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret").verify(r.out)
        #expect(claims.sub == "python-caller" && claims.name == "Py Caller" && claims.kind == "agent")
        #expect(claims.metadata == #"{"plan":"pro"}"# && claims.attributes == ["lang": "en"])
        #expect(claims.video == VideoGrant(roomJoin: true, room: "room-7", canPublish: false, canSubscribe: true,
                                           canPublishData: true, canPublishSources: ["microphone"]))
        #expect(claims.roomConfig == RoomConfiguration(emptyTimeout: 30, maxParticipants: 2,
                                                       agents: [RoomAgentDispatch(agentName: "support-agent",
                                                                                  metadata: #"{"stt":"x"}"#)]))
        #expect(throws: TokenError.badSignature) { try TokenVerifier(apiKey: "devkey", apiSecret: "nope").verify(r.out) }
    }

    @Test("a token minted here verifies in livekit-api with the same claims; a wrong secret is refused there")
    func oursVerifiesThere() throws {
        var t = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "swift-caller")
        t.name = "Swift Caller"
        t.metadata = #"{"tier":1}"#
        t.attributes = ["lk.agent.state": "listening"]
        t.kind = "agent"
        t.video = VideoGrant(roomJoin: true, room: "room-9", canPublish: true, canSubscribe: true, canPublishData: false,
                             agent: true)
        t.roomConfig = RoomConfiguration(emptyTimeout: 45, agents: [RoomAgentDispatch(agentName: "a1", metadata: "m")])
        let jwt = try t.jwt()
        let r = try python(["verify", "devkey", "secret", jwt])
        try #require(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["identity"] as? String == "swift-caller")
        #expect(json["name"] as? String == "Swift Caller")
        #expect(json["kind"] as? String == "agent")
        #expect(json["attributes"] as? [String: String] == ["lk.agent.state": "listening"])
        let video = try #require(json["video"] as? [String: Any])
        #expect(video["room"] as? String == "room-9" && video["room_join"] as? Bool == true)
        #expect(video["can_publish_data"] as? Bool == false && video["agent"] as? Bool == true)
        let config = try #require(json["room_config"] as? [String: Any])
        #expect(config["emptyTimeout"] as? Int == 45)
        #expect((config["agents"] as? [[String: Any]])?.first?["agentName"] as? String == "a1")

        let wrong = try python(["verify", "devkey", "other-secret", jwt])
        #expect(wrong.status == 1)
        #expect(wrong.err.contains("Signature"), "\(wrong.err)")
    }
}
