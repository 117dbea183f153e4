// SPDX-License-Identifier: Apache-2.0

/// The properties the FuzzDTLS target (Tests/Fuzz) and the DTLS fuzz smoke test check: a
/// server-role transport fed arbitrary datagrams mid-handshake never traps, never emits a
/// datagram over the MTU, fails only by throwing (and then sits in `.failed`), never reports
/// `.connected` without a peer that matched the fingerprint, and can always be closed.
///
/// Input layout: byte 0 selects the mode (bit 0 clear: a real ClientHello goes first, so the
/// fuzz datagrams land mid-handshake; bit 1 set: fire the retransmission/deadline timer at
/// the end); the rest is datagrams, each prefixed by a 16-bit big-endian length.
@_spi(Fuzzing)
public enum DTLSFuzzChecks {
    struct Fixture: Sendable {
        let serverContext: DTLSContext
        let clientFingerprint: SDPFingerprint
        let clientHello: [[UInt8]]
    }

    /// Built once per process: certificates, contexts and a real ClientHello.
    static let fixture: Fixture = {
        do {
            let clientCertificate = try DTLSCertificate.generate()
            let serverCertificate = try DTLSCertificate.generate()
            let client = try DTLSTransport(
                context: DTLSContext(certificate: clientCertificate),
                configuration: .init(role: .client, remoteFingerprints: [serverCertificate.fingerprint]))
            let hello = try client.start(now: .now)
            return Fixture(
                serverContext: try DTLSContext(certificate: serverCertificate),
                clientFingerprint: clientCertificate.fingerprint, clientHello: hello)
        } catch {
            preconditionFailure("DTLS fuzz fixture: \(error)")
        }
    }()

    public static func serverMidHandshake(_ input: [UInt8]) {
        let fixture = fixture
        let now = ContinuousClock.now
        let server: DTLSTransport
        do {
            server = try DTLSTransport(
                context: fixture.serverContext,
                configuration: .init(role: .server, remoteFingerprints: [fixture.clientFingerprint]))
            let first = try server.start(now: now)
            precondition(first.isEmpty, "a server sends nothing before the ClientHello")
        } catch {
            preconditionFailure("DTLS server setup: \(error)")
        }
        let mode = input.first ?? 0
        var datagrams: [[UInt8]] = mode & 1 == 0 ? fixture.clientHello : []
        var offset = 1
        while offset + 2 <= input.count {
            let length = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            let end = min(offset + length, input.count)
            datagrams.append(Array(input[offset..<end]))
            offset = end
        }
        func check(_ out: [[UInt8]]) {
            for datagram in out {
                precondition(datagram.count <= server.configuration.mtu, "datagram over the MTU")
                precondition(PacketDemux.classify(datagram) == .dtls, "sent a non-DTLS datagram")
            }
        }
        for datagram in datagrams {
            do {
                let output = try server.receive(datagram, now: now)
                check(output.datagrams)
                for event in output.events {
                    guard case .connected = event else { continue }
                    precondition(server.peerFingerprint == fixture.clientFingerprint, "connected to an unverified peer")
                }
            } catch {
                precondition(server.state == .failed && server.failure == error, "threw without failing")
                check(server.takePendingDatagrams())
            }
        }
        if mode & 2 != 0 {
            do { check(try server.handleTimeout(now: now + .seconds(31))) } catch {
                precondition(server.state == .failed, "timeout threw without failing")
            }
        }
        check(server.close())
        precondition(server.state == .closed || server.state == .failed, "close left state \(server.state)")
    }
}
