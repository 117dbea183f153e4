// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import SwiftProtobuf
import XCTest

/// The generated LiveKit protobuf subset (Sources/ParleyLiveKitProto): wire round-trips of the messages
/// Parley sends and receives, and scripts/check-proto.py against the upstream livekit-protocol descriptors.
final class ProtoSubsetTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func roundTrip<M: SwiftProtobuf.Message & Equatable>(_ message: M, file: StaticString = #filePath,
                                                         line: UInt = #line) throws -> M {
        let bytes: Data = try message.serializedBytes()
        let decoded = try M(serializedBytes: bytes)
        XCTAssertEqual(decoded, message, file: file, line: line)
        return decoded
    }

    func testSignalRequestPingReq() throws {
        var req = Livekit_SignalRequest()
        req.pingReq = Livekit_Ping.with { $0.timestamp = 1; $0.rtt = 2 }
        // field 16 (ping_req), length 4: Ping{timestamp(1)=1, rtt(2)=2}
        let bytes: [UInt8] = try req.serializedBytes()
        XCTAssertEqual(bytes, [0x82, 0x01, 0x04, 0x08, 0x01, 0x10, 0x02])

        req.pingReq = Livekit_Ping.with { $0.timestamp = 1_800_000_000_123; $0.rtt = 42 }
        let back = try roundTrip(req)
        guard case .pingReq(let ping)? = back.message else { return XCTFail("expected ping_req, got \(String(describing: back.message))") }
        XCTAssertEqual(ping.timestamp, 1_800_000_000_123)
        XCTAssertEqual(ping.rtt, 42)
    }

    func testSignalResponseJoinWithParticipantsAndTracks() throws {
        let track = Livekit_TrackInfo.with {
            $0.sid = "TR_AMabc"
            $0.type = .audio
            $0.source = .microphone
            $0.mimeType = "audio/opus"
            $0.mid = "1"
            $0.disableRed = true
            $0.audioFeatures = [.tfStereo, .tfNoDtx]
            $0.encryption = .none
            $0.codecs = [Livekit_SimulcastCodecInfo.with { $0.mimeType = "audio/opus"; $0.cid = "mic-1" }]
        }
        let other = Livekit_ParticipantInfo.with {
            $0.sid = "PA_other"
            $0.identity = "caller"
            $0.state = .active
            $0.kind = .standard
            $0.tracks = [track]
            $0.attributes = ["lang": "en"]
        }
        var join = Livekit_JoinResponse()
        join.room = Livekit_Room.with { $0.sid = "RM_x"; $0.name = "support-7"; $0.emptyTimeout = 300 }
        join.participant = Livekit_ParticipantInfo.with {
            $0.sid = "PA_me"
            $0.identity = "agent-AJ_1"
            $0.kind = .agent
            $0.permission = Livekit_ParticipantPermission.with {
                $0.canSubscribe = true; $0.canPublish = true; $0.canPublishData = true
                $0.canPublishSources = [.microphone]
            }
        }
        join.otherParticipants = [other]
        join.iceServers = [Livekit_ICEServer.with { $0.urls = ["stun:127.0.0.1:3478"] }]
        join.subscriberPrimary = true
        join.pingInterval = 5
        join.pingTimeout = 15
        join.serverInfo = Livekit_ServerInfo.with { $0.edition = .standard; $0.version = "1.9.0"; $0.protocol = 17 }
        join.clientConfiguration = Livekit_ClientConfiguration.with { $0.forceRelay = .disabled }
        var resp = Livekit_SignalResponse()
        resp.join = join

        let back = try roundTrip(resp)
        guard case .join(let j)? = back.message else { return XCTFail("expected join") }
        XCTAssertEqual(j.participant.identity, "agent-AJ_1")
        XCTAssertEqual(j.participant.permission.canPublishSources, [.microphone])
        XCTAssertEqual(j.otherParticipants.first?.tracks.first?.sid, "TR_AMabc")
        XCTAssertEqual(j.otherParticipants.first?.tracks.first?.audioFeatures, [.tfStereo, .tfNoDtx])
        XCTAssertEqual(j.otherParticipants.first?.attributes["lang"], "en")
        XCTAssertEqual(j.serverInfo.protocol, 17)
        XCTAssertTrue(j.hasClientConfiguration)
    }

    func testDataPacketRPCRequestAndStreamHeader() throws {
        var rpc = Livekit_DataPacket()
        rpc.kind = .reliable
        rpc.destinationIdentities = ["avatar"]
        rpc.sequence = 7
        rpc.rpcRequest = Livekit_RpcRequest.with {
            $0.id = "2f1c7a52-7e0b-4c3f-9b1e-0e8a3d1c5b6f"
            $0.method = "lk.clear_buffer"
            $0.payload = "{}"
            $0.responseTimeoutMs = 15_000
            $0.version = 1
        }
        let rpcBack = try roundTrip(rpc)
        guard case .rpcRequest(let r)? = rpcBack.value else { return XCTFail("expected rpc_request") }
        XCTAssertEqual(r.method, "lk.clear_buffer")
        XCTAssertEqual(rpcBack.sequence, 7)

        var header = Livekit_DataPacket()
        header.participantIdentity = "caller"
        header.streamHeader = Livekit_DataStream.Header.with {
            $0.streamID = "8d5c0c8e-1f0a-4a57-b3a5-0d7c4c1c2b3a"
            $0.timestamp = 1_800_000_000_000
            $0.topic = "lk.transcription"
            $0.mimeType = "text/plain"
            $0.attributes = ["lk.segment_id": "SG_1", "lk.transcription_final": "false"]
            $0.textHeader = Livekit_DataStream.TextHeader.with { $0.operationType = .create; $0.generated = true }
        }
        let headerBack = try roundTrip(header)
        guard case .streamHeader(let h)? = headerBack.value else { return XCTFail("expected stream_header") }
        XCTAssertEqual(h.topic, "lk.transcription")
        XCTAssertFalse(h.hasTotalLength)
        guard case .textHeader(let t)? = h.contentHeader else { return XCTFail("expected text_header") }
        XCTAssertTrue(t.generated)
    }

    func testWorkerMessageRegister() throws {
        var msg = Livekit_WorkerMessage()
        msg.register = Livekit_RegisterWorkerRequest.with {
            $0.type = .jtRoom
            $0.agentName = "parley"
            $0.version = "0.1.0"
            $0.allowedPermissions = Livekit_ParticipantPermission.with {
                $0.canSubscribe = true; $0.canPublish = true; $0.canPublishData = true; $0.canUpdateMetadata = true
            }
        }
        let back = try roundTrip(msg)
        guard case .register(let reg)? = back.message else { return XCTFail("expected register") }
        XCTAssertEqual(reg.agentName, "parley")
        XCTAssertFalse(reg.hasNamespace)
        XCTAssertTrue(reg.allowedPermissions.canUpdateMetadata)
    }

    /// Oneof cases the subset leaves out (here SignalResponse field 27, publish_data_track_response) decode
    /// without error, keep their bytes as unknown fields and re-encode unchanged.
    func testUnknownOneofCaseIsKept() throws {
        let bytes: [UInt8] = [0xDA, 0x01, 0x02, 0x08, 0x05] // field 27, LEN 2: {1: 5}
        let resp = try Livekit_SignalResponse(serializedBytes: bytes)
        XCTAssertNil(resp.message)
        let again: [UInt8] = try resp.serializedBytes()
        XCTAssertEqual(again, bytes)
    }

    /// scripts/check-proto.py compares our .proto files with the livekit-protocol Python descriptors.
    func testSubsetMatchesUpstreamDescriptors() throws {
        let python = Self.root.appendingPathComponent(".test-peers/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw XCTSkip("test peer venv missing: run scripts/install-test-peers")
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let hasProtoc = path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/protoc")
        }
        guard hasProtoc else { throw XCTSkip("protoc missing: apt-get install protobuf-compiler") }

        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("check-proto-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let out = try FileHandle(forWritingTo: log)
        defer { try? out.close() }

        let p = Process()
        p.executableURL = python
        p.arguments = [Self.root.appendingPathComponent("scripts/check-proto.py").path]
        p.currentDirectoryURL = Self.root
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            return XCTFail("check-proto.py did not finish within 120 s")
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("check-proto: OK"), text)
    }
}
