// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

@Suite("Seed 001 routes (/api/v1/voice-sessions)", .serialized)
struct Seed001RouteTests {
    static func profiles() -> [SessionAgentProfile] {
        Harness.profiles() + [SessionAgentProfile(name: "workout", agentName: "workout-agent"),
                              SessionAgentProfile(name: "general", agentName: "general-agent")]
    }

    @Test("start, status, active and end with the seed's exact field names")
    func flow() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url) { config in
            for p in Self.profiles() { config.profiles[p.name] = p }
        }
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let dispatchClient = try h.dispatches
        let alice = Harness.userToken("alice")
        let bob = Harness.userToken("bob")
        try await h.run { client in
            let r = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: #"{"agent_type": "workout"}"#)
            #expect(r.status == .ok, "\(r.text)")
            #expect(Set(r.json.keys) == ["room_name", "token", "livekit_url", "agent_type", "expires_at"])
            let room = try #require(r.json["room_name"] as? String)
            #expect(room.hasPrefix("fitness-voice-alice-") && room.count == "fitness-voice-alice-".count + 8)
            #expect(r.json["agent_type"] as? String == "workout" && r.json["livekit_url"] as? String == peer.url)
            let expires = try #require(r.json["expires_at"] as? String)
            let expiry = try #require(ISO8601DateFormatter.withFractional.date(from: expires))
            #expect(abs(expiry.timeIntervalSinceNow - 6 * 3600) < 120)
            let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret").verify(try #require(r.json["token"] as? String))
            #expect(claims.sub == "alice" && claims.video?.room == room && claims.video?.canPublishData == true)
            #expect(try await dispatchClient.listDispatches(room: room).map(\.agentName) == ["workout-agent"])
            #expect(try await roomsClient.listRooms(names: [room]).first?.maxParticipants == 2)

            // No body at all: the seed's default agent_type "general".
            let d = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice)
            #expect(d.status == .ok && d.json["agent_type"] as? String == "general", "\(d.text)")
            let room2 = try #require(d.json["room_name"] as? String)
            #expect(try await dispatchClient.listDispatches(room: room2).map(\.agentName) == ["general-agent"])

            let status = try await client.call(.get, "/api/v1/voice-sessions/\(room)/status", auth: alice)
            #expect(status.status == .ok, "\(status.text)")
            #expect(Set(status.json.keys) == ["room_name", "active", "participants", "agent_connected", "created_at"])
            #expect(status.json["room_name"] as? String == room && status.json["active"] as? Bool == false)
            #expect(status.json["participants"] as? Int == 0 && status.json["agent_connected"] as? Bool == false)

            let active = try await client.call(.get, "/api/v1/voice-sessions/active", auth: alice)
            #expect(active.status == .ok)
            let sessions = try #require(active.json["sessions"] as? [[String: Any]])
            #expect(Set(sessions.compactMap { $0["room_name"] as? String }) == [room, room2])
            #expect(sessions.allSatisfy { Set($0.keys) == ["room_name", "agent_type", "participants", "created_at"] })
            #expect(sessions.first { $0["room_name"] as? String == room }?["agent_type"] as? String == "workout")
            #expect((try await client.call(.get, "/api/v1/voice-sessions/active", auth: bob).json["sessions"] as? [Any])?.isEmpty == true)

            // Someone else's: 403 on status and end; the room survives.
            #expect(try await client.call(.get, "/api/v1/voice-sessions/\(room)/status", auth: bob).status == .forbidden)
            #expect(try await client.call(.delete, "/api/v1/voice-sessions/\(room)", auth: bob).status == .forbidden)
            #expect(try await roomsClient.listRooms(names: [room]).count == 1)

            let end = try await client.call(.delete, "/api/v1/voice-sessions/\(room)", auth: alice)
            #expect(end.status == .ok)
            #expect(end.json["status"] as? String == "ended" && end.json["room_name"] as? String == room)
            #expect(Set(end.json.keys) == ["status", "room_name"])
            #expect(try await roomsClient.listRooms(names: [room]).isEmpty)
            // Gone now, like the seed (its room lookup is not_found).
            #expect(try await client.call(.get, "/api/v1/voice-sessions/\(room)/status", auth: alice).status == .notFound)
            #expect(try await client.call(.delete, "/api/v1/voice-sessions/\(room)", auth: alice).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/voice-sessions/never/status", auth: alice).status == .notFound)
        }
    }

    @Test("bad input: unknown agent_type 404, invalid 422, unknown field 422, malformed 400, no auth 401")
    func badInput() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let alice = Harness.userToken("alice")
        try await h.run { client in
            let unknown = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: #"{"agent_type": "diet"}"#)
            #expect(unknown.status == .notFound && unknown.errorCode == "agent_not_found")
            let invalid = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: #"{"agent_type": "a b"}"#)
            #expect(invalid.status == .unprocessableContent && invalid.errorCode == "invalid_field")
            let typed = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: #"{"agent_type": 3}"#)
            #expect(typed.status == .unprocessableContent)
            let extra = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: #"{"agentType": "x"}"#)
            #expect(extra.status == .unprocessableContent && extra.errorCode == "unknown_fields")
            let malformed = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: "{")
            #expect(malformed.status == .badRequest && malformed.errorCode == "malformed_json")
            let noAuth = try await client.call(.post, "/api/v1/voice-sessions/start", body: "{}")
            #expect(noAuth.status == .unauthorized)
            // No "general" profile configured: the default falls back to the seed profile.
            let fallback = try await client.call(.post, "/api/v1/voice-sessions/start", auth: alice, body: "{}")
            #expect(fallback.status == .ok && fallback.json["agent_type"] as? String == "general", "\(fallback.text)")
        }
        #expect(try await roomsClient.listRooms().count == 1)
    }
}

extension ISO8601DateFormatter {
    static var withFractional: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
