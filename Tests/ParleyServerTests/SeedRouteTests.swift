// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

@Suite("Seed 004 routes (POST /session, POST /session/end)", .serialized)
struct SeedRouteTests {
    @Test("POST /session answers with the seed's exact fields; /session/end is 204 then 404")
    func seed004() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let dispatchClient = try h.dispatches
        let alice = Harness.userToken("alice")
        try await h.run { client in
            let r = try await client.call(.post, "/session", auth: alice, body: """
                {"userIdentity": "user-123", "roomName": "optional-room",
                 "agentConfig": {"stt": "assemblyai/universal-streaming:en", "tts": "cartesia/sonic-3:9626c31c",
                                 "llm": "openai/gpt-4o-mini", "prompt": "Be concise.", "greeting": "Say hi",
                                 "realtime": false, "realtime_model": "gpt-4o-realtime-preview", "realtime_voice": "sage",
                                 "vad_enabled": true, "turn_detection_enabled": true,
                                 "noise_cancellation_enabled": true, "noise_cancellation_type": "auto"}}
                """)
            #expect(r.status == .ok, "\(r.text)")
            #expect(Set(r.json.keys) == ["userToken", "roomName", "livekitUrl", "agentDispatched", "agentConfig"])
            #expect(r.json["roomName"] as? String == "optional-room")
            #expect(r.json["livekitUrl"] as? String == peer.url)
            #expect(r.json["agentDispatched"] as? Bool == true)
            let config = try #require(r.json["agentConfig"] as? [String: Any])
            #expect(Set(config.keys) == ["stt", "tts", "llm", "realtime"])
            #expect(config["stt"] as? String == "assemblyai/universal-streaming:en" && config["realtime"] as? Bool == false)
            let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret").verify(try #require(r.json["userToken"] as? String))
            #expect(claims.sub == "user-123" && claims.video?.room == "optional-room" && claims.video?.roomJoin == true)
            // The whole agentConfig is the dispatch metadata (seed-004 contract names).
            let d = try await dispatchClient.listDispatches(room: "optional-room")
            let meta = try JSONSerialization.jsonObject(with: Data(try #require(d.first).metadata.utf8)) as? [String: Any]
            #expect(meta?["prompt"] as? String == "Be concise." && meta?["noise_cancellation_type"] as? String == "auto")

            // Generated room name when omitted.
            let auto = try await client.call(.post, "/session", auth: alice, body: #"{"userIdentity": "user_9"}"#)
            #expect(auto.status == .ok)
            #expect((auto.json["roomName"] as? String)?.hasPrefix("parley-") == true)

            // Someone else cannot end it.
            let bobEnd = try await client.call(.post, "/session/end", auth: Harness.userToken("bob"),
                                               body: #"{"roomName": "optional-room"}"#)
            #expect(bobEnd.status == .forbidden)
            let end = try await client.call(.post, "/session/end", auth: alice, body: #"{"roomName": "optional-room"}"#)
            #expect(end.status == .noContent && end.text.isEmpty)
            #expect(try await roomsClient.listRooms(names: ["optional-room"]).isEmpty)
            let again = try await client.call(.post, "/session/end", auth: alice, body: #"{"roomName": "optional-room"}"#)
            #expect(again.status == .notFound && again.errorCode == "session_not_found")
            let unknown = try await client.call(.post, "/session/end", auth: alice, body: #"{"roomName": "never-was"}"#)
            #expect(unknown.status == .notFound)
        }
    }

    @Test("POST /api/video/create-room (seed 000): exact fields, video grants, 404 for unknown or disabled categories")
    func seed000() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let dispatchClient = try h.dispatches
        let alice = Harness.userToken("alice")
        try await h.run { client in
            let r = try await client.call(.post, "/api/video/create-room", auth: alice,
                                          body: #"{"counselor_category": "3f9a1c2e-7b4d-4e8a-9c1f-0a2b3c4d5e6f"}"#)
            #expect(r.status == .ok, "\(r.text)")
            #expect(Set(r.json.keys) == ["room_url", "access_token", "room_name", "session_id"])
            let sessionID = try #require(r.json["session_id"] as? String)
            #expect(UUID(uuidString: sessionID) != nil)
            #expect(r.json["room_name"] as? String == "video-\(sessionID)")
            #expect(r.json["room_url"] as? String == peer.url)
            let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret")
                .verify(try #require(r.json["access_token"] as? String))
            #expect(claims.sub == "alice" && claims.video?.canPublishSources == ["microphone", "camera"])
            #expect(try await roomsClient.listRooms(names: ["video-\(sessionID)"]).count == 1)
            #expect(try await dispatchClient.listDispatches(room: "video-\(sessionID)").map(\.agentName) == ["support-agent"])
            // The v1 API sees it as a video session.
            let got = try await client.call(.get, "/v1/sessions/\(sessionID)", auth: alice)
            #expect(got.json["mode"] as? String == "video" && got.json["status"] as? String == "active")
            // By profile name too; unknown and disabled categories are 404.
            #expect(try await client.call(.post, "/api/video/create-room", auth: alice,
                                          body: #"{"counselor_category": "support"}"#).status == .ok)
            for category in ["00000000-0000-4000-8000-000000000000", "retired"] {
                let missing = try await client.call(.post, "/api/video/create-room", auth: alice,
                                                    body: #"{"counselor_category": "\#(category)"}"#)
                #expect(missing.status == .notFound && missing.errorCode == "agent_not_found", "\(category)")
            }
            let noAuth = try await client.call(.post, "/api/video/create-room", body: #"{"counselor_category": "support"}"#)
            #expect(noAuth.status == .unauthorized)
        }
    }
}
