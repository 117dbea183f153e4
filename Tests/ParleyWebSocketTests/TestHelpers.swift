// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyWebSocket
import XCTest

extension XCTestCase {
    /// The shared aiohttp peer; fails the test (rather than skipping) when it cannot start.
    func sharedPeer(file: StaticString = #filePath, line: UInt = #line) throws -> WSPeerProcess {
        switch WSPeerProcess.shared {
        case .success(let peer): return peer
        case .failure(let error):
            XCTFail("ws_peer.py did not start: \(error)", file: file, line: line)
            throw error
        }
    }

    func connect(_ url: String, configure: (inout WebSocketRequest) -> Void = { _ in }) async throws -> WebSocketConnection {
        var request = WebSocketRequest(url: url)
        configure(&request)
        return try await WebSocketConnection.connect(request)
    }

    /// Expects `connect` to throw; returns the error.
    func connectError(_ request: WebSocketRequest, file: StaticString = #filePath, line: UInt = #line) async -> WebSocketError? {
        do {
            let connection = try await WebSocketConnection.connect(request)
            XCTFail("connected unexpectedly", file: file, line: line)
            connection.close()
            return nil
        } catch {
            return error
        }
    }

    /// What the peer recorded for `id` (the client's close code/reason, messages received).
    func peerReport(_ peer: WSPeerProcess, id: String, waitForCode: Bool = true) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let connection = try await connect(peer.url("/report?id=\(id)"))
            let inbox = MessageCollector(connection)
            let reply = await inbox.first(1)
            connection.close()
            guard case .text(let json)? = reply?.first else { return nil }
            let report = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) as? [String: Any]
            if report != nil || !waitForCode || ContinuousClock.now > deadline { return report }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Every session and wsi has been released (allowing a moment for lws to tear down).
    func assertNoLeaks(file: StaticString = #filePath, line: UInt = #line) async {
        let clean = await MessageCollector.poll(.seconds(10)) {
            WebSocketServiceLoop.liveSessions.load(ordering: .relaxed) == 0
                && WebSocketServiceLoop.liveWsis.load(ordering: .relaxed) == 0
        }
        XCTAssertTrue(clean, "leaked: \(WebSocketServiceLoop.liveSessions.load(ordering: .relaxed)) sessions, "
                      + "\(WebSocketServiceLoop.liveWsis.load(ordering: .relaxed)) wsis", file: file, line: line)
    }
}

/// Byte i is i % 251, as ws_peer.py's `pattern`.
func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }
