// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

@Suite("Sessions against the LiveKit test server", .serialized)
struct SessionLifecycleTests {
    @Test("create: room exists, agent dispatched with merged config, token verifies with the right grants",
          arguments: StoreBackend.allCases)
    func create(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        let reply = try await h.run { client in
            try await client.call(.post, "/v1/sessions", auth: alice, body: """
                {"mode": "voice", "agent": "support", "agent_config": {"llm": "openai/gpt-4.1-mini", "vad_enabled": false}}
                """)
        }
        #expect(reply.status == .created, "\(reply.text)")
        let json = reply.json
        let room = try #require(json["room_name"] as? String)
        let sessionID = try #require(json["session_id"] as? String)
        #expect(sessionID.hasPrefix("ses_"))
        #expect(json["livekit_url"] as? String == peer.url)
        #expect(json["agent_dispatched"] as? Bool == true)
        #expect(json["participant_identity"] as? String == "alice")
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["llm"] as? String == "openai/gpt-4.1-mini")          // request override
        #expect(config["stt"] as? String == "deepgram/nova-3:en")           // profile default
        #expect(config["vad_enabled"] as? Bool == false)
        #expect(config["greeting"] as? String == "Hi, I'm Maya.")
        #expect(config["prompt"] == nil, "the operator's instructions are not echoed")

        // The room, with the configured limits.
        let rooms = try await h.rooms.listRooms(names: [room])
        #expect(rooms.count == 1)
        #expect(rooms.first?.maxParticipants == 2 && rooms.first?.emptyTimeout == 300)
        // The dispatch, with the merged config (including the profile's prompt) as metadata.
        let dispatches = try await h.dispatches.listDispatches(room: room)
        #expect(dispatches.map(\.agentName) == ["support-agent"])
        let metadata = try JSONSerialization.jsonObject(with: Data(try #require(dispatches.first).metadata.utf8))
            as? [String: Any]
        #expect(metadata?["prompt"] as? String == "You are Maya, a support agent.")
        #expect(metadata?["llm"] as? String == "openai/gpt-4.1-mini")
        #expect(metadata?["vad_enabled"] as? Bool == false)
        // The token: LiveKit's verifier accepts it; identity, room and grants are exactly these.
        let token = try #require(json["participant_token"] as? String)
        let claims = try TokenVerifier(apiKey: "devkey", apiSecret: "secret").verify(token)
        #expect(claims.sub == "alice")
        let video = try #require(claims.video)
        #expect(video.roomJoin == true && video.room == room)
        #expect(video.canPublish == true && video.canSubscribe == true && video.canPublishData == true)
        #expect(video.canPublishSources == ["microphone"])
        #expect(video.roomAdmin == nil && video.roomCreate == nil)
        let ttl = try #require(claims.exp) - Int64(Date().timeIntervalSince1970)
        #expect((6 * 3600 - 60)...(6 * 3600) ~= ttl)
        // Persisted.
        let store = try await h.reopenStore()
        let row = try await store.get(id: sessionID)
        #expect(row?.status == .active && row?.owner == "alice" && row?.roomName == room)
        #expect(row?.dispatchID == dispatches.first?.id)
        try await store.close()
    }

    @Test("get, list, end (idempotent), then list is empty and the room is gone", arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        let roomsClient = try h.rooms
        try await h.run { client in
            let created = try await client.call(.post, "/v1/sessions", auth: alice,
                                                body: #"{"agent": "support", "room_name": "alice-room-1", "mode": "video"}"#)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["session_id"] as? String)
            #expect(created.json["room_name"] as? String == "alice-room-1")

            let got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            #expect(got.status == .ok)
            #expect(got.json["status"] as? String == "active")
            #expect(got.json["mode"] as? String == "video")
            #expect(got.json["participants"] as? [String] == [])
            #expect(got.json["agent_connected"] as? Bool == false)
            #expect(got.json["participant_token"] == nil, "a token is never shown again")

            let listed = try await client.call(.get, "/v1/sessions", auth: alice)
            let sessions = try #require(listed.json["sessions"] as? [[String: Any]])
            #expect(sessions.compactMap { $0["session_id"] as? String } == [id])

            let ended = try await client.call(.delete, "/v1/sessions/\(id)?reason=user_hangup", auth: alice)
            #expect(ended.status == .ok, "\(ended.text)")
            #expect(ended.json["status"] as? String == "ended")
            #expect(ended.json["end_reason"] as? String == "user_hangup")
            #expect(ended.json["ended_at"] is String)
            #expect(try await roomsClient.listRooms(names: ["alice-room-1"]).isEmpty)

            let again = try await client.call(.delete, "/v1/sessions/\(id)", auth: alice)
            #expect(again.status == .ok)
            #expect(again.json["end_reason"] as? String == "user_hangup", "the first end wins")

            let after = try await client.call(.get, "/v1/sessions", auth: alice)
            #expect((after.json["sessions"] as? [Any])?.isEmpty == true)
            let all = try await client.call(.get, "/v1/sessions?include_ended=true", auth: alice)
            #expect((all.json["sessions"] as? [Any])?.count == 1)
            // The room name is free again.
            let reuse = try await client.call(.post, "/v1/sessions", auth: alice,
                                              body: #"{"agent": "support", "room_name": "alice-room-1"}"#)
            #expect(reuse.status == .created)
            let clash = try await client.call(.post, "/v1/sessions", auth: alice,
                                              body: #"{"agent": "support", "room_name": "alice-room-1"}"#)
            #expect(clash.status == .conflict && clash.errorCode == "room_in_use")
        }
    }

    @Test("another user's session is 403 on get and delete; unknown is 404; the room survives",
          arguments: StoreBackend.allCases)
    func ownership(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        try await h.run { client in
            let created = try await client.call(.post, "/v1/sessions", auth: Harness.userToken("alice"),
                                                body: #"{"agent": "support"}"#)
            let id = try #require(created.json["session_id"] as? String)
            let room = try #require(created.json["room_name"] as? String)
            let bob = Harness.userToken("bob")
            let get = try await client.call(.get, "/v1/sessions/\(id)", auth: bob)
            #expect(get.status == .forbidden && get.errorCode == "forbidden")
            let del = try await client.call(.delete, "/v1/sessions/\(id)", auth: bob)
            #expect(del.status == .forbidden)
            #expect(try await roomsClient.listRooms(names: [room]).count == 1)
            let list = try await client.call(.get, "/v1/sessions", auth: bob)
            #expect((list.json["sessions"] as? [Any])?.isEmpty == true)
            let unknown = try await client.call(.get, "/v1/sessions/ses_nope", auth: bob)
            #expect(unknown.status == .notFound && unknown.errorCode == "session_not_found")
            let unknownDelete = try await client.call(.delete, "/v1/sessions/ses_nope", auth: bob)
            #expect(unknownDelete.status == .notFound)
        }
    }

    @Test("LiveKit down → 503 livekit_unavailable, nothing persisted", arguments: StoreBackend.allCases)
    func livekitDown(backend: StoreBackend) async throws {
        // A port nothing listens on: bind, read the port, close.
        let deadURL = "http://127.0.0.1:\(try freePort())"
        let h = try await Harness.make(livekitURL: deadURL, backend: backend)
        defer { h.cleanUpFiles() }
        let reply = try await h.run { client in
            try await client.call(.post, "/v1/sessions", auth: Harness.userToken("alice"), body: #"{"agent": "support"}"#)
        }
        #expect(reply.status == .serviceUnavailable, "\(reply.text)")
        #expect(reply.errorCode == "livekit_unavailable")
        #expect(!reply.text.contains("Connection refused") && !reply.text.contains("secret"))
        let store = try await h.reopenStore()
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 10).isEmpty)
        try await store.close()
    }

    @Test("CreateDispatch fails after CreateRoom succeeded → 503, the room is deleted, nothing persisted",
          arguments: StoreBackend.allCases)
    func dispatchFailureCleansUp(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        // Arm the test server's fault injection once CreateRoom has succeeded: every CreateDispatch
        // attempt (3 with the retry policy) gets a 503; the clean-up DeleteRoom then goes through.
        let transport = ArmingTransport(peer: peer, armAfter: "CreateRoom", failCount: Harness.fastRetry.maxAttempts)
        let h = try await Harness.make(livekitURL: peer.url, backend: backend, transport: transport)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let reply = try await h.run { client in
            try await client.call(.post, "/v1/sessions", auth: Harness.userToken("alice"),
                                  body: #"{"agent": "support", "room_name": "doomed-room"}"#)
        }
        #expect(reply.status == .serviceUnavailable, "\(reply.text)")
        #expect(reply.errorCode == "livekit_unavailable")
        let methods = transport.methods.withLock { $0 }
        #expect(methods == ["CreateRoom", "CreateDispatch", "CreateDispatch", "CreateDispatch", "DeleteRoom"])
        #expect(try await roomsClient.listRooms().isEmpty, "the room was cleaned up")
        let store = try await h.reopenStore()
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 10).isEmpty)
        try await store.close()
    }

    @Test("LiveKit refusing CreateDispatch (500) → 502 livekit_error, room cleaned up")
    func dispatchRejectedIs502() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, transport: FailingDispatchTransport())
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        let reply = try await h.run { client in
            try await client.call(.post, "/v1/sessions", auth: Harness.userToken("alice"), body: #"{"agent": "support"}"#)
        }
        #expect(reply.status == .badGateway, "\(reply.text)")
        #expect(reply.errorCode == "livekit_error")
        #expect(!reply.text.contains("boom"), "LiveKit's message text is not passed on")
        #expect(try await roomsClient.listRooms().isEmpty)
    }

    @Test("unknown and disabled agent profiles are 404 agent_not_found; no room is created")
    func unknownProfile() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url)
        defer { h.cleanUpFiles() }
        let roomsClient = try h.rooms
        try await h.run { client in
            for agent in ["nobody", "retired"] {
                let r = try await client.call(.post, "/v1/sessions", auth: Harness.userToken("alice"),
                                              body: #"{"agent": "\#(agent)"}"#)
                #expect(r.status == .notFound && r.errorCode == "agent_not_found", "\(agent): \(r.text)")
            }
        }
        #expect(try await roomsClient.listRooms().isEmpty)
    }

    @Test("health and readiness", arguments: StoreBackend.allCases)
    func health(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        try await h.run { client in
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == .ok && health.json["status"] as? String == "ok")
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == .ok && ready.json["livekit"] as? String == "ok" && ready.json["store"] as? String == "ok")
        }
        let dead = try await Harness.make(livekitURL: "http://127.0.0.1:\(try freePort())", backend: backend)
        defer { dead.cleanUpFiles() }
        try await dead.run { client in
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable && ready.json["livekit"] as? String == "failing")
        }
    }
}

/// A TCP port nothing is listening on (bound, then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw PeerError("cannot bind a probe socket") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
