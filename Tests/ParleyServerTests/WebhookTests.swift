// SPDX-License-Identifier: Apache-2.0

import Foundation
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

/// LiveKit webhook deliveries made by the Python `livekit-api` SDK (the test-peer venv): the body is
/// protojson from `MessageToJson(WebhookEvent)`, the `Authorization` header an `AccessToken` with the
/// body's `sha256`, and every valid fixture is first accepted by the SDK's own `WebhookReceiver`.
enum WebhookFixtures {
    struct Delivery: Decodable, Sendable {
        var body: String
        var token: String
    }

    static let script = #"""
    import sys, json, hashlib, base64, datetime, warnings
    warnings.filterwarnings("ignore")
    from livekit import api
    from livekit.protocol.webhook import WebhookEvent
    from google.protobuf.json_format import ParseDict, MessageToJson
    out = []
    for s in json.load(sys.stdin):
        body = s["raw"] if "raw" in s else MessageToJson(ParseDict(s["event"], WebhookEvent()))
        hashed = s.get("hash_body", body)
        t = api.AccessToken(s.get("key", "devkey"), s.get("secret", "secret"))
        t = t.with_ttl(datetime.timedelta(seconds=s.get("ttl", 300)))
        if not s.get("no_sha"):
            t = t.with_sha256(base64.b64encode(hashlib.sha256(hashed.encode()).digest()).decode())
        token = t.to_jwt()
        if s.get("check", True):
            api.WebhookReceiver(api.TokenVerifier("devkey", "secret")).receive(body, token)
        out.append({"body": body, "token": token})
    json.dump(out, sys.stdout)
    """#

    /// Signs each spec (`event` dict, or `raw` body; `secret`, `hash_body`, `no_sha`, `ttl`, `check`).
    static func make(_ specs: [[String: Any]]) throws -> [Delivery] {
        let p = Process()
        p.executableURL = LiveKitTestPeer.root.appendingPathComponent(".test-peers/venv/bin/python")
        p.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: specs))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PeerError("fixture generator failed: \(String(decoding: err, as: UTF8.self))")
        }
        return try JSONDecoder().decode([Delivery].self, from: data)
    }

    static func event(_ name: String, id: String, room: String, sid: String? = nil, createdAt: Int64,
                      participant: (identity: String, kind: String)? = nil) -> [String: Any] {
        var roomInfo: [String: Any] = ["name": room]
        if let sid { roomInfo["sid"] = sid }
        var e: [String: Any] = ["event": name, "id": id, "createdAt": String(createdAt), "room": roomInfo]
        if let participant {
            e["participant"] = ["identity": participant.identity, "kind": participant.kind, "sid": "PA_\(participant.identity)",
                                "state": "ACTIVE", "joinedAt": String(createdAt)]
        }
        if name == "track_published" { e["track"] = ["sid": "TR_1", "type": "AUDIO", "source": "MICROPHONE"] }
        return ["event": e]
    }
}

extension TestClientProtocol {
    func deliver(_ d: WebhookFixtures.Delivery, authorization: String? = nil,
                 contentType: String = "application/webhook+json") async throws -> Reply {
        var headers = HTTPFields()
        headers[.authorization] = authorization ?? d.token
        headers[.contentType] = contentType
        return try await execute(uri: "/v1/livekit/webhook", method: .post, headers: headers,
                                 body: ByteBuffer(string: d.body)) {
            Reply(status: $0.status, text: String(buffer: $0.body), headers: $0.headers)
        }
    }
}

@Suite("LiveKit webhooks", .serialized)
struct WebhookTests {
    @Test("participant joins/leaves and room_finished update the session; redeliveries change nothing",
          arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        let t0 = Int64(Date().timeIntervalSince1970)
        let room = "wh-room-1"
        let roomsClient = try h.rooms
        try await h.run { client in
            let created = try await client.call(.post, "/v1/sessions", auth: alice,
                                                body: #"{"agent": "support", "room_name": "\#(room)"}"#)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["session_id"] as? String)
            let sid = try #require(try await roomsClient.listRooms(names: [room]).first?.sid)
            #expect(!sid.isEmpty, "the room's sid is kept to tell rooms of the same name apart")
            let d = try WebhookFixtures.make([
                WebhookFixtures.event("room_started", id: "EV_start", room: room, sid: sid, createdAt: t0),
                WebhookFixtures.event("participant_joined", id: "EV_j1", room: room, sid: sid, createdAt: t0 + 1,
                                      participant: ("alice", "STANDARD")),
                WebhookFixtures.event("participant_joined", id: "EV_j2", room: room, sid: sid, createdAt: t0 + 2,
                                      participant: ("support-bot", "AGENT")),
                WebhookFixtures.event("track_published", id: "EV_t1", room: room, sid: sid, createdAt: t0 + 3,
                                      participant: ("alice", "STANDARD")),
                WebhookFixtures.event("participant_left", id: "EV_l2", room: room, sid: sid, createdAt: t0 + 4,
                                      participant: ("support-bot", "AGENT")),
                WebhookFixtures.event("participant_joined", id: "EV_j3", room: room, sid: sid, createdAt: t0 + 5,
                                      participant: ("agent-7", "STANDARD")),
                WebhookFixtures.event("room_finished", id: "EV_fin", room: room, sid: sid, createdAt: t0 + 6),
                WebhookFixtures.event("room_finished", id: "EV_other", room: "no-such-room", createdAt: t0 + 6),
                // An earlier room of the same name (another sid): not this session's.
                WebhookFixtures.event("room_finished", id: "EV_oldroom", room: room, sid: "RM_earlier", createdAt: t0),
            ])

            let stale = try await client.deliver(d[8])
            #expect(stale.status == .ok && stale.json["status"] as? String == "no_session", "\(stale.text)")
            let started = try await client.deliver(d[0])
            #expect(started.status == .ok, "\(started.text)")
            #expect(started.json["status"] as? String == "recorded" && started.json["session_id"] as? String == id)
            for i in 1...2 {
                let r = try await client.deliver(d[i])
                #expect(r.status == .ok && r.json["status"] as? String == "applied", "\(r.text)")
            }
            var got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            var history = try #require(got.json["participant_history"] as? [[String: Any]])
            #expect(history.compactMap { $0["identity"] as? String } == ["alice", "support-bot"])
            #expect(history.last?["agent"] as? Bool == true && history.last?["connected"] as? Bool == true)
            #expect(history.last?["kind"] as? String == "AGENT")
            #expect(history.first?["agent"] as? Bool == false)

            #expect(try await client.deliver(d[3]).json["status"] as? String == "recorded")
            #expect(try await client.deliver(d[4]).json["status"] as? String == "applied")
            // The same "joined" delivered again: a duplicate, the agent stays disconnected.
            let replay = try await client.deliver(d[2])
            #expect(replay.status == .ok && replay.json["status"] as? String == "duplicate")
            // An identity with the agent- prefix counts as an agent whatever its kind.
            #expect(try await client.deliver(d[5]).json["status"] as? String == "applied")
            got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            history = try #require(got.json["participant_history"] as? [[String: Any]])
            let bot = try #require(history.first { $0["identity"] as? String == "support-bot" })
            #expect(bot["connected"] as? Bool == false && bot["left_at"] is String)
            let prefixed = try #require(history.first { $0["identity"] as? String == "agent-7" })
            #expect(prefixed["agent"] as? Bool == true && prefixed["kind"] as? String == "STANDARD")
            #expect(got.json["status"] as? String == "active")

            let fin = try await client.deliver(d[6])
            #expect(fin.status == .ok && fin.json["status"] as? String == "applied", "\(fin.text)")
            got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            #expect(got.json["status"] as? String == "ended" && got.json["end_reason"] as? String == "room_finished")
            history = try #require(got.json["participant_history"] as? [[String: Any]])
            #expect(history.allSatisfy { $0["connected"] as? Bool == false })
            #expect(try await client.deliver(d[6]).json["status"] as? String == "duplicate")
            // A later DELETE keeps LiveKit's reason.
            let del = try await client.call(.delete, "/v1/sessions/\(id)", auth: alice)
            #expect(del.status == .ok && del.json["end_reason"] as? String == "room_finished")
            let unknown = try await client.deliver(d[7])
            #expect(unknown.status == .ok && unknown.json["status"] as? String == "no_session")
            // Bearer-prefixed tokens are accepted too.
            #expect(try await client.deliver(d[7], authorization: "Bearer \(d[7].token)").json["status"] as? String == "duplicate")
        }
    }

    @Test("bad signature, body hash mismatch, no sha256, expired, missing header → 401; malformed → 400; nothing changes")
    func rejects() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, maxBodyBytes: 4096)
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        let t0 = Int64(Date().timeIntervalSince1970)
        let room = "wh-room-2"
        let finished = WebhookFixtures.event("room_finished", id: "EV_fin2", room: room, createdAt: t0)
        let good = try WebhookFixtures.make([finished])[0]
        var forged = finished
        forged["secret"] = "not-the-secret"
        forged["check"] = false
        var noSha = finished
        noSha["no_sha"] = true
        noSha["check"] = false
        var expired = finished
        expired["ttl"] = -600
        expired["check"] = false
        var otherBody = finished
        otherBody["hash_body"] = "{}"
        otherBody["check"] = false
        let bad = try WebhookFixtures.make([
            forged, noSha, expired, otherBody,
            ["raw": "{not json", "check": false],
            ["raw": #"{"id": "EV_x", "room": {"name": "wh-room-2"}}"#, "check": false],
            ["raw": #"{"event": "participant_joined", "id": "EV_y", "room": {"name": "wh-room-2"}}"#, "check": false],
            ["raw": #"["room_finished"]"#, "check": false],
            ["raw": #"{"event": "room_finished", "id": 7}"#, "check": false],
        ])
        try await h.run { client in
            let created = try await client.call(.post, "/v1/sessions", auth: alice,
                                                body: #"{"agent": "support", "room_name": "\#(room)"}"#)
            let id = try #require(created.json["session_id"] as? String)
            for (i, d) in bad[0..<4].enumerated() {
                let r = try await client.deliver(d)
                #expect(r.status == .unauthorized && r.errorCode == "invalid_webhook_signature", "case \(i): \(r.text)")
                #expect(!r.text.contains(d.token))
            }
            // The right token, but on another body.
            let swapped = try await client.deliver(.init(body: bad[4].body, token: good.token))
            #expect(swapped.status == .unauthorized)
            var missing = try await client.deliver(good, authorization: "")
            #expect(missing.status == .unauthorized)
            missing = try await client.deliver(good, authorization: "Bearer not.a.jwt")
            #expect(missing.status == .unauthorized)
            let wrongType = try await client.deliver(good, contentType: "text/plain")
            #expect(wrongType.status == .unsupportedMediaType)
            for d in bad[4...] {
                let r = try await client.deliver(d)
                #expect(r.status == .badRequest, "\(d.body): \(r.text)")
                #expect(r.errorCode == "malformed_json" || r.errorCode == "malformed_webhook")
            }
            let big = try WebhookFixtures.make([["raw": String(repeating: " ", count: 1 << 21) + "{}", "check": false]])[0]
            #expect(try await client.deliver(big).status == .contentTooLarge)
            // Nothing above touched the session; the genuine delivery does.
            var got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            #expect(got.json["status"] as? String == "active")
            let ok = try await client.deliver(good)
            #expect(ok.status == .ok && ok.json["status"] as? String == "applied", "\(ok.text)")
            got = try await client.call(.get, "/v1/sessions/\(id)", auth: alice)
            #expect(got.json["status"] as? String == "ended" && got.json["end_reason"] as? String == "room_finished")
        }
    }

    @Test("the verifier parses proto field names and numeric enums too")
    func parsesVariants() throws {
        let body = Array(#"{"event": "participant_joined", "id": "EV_z", "created_at": 1700000000, "room": {"name": "r"}, "participant": {"identity": "bot", "kind": 4}}"#.utf8)
        let e = try WebhookVerifier.parse(body)
        #expect(e.id == "EV_z" && e.roomName == "r" && e.createdAtMs == 1_700_000_000_000)
        #expect(e.action == .joined(identity: "bot", kind: "AGENT", isAgent: true))
    }
}
