// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// A DTLS client and server in one process, with the datagrams between them in our hands.
struct DTLSPeers {
    let client: DTLSTransport
    let server: DTLSTransport
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate

    /// Fresh certificates; each side expects the other's real fingerprint unless told otherwise.
    static func make(
        clientProfiles: [SRTPProtectionProfile] = SRTPProtectionProfile.defaultOffer,
        serverProfiles: [SRTPProtectionProfile] = SRTPProtectionProfile.defaultOffer,
        clientExpects: [SDPFingerprint]? = nil, serverExpects: [SDPFingerprint]? = nil,
        configure: (inout DTLSTransport.Configuration) -> Void = { _ in }
    ) throws -> DTLSPeers {
        let clientCertificate = try DTLSCertificate.generate()
        let serverCertificate = try DTLSCertificate.generate()
        var clientConfig = DTLSTransport.Configuration(
            role: .client, remoteFingerprints: clientExpects ?? [serverCertificate.fingerprint])
        var serverConfig = DTLSTransport.Configuration(
            role: .server, remoteFingerprints: serverExpects ?? [clientCertificate.fingerprint])
        configure(&clientConfig)
        configure(&serverConfig)
        return DTLSPeers(
            client: try DTLSTransport(
                context: DTLSContext(certificate: clientCertificate, srtpProfiles: clientProfiles), configuration: clientConfig),
            server: try DTLSTransport(
                context: DTLSContext(certificate: serverCertificate, srtpProfiles: serverProfiles), configuration: serverConfig),
            clientCertificate: clientCertificate, serverCertificate: serverCertificate)
    }

    /// Delivers `toServer`, then whatever each side answers, until both are quiet. Every
    /// datagram is checked against the MTU. `drop(fromClient, index)` loses datagrams.
    @discardableResult
    func exchange(
        toServer initial: [[UInt8]], toClient initialToClient: [[UInt8]] = [], now: ContinuousClock.Instant,
        drop: (Bool, Int) -> Bool = { _, _ in false }
    ) throws -> (client: [DTLSEvent], server: [DTLSEvent]) {
        var toServer = initial
        var toClient = initialToClient
        var clientEvents: [DTLSEvent] = []
        var serverEvents: [DTLSEvent] = []
        var sentByClient = 0
        var sentByServer = 0
        var rounds = 0
        while !toServer.isEmpty || !toClient.isEmpty {
            rounds += 1
            #expect(rounds < 50, "handshake does not settle")
            if rounds >= 50 { break }
            for datagram in toServer {
                #expect(datagram.count <= 1200)
                defer { sentByClient += 1 }
                if drop(true, sentByClient) { continue }
                let output = try server.receive(datagram, now: now)
                toClient += output.datagrams
                serverEvents += output.events
            }
            toServer = []
            for datagram in toClient {
                #expect(datagram.count <= 1200)
                defer { sentByServer += 1 }
                if drop(false, sentByServer) { continue }
                let output = try client.receive(datagram, now: now)
                toServer += output.datagrams
                clientEvents += output.events
            }
            toClient = []
        }
        return (clientEvents, serverEvents)
    }

    /// start() both and run the handshake to completion without loss.
    @discardableResult
    func handshake(now: ContinuousClock.Instant = .now) throws -> (client: [DTLSEvent], server: [DTLSEvent]) {
        #expect(try server.start(now: now).isEmpty)
        return try exchange(toServer: try client.start(now: now), now: now)
    }
}

extension DTLSEvent {
    var keys: SRTPKeyingMaterial? {
        if case .connected(let keys) = self { return keys }
        return nil
    }
}

extension SRTPKeyingMaterial {
    /// The exporter output in RFC 5764 §4.2 order (tests only: compare, never print).
    var exportedBytes: [UInt8] { clientWriteKey + serverWriteKey + clientWriteSalt + serverWriteSalt }
}

/// A minimal RTP packet (RFC 3550 §5.1): V=2, PT 111, the given sequence number and SSRC.
func rtpPacket(sequence: UInt16, ssrc: UInt32 = 0x1234_5678, payload: [UInt8] = Array("opus frame bytes".utf8)) -> [UInt8] {
    [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x03, 0xC0,
     UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)] + payload
}

/// A receiver report with one report block (RFC 3550 §6.4.2), 32 bytes.
func rtcpReceiverReport(ssrc: UInt32 = 0x1234_5678) -> [UInt8] {
    [0x81, 201, 0x00, 0x07, UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)]
        + [0xCA, 0xFE, 0xBA, 0xBE] + [UInt8](repeating: 0x11, count: 20)
}
