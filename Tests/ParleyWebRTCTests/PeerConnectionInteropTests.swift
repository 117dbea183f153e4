// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyRTC
import Synchronization
import Testing
@testable import ParleyWebRTC

#if canImport(Glibc)
import Glibc
#endif

/// Interop with aiortc's RTCPeerConnection (Fixtures/pc_peer_aiortc.py) over UDP on 127.0.0.1,
/// both ways round: Parley offers / aiortc answers, and aiortc offers / Parley answers.
/// Descriptions travel as JSON lines; each side's candidates are trickled (aiortc's are
/// stripped from its SDP and fed through `addIceCandidate`). In each case:
/// - a 440 Hz Opus track flows both ways; each side's decoded audio is fitted against the
///   tone and its SNR asserted (≥ 15 dB) and printed;
/// - each side opens a data channel and sends 1 KB and 60 KB; both arrive intact;
/// - Parley closes mid-call (tone still flowing): the close returns promptly, the state is
///   clean (closed/closed, no handler fires, the track is detached), the UDP port is free
///   again, and aiortc, told to finish, writes its audio and exits without hanging.
/// Without the test-peer venv the test fails ("run scripts/install-test-peers").
@Suite("PeerConnection interop with aiortc", .serialized)
struct PeerConnectionInteropTests {
    enum Mode: String, CustomStringConvertible, Sendable {
        case parleyOffers, aiortcOffers
        var description: String { rawValue }
    }

    final class Collected: Sendable {
        let audio = Mutex<[Int16]>([])
        let framesAfterClose = Mutex(0)
        let closed = Mutex(false)
        let messages = Mutex<[String: [[UInt8]]]>([:])
        let states = Mutex<[PeerConnectionState]>([])
        let remoteChannels = Mutex<[DataChannel]>([])
    }

    @Test("Parley ↔ aiortc: SDP offer/answer, trickle ICE, DTLS-SRTP Opus both ways (SNR), data channels 1 KB/60 KB, close",
          arguments: [Mode.parleyOffers, Mode.aiortcOffers])
    func interop(mode: Mode) async throws {
        guard AiortcPeerProcess.available else {
            Issue.record("aiortc test peer missing: run scripts/install-test-peers")
            return
        }
        let pcmPath = FileManager.default.temporaryDirectory.appendingPathComponent("parley-pc-\(UUID().uuidString).pcm").path
        defer { try? FileManager.default.removeItem(atPath: pcmPath) }
        let peer = try AiortcPeerProcess(arguments: ["--mode", mode == .parleyOffers ? "answer" : "offer", "--pcm-out", pcmPath])
        defer { peer.terminate() }

        var configuration = PeerConnectionConfiguration()
        configuration.hostAddresses = [IPAddress("127.0.0.1")!]
        configuration.dtlsInitialRetransmitTimeout = .milliseconds(200)
        let pc = try PeerConnection(configuration: configuration)
        let collected = Collected()
        pc.onConnectionStateChange = { state in collected.states.withLock { $0.append(state) } }
        pc.onAudioFrame = { frame in
            if collected.closed.withLock({ $0 }) { collected.framesAfterClose.withLock { $0 += 1 } }
            frame.withSamples { pcm in collected.audio.withLock { $0.append(contentsOf: pcm) } }
        }
        pc.onDataChannel = { channel in
            collected.remoteChannels.withLock { $0.append(channel) }
            let label = channel.label
            channel.onMessage = { message in
                if case .binary(let bytes) = message { collected.messages.withLock { $0[label, default: []].append(bytes) } }
            }
        }
        pc.onLocalCandidate = { candidate in
            peer.send(["candidate": candidate.candidate, "sdpMid": candidate.sdpMid ?? "0"])
        }
        let track = LocalAudioTrack()
        try pc.addTrack(track)

        // Signalling. aiortc's candidates are removed from its SDP and trickled in.
        func trickleIn(_ sdp: String) throws -> SessionDescription {
            var description = try SessionDescription(parsing: sdp)
            var candidates: [(String, ICECandidate)] = []
            for index in description.media.indices {
                let mid = description.media[index].mid ?? "0"
                candidates += description.media[index].candidates.map { (mid, $0) }
                description.media[index].replaceAttributes(where: { if case .candidate = $0 { true } else { false } }, with: [])
                description.media[index].replaceAttributes(where: { $0 == .endOfCandidates }, with: [])
            }
            #expect(!candidates.isEmpty, "aiortc's SDP has no candidates")
            return description
        }
        func trickledCandidates(_ sdp: String) throws -> [ICECandidateInit] {
            let description = try SessionDescription(parsing: sdp)
            return description.media.flatMap { section in
                section.candidates.map { ICECandidateInit(candidate: $0.description, sdpMid: section.mid) }
            } + [ICECandidateInit(candidate: "")]
        }

        if mode == .parleyOffers {
            let offer = try pc.createOffer()
            #expect(offer.sdp.contains("a=setup:actpass"))
            peer.send(["type": "offer", "sdp": offer.sdp])
            try pc.setLocalDescription(offer)
            #expect(pc.signaling == .haveLocalOffer)
            let answer = try #require(await peer.waitFor { $0["type"] as? String == "answer" }, "aiortc sent no answer")
            let sdp = try #require(answer["sdp"] as? String)
            try pc.setRemoteDescription(TypedSessionDescription(type: .answer, description: try trickleIn(sdp)))
            for candidate in try trickledCandidates(sdp) { try pc.addIceCandidate(candidate) }
        } else {
            let offer = try #require(await peer.waitFor { $0["type"] as? String == "offer" }, "aiortc sent no offer")
            let sdp = try #require(offer["sdp"] as? String)
            // Candidates before the remote description are buffered (livekit-protocol.md §4).
            for candidate in try trickledCandidates(sdp) { try pc.addIceCandidate(candidate) }
            try pc.setRemoteDescription(TypedSessionDescription(type: .offer, description: try trickleIn(sdp)))
            #expect(pc.signaling == .haveRemoteOffer)
            let answer = try pc.createAnswer()
            #expect(answer.sdp.contains("a=setup:active"))
            peer.send(["type": "answer", "sdp": answer.sdp])
            try pc.setLocalDescription(answer)
        }
        #expect(pc.signaling == .stable)

        // Audio starts flowing at once (frames before DTLS is up are dropped and counted).
        let pusher = Task.detached {
            var offset = 0
            var next = ContinuousClock.now
            while !Task.isCancelled {
                track.push(toneFrame(offset: offset))
                offset += 960
                next += .milliseconds(20)
                try? await Task.sleep(until: next, clock: .continuous)
            }
        }
        defer { pusher.cancel() }

        let connectDeadline = ContinuousClock.now + .seconds(10)
        while pc.state != .connected && ContinuousClock.now < connectDeadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(pc.state == .connected, "not connected: \(pc.stats.iceState.map { "\($0)" } ?? "-"), DTLS \(pc.stats.dtlsState.map { "\($0)" } ?? "-"), ICE \(pc.stats.ice.map { "\($0)" } ?? "-") \(peer.messages.filter { $0["sdp"] != nil })")
        #expect(await peer.waitFor { $0["state"] as? String == "connected" } != nil, "aiortc never connected")

        // Our data channel: 1 KB and 60 KB once open.
        let channel = try pc.createDataChannel(label: "from-parley")
        channel.onOpen = {
            try? channel.send(binary: testPayload(count: 1024, seed: 1))
            try? channel.send(binary: testPayload(count: 60_000, seed: 2))
        }
        let received = await peer.waitFor { message in
            (message["received"] as? [String: Any])?["from-parley"].flatMap { $0 as? [Any] }?.count == 2
        }
        let ours = (received?["received"] as? [String: Any])?["from-parley"] as? [[Any]]
        #expect(ours?.map { $0[0] as? Int } == [1024, 60_000], "aiortc got \(String(describing: ours))")
        #expect(ours?.allSatisfy { $0[1] as? Bool == true } == true, "payload mismatch at aiortc")
        let messagesDeadline = ContinuousClock.now + .seconds(10)
        while collected.messages.withLock({ $0["from-aiortc"]?.count ?? 0 }) < 2 && ContinuousClock.now < messagesDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let theirs = collected.messages.withLock { $0["from-aiortc"] ?? [] }
        #expect(theirs == [testPayload(count: 1024, seed: 1), testPayload(count: 60_000, seed: 2)],
                "got \(theirs.map(\.count)) from aiortc")
        #expect(collected.remoteChannels.withLock { $0.map(\.label) } == ["from-aiortc"])

        // Let ~2.5 s of tone play, then close mid-call.
        let audioDeadline = ContinuousClock.now + .seconds(8)
        while collected.audio.withLock({ $0.count }) < 48_000 * 5 / 2 && ContinuousClock.now < audioDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let stats = pc.stats
        let boundPorts = pc.localAddresses.map(\.port)
        let closeStart = ContinuousClock.now
        pc.close()
        collected.closed.withLock { $0 = true }
        let closeTime = ContinuousClock.now - closeStart
        #expect(closeTime < .seconds(1), "close took \(closeTime)")
        #expect(pc.state == .closed && pc.signaling == .closed)
        #expect(pc.localAddresses.isEmpty)
        #expect(collected.states.withLock { $0.last } == .closed)
        #expect(!track.push(toneFrame(offset: 0)), "the track still feeds a closed connection")
        #expect(throws: PeerConnectionError.self) { try pc.createOffer() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(collected.framesAfterClose.withLock { $0 } == 0, "audio delivered after close")
        for port in boundPorts { #expect(udpPortIsFree(port), "UDP port \(port) still bound after close") }

        peer.send(["close": true])
        let done = try #require(await peer.waitFor(.seconds(10)) { $0["done"] as? Bool == true }, "aiortc did not finish")
        #expect(await peer.waitForExit(), "aiortc hung on exit")

        // Audio quality each way.
        let parleyHeard = collected.audio.withLock { $0 }
        let aiortcBytes = try Data(contentsOf: URL(fileURLWithPath: pcmPath))
        let aiortcHeard = aiortcBytes.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let atParley = try #require(ToneQuality(parleyHeard), "Parley received too little tone (\(parleyHeard.count) samples)")
        let atAiortc = try #require(ToneQuality(aiortcHeard), "aiortc received too little tone (\(aiortcHeard.count) samples)")
        print("""
            [\(mode)] aiortc→Parley: SNR \(String(format: "%.1f", atParley.snrDB)) dB, correlation \
            \(String(format: "%.4f", atParley.correlation)), worst frame \(String(format: "%.1f", atParley.worstFrameSNRDB)) dB \
            over \(atParley.analysedSamples) samples; \
            Parley→aiortc: SNR \(String(format: "%.1f", atAiortc.snrDB)) dB, correlation \
            \(String(format: "%.4f", atAiortc.correlation)), worst frame \(String(format: "%.1f", atAiortc.worstFrameSNRDB)) dB \
            over \(atAiortc.analysedSamples) samples; \
            aiortc samples \(done["samples"] ?? "?"); close \(closeTime)
            [\(mode)] sender \(stats.audioSender.map { "sent \($0.packetsSent) pkts, SRs \($0.senderReportsSent), RRs in \($0.receiverReportsReceived), RTT \($0.roundTripTime.map { "\($0)" } ?? "-"), remote lost \($0.remoteCumulativeLost.map { "\($0)" } ?? "-")" } ?? "-")
            [\(mode)] receiver \(stats.audioReceiver.map { "got \($0.packetsReceived) pkts, lost \($0.packetsLost), jitter \($0.jitter), SRs in \($0.senderReportsReceived), JB decoded \($0.jitterBuffer.decoded) concealed \($0.jitterBuffer.concealed) inserted \($0.jitterBuffer.inserted) dropped \($0.jitterBuffer.dropped) delay \($0.jitterBuffer.currentDelay / 1_000_000) ms" } ?? "-"); DTLS \(stats.dtlsCipherSuite ?? "-"), SRTP \(stats.srtpProfile.map { "\($0)" } ?? "-"), pair \(stats.selectedPair ?? "-")
            """)
        #expect(atParley.snrDB >= 15, "aiortc→Parley SNR \(atParley.snrDB) dB")
        #expect(atAiortc.snrDB >= 15, "Parley→aiortc SNR \(atAiortc.snrDB) dB")
        #expect(atParley.correlation >= 0.98)
        #expect(atAiortc.correlation >= 0.98)
        let sender = try #require(stats.audioSender)
        #expect(sender.senderReportsSent >= 1)
        #expect(sender.receiverReportsReceived >= 1, "no report block about our stream from aiortc")
        #expect(sender.roundTripTime != nil, "no RTT from aiortc's report blocks")
        #expect((stats.audioReceiver?.senderReportsReceived ?? 0) >= 1, "no SR from aiortc")
    }
}

/// Whether a UDP socket can bind 127.0.0.1:`port` (i.e. nobody holds it any more).
func udpPortIsFree(_ port: UInt16) -> Bool {
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
