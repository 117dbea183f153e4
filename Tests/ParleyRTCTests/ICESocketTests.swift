// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    @Test("close releases the sockets at once, started or not, while the object lives on")
    func closeReleasesSockets() throws {
        for start in [false, true] {
            let socket = try loopbackSocket(.controlling, ICESocketRecorder())
            let ports = socket.localAddresses.map(\.port)
            #expect(!ports.isEmpty)
            if start { socket.start() }
            socket.close()
            #expect(socket.localAddresses.isEmpty)
            #expect(ICESocketRecorder.wait { ports.allSatisfy(udpPortFree) }, "ports \(ports) still bound (started: \(start))")
            #expect(socket.send(mediaDatagram("after close")) == false)
            socket.close()  // idempotent
        }
    }

    @Test("getifaddrs finds loopback only when asked")
    func interfaces() {
        #expect(ICEInterfaces.hostAddresses(includeLoopback: true).contains(IPAddress("127.0.0.1")!))
        #expect(!ICEInterfaces.hostAddresses().contains { $0.isLoopback })
    }
}

/// Whether 127.0.0.1:`port` can be bound (nobody holds it).
private func udpPortFree(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
