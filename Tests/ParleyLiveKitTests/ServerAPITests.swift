// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import ParleyLiveKit

/// The Python LiveKit protocol test server (Tests/LiveKitTestServer/server.py), one per test.
final class LiveKitTestServer: Sendable {
    static let root = LiveKitTestServerProcess.packageRoot
    private let server: LiveKitTestServerProcess
    var port: Int { server.port }
    var url: String { server.url }

    init(secret: String = "secret", extraArguments: [String] = []) throws {
        server = try LiveKitTestServerProcess(apiSecret: secret, extraArguments: extraArguments)
    }

    func stop() { server.stop() }

    /// An admin (`/_test/...`) request; returns the JSON answer.
    @discardableResult
    func admin(_ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

/// Wraps a transport and counts attempts (so retry tests can see them).
final class CountingTransport: HTTPTransport {
    let inner: any HTTPTransport
    let count = Mutex(0)
    init(_ inner: any HTTPTransport = URLSessionTransport()) { self.inner = inner }
    var attempts: Int { count.withLock { $0 } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        count.withLock { $0 += 1 }
        return try await inner.send(request)
    }
}

func expectAPIError(_ code: TwirpErrorCode, status: Int? = nil,
                    _ body: () async throws(LiveKitAPIError) -> Void) async -> LiveKitAPIError? {
    do {
        try await body()
        Issue.record("expected \(code), got success")
        return nil
    } catch {
        #expect(error.code == code, "\(error)")
        if let status { #expect(error.httpStatus == status, "\(error)") }
        return error
    }
}

@Suite("Server API (Twirp) against the LiveKit test server", .serialized)
struct ServerAPITests {
    let fast = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(50))

    func clients(_ server: LiveKitTestServer, secret: String = "secret",
                 transport: any HTTPTransport = URLSessionTransport(),
                 retry: RetryPolicy? = nil) throws -> (RoomServiceClient, AgentDispatchClient) {
        let twirp = try TwirpClient(url: server.url, apiKey: "devkey", apiSecret: secret, transport: transport,
                                    retry: retry ?? fast, timeout: .seconds(5))
        return (RoomServiceClient(twirp), AgentDispatchClient(twirp))
    }

    @Test("create, list and delete rooms with timeouts, metadata and agents")
    func rooms() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, dispatch) = try clients(server)
        let room = try await rooms.createRoom(name: "support-7", emptyTimeout: 60, departureTimeout: 5,
                                              maxParticipants: 2, metadata: #"{"plan":"pro"}"#,
                                              agents: [RoomAgentDispatch(agentName: "support-agent", metadata: "m1")])
        #expect(room.name == "support-7" && room.sid.hasPrefix("RM_"))
        #expect(room.emptyTimeout == 60 && room.departureTimeout == 5 && room.maxParticipants == 2)
        #expect(room.metadata == #"{"plan":"pro"}"#)
        #expect(room.creationTime > 1_700_000_000 && room.creationTimeMs / 1000 == room.creationTime)
        let defaults = try await rooms.createRoom(name: "plain")
        #expect(defaults.emptyTimeout == 300 && defaults.departureTimeout == 20)
        // Creating an existing room returns it unchanged.
        #expect(try await rooms.createRoom(name: "support-7", emptyTimeout: 1).sid == room.sid)
        #expect(Set(try await rooms.listRooms().map(\.name)) == ["support-7", "plain"])
        #expect(try await rooms.listRooms(names: ["plain"]).map(\.name) == ["plain"])
        let agents = try await dispatch.listDispatches(room: "support-7")
        #expect(agents.map(\.agentName) == ["support-agent"] && agents.first?.metadata == "m1")
        let updated = try await rooms.updateRoomMetadata(room: "support-7", metadata: "v2")
        #expect(updated.metadata == "v2" && updated.sid == room.sid)
        try await rooms.deleteRoom("support-7")
        #expect(try await rooms.listRooms().map(\.name) == ["plain"])
        let err = await expectAPIError(.notFound, status: 404) { () async throws(LiveKitAPIError) in
            try await rooms.deleteRoom("support-7")
        }
        #expect(err?.attempts == 1)
    }

    @Test("participants: list, get, update, mute, subscriptions, remove")
    func participants() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, _) = try clients(server)
        _ = try await rooms.createRoom(name: "r")
        try await server.admin("/_test/participants", ["room": "r", "participant": [
            "identity": "caller", "name": "Caller", "metadata": "m0", "kind": "STANDARD",
            "attributes": ["lang": "en", "tier": "1"],
            "tracks": [["sid": "TR_mic", "type": "AUDIO", "source": "MICROPHONE", "mime_type": "audio/opus"]],
        ]])
        try await server.admin("/_test/participants", ["room": "r", "participant": ["identity": "bot", "kind": "AGENT"]])
        let list = try await rooms.listParticipants(room: "r")
        #expect(list.map(\.identity) == ["caller", "bot"])
        #expect(list[1].kind == .agent && list[0].kind == .standard)
        let caller = try await rooms.getParticipant(room: "r", identity: "caller")
        #expect(caller.sid.hasPrefix("PA_") && caller.state == .active && caller.name == "Caller")
        #expect(caller.joinedAt > 1_700_000_000 && caller.attributes == ["lang": "en", "tier": "1"])
        #expect(caller.tracks == [TrackInfo(sid: "TR_mic", type: .audio, source: .microphone, mimeType: "audio/opus")])
        #expect(try await rooms.listRooms(names: ["r"]).first?.numParticipants == 2)

        let updated = try await rooms.updateParticipant(
            room: "r", identity: "caller", metadata: "m1", name: "Renamed", attributes: ["lang": "fr", "tier": ""],
            permission: ParticipantPermission(canPublish: false, canPublishSources: [.microphone], agent: true))
        #expect(updated.metadata == "m1" && updated.name == "Renamed" && updated.attributes == ["lang": "fr"])
        #expect(updated.permission?.canPublish == false && updated.permission?.canSubscribe == true)
        #expect(updated.permission?.canPublishSources == [.microphone] && updated.version > caller.version)
        #expect(updated.permission?.agent == true && updated.permission?.recorder == false)

        let track = try await rooms.mutePublishedTrack(room: "r", identity: "caller", trackSid: "TR_mic", muted: true)
        #expect(track.muted && track.sid == "TR_mic")
        try await rooms.updateSubscriptions(room: "r", identity: "bot", trackSids: ["TR_mic"], subscribe: true)
        try await rooms.removeParticipant(room: "r", identity: "caller")
        #expect(try await rooms.listParticipants(room: "r").map(\.identity) == ["bot"])
        _ = await expectAPIError(.notFound, status: 404) { () async throws(LiveKitAPIError) in
            _ = try await rooms.getParticipant(room: "r", identity: "caller")
        }
    }

    @Test("send data: base64 bytes, kind, destinations and topic reach the server; a bad nonce is invalid_argument")
    func sendData() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, _) = try clients(server)
        _ = try await rooms.createRoom(name: "r")
        let payload = Data([0, 1, 2, 250, 255]) + Data("hello".utf8)
        try await rooms.sendData(room: "r", data: payload, kind: .lossy, destinationIdentities: ["caller"],
                                 topic: "lk.chat")
        try await rooms.sendData(room: "r", data: Data("x".utf8))
        let packets = try #require(try await server.admin("/_test/data?room=r")["packets"] as? [[String: Any]])
        #expect(packets.count == 2)
        #expect(packets[0]["data"] as? String == payload.base64EncodedString())
        #expect(packets[0]["kind"] as? String == "LOSSY" && packets[0]["topic"] as? String == "lk.chat")
        #expect(packets[0]["destination_identities"] as? [String] == ["caller"])
        #expect(packets[1]["kind"] as? String == "RELIABLE")
        _ = await expectAPIError(.invalidArgument, status: 400) { () async throws(LiveKitAPIError) in
            try await rooms.sendData(room: "r", data: payload, nonce: Data([1, 2, 3]))
        }
        _ = await expectAPIError(.notFound) { () async throws(LiveKitAPIError) in
            try await rooms.sendData(room: "nope", data: payload)
        }
    }

    @Test("agent dispatch: create, list (all and by id), delete")
    func dispatch() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, dispatch) = try clients(server)
        let d1 = try await dispatch.createDispatch(room: "new-room", agentName: "support-agent", metadata: #"{"a":1}"#)
        #expect(d1.id.hasPrefix("AD_") && d1.room == "new-room" && d1.agentName == "support-agent")
        #expect(d1.metadata == #"{"a":1}"# && (d1.state?.createdAt ?? 0) > 1_700_000_000_000_000_000)
        #expect(try await rooms.listRooms().map(\.name) == ["new-room"])   // auto-created
        let d2 = try await dispatch.createDispatch(room: "new-room", agentName: "other")
        #expect(try await dispatch.listDispatches(room: "new-room").map(\.id) == [d1.id, d2.id])
        #expect(try await dispatch.listDispatches(room: "new-room", id: d2.id).map(\.agentName) == ["other"])
        #expect(try await dispatch.deleteDispatch(id: d1.id, room: "new-room").id == d1.id)
        #expect(try await dispatch.listDispatches(room: "new-room").map(\.id) == [d2.id])
        _ = await expectAPIError(.notFound) { () async throws(LiveKitAPIError) in
            _ = try await dispatch.deleteDispatch(id: d1.id, room: "new-room")
        }
    }

    @Test("wrong secret: the server's plain-text 401 becomes unauthenticated, with the echoed token redacted")
    func wrongSecret() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, _) = try clients(server, secret: "not-the-secret")
        let err = try #require(await expectAPIError(.unauthenticated, status: 401) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listRooms()
        })
        #expect(err.message.hasPrefix("invalid token: <redacted token>, error: "), "\(err.message)")
        #expect(!err.message.contains("eyJ") && !"\(err)".contains("not-the-secret") && err.attempts == 1)
    }

    @Test("a grant for another room, or a missing grant, is refused as LiveKit does: unauthenticated, 'permissions denied'")
    func wrongRoom() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, _) = try clients(server)
        _ = try await rooms.createRoom(name: "mine")
        let err = try #require(await expectAPIError(.unauthenticated, status: 401) { () async throws(LiveKitAPIError) in
            let _: ProtoEmpty = try await rooms.twirp.call(service: "RoomService", method: "ListParticipants",
                                                           RoomRequest(room: "mine"), grant: .admin(room: "other"))
        })
        #expect(err.message == "permissions denied" && err.isAuthFailure)
        _ = await expectAPIError(.unauthenticated) { () async throws(LiveKitAPIError) in
            let _: ProtoEmpty = try await rooms.twirp.call(service: "RoomService", method: "CreateRoom",
                                                           RoomRequest(room: "x"), grant: VideoGrant(roomList: true))
        }
    }

    @Test("missing room is not_found; an unknown method is bad_route")
    func notFoundAndBadRoute() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let (rooms, _) = try clients(server)
        _ = await expectAPIError(.notFound, status: 404) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listParticipants(room: "ghost")
        }
        _ = await expectAPIError(.badRoute, status: 404) { () async throws(LiveKitAPIError) in
            let _: ProtoEmpty = try await rooms.twirp.call(service: "RoomService", method: "Teleport",
                                                           RoomRequest(room: "x"), grant: VideoGrant(roomList: true))
        }
    }

    @Test("server down: a connection error after exactly the configured attempts")
    func serverDown() async throws {
        let server = try LiveKitTestServer()
        server.stop()
        let counting = CountingTransport()
        let (rooms, _) = try clients(server, transport: counting, retry: RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(10)))
        let err = try #require(await expectAPIError(.unavailable) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listRooms()
        })
        #expect(err.isConnectionFailure && err.httpStatus == nil, "\(err)")
        #expect(err.attempts == 4 && counting.attempts == 4)
    }

    @Test("injected 503s are retried and the call succeeds; a 4xx is not retried")
    func retriedUnavailable() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let counting = CountingTransport()
        let (rooms, _) = try clients(server, transport: counting)
        try await server.admin("/_test/fault", ["count": 2, "status": 503, "code": "unavailable"])
        let room = try await rooms.createRoom(name: "after-503")
        #expect(room.name == "after-503" && counting.attempts == 3)
        #expect(try await server.admin("/_test/stats")["calls"] as? Int == 3)
        // More 503s than attempts: the last error comes back with the attempt count.
        try await server.admin("/_test/fault", ["count": 5, "status": 503, "code": "unavailable"])
        let err = await expectAPIError(.unavailable, status: 503) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listRooms()
        }
        #expect(err?.attempts == 3 && counting.attempts == 6)
        try await server.admin("/_test/fault", ["count": 0])
        // Drain the remaining 2 faults, then a 400 is tried once.
        _ = try? await rooms.listRooms()
        try await server.admin("/_test/fault", ["count": 1, "status": 400, "code": "invalid_argument"])
        let before = counting.attempts
        _ = await expectAPIError(.invalidArgument, status: 400) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listRooms()
        }
        #expect(counting.attempts == before + 1)
    }

    @Test("--fail-next makes the first call see a 503, which is retried")
    func failNextFlag() async throws {
        let server = try LiveKitTestServer(extraArguments: ["--fail-next", "1:503"])
        defer { server.stop() }
        let counting = CountingTransport()
        let (rooms, _) = try clients(server, transport: counting)
        #expect(try await rooms.listRooms().isEmpty && counting.attempts == 2)
    }

    @Test("a slow server hits the configured timeout: deadline_exceeded, not retried (the call may have happened)")
    func timeout() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let counting = CountingTransport()
        let twirp = try TwirpClient(url: server.url, apiKey: "devkey", apiSecret: "secret", transport: counting,
                                    retry: fast, timeout: .milliseconds(400))
        try await server.admin("/_test/fault", ["count": 1, "status": 0, "delay_ms": 1500])
        let clock = ContinuousClock()
        let started = clock.now
        let err = try #require(await expectAPIError(.deadlineExceeded) { () async throws(LiveKitAPIError) in
            _ = try await RoomServiceClient(twirp).listRooms()
        })
        #expect(err.transportFailure?.kind == .timedOut && counting.attempts == 1 && err.httpStatus == nil)
        #expect(clock.now - started < .milliseconds(1400))
    }

    @Test("a non-JSON 500 body becomes an error with its text, not a crash, and is not retried")
    func nonJSONError() async throws {
        let server = try LiveKitTestServer()
        defer { server.stop() }
        let counting = CountingTransport()
        let (rooms, _) = try clients(server, transport: counting)
        try await server.admin("/_test/fault", ["count": 1, "status": 500, "code": NSNull(),
                                                "body": "<html>upstream exploded</html>", "content_type": "text/html"])
        let err = try #require(await expectAPIError(.unknown, status: 500) { () async throws(LiveKitAPIError) in
            _ = try await rooms.listRooms()
        })
        #expect(err.message == "<html>upstream exploded</html>" && counting.attempts == 1)
        // A 200 whose body is not the message is a decoding error, not a crash.
        try await server.admin("/_test/fault", ["count": 1, "status": 200, "code": NSNull(), "body": "not json"])
        _ = await expectAPIError(.malformed) { () async throws(LiveKitAPIError) in _ = try await rooms.listRooms() }
    }
}

@Suite("Server API wire details")
struct ServerAPIWireTests {
    @Test("int64 fields decode from strings (protojson) and numbers; enums from names and numbers; absent fields default")
    func lenientDecoding() throws {
        let json = #"{"sid":"PA_1","identity":"a","state":2,"kind":"AGENT","joined_at":"1800000000","version":3,"tracks":[{"sid":"T","type":"AUDIO","source":9}]}"#
        let p = try JSONDecoder().decode(ParticipantInfo.self, from: Data(json.utf8))
        #expect(p.state == .active && p.kind == .agent && p.joinedAt == 1_800_000_000 && p.version == 3)
        #expect(p.tracks.first?.source.rawValue == "#9" && p.metadata == "" && p.attributes.isEmpty && p.permission == nil)
        let room = try JSONDecoder().decode(RoomInfo.self, from: Data(#"{"name":"r","creation_time":1800000000}"#.utf8))
        #expect(room.creationTime == 1_800_000_000 && room.emptyTimeout == 0)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RoomInfo.self, from: Data(#"{"creation_time":"soon"}"#.utf8))
        }
    }

    @Test("requests use proto field names; int64 goes out as a string; bytes as base64")
    func requestEncoding() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let create = CreateRoomRequest(name: "r", emptyTimeout: 60, agents: [RoomAgentDispatch(agentName: "a", metadata: "m")])
        #expect(String(decoding: try encoder.encode(create), as: UTF8.self)
                == #"{"agents":[{"agent_name":"a","metadata":"m"}],"empty_timeout":60,"name":"r"}"#)
        let remove = RoomParticipantIdentity(room: "r", identity: "i", revokeTokenTs: 1_800_000_000)
        #expect(String(decoding: try encoder.encode(remove), as: UTF8.self)
                == #"{"identity":"i","revoke_token_ts":"1800000000","room":"r"}"#)
        let data = SendDataRequest(room: "r", data: Data([255, 0]), kind: .lossy, destinationIdentities: ["x"])
        #expect(String(decoding: try encoder.encode(data), as: UTF8.self)
                == #"{"data":"\/wA=","destination_identities":["x"],"kind":"LOSSY","room":"r"}"#)
    }

    @Test("server URLs: ws(s) becomes http(s), paths are kept, junk is refused")
    func urls() throws {
        #expect(TwirpClient.httpBase("wss://lk.example.com/")?.absoluteString == "https://lk.example.com")
        #expect(TwirpClient.httpBase("ws://127.0.0.1:7880")?.absoluteString == "http://127.0.0.1:7880")
        #expect(TwirpClient.httpBase("https://h/proxy/lk/")?.absoluteString == "https://h/proxy/lk")
        #expect(TwirpClient.httpBase("ftp://h") == nil && TwirpClient.httpBase("nonsense") == nil)
    }

    @Test("error bodies: Twirp JSON, plain text, empty and binary never crash; tokens and secrets are redacted")
    func errorParsing() {
        let twirp = LiveKitAPIError.fromResponse(status: 404, body: Data(#"{"code":"not_found","msg":"room","meta":{"k":"v"}}"#.utf8), secret: nil)
        #expect(twirp.code == .notFound && twirp.message == "room" && twirp.meta == ["k": "v"])
        let text = LiveKitAPIError.fromResponse(status: 401, body: Data("invalid token: eyJa.eyJb.c-d_e, error: bad s3cret!".utf8), secret: "s3cret!")
        #expect(text.code == .unauthenticated && text.message == "invalid token: <redacted token>, error: bad <redacted>")
        #expect(LiveKitAPIError.fromResponse(status: 503, body: Data(), secret: nil).code == .unavailable)
        #expect(LiveKitAPIError.fromResponse(status: 418, body: Data([0xff, 0xfe, 0x00]), secret: nil).code == .unknown)
        #expect(LiveKitAPIError.fromResponse(status: 500, body: Data("[1,2]".utf8), secret: nil).message == "[1,2]")
    }

    @Test("backoff grows by the multiplier and is capped")
    func backoff() {
        let p = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), multiplier: 2, maxBackoff: .milliseconds(300), jitter: 0)
        #expect(p.backoff(afterAttempt: 1) == .milliseconds(100) && p.backoff(afterAttempt: 2) == .milliseconds(200))
        #expect(p.backoff(afterAttempt: 4) == .milliseconds(300) && RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}
