// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyRTC
import ParleyTestSupport
import ParleyWebRTC
import XCTest

@testable import ParleyLiveKit

/// Parley as a LiveKit participant against the Python LiveKit protocol test server
/// (Tests/LiveKitTestServer: aiortc media, the real protobuf messages, the server's checks).
final class RoomIntegrationTests: XCTestCase {
    var server: LiveKitTestServerProcess!

    override func setUpWithError() throws {
        server = try LiveKitTestServerProcess()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    var wsURL: String { "ws://127.0.0.1:\(server.port)" }

    func token(_ identity: String, room: String, secret: String = "secret", ttl: Int64 = 600) throws -> String {
        var grant = VideoGrant()
        grant.roomJoin = true
        grant.room = room
        grant.canPublish = true
        grant.canSubscribe = true
        grant.canPublishData = true
        grant.canUpdateOwnMetadata = true
        var token = AccessToken(apiKey: "devkey", apiSecret: secret, identity: identity)
        token.video = grant
        token.ttl = ttl
        return try token.jwt()
    }

    static var loopbackOptions: RoomOptions {
        var options = RoomOptions()
        options.hostAddresses = [IPAddress("127.0.0.1")!]
        return options
    }

    /// Collects events in the background for assertions.
    final class EventLog: Sendable {
        let events = Locked<[RoomEvent]>([])
        let task: Task<Void, Never>

        init(_ room: Room) {
            let events = self.events
            task = Task {
                for await event in room.events { events.withLock { $0.append(event) } }
            }
        }

        func first<T>(timeout: Duration = .seconds(15), _ match: @escaping (RoomEvent) -> T?) async throws -> T {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let snapshot = events.withLock { $0 }
                if let hit = snapshot.lazy.compactMap(match).first { return hit }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw LiveKitTestServerProcess.AdminError(
                description: "no matching room event within \(timeout): \(events.withLock { $0 })")
        }
    }

    /// Pushes a 440 Hz tone into `track` in real time until cancelled.
    static func playTone(into track: LocalAudioTrack, amplitude: Double = 8000) -> Task<Void, Never> {
        Task.detached {
            var phase = 0.0
            let step = 2 * Double.pi * 440 / 48_000
            let clock = ContinuousClock()
            var next = clock.now
            while !Task.isCancelled {
                var samples = [Int16](repeating: 0, count: 960)
                for i in 0..<960 {
                    samples[i] = Int16(amplitude * sin(phase))
                    phase += step
                }
                track.push(samples)
                next += .milliseconds(20)
                try? await Task.sleep(until: next, clock: clock)
            }
        }
    }

    /// SNR of a received 440 Hz tone: least-squares fit of the tone against what is left (delay-independent).
    static func toneSNR(_ samples: ArraySlice<Int16>) -> Double {
        let w = 2 * Double.pi * 440 / 48_000
        var a = 0.0, b = 0.0
        for (n, s) in samples.enumerated() {
            a += Double(s) * cos(w * Double(n))
            b += Double(s) * sin(w * Double(n))
        }
        a *= 2 / Double(samples.count)
        b *= 2 / Double(samples.count)
        var signal = 0.0, noise = 0.0
        for (n, s) in samples.enumerated() {
            let fit = a * cos(w * Double(n)) + b * sin(w * Double(n))
            signal += fit * fit
            noise += (Double(s) - fit) * (Double(s) - fit)
        }
        return 10 * log10(signal / max(noise, 1e-9))
    }

    // MARK: - Tests

    func testJoinPublishAndHearTheEcho() async throws {
        var options = Self.loopbackOptions
        options.audioTrackName = "mic"
        let room = try await Room.connect(url: wsURL, token: token("alice", room: "echo-room"), options: options)
        let log = EventLog(room)
        let received = Locked<[Int16]>([])
        room.onRemoteAudio { _, frame in
            frame.withSamples { pcm in received.withLock { $0.append(contentsOf: pcm) } }
        }
        let localTrack = await room.localAudioTrack
        let track = try XCTUnwrap(localTrack)
        let tone = Self.playTone(into: track)
        defer { tone.cancel() }
        let subscribed = try await log.first { event -> RemoteAudioTrackInfo? in
            if case .trackSubscribed(let info) = event { return info }
            return nil
        }
        XCTAssertTrue(subscribed.trackSid.hasPrefix("TR_"), "\(subscribed)")
        // Let 2 s of echo arrive, then measure the last second.
        let deadline = ContinuousClock.now + .seconds(20)
        while received.withLock({ $0.count }) < 48_000 * 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let pcm = received.withLock { $0 }
        XCTAssertGreaterThanOrEqual(pcm.count, 48_000 * 3, "echo did not flow")
        // Per 100 ms window over the last 2 s: the jitter buffer may legitimately drop or stretch a
        // frame to shed delay, which breaks phase continuity across a longer fit window.
        let windows = stride(from: pcm.count - 96_000, to: pcm.count - 4_800, by: 4_800).map {
            Self.toneSNR(pcm[$0..<($0 + 4_800)])
        }.sorted()
        let median = windows[windows.count / 2]
        print(String(format: "echo SNR (Parley → server aiortc decode/re-encode → Parley), 100 ms windows: median %.1f dB, min %.1f dB",
                     median, windows.first!))
        XCTAssertGreaterThan(median, 25)
        let stats = await room.stats
        XCTAssertEqual(stats.publisher?.connectionState, .connected)
        await room.disconnect()
        let state = try await server.poll("/_test/rooms") { json -> Bool? in
            let rooms = json["rooms"] as? [[String: Any]] ?? []
            let people = rooms.first { $0["name"] as? String == "echo-room" }?["participants"] as? [[String: Any]] ?? []
            return people.contains { $0["identity"] as? String == "alice" } ? nil : true
        }
        XCTAssertTrue(state)
    }

    func testDataPacketTextStreamAndRPCWithThePeer() async throws {
        let roomName = "data-room"
        _ = try await server.admin("/_test/bot/add", ["room": roomName])
        let room = try await Room.connect(url: wsURL, token: token("bob", room: roomName), options: Self.loopbackOptions)
        let log = EventLog(room)
        await room.registerRpcMethod("greet") { call in "hello \(call.payload) from \(call.callerIdentity)" }

        // Peer → us: a data packet and a text stream.
        _ = try await server.admin("/_test/bot/send-data", ["room": roomName, "to": ["bob"], "payload": "ping", "topic": "t1"])
        let data = try await log.first { event -> DataMessage? in
            if case .dataReceived(let message) = event { return message }
            return nil
        }
        XCTAssertEqual(String(decoding: data.payload, as: UTF8.self), "ping")
        XCTAssertEqual(data.topic, "t1")
        XCTAssertEqual(data.senderIdentity, "test-bot")
        let long = String(repeating: "naïve café ", count: 3000)  // > 15 000 bytes: several chunks
        _ = try await server.admin(
            "/_test/bot/send-text-stream",
            ["room": roomName, "to": ["bob"], "topic": "lk.chat", "text": long, "trailer_attributes": ["done": "yes"]])
        let stream = try await log.first { event -> TextStreamMessage? in
            if case .textStreamReceived(let message) = event { return message }
            return nil
        }
        XCTAssertEqual(stream.text, long)
        XCTAssertEqual(stream.topic, "lk.chat")
        XCTAssertEqual(stream.attributes["done"], "yes")

        // Us → peer: a packet (the bot echoes it back) and an RPC round trip.
        try await room.publishData(Array("marco".utf8), topic: "t2", destinations: ["test-bot"])
        let echo = try await log.first { event -> DataMessage? in
            if case .dataReceived(let message) = event, message.topic == "t2" { return message }
            return nil
        }
        XCTAssertEqual(String(decoding: echo.payload, as: UTF8.self), "echo:marco")
        let reply = try await room.performRpc(destination: "test-bot", method: "upper", payload: "abc")
        XCTAssertEqual(reply, "upper:abc")
        do {
            _ = try await room.performRpc(destination: "test-bot", method: "fail", payload: "x")
            XCTFail("the peer's failure was not reported")
        } catch {
            XCTAssertEqual(error.code, RpcError.applicationError)
        }

        // Peer → us RPC: ack, then our handler's answer; an unknown method gets 1400.
        let call = try await server.admin("/_test/bot/rpc", ["room": roomName, "to": "bob", "method": "greet", "payload": "bot"])
        XCTAssertEqual(call["payload"] as? String, "hello bot from test-bot", "\(call)")
        XCTAssertEqual(call["acked"] as? Bool, true)
        let unknown = try await server.admin("/_test/bot/rpc", ["room": roomName, "to": "bob", "method": "nope"])
        XCTAssertEqual((unknown["error"] as? [String: Any])?["code"] as? Int, Int(RpcError.unsupportedMethod), "\(unknown)")
        await room.disconnect()
    }

    func testTranscriptionStreamAndAgentStateReachThePeer() async throws {
        let roomName = "transcript-room"
        _ = try await server.admin("/_test/bot/add", ["room": roomName])
        let room = try await Room.connect(url: wsURL, token: token("agent-x", room: roomName), options: Self.loopbackOptions)
        // The lk.transcription shape livekit-agents uses: deltas as chunks, the trailer flips final.
        let attributes = ["lk.segment_id": "SG_1", "lk.transcription_final": "false"]
        let writer = try await room.streamText(topic: "lk.transcription", attributes: attributes)
        for piece in ["The capital ", "of France ", "is Paris."] { try await writer.write(piece) }
        try await writer.close(attributes: ["lk.transcription_final": "true"])
        try await room.setAttributes(["lk.agent.state": "speaking"])
        // A byte stream (the avatar audio path's shape): 40 000 bytes = 3 chunks.
        let pcm = (0..<40_000).map { UInt8($0 % 251) }
        let bytes = try await room.streamBytes(topic: "lk.audio_stream", name: "segment-1", attributes: ["sample_rate": "24000"])
        try await bytes.write(pcm)
        try await bytes.close()
        let received = try await server.poll("/_test/bot/received?room=\(roomName)") { json -> [String: Any]? in
            (json["received"] as? [[String: Any]])?.first { $0["type"] as? String == "stream" && $0["topic"] as? String == "lk.audio_stream" }
        }
        XCTAssertEqual(received["chunks"] as? Int, 3)
        XCTAssertEqual((received["data_b64"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }, pcm)
        let stream = try await server.poll("/_test/bot/received?room=\(roomName)") { json -> [String: Any]? in
            (json["received"] as? [[String: Any]])?.first { $0["type"] as? String == "stream" && $0["topic"] as? String == "lk.transcription" }
        }
        XCTAssertEqual(stream["text"] as? String, "The capital of France is Paris.")
        XCTAssertEqual(stream["from"] as? String, "agent-x")
        let final = stream["attributes"] as? [String: String]
        XCTAssertEqual(final?["lk.transcription_final"], "true")
        XCTAssertEqual(final?["lk.segment_id"], "SG_1")
        let state = try await server.poll("/_test/rooms") { json -> String? in
            let rooms = json["rooms"] as? [[String: Any]] ?? []
            let people = rooms.first { $0["name"] as? String == roomName }?["participants"] as? [[String: Any]] ?? []
            let me = people.first { $0["identity"] as? String == "agent-x" }
            return (me?["attributes"] as? [String: String])?["lk.agent.state"]
        }
        XCTAssertEqual(state, "speaking")
        await room.disconnect()
    }

    func testResumeAfterTheSignalSocketDrops() async throws {
        var options = Self.loopbackOptions
        options.audioTrackName = "mic"
        let room = try await Room.connect(url: wsURL, token: token("carol", room: "resume-room"), options: options)
        let log = EventLog(room)
        let received = Locked<(count: Int, lastAt: ContinuousClock.Instant?)>((0, nil))
        room.onRemoteAudio { _, frame in
            guard frame.levelDBFS > -40 else { return }
            received.withLock { $0 = ($0.count + 1, ContinuousClock.now) }
        }
        let localTrack = await room.localAudioTrack
        let track = try XCTUnwrap(localTrack)
        let tone = Self.playTone(into: track)
        defer { tone.cancel() }
        let flowing = ContinuousClock.now + .seconds(20)
        while received.withLock({ $0.count }) < 50, ContinuousClock.now < flowing { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertGreaterThanOrEqual(received.withLock { $0.count }, 50, "echo never flowed")

        let dropped = ContinuousClock.now
        _ = try await server.admin("/_test/signal-fault", ["identity": "carol", "action": "drop"])
        _ = try await log.first { event -> Bool? in
            if case .reconnected(fullRejoin: false) = event { return true }
            return nil
        }
        // Audio flowing again: fresh echo frames after the drop.
        let before = received.withLock { $0.count }
        while received.withLock({ $0.count }) < before + 10, ContinuousClock.now < dropped + .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let recovered = (received.withLock { $0.lastAt } ?? dropped) - dropped
        print("signal dropped → resumed with audio flowing again: \(recovered)")
        XCTAssertGreaterThanOrEqual(received.withLock { $0.count }, before + 10)
        XCTAssertLessThan(recovered, .seconds(3))
        let resumes = try await server.poll("/_test/rooms") { json -> Int? in
            let rooms = json["rooms"] as? [[String: Any]] ?? []
            let people = rooms.first { $0["name"] as? String == "resume-room" }?["participants"] as? [[String: Any]] ?? []
            return people.first { $0["identity"] as? String == "carol" }?["resumes"] as? Int
        }
        XCTAssertEqual(resumes, 1)
        await room.disconnect()
    }

    func testSilentSignalConnectionIsDetectedByPingTimeoutAndResumed() async throws {
        var options = Self.loopbackOptions
        options.pingInterval = .milliseconds(300)
        options.pingTimeout = .seconds(2)
        let room = try await Room.connect(url: wsURL, token: token("erin", room: "ping-room"), options: options)
        let log = EventLog(room)
        // The server keeps the socket open but stops answering: only the client's rule can notice.
        _ = try await server.admin("/_test/signal-fault", ["identity": "erin", "action": "mute-pongs"])
        let reason = try await log.first { event -> String? in
            if case .reconnecting(let reason) = event { return reason }
            return nil
        }
        XCTAssertTrue(reason.contains("ping timeout"), reason)
        _ = try await log.first { event -> Bool? in
            if case .reconnected(fullRejoin: false) = event { return true }
            return nil
        }
        await room.disconnect()
    }

    func testServerRequestedReconnectRejoinsAndRepublishes() async throws {
        var options = Self.loopbackOptions
        options.audioTrackName = "mic"
        let room = try await Room.connect(url: wsURL, token: token("frank", room: "rejoin-room"), options: options)
        let log = EventLog(room)
        let firstSid = await room.localSid
        let frames = Locked(0)
        room.onRemoteAudio { _, frame in
            if frame.levelDBFS > -40 { frames.withLock { $0 += 1 } }
        }
        let localTrack = await room.localAudioTrack
        let tone = Self.playTone(into: try XCTUnwrap(localTrack))
        defer { tone.cancel() }
        _ = try await server.admin(
            "/_test/signal-fault", ["identity": "frank", "action": "leave", "leave_action": "RECONNECT", "reason": "STATE_MISMATCH"])
        _ = try await log.first { event -> Bool? in
            if case .reconnected(fullRejoin: true) = event { return true }
            return nil
        }
        let secondSid = await room.localSid
        XCTAssertNotEqual(firstSid, secondSid, "a full re-join is a new participant session")
        // The same LocalAudioTrack was re-published: its echo flows again.
        let before = frames.withLock { $0 }
        let deadline = ContinuousClock.now + .seconds(10)
        while frames.withLock({ $0 }) < before + 25, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertGreaterThanOrEqual(frames.withLock { $0 }, before + 25, "no audio after the re-join")
        await room.disconnect()
    }

    func testRefusedTokensFailOnceWithTheCause() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await Room.connect(url: wsURL, token: token("mallory", room: "r", secret: "wrong"), options: Self.loopbackOptions)
            XCTFail("joined with a token signed by the wrong secret")
        } catch {
            guard case .unauthorized(let reason)? = error as? LiveKitConnectError else { return XCTFail("\(error)") }
            XCTAssertFalse(reason.isEmpty)
            XCTAssertFalse("\(error)".contains("eyJ"), "the refused token leaked into the error: \(error)")
            print("wrong secret: \(error)")
        }
        // A token for another room's grant list, missing roomJoin: refused too.
        var grant = VideoGrant()
        grant.room = "r"
        var noJoin = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "eve")
        noJoin.video = grant
        do {
            _ = try await Room.connect(url: wsURL, token: try noJoin.jwt(), options: Self.loopbackOptions)
            XCTFail("joined without roomJoin")
        } catch {
            guard case .unauthorized? = error as? LiveKitConnectError else { return XCTFail("\(error)") }
            print("no roomJoin grant: \(error)")
        }
        XCTAssertLessThan(clock.now - start, .seconds(5), "refusals must not be retried")
    }

    func testServerLeaveEndsTheRoomCleanly() async throws {
        let room = try await Room.connect(url: wsURL, token: token("dave", room: "leave-room"), options: Self.loopbackOptions)
        let log = EventLog(room)
        _ = try await server.admin(
            "/_test/signal-fault",
            ["identity": "dave", "action": "leave", "leave_action": "DISCONNECT", "reason": "ROOM_DELETED"])
        let error = try await log.first { event -> LiveKitConnectError?? in
            if case .disconnected(let error) = event { return .some(error) }
            return nil
        }
        guard case .removed(let reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.lowercased().contains("room"), reason)
        // The events stream ends and the room refuses further use.
        await log.task.value
        do {
            try await room.publishData([1])
            XCTFail("sent on a closed room")
        } catch {
            XCTAssertEqual(error, .closed)
        }
    }
}
