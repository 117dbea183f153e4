// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyWebSocket
import Synchronization
import XCTest

/// How sockets end: by the server, by us (once), by dropping the object, by the peer dying,
/// and by an oversized message.
final class CloseTests: XCTestCase {
    func testServerInitiatedCloseCarriesCodeAndReason() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/close4001"))
        let seen = Mutex<[WebSocketCloseInfo]>([])
        socket.onClose = { info in seen.withLock { $0.append(info) } }
        let inbox = MessageCollector(socket)
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        let expected = WebSocketCloseInfo(code: 4001, reason: "server says bye", error: nil)
        XCTAssertEqual(socket.closeInfo, expected)
        let closed = await MessageCollector.poll(.seconds(5)) { !seen.withLock { $0.isEmpty } }
        XCTAssertTrue(closed)
        XCTAssertEqual(seen.withLock { $0 }, [expected])
        // A handler installed after the end still hears about it, at once.
        let late = Mutex<WebSocketCloseInfo?>(nil)
        socket.onClose = { info in late.withLock { $0 = info } }
        XCTAssertEqual(late.withLock { $0 }, expected)
        XCTAssertThrowsError(try socket.send(.text("x"))) { XCTAssertEqual($0 as? WebSocketError, .closed(expected)) }
    }

    func testSendAfterCloseThrows() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        socket.close(code: 1000, reason: "done")
        XCTAssertThrowsError(try socket.send(.text("late"))) { error in
            guard case .closed? = error as? WebSocketError else { return XCTFail("got \(error)") }
        }
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        XCTAssertThrowsError(try socket.send(.binary([1]))) { error in
            XCTAssertEqual(error as? WebSocketError, .closed(WebSocketCloseInfo(code: 1000, reason: "done")))
        }
    }

    /// Only the first close counts: its code and reason reach the server, later calls do nothing,
    /// and messages queued before it are delivered first.
    func testCloseIsIdempotentAndFlushesQueuedMessages() async throws {
        let peer = try sharedPeer()
        let id = UUID().uuidString
        let socket = try await connect(peer.url("/echo?id=\(id)"))
        let inbox = MessageCollector(socket)
        for i in 0..<50 { try socket.send(.text("m\(i)")) }
        socket.close(code: 4000, reason: "first")
        socket.close(code: 1000, reason: "second")
        socket.close()
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        XCTAssertEqual(socket.closeInfo, WebSocketCloseInfo(code: 4000, reason: "first"))
        socket.close()
        let report = try await peerReport(peer, id: id)
        XCTAssertEqual(report?["code"] as? Int, 4000)
        XCTAssertEqual(report?["reason"] as? String, "first")
        XCTAssertEqual(report?["received"] as? Int, 50)
    }

    /// Dropping the last reference to an open connection closes it (1001) without crashing,
    /// and the loop releases everything.
    func testReleasingAnOpenConnectionClosesIt() async throws {
        let peer = try sharedPeer()
        let id = UUID().uuidString
        var socket: WebSocketConnection? = try await connect(peer.url("/echo?id=\(id)"))
        try socket?.send(.text("hi"))
        socket = nil
        let report = try await peerReport(peer, id: id)
        XCTAssertEqual(report?["code"] as? Int, 1001)
        await assertNoLeaks()
    }

    /// The peer is SIGKILLed mid-connection: the stream finishes promptly with an error.
    func testPeerKilledMidConnection() async throws {
        let peer = try WSPeerProcess()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        try socket.send(.text("ping"))
        _ = await inbox.first(1)
        peer.kill()
        let finished = await inbox.waitForFinish(timeout: .seconds(10))
        XCTAssertTrue(finished, "messages did not finish after the peer died")
        let info = try XCTUnwrap(socket.closeInfo)
        XCTAssertNil(info.code)
        XCTAssertNotNil(info.error)
        XCTAssertThrowsError(try socket.send(.text("gone")))
        await assertNoLeaks()
    }

    /// The peer stops reading: our sends back up behind the close frame, and close still ends
    /// the socket within the close timeout instead of hanging.
    func testCloseDoesNotHangWhenThePeerStopsReading() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/stall"))
        let inbox = MessageCollector(socket)
        let chunk = [UInt8](repeating: 7, count: 2 << 20)
        for _ in 0..<24 { try socket.send(.binary(chunk)) }  // far more than the socket buffers hold
        try await Task.sleep(for: .milliseconds(500))
        let start = ContinuousClock.now
        socket.close()
        let finished = await inbox.waitForFinish(timeout: .seconds(15))
        XCTAssertTrue(finished, "close hung")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(Int(LWSSession.closeTimeoutSeconds) + 3))
        XCTAssertNotNil(socket.closeInfo?.error)
        await assertNoLeaks()
    }

    func testInboundMessageAboveTheLimitClosesWith1009() async throws {
        let peer = try sharedPeer()
        let id = UUID().uuidString
        let socket = try await connect(peer.url("/send?size=1001&id=\(id)")) { $0.maxMessageSize = 1000 }
        let inbox = MessageCollector(socket)
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        XCTAssertTrue(inbox.messages.isEmpty)
        XCTAssertEqual(socket.closeInfo?.code, 1009)
        XCTAssertEqual(socket.closeInfo?.error, WebSocketError.messageTooLarge(1001).description)
        let report = try await peerReport(peer, id: id)
        XCTAssertEqual(report?["code"] as? Int, 1009)
    }

    func testSendAboveTheLimitThrows() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo")) { $0.maxMessageSize = 10 }
        XCTAssertThrowsError(try socket.send(.binary([UInt8](repeating: 0, count: 11)))) {
            XCTAssertEqual($0 as? WebSocketError, .messageTooLarge(11))
        }
        XCTAssertNoThrow(try socket.send(.text("0123456789")))
        let inbox = MessageCollector(socket)
        let first = await inbox.first(1)
        XCTAssertEqual(first, [.text("0123456789")])
        socket.close()
    }
}
