// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyRTC

/// Two Parley agents through the UDP socket driver on 127.0.0.1, in real time.
@Suite("ICE over UDP on 127.0.0.1")
struct ICESocketTests {
    @Test("two UDPICESockets connect and carry a datagram each way")
    func loopbackPair() throws {
        let recorderA = ICESocketRecorder()
        let recorderB = ICESocketRecorder()
        let a = try loopbackSocket(.controlling, recorderA)
        let b = try loopbackSocket(.controlled, recorderB)
        defer { a.close(); b.close() }
        a.start()
        b.start()
        #expect(ICESocketRecorder.wait { recorderA.events.contains(.gatheringComplete) && recorderB.events.contains(.gatheringComplete) })
        a.setRemoteCredentials(b.localCredentials)
        b.setRemoteCredentials(a.localCredentials)
        for candidate in recorderB.localCandidates { a.addRemoteCandidate(candidate) }
        for candidate in recorderA.localCandidates { b.addRemoteCandidate(candidate) }
        #expect(ICESocketRecorder.wait { a.state == .completed && b.state == .completed })
        let pairA = try #require(a.selectedPair)
        let pairB = try #require(b.selectedPair)
        #expect(pairA.localBase == pairB.remoteAddress && pairA.remoteAddress == pairB.localBase)
        #expect(pairA.localBase.address == IPAddress("127.0.0.1"))

        #expect(a.send(mediaDatagram("dtls from a")))
        #expect(b.send(mediaDatagram("dtls from b")))
        #expect(ICESocketRecorder.wait { !recorderA.packets.isEmpty && !recorderB.packets.isEmpty })
        #expect(recorderB.packets == [mediaDatagram("dtls from a")])
        #expect(recorderA.packets == [mediaDatagram("dtls from b")])
        #expect(a.stats.checksReceived >= 1 && b.stats.checksReceived >= 1)
        #expect(a.stats.invalidMessages == 0 && b.stats.invalidMessages == 0)
    }

    @Test("getifaddrs finds loopback only when asked")
    func interfaces() {
        #expect(ICEInterfaces.hostAddresses(includeLoopback: true).contains(IPAddress("127.0.0.1")!))
        #expect(!ICEInterfaces.hostAddresses().contains { $0.isLoopback })
    }
}
