// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyRTC

@Suite("DTLS transport (in-process client ↔ server)")
struct DTLSTransportTests {
    @Test("certificate: ECDSA P-256, SHA-256 fingerprint of the DER in SDP form")
    func certificate() throws {
        let certificate = try DTLSCertificate.generate()
        #expect(certificate.fingerprint.algorithm == "sha-256")
        #expect(certificate.fingerprint.bytes == Digest.sha256(certificate.derEncoded))
        let sdp = certificate.fingerprint.description
        #expect(sdp.hasPrefix("sha-256 "))
        #expect(sdp.split(separator: " ")[1].split(separator: ":").count == 32)
        #expect(try SDPFingerprint(sdpValue: Substring(sdp)) == certificate.fingerprint)
        // Two generations give two keys.
        #expect(try DTLSCertificate.generate().fingerprint != certificate.fingerprint)
    }

    @Test("roles from a=setup")
    func roles() {
        #expect(DTLSRole(localSetup: .active) == .client)
        #expect(DTLSRole(localSetup: .passive) == .server)
        #expect(DTLSRole(localSetup: .actpass) == nil)
        #expect(DTLSRole.server.sdpSetup == .passive)
    }

    @Test("handshake with each SRTP profile: connected, same keys on both sides", arguments: SRTPProtectionProfile.allCases)
    func handshake(profile: SRTPProtectionProfile) throws {
        let peers = try DTLSPeers.make(clientProfiles: [profile], serverProfiles: [profile])
        let events = try peers.handshake()
        #expect(peers.client.state == .connected)
        #expect(peers.server.state == .connected)
        let clientKeys = try #require(events.client.compactMap(\.keys).first)
        let serverKeys = try #require(events.server.compactMap(\.keys).first)
        #expect(clientKeys.profile == profile)
        #expect(clientKeys == serverKeys)
        #expect(clientKeys.exportedBytes.count == profile.keyingMaterialLength)
        #expect(Set(clientKeys.exportedBytes).count > 8, "exporter output looks random")
        #expect(peers.client.keyingMaterial == clientKeys)
        #expect(peers.client.peerFingerprint == peers.serverCertificate.fingerprint)
        #expect(peers.server.peerFingerprint == peers.clientCertificate.fingerprint)
        #expect(peers.client.cipherSuite == "ECDHE-ECDSA-AES128-GCM-SHA256")
        #expect(peers.client.nextTimeout == nil && peers.server.nextTimeout == nil)
        #expect(peers.client.stats.recordsSent > 0 && peers.server.stats.recordsReceived == peers.client.stats.recordsSent)
        #expect(peers.client.stats.handshakeRetransmits == 0)
        // Keys never show up in descriptions.
        #expect(String(describing: clientKeys) == "SRTPKeyingMaterial(\(profile.opensslName), keys redacted)")
        #expect(String(reflecting: clientKeys) == String(describing: clientKeys))
    }

    @Test("default offer negotiates AEAD_AES_128_GCM; a CM-only peer gets AES128_CM_SHA1_80")
    func profileSelection() throws {
        let both = try DTLSPeers.make()
        #expect(try both.handshake().client.compactMap(\.keys).first?.profile == .aeadAes128Gcm)
        let cmServer = try DTLSPeers.make(serverProfiles: [.aes128CmHmacSha1_80])
        #expect(try cmServer.handshake().server.compactMap(\.keys).first?.profile == .aes128CmHmacSha1_80)
    }

    @Test("no common SRTP profile fails the handshake")
    func noCommonProfile() throws {
        let peers = try DTLSPeers.make(clientProfiles: [.aeadAes256Gcm], serverProfiles: [.aes128CmHmacSha1_80])
        #expect(throws: DTLSError.self) { try peers.handshake() }
        #expect(peers.client.state == .failed || peers.server.state == .failed)
    }

    @Test("client rejects a server whose certificate does not match the SDP fingerprint")
    func clientFingerprintMismatch() throws {
        let wrong = SDPFingerprint(algorithm: "sha-256", bytes: [UInt8](repeating: 0xAB, count: 32))
        let peers = try DTLSPeers.make(clientExpects: [wrong])
        #expect(try peers.server.start(now: .now).isEmpty)
        let hello = try peers.client.start(now: .now)
        let flight = try peers.server.receive(hello[0], now: .now).datagrams
        var thrown: DTLSError?
        for datagram in flight {
            do { _ = try peers.client.receive(datagram, now: .now) } catch { thrown = error; break }
        }
        guard case .fingerprintMismatch(let expected, let received) = thrown else {
            Issue.record("expected fingerprintMismatch, got \(String(describing: thrown))")
            return
        }
        #expect(expected == [wrong])
        #expect(received == peers.serverCertificate.fingerprint)
        #expect(peers.client.state == .failed)
        #expect(peers.client.failure == thrown)
        #expect(peers.client.keyingMaterial == nil)
        #expect("\(thrown!)".contains("matches none"))
        // The client's bad_certificate alert makes the server fail too.
        let alert = peers.client.takePendingDatagrams()
        #expect(!alert.isEmpty)
        #expect(peers.client.stats.alertsSent == 1)
        #expect(throws: DTLSError.alertReceived("bad certificate")) {
            for datagram in alert { _ = try peers.server.receive(datagram, now: .now) }
        }
        #expect(peers.server.state == .failed)
        // A failed transport ignores further input.
        #expect(try peers.client.receive(flight[0], now: .now) == DTLSOutput())
    }

    @Test("server rejects a client whose certificate does not match")
    func serverFingerprintMismatch() throws {
        let other = try DTLSCertificate.generate()
        let peers = try DTLSPeers.make(serverExpects: [other.fingerprint])
        do {
            try peers.handshake()
            Issue.record("handshake succeeded with the wrong client certificate")
        } catch let error as DTLSError {
            #expect(peers.server.state == .failed)
            guard case .fingerprintMismatch(_, let received) = peers.server.failure else {
                Issue.record("server failure is \(String(describing: peers.server.failure)) (thrown \(error))")
                return
            }
            #expect(received == peers.clientCertificate.fingerprint)
        }
        #expect(peers.server.keyingMaterial == nil)
    }

    @Test("a remote description with no usable fingerprint is refused up front")
    func unusableFingerprint() throws {
        let certificate = try DTLSCertificate.generate()
        let context = try DTLSContext(certificate: certificate)
        let config = DTLSTransport.Configuration(
            role: .client, remoteFingerprints: [SDPFingerprint(algorithm: "md5", bytes: [1, 2])])
        #expect(throws: DTLSError.self) { try DTLSTransport(context: context, configuration: config) }
    }

    @Test("lost first flight: recovered by the retransmission timer on the caller's clock")
    func lostClientHello() async throws {
        let peers = try DTLSPeers.make { $0.initialRetransmitTimeout = .milliseconds(100) }
        let t0 = ContinuousClock.now
        #expect(try peers.server.start(now: t0).isEmpty)
        let lost = try peers.client.start(now: t0)
        #expect(!lost.isEmpty)
        let deadline = try #require(peers.client.nextTimeout)
        #expect(deadline > t0 && deadline <= t0 + .milliseconds(100))
        // Nothing to do before the deadline.
        #expect(try peers.client.handleTimeout(now: t0).isEmpty)
        #expect(peers.client.stats.handshakeRetransmits == 0)
        // OpenSSL checks its timer against the wall clock: let real time catch up.
        try await Task.sleep(for: .milliseconds(120))
        let again = try peers.client.handleTimeout(now: deadline)
        #expect(!again.isEmpty)
        #expect(peers.client.stats.handshakeRetransmits == 1)
        // The next interval doubles (RFC 6347 §4.2.4.1).
        let next = try #require(peers.client.nextTimeout)
        #expect(next - deadline > .milliseconds(150))
        try peers.exchange(toServer: again, now: deadline)
        #expect(peers.client.state == .connected && peers.server.state == .connected)
        #expect(peers.client.keyingMaterial == peers.server.keyingMaterial)
    }

    @Test("lost server flight: the client retransmits, the server answers again")
    func lostServerFlight() async throws {
        let peers = try DTLSPeers.make { $0.initialRetransmitTimeout = .milliseconds(100) }
        let t0 = ContinuousClock.now
        _ = try peers.server.start(now: t0)
        // Deliver the ClientHello, lose everything the server answers.
        try peers.exchange(toServer: try peers.client.start(now: t0), now: t0) { fromClient, _ in !fromClient }
        #expect(peers.client.state == .connecting)
        try await Task.sleep(for: .milliseconds(120))
        let retransmitted = try peers.client.handleTimeout(now: try #require(peers.client.nextTimeout))
        #expect(!retransmitted.isEmpty)
        try peers.exchange(toServer: retransmitted, now: t0 + .milliseconds(120))
        #expect(peers.client.state == .connected && peers.server.state == .connected)
        #expect(peers.client.keyingMaterial == peers.server.keyingMaterial)
    }

    @Test("lost final server flight: the client's retransmitted flight makes the server resend it")
    func lostFinishedFlight() async throws {
        let peers = try DTLSPeers.make { $0.initialRetransmitTimeout = .milliseconds(100) }
        let t0 = ContinuousClock.now
        _ = try peers.server.start(now: t0)
        // Server datagram #0 is flight 4, #1 is its ChangeCipherSpec + Finished (flight 6): lose #1.
        try peers.exchange(toServer: try peers.client.start(now: t0), now: t0) { fromClient, index in !fromClient && index == 1 }
        #expect(peers.server.state == .connected)
        #expect(peers.client.state == .connecting)
        try await Task.sleep(for: .milliseconds(120))
        let retransmitted = try peers.client.handleTimeout(now: try #require(peers.client.nextTimeout))
        try peers.exchange(toServer: retransmitted, now: t0 + .milliseconds(120))
        #expect(peers.client.state == .connected)
        #expect(peers.client.keyingMaterial == peers.server.keyingMaterial)
    }

    @Test("handshake deadline fails the transport")
    func handshakeTimeout() throws {
        let peers = try DTLSPeers.make { $0.handshakeTimeout = .seconds(5) }
        let t0 = ContinuousClock.now
        _ = try peers.client.start(now: t0)
        #expect(throws: DTLSError.handshakeTimedOut) { try peers.client.handleTimeout(now: t0 + .seconds(6)) }
        #expect(peers.client.state == .failed)
        #expect(peers.client.nextTimeout == nil)
    }

    @Test("application data both ways, size limit, close_notify")
    func applicationData() throws {
        let peers = try DTLSPeers.make()
        try peers.handshake()
        let now = ContinuousClock.now
        let ping = Array("SCTP INIT, say".utf8)
        let fromClient = try peers.client.send(applicationData: ping)
        #expect(fromClient.count == 1)
        #expect(PacketDemux.classify(fromClient[0]) == .dtls)
        #expect(try peers.server.receive(fromClient[0], now: now).events == [.applicationData(ping)])

        let limit = peers.server.maxApplicationDataSize
        #expect(limit > 1100 && limit < 1200)
        let big = [UInt8](repeating: 0x5A, count: limit)
        let fromServer = try peers.server.send(applicationData: big)
        #expect(fromServer.count == 1 && fromServer[0].count <= 1200)
        #expect(try peers.client.receive(fromServer[0], now: now).events == [.applicationData(big)])
        #expect(throws: DTLSError.applicationDataTooLarge(size: limit + 1, limit: limit)) {
            try peers.server.send(applicationData: big + [0])
        }
        #expect(peers.client.stats.applicationMessagesReceived == 1)
        #expect(peers.server.stats.applicationMessagesSent == 1)

        // Non-DTLS input is dropped and counted.
        #expect(try peers.client.receive([0x80, 0x6F, 0, 1], now: now) == DTLSOutput())
        #expect(peers.client.stats.datagramsDiscarded == 1)
        // A corrupted record is discarded silently (RFC 6347 §4.1.2.7), the connection stays up.
        var corrupted = fromServer[0]
        corrupted[corrupted.count - 1] ^= 0xFF
        #expect(try peers.client.receive(corrupted, now: now).events.isEmpty)
        #expect(peers.client.state == .connected)

        let bye = peers.client.close()
        #expect(peers.client.state == .closed)
        #expect(!bye.isEmpty)
        #expect(peers.client.stats.alertsSent == 1)
        let output = try peers.server.receive(bye[0], now: now)
        #expect(output.events == [.closed])
        #expect(peers.server.state == .closed)
        #expect(peers.server.stats.alertsReceived == 1)
        #expect(throws: DTLSError.invalidState(.closed, operation: "send")) { try peers.client.send(applicationData: ping) }
        #expect(peers.client.close().isEmpty)
    }

    @Test("misuse: receive before start, start twice, send before connected")
    func misuse() throws {
        let peers = try DTLSPeers.make()
        #expect(throws: DTLSError.invalidState(.new, operation: "receive")) {
            try peers.server.receive([22, 0xFE, 0xFD], now: .now)
        }
        _ = try peers.client.start(now: .now)
        #expect(throws: DTLSError.invalidState(.connecting, operation: "start")) { try peers.client.start(now: .now) }
        #expect(throws: DTLSError.invalidState(.connecting, operation: "send")) { try peers.client.send(applicationData: [1]) }
    }

    @Test("record framer packs whole records up to the MTU")
    func framer() {
        func record(_ length: Int) -> [UInt8] {
            [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 7, count: length)
        }
        let stream = record(500) + record(500) + record(300) + record(10)
        let (datagrams, records) = DTLSRecordFramer.pack(stream, mtu: 1200)
        #expect(records == 4)
        #expect(datagrams.map(\.count) == [1026, 336])
        #expect(datagrams.joined().elementsEqual(stream))
        #expect(DTLSRecordFramer.countRecords(stream + [1, 2]) == 4)
    }
}
