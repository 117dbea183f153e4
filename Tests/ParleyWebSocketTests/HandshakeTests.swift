// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyWebSocket
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The upgrade: rejections, headers and query, timeouts, refusals, bad URLs.
final class HandshakeTests: XCTestCase {
    func testHTTP401IsReportedAsUpgradeRejected() async throws {
        let peer = try sharedPeer()
        let error = await connectError(WebSocketRequest(url: peer.url("/reject401")))
        guard case .upgradeRejected(let status, _)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(status, 401)
        await assertNoLeaks()
    }

    func testHTTP404IsReportedAsUpgradeRejected() async throws {
        let peer = try sharedPeer()
        let error = await connectError(WebSocketRequest(url: peer.url("/no-such-path")))
        guard case .upgradeRejected(let status, _)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(status, 404)
    }

    /// Redirects are not followed (they would carry the Authorization header elsewhere).
    func testRedirectIsReportedNotFollowed() async throws {
        let peer = try sharedPeer()
        let error = await connectError(WebSocketRequest(url: peer.url("/redirect"), headers: [("Authorization", "Bearer x")]))
        guard case .upgradeRejected(let status, _)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(status, 302)
        await assertNoLeaks()
    }

    func testAuthorizationHeaderAndAccessTokenQuery() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/auth?access_token=tok-123&auto_subscribe=1")) {
            $0.headers = [("Authorization", "Bearer x")]
        }
        let inbox = MessageCollector(socket)
        guard case .text(let json)? = await inbox.first(1)?.first else { return XCTFail("no reply") }
        let reply = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(reply["authorization"] as? String, "Bearer x")
        XCTAssertEqual(reply["access_token"] as? String, "tok-123")
        socket.close()
    }

    /// Real LiveKit JWTs run to a kilobyte or two: a path+query up to lws's request-line limit
    /// goes through intact, and headers have room for many kilobytes.
    func testLongQueryAtTheLimitAndLongHeaderFit() async throws {
        let peer = try sharedPeer()
        let prefix = "/auth?access_token="
        let token = String(repeating: "abcdefghij", count: 300).prefix(WebSocketConnection.maxPathAndQueryBytes - prefix.count)
        let socket = try await connect(peer.url(prefix + token)) {
            $0.headers = [("Authorization", "Bearer x"), ("X-Extra", String(repeating: "y", count: 8000))]
        }
        let inbox = MessageCollector(socket)
        guard case .text(let json)? = await inbox.first(1)?.first else { return XCTFail("no reply") }
        let reply = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(reply["access_token"] as? String, String(token))
        XCTAssertEqual(reply["x_extra_len"] as? Int, 8000)
        socket.close()
    }

    /// One byte over the limit is refused before anything is sent, without echoing the token.
    func testOverlongQueryIsRefusedUpFront() async throws {
        let peer = try sharedPeer()
        let prefix = "/auth?access_token="
        let token = "SECRET" + String(repeating: "t", count: WebSocketConnection.maxPathAndQueryBytes - prefix.count - 5)
        let error = await connectError(WebSocketRequest(url: peer.url(prefix + token)))
        guard case .invalidURL(let text)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertFalse(text.contains("SECRET"))
        XCTAssertTrue(text.contains("Authorization"), text)
    }

    func testMissingAuthorizationIsRejected() async throws {
        let peer = try sharedPeer()
        let error = await connectError(WebSocketRequest(url: peer.url("/auth")))
        XCTAssertEqual(error.flatMap { if case .upgradeRejected(let s, _) = $0 { s } else { nil } }, 403)
    }

    /// A listener that completes TCP handshakes but never answers the upgrade.
    func testConnectTimeoutIsHonoured() async throws {
        let (fd, port) = try silentListener()
        defer { close(fd) }
        var request = WebSocketRequest(url: "ws://127.0.0.1:\(port)/rtc")
        request.connectTimeout = .milliseconds(500)
        let start = ContinuousClock.now
        let error = await connectError(request)
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(error, .timeout)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(450))
        XCTAssertLessThan(elapsed, .seconds(3))
        await assertNoLeaks()
    }

    func testCancellingConnectAbandonsIt() async throws {
        let (fd, port) = try silentListener()
        defer { close(fd) }
        let attempt = Task {
            try await WebSocketConnection.connect(WebSocketRequest(url: "ws://127.0.0.1:\(port)/"))
        }
        try await Task.sleep(for: .milliseconds(200))
        attempt.cancel()
        let result = await attempt.result
        guard case .failure(let error) = result, case .connectFailed(let text)? = error as? WebSocketError else {
            return XCTFail("got \(result)")
        }
        XCTAssertEqual(text, "cancelled")
        await assertNoLeaks()
    }

    func testConnectionRefused() async throws {
        let (fd, port) = try silentListener()
        close(fd)  // nothing listens there now
        let error = await connectError(WebSocketRequest(url: "ws://127.0.0.1:\(port)/"))
        guard case .connectFailed? = error else { return XCTFail("got \(String(describing: error))") }
        await assertNoLeaks()
    }

    func testUnresolvableHost() async throws {
        var request = WebSocketRequest(url: "ws://no-such-host.invalid/rtc")
        request.connectTimeout = .seconds(20)
        let error = await connectError(request)
        guard case .connectFailed? = error else { return XCTFail("got \(String(describing: error))") }
    }

    /// A name with several addresses: the first (nothing listens there) fails, the next works.
    func testFallsBackToTheNextAddress() async throws {
        let peer = try sharedPeer()
        let channel = WebSocketChannel(request: WebSocketRequest(url: peer.url("/echo")),
                                       url: try WebSocketURL(parsing: peer.url("/echo")))
        let outcome = await withCheckedContinuation { waiter in
            channel.waitForConnect(waiter)
            WebSocketServiceLoop.shared.submit(.connect(channel, addresses: ["127.0.0.2", "127.0.0.1"]))
        }
        XCTAssertNoThrow(try outcome.get())
        XCTAssertEqual(channel.phase, .open)
        _ = channel.requestClose(code: 1000, reason: "")
        WebSocketServiceLoop.shared.submit(.attention(channel))
        let ended = await MessageCollector.poll(.seconds(10)) { channel.phase == .closed }
        XCTAssertTrue(ended)
        await assertNoLeaks()
    }

    func testInvalidURLsAreRejectedAndRedacted() async throws {
        for url in ["http://host/rtc?access_token=SECRET", "ws:///rtc?access_token=SECRET", "ws://host:99999/?access_token=SECRET",
                    "ws://user:pw@host/?access_token=SECRET", "ws://host/a b?access_token=SECRET"] {
            let error = await connectError(WebSocketRequest(url: url))
            guard case .invalidURL(let text)? = error else { XCTFail("\(url): got \(String(describing: error))"); continue }
            XCTAssertFalse(text.contains("SECRET"), text)
            XCTAssertFalse("\(error!)".contains("SECRET"))
        }
        let badHeader = await connectError(WebSocketRequest(url: "ws://127.0.0.1:1/", headers: [("X-A", "a\r\nX-B: b")]))
        guard case .invalidURL? = badHeader else { return XCTFail("got \(String(describing: badHeader))") }
    }

    /// Listening socket on 127.0.0.1 that never accepts (the kernel still completes handshakes).
    private func silentListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw WSPeerProcess.LaunchError(description: "cannot open a listener") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
