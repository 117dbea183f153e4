// SPDX-License-Identifier: Apache-2.0

@testable import ParleyWebSocket
import XCTest

final class URLAndRedactionTests: XCTestCase {
    func testParsing() throws {
        let a = try WebSocketURL(parsing: "wss://example.com/rtc?access_token=t&auto_subscribe=1#frag")
        XCTAssertEqual([a.secure ? "wss" : "ws", a.host, "\(a.port)", a.pathAndQuery],
                       ["wss", "example.com", "443", "/rtc?access_token=t&auto_subscribe=1"])
        XCTAssertEqual(a.hostHeader, "example.com")
        let b = try WebSocketURL(parsing: "ws://[::1]:7880?x=1")
        XCTAssertEqual([b.secure ? "wss" : "ws", b.host, "\(b.port)", b.pathAndQuery], ["ws", "::1", "7880", "/?x=1"])
        XCTAssertEqual(b.hostHeader, "[::1]:7880")
        let c = try WebSocketURL(parsing: "WS://Host:80")
        XCTAssertEqual(c.pathAndQuery, "/")
        XCTAssertEqual(c.hostHeader, "Host")
    }

    func testRedaction() {
        XCTAssertEqual(SecretRedaction.redact("wss://h/rtc?access_token=eyJ.abc.def&auto_subscribe=1"),
                       "wss://h/rtc?access_token=<redacted>&auto_subscribe=1")
        XCTAssertEqual(SecretRedaction.redact("wss://api.cartesia.ai/tts/websocket?cartesia_version=1&api_key=sk_123"),
                       "wss://api.cartesia.ai/tts/websocket?cartesia_version=1&api_key=<redacted>")
        XCTAssertEqual(SecretRedaction.redact("GET /agent?Token=abc HTTP/1.1"), "GET /agent?Token=<redacted> HTTP/1.1")
        XCTAssertEqual(SecretRedaction.redact("ws://h/x?monkey=1&keys=2"), "ws://h/x?monkey=1&keys=2")
        XCTAssertEqual(SecretRedaction.redact("no secrets"), "no secrets")
    }
}
