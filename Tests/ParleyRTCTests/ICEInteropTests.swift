// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyRTC

/// Interop with aioice, the ICE agent aiortc uses (Fixtures/ice_peer_aioice.py), over UDP on
/// 127.0.0.1 through the socket driver. Both roles; a datagram crosses the selected pair each
/// way. aioice comes from the test-peer venv (`scripts/install-test-peers`); without it the
/// test fails rather than skipping.
@Suite("ICE interop with aioice")
struct ICEInteropTests {
    @Test("Parley ↔ aioice connect and exchange a datagram", arguments: [ICERole.controlling, ICERole.controlled])
    func interop(role: ICERole) throws {
        guard AioicePeer.available else {
            Issue.record("aioice test peer missing: run scripts/install-test-peers")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AioicePeer.python)
        process.arguments = [AioicePeer.script, "--role", role == .controlling ? "controlled" : "controlling"]
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let lines = LineReader(stdout.fileHandleForReading)
        let hello = try #require(try lines.nextJSON(), "aioice printed no credentials")

        let recorder = ICESocketRecorder()
        let socket = try loopbackSocket(role, recorder)
        defer { socket.close() }
        socket.start()
        #expect(ICESocketRecorder.wait { recorder.events.contains(.gatheringComplete) })

        let remoteCredentials = ICECredentials(
            usernameFragment: try #require(hello["ufrag"] as? String), password: try #require(hello["pwd"] as? String))
        socket.setRemoteCredentials(remoteCredentials)
        for text in try #require(hello["candidates"] as? [String]) {
            socket.addRemoteCandidate(try ICECandidate(parsing: text))
        }
        socket.addRemoteEndOfCandidates()
        let ours: [String: Any] = [
            "ufrag": socket.localCredentials.usernameFragment, "pwd": socket.localCredentials.password,
            "candidates": recorder.localCandidates.map(\.sdpValue),
        ]
        stdin.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: ours) + Data("\n".utf8))

        #expect(ICESocketRecorder.wait(timeout: .seconds(15)) { socket.selectedPair != nil }, "Parley selected no pair")
        let connected = try #require(try lines.nextJSON(), "aioice did not connect")
        #expect(connected["connected"] as? Bool == true)
        #expect(socket.role == role)
        #expect(socket.send(Array("hello from parley".utf8)))
        #expect(ICESocketRecorder.wait { recorder.packets.contains(Array("hello from aioice".utf8)) })
        let received = try #require(try lines.nextJSON(), "aioice received nothing")
        #expect(received["received"] as? String == "hello from parley")
        let selected = try #require(socket.selectedPair)
        #expect(selected.remoteAddress.address == IPAddress("127.0.0.1"))
        #expect(socket.stats.checksReceived >= 1 && socket.stats.successResponsesReceived >= 1)
        #expect(socket.state == .connected || socket.state == .completed)
        if role == .controlling {
            // Regular nomination: an ordinary check, then the same pair again with USE-CANDIDATE.
            #expect(socket.stats.checksSent >= 2)
        }

        stdin.fileHandleForWriting.write(Data("{\"close\": true}\n".utf8))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// The aioice fixture, and whether the test-peer venv can import aioice.
enum AioicePeer {
    static let python = TestPeers.python
    static let available = TestPeers.canImport("aioice")
    static let script = TestPeers.fixture("ice_peer_aioice.py")
}
