// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKitProto
import ParleyWebRTC
import XCTest

@testable import ParleyLiveKit

/// The pieces of the room client that need no server: URLs, candidate JSON, stream chunking and
/// reassembly, token peeking.
final class SignalDataUnitTests: XCTestCase {
    func testSignalURLForms() throws {
        XCTAssertEqual(try SignalURL("ws://127.0.0.1:7880").base, "ws://127.0.0.1:7880")
        XCTAssertEqual(try SignalURL("https://demo.livekit.cloud/").base, "wss://demo.livekit.cloud")
        XCTAssertEqual(try SignalURL("http://proxy:8080/livekit").base, "ws://proxy:8080/livekit")
        XCTAssertEqual(try SignalURL("wss://x.example").httpBase, "https://x.example")
        let url = try SignalURL("ws://h:1")
        var query = SignalQuery()
        query.resumeSid = "PA_abc"
        query.reconnectReason = 1
        let rtc = url.rtc(query)
        XCTAssertTrue(rtc.hasPrefix("ws://h:1/rtc?protocol=16&sdk=swift&version=1.0.0"), rtc)
        XCTAssertTrue(rtc.contains("reconnect=1&sid=PA_abc&reconnect_reason=1"), rtc)
        XCTAssertFalse(rtc.contains("access_token"), "tokens travel in the Authorization header")
        XCTAssertEqual(url.agent, "ws://h:1/agent?protocol=1")
        for bad in ["", "ftp://x", "localhost:7880", "ws://h:1?x=1"] {
            XCTAssertThrowsError(try SignalURL(bad), bad) { error in
                guard case LiveKitConnectError.invalidURL = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testCandidateInitJSONRoundTrip() throws {
        let candidate = ICECandidateInit(
            candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0)
        let json = candidate.json
        XCTAssertTrue(json.contains(#""sdpMid":"0""#), json)
        XCTAssertEqual(ICECandidateInit(json: json), candidate)
        XCTAssertEqual(
            ICECandidateInit(json: #"{"candidate":"candidate:2 1 udp 1 10.0.0.1 9 typ host","sdpMid":"1","sdpMLineIndex":1,"usernameFragment":null}"#)?
                .sdpMLineIndex, 1)
        XCTAssertNil(ICECandidateInit(json: "not json"))
        XCTAssertNil(ICECandidateInit(json: #"{"sdpMid":"0"}"#))
    }

    func testTextChunksStayOnUTF8Boundaries() {
        // 3-byte characters: a 15 000-byte limit falls inside one unless the cut backs off.
        let text = String(repeating: "€", count: 12_000) + "tail"
        let chunks = TextStreamWriter.chunks(of: text)
        XCTAssertGreaterThan(chunks.count, 2)
        for chunk in chunks {
            XCTAssertLessThanOrEqual(chunk.count, TextStreamWriter.maxChunkBytes)
            XCTAssertNotNil(String(validating: chunk, as: UTF8.self), "chunk splits a character")
        }
        XCTAssertEqual(String(decoding: chunks.joined(), as: UTF8.self), text)
        XCTAssertEqual(TextStreamWriter.chunks(of: ""), [])
        XCTAssertEqual(TextStreamWriter.chunks(of: "hi").count, 1)
    }

    func testStreamAssemblyOrdersChunksAndAppliesTrailerAttributes() {
        var assembler = DataStreamAssembler(maxBytes: 1 << 20)
        var header = Livekit_DataStream.Header()
        header.streamID = "s1"
        header.topic = "lk.transcription"
        header.attributes = ["lk.transcription_final": "false", "lk.segment_id": "SG_1"]
        header.textHeader = Livekit_DataStream.TextHeader()
        XCTAssertNil(assembler.receive(.streamHeader(header), sender: "user-1"))
        for (index, text) in [(1, " world"), (0, "hello")] {
            var chunk = Livekit_DataStream.Chunk()
            chunk.streamID = "s1"
            chunk.chunkIndex = UInt64(index)
            chunk.content = Data(text.utf8)
            XCTAssertNil(assembler.receive(.streamChunk(chunk), sender: "user-1"))
        }
        var trailer = Livekit_DataStream.Trailer()
        trailer.streamID = "s1"
        trailer.attributes = ["lk.transcription_final": "true"]
        guard case .success(.text(let message))? = assembler.receive(.streamTrailer(trailer), sender: "user-1") else {
            return XCTFail("no text stream")
        }
        XCTAssertEqual(message.text, "hello world")
        XCTAssertEqual(message.attributes, ["lk.transcription_final": "true", "lk.segment_id": "SG_1"])
        XCTAssertEqual(message.senderIdentity, "user-1")
        XCTAssertTrue(assembler.open.isEmpty)
    }

    func testStreamAssemblyBoundsMemory() {
        var assembler = DataStreamAssembler(maxBytes: 10)
        var header = Livekit_DataStream.Header()
        header.streamID = "big"
        XCTAssertNil(assembler.receive(.streamHeader(header), sender: "x"))
        var chunk = Livekit_DataStream.Chunk()
        chunk.streamID = "big"
        chunk.content = Data(repeating: 1, count: 11)
        guard case .failure(let drop)? = assembler.receive(.streamChunk(chunk), sender: "x") else {
            return XCTFail("oversized stream kept")
        }
        XCTAssertEqual(drop.streamID, "big")
        XCTAssertTrue(assembler.open.isEmpty)
        // A chunk or trailer for a stream never announced is reported, not buffered.
        chunk.streamID = "ghost"
        chunk.content = Data([1])
        guard case .failure? = assembler.receive(.streamChunk(chunk), sender: "x") else { return XCTFail() }
        header.streamID = "announced-too-big"
        header.totalLength = 1000
        guard case .failure? = assembler.receive(.streamHeader(header), sender: "x") else { return XCTFail() }
    }

    func testExpiredTokenIsRefusedBeforeConnecting() async throws {
        var token = AccessToken(apiKey: "devkey", apiSecret: "secret", identity: "late")
        token.ttl = 60
        let jwt = try token.jwt(now: Int64(Date().timeIntervalSince1970) - 3600)
        XCTAssertNotNil(TokenPeek.expiry(of: jwt))
        do {
            _ = try await Room.connect(url: "ws://127.0.0.1:9", token: jwt)
            XCTFail("joined with an expired token")
        } catch {
            guard case .unauthorized(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("expired"), reason)
        }
    }
}
