// SPDX-License-Identifier: Apache-2.0

@testable import ParleyWebSocket
import XCTest

/// wss:// against the peer's self-signed certificate: trusted through a CA file (host name
/// checked), allowed as self-signed, or refused.
final class TLSTests: XCTestCase {
    func testWSSWithCAFileVerifiesTheHostName() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo", secure: true, host: "localhost")) { $0.tlsCAFile = peer.certPath }
        let inbox = MessageCollector(socket)
        let payload = pattern(300_000)
        try socket.send(.binary(payload))
        try socket.send(.text("over tls"))
        let received = await inbox.first(2)
        XCTAssertTrue(received?.first == .binary(payload), "TLS echo differs")
        XCTAssertEqual(received?.last, .text("over tls"))
        socket.close()
        let finished = await inbox.waitForFinish()
        XCTAssertTrue(finished)
        XCTAssertEqual(socket.closeInfo?.code, 1000)
    }

    func testWSSAllowSelfSigned() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo", secure: true)) { $0.allowSelfSigned = true }
        let inbox = MessageCollector(socket)
        try socket.send(.text("hello"))
        let first = await inbox.first(1)
        XCTAssertEqual(first, [.text("hello")])
        socket.close()
    }

    func testWSSUntrustedCertificateFails() async throws {
        let peer = try sharedPeer()
        let error = await connectError(WebSocketRequest(url: peer.url("/echo", secure: true)))
        guard case .connectFailed? = error else { return XCTFail("got \(String(describing: error))") }
        await assertNoLeaks()
    }

    /// The certificate chains to the given CA but names other.example: refused.
    func testWSSHostNameMismatchFails() async throws {
        let peer = try sharedPeer()
        var request = WebSocketRequest(url: "wss://localhost:\(peer.otherTLSPort)/echo")
        request.tlsCAFile = peer.otherCertPath
        let error = await connectError(request)
        guard case .connectFailed? = error else { return XCTFail("got \(String(describing: error))") }
        // allowSelfSigned also waives the host name check (development only).
        request.allowSelfSigned = true
        let socket = try await WebSocketConnection.connect(request)
        socket.close()
        await assertNoLeaks()
    }

    func testWSSMissingCAFileFails() async throws {
        let peer = try sharedPeer()
        var request = WebSocketRequest(url: peer.url("/echo", secure: true))
        request.tlsCAFile = "/nonexistent/ca.pem"
        let error = await connectError(request)
        guard case .connectFailed? = error else { return XCTFail("got \(String(describing: error))") }
    }
}
