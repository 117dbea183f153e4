// SPDX-License-Identifier: Apache-2.0

@testable import ParleyWebSocket
import XCTest

/// Ten sockets at once on the one service thread, each keeping its own message order.
final class ConcurrencyTests: XCTestCase {
    func testTenConcurrentConnections() async throws {
        let peer = try sharedPeer()
        let url = peer.url("/echo")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<10 {
                group.addTask {
                    let socket = try await WebSocketConnection.connect(WebSocketRequest(url: url))
                    let inbox = MessageCollector(socket)
                    let sent: [WebSocketMessage] = (0..<100).map { i in
                        i % 2 == 0 ? .text("\(n)-\(i)") : .binary(pattern(1000 + n * 100 + i))
                    }
                    for message in sent { try socket.send(message) }
                    let received = await inbox.first(sent.count, timeout: .seconds(30))
                    XCTAssertTrue(received == sent, "connection \(n): echo differs or incomplete")
                    socket.close()
                    let finished = await inbox.waitForFinish()
                    XCTAssertTrue(finished)
                    XCTAssertEqual(socket.closeInfo?.code, 1000)
                }
            }
            try await group.waitForAll()
        }
        await assertNoLeaks()
    }

    /// Sends from many tasks at once into one socket: nothing lost or duplicated.
    func testConcurrentSendersOnOneConnection() async throws {
        let peer = try sharedPeer()
        let socket = try await connect(peer.url("/echo"))
        let inbox = MessageCollector(socket)
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<8 {
                group.addTask {
                    for i in 0..<50 { try? socket.send(.text("\(sender):\(i)")) }
                }
            }
        }
        let received = await inbox.first(400, timeout: .seconds(30))
        XCTAssertEqual(received?.count, 400)
        var seen = Set<String>()
        for case .text(let text) in received ?? [] { seen.insert(text) }
        XCTAssertEqual(seen.count, 400)
        // Per sender, order is kept.
        for sender in 0..<8 {
            let mine = (received ?? []).compactMap { message -> Int? in
                guard case .text(let text) = message, text.hasPrefix("\(sender):") else { return nil }
                return Int(text.dropFirst("\(sender):".count))
            }
            XCTAssertEqual(mine, Array(0..<50))
        }
        socket.close()
    }
}
