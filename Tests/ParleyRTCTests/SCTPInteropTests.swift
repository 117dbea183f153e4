// SPDX-License-Identifier: Apache-2.0

import Foundation
import Synchronization
import Testing
@testable import ParleyRTC

/// Interop with a real peer: our `DTLSTransport` + `SCTPAssociation` against aiortc's
/// RTCDtlsTransport + RTCSctpTransport (Fixtures/sctp_peer_aiortc.py) over UDP on 127.0.0.1.
/// aiortc sends INIT whatever its role, so every case is a simultaneous open. Each side opens
/// an ordered-reliable and an unordered-unreliable (maxRetransmits 0) channel and sends 1 KB
/// and 60 KB binary and a text reliably and one message unreliably; aiortc then closes its
/// reliable channel and we close ours (stream resets both ways). Without the test-peer venv
/// the test fails ("run scripts/install-test-peers"), like the DTLS interop test.
@Suite("SCTP data channels interop with aiortc")
struct SCTPInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sctp_peer_aiortc.py").path

    /// SCTP packets from the association, waiting for the pump thread to encrypt and send.
    final class Outbox: SCTPLowerTransport, Sendable {
        let packets = Mutex<[[UInt8]]>([])
        func send(_ bytes: [UInt8]) { packets.withLock { $0.append(bytes) } }
        func take() -> [[UInt8]] { packets.withLock { packets in defer { packets = [] }; return packets } }
    }

    /// Messages and events by channel label.
    final class Inbox: Sendable {
        let messages = Mutex<[String: [DataChannelMessage]]>([:])
        let events = Mutex<[String]>([])
        func watch(_ channel: DataChannel, onOpen: (@Sendable () -> Void)? = nil) {
            let label = channel.label
            channel.onMessage = { [self] message in messages.withLock { $0[label, default: []].append(message) } }
            channel.onOpen = { [self] in
                events.withLock { $0.append("open \(label)") }
                onOpen?()
            }
            channel.onClose = { [self] in events.withLock { $0.append("close \(label)") } }
        }
    }

    /// The DTLS transport and socket, handed over to the pump thread (nothing else touches
    /// them once it starts): `@unchecked Sendable` for that one move.
    struct PumpOwned: @unchecked Sendable {
        let dtls: DTLSTransport
        let socket: LoopbackUDPSocket
    }

    static func hex(_ bytes: [UInt8]) -> String {
        Digest.sha256(bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("Parley ↔ aiortc: DTLS + SCTP, channels from each side, reliable 1 KB/60 KB, unordered-unreliable, close",
          arguments: [DTLSRole.client, DTLSRole.server])
    func interop(role: DTLSRole) async throws {
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

        var dtlsConfig = DTLSTransport.Configuration(role: role, remoteFingerprints: [peerFingerprint])
        dtlsConfig.initialRetransmitTimeout = .milliseconds(200)
        let dtls = try DTLSTransport(context: DTLSContext(certificate: certificate), configuration: dtlsConfig)
        let outbox = Outbox()
        let association = SCTPAssociation(transport: outbox, configuration: SCTPAssociation.Configuration(role: role))
        let inbox = Inbox()
        association.onDataChannel = { channel in inbox.watch(channel) }

        let reliable = try association.createDataChannel(label: "from-parley", protocol: "parley")
        let lossy = try association.createDataChannel(label: "parley-lossy", reliability: .unorderedUnreliable)
        #expect(reliable.id % 2 == (role == .client ? 0 : 1))
        inbox.watch(reliable) {
            try? reliable.send(binary: sctpPayload(1024, seed: 21))
            try? reliable.send(binary: sctpPayload(60 * 1024, seed: 22))
            try? reliable.send(text: "hello from parley")
        }
        inbox.watch(lossy) { try? lossy.send(binary: Array("lossy from parley".utf8)) }

        // The pump: the DTLS transport lives on this thread only.
        let stop = Mutex(false)
        let failure = Mutex<String?>(nil)
        let owned = PumpOwned(dtls: dtls, socket: socket)
        let pump = Thread {
            let dtls = owned.dtls
            let socket = owned.socket
            do {
                for datagram in try dtls.start(now: .now) { try socket.send(datagram) }
                while !stop.withLock({ $0 }) {
                    if let datagram = try socket.receive(timeoutMilliseconds: 2), PacketDemux.classify(datagram) == .dtls {
                        let output = try dtls.receive(datagram, now: .now)
                        for out in output.datagrams { try socket.send(out) }
                        for event in output.events {
                            switch event {
                            case .connected: try association.start()
                            case .applicationData(let packet): association.receive(packet)
                            case .closed: break
                            }
                        }
                    }
                    if dtls.state == .connected {
                        for packet in outbox.take() {
                            for out in try dtls.send(applicationData: packet) { try socket.send(out) }
                        }
                    }
                    if let next = dtls.nextTimeout, ContinuousClock.now >= next {
                        for out in try dtls.handleTimeout(now: .now) { try socket.send(out) }
                    }
                }
                for out in dtls.close() { try? socket.send(out) }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        pump.start()
        defer { stop.withLock { $0 = true } }

        let report = try #require(try lines.nextJSON(), "aiortc printed no report")
        #expect(failure.withLock { $0 } == nil)
        #expect(association.state == .connected)
        // What aiortc saw of our channels and messages.
        let channels = try #require(report["channels"] as? [String: [String: Any]])
        let reliableInfo = try #require(channels["from-parley"])
        #expect(reliableInfo["ordered"] as? Bool == true)
        #expect(reliableInfo["protocol"] as? String == "parley")
        #expect(reliableInfo["id"] as? Int == Int(reliable.id))
        let lossyInfo = try #require(channels["parley-lossy"])
        #expect(lossyInfo["ordered"] as? Bool == false)
        #expect(lossyInfo["maxRetransmits"] as? Int == 0)
        let received = try #require(report["messages"] as? [[String: Any]])
        let reliableAtAiortc = received.filter { $0["label"] as? String == "from-parley" }
        #expect(reliableAtAiortc.map { $0["length"] as? Int } == [1024, 60 * 1024, 17])
        #expect(reliableAtAiortc.map { $0["sha256"] as? String }
            == [Self.hex(sctpPayload(1024, seed: 21)), Self.hex(sctpPayload(60 * 1024, seed: 22)), Self.hex(Array("hello from parley".utf8))])
        #expect(reliableAtAiortc.last?["kind"] as? String == "text")
        let lossyAtAiortc = received.filter { $0["label"] as? String == "parley-lossy" }
        #expect(lossyAtAiortc.first?["text"] == nil || lossyAtAiortc.first?["kind"] as? String == "binary")
        #expect(lossyAtAiortc.first?["sha256"] as? String == Self.hex(Array("lossy from parley".utf8)))

        // What we saw of theirs.
        try await waitUntil("aiortc's messages") {
            inbox.messages.withLock { ($0["from-aiortc"]?.count ?? 0) >= 3 && ($0["aiortc-lossy"]?.count ?? 0) >= 1 }
        }
        let theirs = inbox.messages.withLock { $0 }
        #expect(theirs["from-aiortc"] == [.binary(sctpPayload(1024, seed: 11)), .binary(sctpPayload(60 * 1024, seed: 12)),
                                          .text("hello from aiortc")])
        #expect(theirs["aiortc-lossy"] == [.binary(Array("lossy from aiortc".utf8))])
        let remote = association.dataChannels.first { $0.label == "aiortc-lossy" }
        #expect(remote?.reliability == .unorderedUnreliable)
        #expect(remote.map { $0.id % 2 } == (role == .client ? 1 : 0))

        // Closing: aiortc resets its reliable channel; we reset ours.
        try await waitUntil("aiortc closed its channel") { inbox.events.withLock { $0.contains("close from-aiortc") } }
        reliable.close()
        try await waitUntil("our channel closed") { reliable.state == .closed }
        let closed = try #require(try lines.nextJSON(), "aiortc printed no close report")
        #expect(closed["closed"] as? [String] == ["from-aiortc", "from-parley"])
        #expect(association.stats.streamResetsSent >= 2)
        // aiortc's packets are all well formed: the length check in front of usrsctp dropped none.
        #expect(association.stats.malformedPacketsDropped == 0, "\(String(describing: association.stats.lastMalformedPacket))")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        association.close()
        stop.withLock { $0 = true }
        while pump.isExecuting { try await Task.sleep(for: .milliseconds(5)) }
    }
}
