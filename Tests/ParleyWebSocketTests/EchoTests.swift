// SPDX-License-Identifier: Apache-2.0

@testable import ParleyWebSocket
import XCTest

/// Messages both ways through aiohttp: small, empty, 1.5 MiB, exactly 2 MiB, and server
/// messages split across frames.
final class EchoTests: XCTestCase {
    func testTextAndBinaryEcho() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        let sent: [WebSocketMessage] = [.text("hello"), .binary([1, 2, 3]), .text("ünïcødé ✓"), .binary([]), .text("")]
        for message in sent { try socket.send(message) }
        let received = await inbox.first(sent.count)
        XCTAssertEqual(received, sent)
        socket.close()
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        XCTAssertEqual(socket.closeInfo, WebSocketCloseInfo(code: 1000, reason: "", error: nil))
    }

    func testOneAndAHalfMiBBinaryEcho() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        let payload = pattern(1_572_864)
        try socket.send(.binary(payload))
        try socket.send(.text("after"))  // a small message queued behind the big one
        let received = await inbox.first(2)
        XCTAssertTrue(received?.first == .binary(payload), "1.5 MiB echo differs")
        XCTAssertEqual(received?.last, .text("after"))
        socket.close()
    }

    /// LiveKit's limit: a 2 MiB message is accepted exactly at maxMessageSize in both directions.
    func testTwoMiBRoundTripAtTheLimit() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        let payload = [UInt8](repeating: 0xA5, count: 2 << 20)
        try socket.send(.binary(payload))
        let received = await inbox.first(1)
        XCTAssertTrue(received?.first == .binary(payload), "2 MiB echo differs")
        socket.close()
    }

    func testServerSentLargeMessage() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/send?size=1572864"))
        let inbox = MessageCollector(socket)
        let received = await inbox.first(1)
        XCTAssertTrue(received?.first == .binary(pattern(1_572_864)), "server's 1.5 MiB message differs")
        socket.close()
    }

    /// Continuation frames (with a PING between two of them, a UTF-8 character split across
    /// frames, 7-, 16- and 64-bit lengths) come out as whole messages.
    func testFragmentedServerMessagesAreReassembled() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/fragmented"))
        let inbox = MessageCollector(socket)
        let received = await inbox.first(3)
        XCTAssertEqual(received?.count, 3)
        XCTAssertEqual(received?[0], .binary(Array("abcdefghi".utf8)))
        XCTAssertEqual(received?[1], .text("héllo wörld ✓"))
        XCTAssertTrue(received?[2] == .binary(pattern(200_000)), "fragmented 200 kB message differs")
        // Still a working socket afterwards.
        try socket.send(.text("still here"))
        let echo = await inbox.first(4)
        XCTAssertEqual(echo?.last, .text("still here"))
        socket.close()
    }

    /// lws answers the server's PINGs by itself; the peer counts the PONGs.
    func testServerPingsAreAnsweredWithPongs() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/ping"))
        let inbox = MessageCollector(socket)
        try await Task.sleep(for: .milliseconds(700))
        try socket.send(.text("count?"))
        let reply = await inbox.first(1)
        guard case .text(let text)? = reply?.first, let count = Int(text.dropFirst("pongs=".count)) else {
            return XCTFail("no pong count: \(String(describing: reply))")
        }
        XCTAssertGreaterThanOrEqual(count, 4, "pings are sent every 100 ms for 700 ms")
        socket.close()
    }
}
