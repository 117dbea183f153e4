// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyRTC

#if canImport(Glibc)
import Glibc
#endif

/// Interop with a real peer: aiortc's RTCDtlsTransport (Fixtures/dtls_peer_aiortc.py) over
/// UDP on 127.0.0.1. Both roles; both sides must export the same SRTP keys (compared by
/// SHA-256), and an application message and an SRTP packet must cross in each direction.
/// aiortc comes from the test-peer venv (`scripts/install-test-peers`, which `scripts/test`
/// runs); without it the test fails rather than skipping, so CI can't pass it silently.
@Suite("DTLS-SRTP interop with aiortc")
struct DTLSInteropTests {
    static let script = AiortcPeer.script


    @Test(
        "Parley ↔ aiortc handshake, keys, data and SRTP",
        arguments: [
            (DTLSRole.client, SRTPProtectionProfile.defaultOffer, SRTPProtectionProfile.aeadAes128Gcm),
            (DTLSRole.server, SRTPProtectionProfile.defaultOffer, SRTPProtectionProfile.aeadAes128Gcm),
            (DTLSRole.client, [SRTPProtectionProfile.aes128CmHmacSha1_80], SRTPProtectionProfile.aes128CmHmacSha1_80),
            (DTLSRole.server, [SRTPProtectionProfile.aes128CmHmacSha1_80], SRTPProtectionProfile.aes128CmHmacSha1_80),
        ])
    func interop(role: DTLSRole, offer: [SRTPProtectionProfile], expected: SRTPProtectionProfile) throws {
        guard AiortcPeer.available else {
            Issue.record("aiortc test peer missing: run scripts/install-test-peers")
            return
        }
        let socket = try LoopbackUDPSocket()
        let certificate = try DTLSCertificate.generate()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: AiortcPeer.python)
        process.arguments = [
            Self.script, "--role", role == .client ? "server" : "client",
            "--peer-port", String(socket.port), "--peer-fingerprint", certificate.fingerprint.description,
        ]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let lines = LineReader(stdout.fileHandleForReading)

        let hello = try #require(try lines.nextJSON(), "aiortc printed no port")
        let peerPort = try #require(hello["port"] as? Int)
        let peerFingerprint = try SDPFingerprint(sdpValue: Substring(try #require(hello["fingerprint"] as? String)))
        try socket.connect(port: UInt16(peerPort))

        var config = DTLSTransport.Configuration(role: role, remoteFingerprints: [peerFingerprint])
        config.initialRetransmitTimeout = .milliseconds(200)
        let transport = try DTLSTransport(
            context: DTLSContext(certificate: certificate, srtpProfiles: offer), configuration: config)
        for datagram in try transport.start(now: .now) { try socket.send(datagram) }

        let ourRTP = rtpPacket(sequence: 1, ssrc: 0x0BAD_CAFE, payload: Array("parley rtp payload".utf8))
        var srtp: SRTPSession?
        var theirData: [UInt8]?
        var theirRTP: [UInt8]?
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, theirData == nil || theirRTP == nil {
            if let datagram = try socket.receive(timeoutMilliseconds: 20) {
                switch PacketDemux.classify(datagram) {
                case .dtls:
                    let output = try transport.receive(datagram, now: .now)
                    for out in output.datagrams { try socket.send(out) }
                    for event in output.events {
                        switch event {
                        case .connected(let keys):
                            let session = try SRTPSession(keyingMaterial: try #require(keys), role: role)
                            srtp = session
                            for out in try transport.send(applicationData: Array("hello from parley".utf8)) {
                                try socket.send(out)
                            }
                            var packet = ourRTP
                            try session.protectRTP(&packet)
                            try socket.send(packet)
                        case .applicationData(let data): theirData = data
                        case .closed: break
                        }
                    }
                case .rtp:
                    var packet = datagram
                    try #require(srtp).unprotectRTP(&packet)
                    theirRTP = packet
                default: break
                }
            }
            if let next = transport.nextTimeout, ContinuousClock.now >= next {
                for out in try transport.handleTimeout(now: .now) { try socket.send(out) }
            }
        }
        #expect(transport.state == .connected)
        #expect(theirData.map { String(decoding: $0, as: UTF8.self) } == "hello from aiortc")
        #expect(theirRTP == [0x80, 111, 0, 1, 0, 0, 0, 0, 0xA1, 0x0A, 0x10, 0xA1] + Array("aiortc rtp payload".utf8))

        let report = try #require(try lines.nextJSON(), "aiortc printed no result")
        #expect(report["connected"] as? Bool == true)
        #expect(report["profile"] as? String == expected.opensslName)
        let keys = try #require(transport.keyingMaterial)
        #expect(keys.profile == expected)
        let ourDigest = Digest.sha256(keys.exportedBytes).map { String(format: "%02x", $0) }.joined()
        #expect(report["keying_material_sha256"] as? String == ourDigest, "both sides exported the same SRTP keys")
        #expect(report["data"] as? String == "hello from parley")
        #expect(report["rtp"] as? String == ourRTP.map { String(format: "%02x", $0) }.joined())
        for out in transport.close() { try? socket.send(out) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// The aiortc fixture, and whether the test-peer venv can import aiortc.
enum AiortcPeer {
    static let python = TestPeers.python
    static let available = TestPeers.canImport("aiortc")
    static let script = TestPeers.fixture("dtls_peer_aiortc.py")
}

/// Lines of JSON from a child's stdout, blocking.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    init(_ handle: FileHandle) { self.handle = handle }

    func nextJSON() throws -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }
}

/// A UDP socket on 127.0.0.1 for the interop test (the transport itself has no sockets).
final class LoopbackUDPSocket {
    let fd: Int32
    private(set) var port: UInt16 = 0

    init() throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = Self.loopback(port: 0)
        guard withUnsafePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { Glibc.close(fd) }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    func connect(port: UInt16) throws {
        var address = Self.loopback(port: port)
        guard withUnsafePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }) == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ datagram: [UInt8]) throws {
        let sent = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == datagram.count else { throw POSIXError(.EIO) }
    }

    func receive(timeoutMilliseconds: Int32) throws -> [UInt8]? {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Array(buffer[0..<count])
    }
}
