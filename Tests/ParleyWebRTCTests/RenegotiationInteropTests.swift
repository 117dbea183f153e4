// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyRTC
import Synchronization
import Testing
@testable import ParleyWebRTC

/// Renegotiation and hangups against aiortc's RTCPeerConnection on 127.0.0.1.
///
/// - aiortc plays LiveKit's server on a subscriber connection (Fixtures/pc_renego_aiortc.py):
///   a data-only first offer, then re-offers that add one sendonly tone track per section
///   (440 Hz, then 660 Hz), set the first inactive and reuse it for a new track (880 Hz).
///   Parley answers each; every track is decoded on its own receiver and its SNR asserted.
///   Then Parley re-offers with an ICE restart: aiortc cannot restart ICE (its ICE transport
///   ignores new remote credentials and keeps its own), so the call must carry on over the
///   old pair (ICE restarts proper are tested Parley ↔ Parley in RenegotiationTests).
/// - aiortc hangs up mid-call (SCTP ABORT + DTLS close_notify): Parley is closed within a
///   few seconds with every socket released; aiortc dies (SIGKILL, nothing sent):
///   consent expires (3 s here) and Parley fails, then `close()` releases everything.
@Suite("PeerConnection renegotiation interop with aiortc", .serialized)
struct RenegotiationInteropTests {
    static func configuration() -> PeerConnectionConfiguration {
        var configuration = PeerConnectionConfiguration()
        configuration.hostAddresses = [IPAddress("127.0.0.1")!]
        configuration.dtlsInitialRetransmitTimeout = .milliseconds(200)
        return configuration
    }

    @Test("aiortc offers data only, then adds tracks, sets one inactive and reuses it; Parley answers, decodes each track; Parley's ICE-restart re-offer")
    func subscriberRenegotiation() async throws {
        guard AiortcPeerProcess.available else {
            Issue.record("aiortc test peer missing: run scripts/install-test-peers")
            return
        }
        let peer = try AiortcPeerProcess(script: AiortcPeerProcess.fixture("pc_renego_aiortc.py"), arguments: [])
        defer { peer.terminate() }
        let pc = try PeerConnection(configuration: Self.configuration())
        defer { pc.close() }
        let recorder = ConnectionRecorder()
        recorder.attach(to: pc)
        pc.onLocalCandidate = { candidate in peer.send(["candidate": candidate.candidate, "sdpMid": candidate.sdpMid ?? "0"]) }

        /// Applies aiortc's offer number `seq` and sends our answer.
        func answerOffer(_ seq: Int) async throws -> (offer: SessionDescription, answer: SessionDescription) {
            let message = try #require(await peer.waitFor { $0["type"] as? String == "offer" && $0["seq"] as? Int == seq },
                                       "aiortc sent no offer \(seq): \(peer.messages.filter { $0["error"] != nil })")
            let offer = try TypedSessionDescription(type: .offer, sdp: try #require(message["sdp"] as? String))
            try pc.setRemoteDescription(offer)
            let answer = try pc.createAnswer()
            try pc.setLocalDescription(answer)
            peer.send(["type": "answer", "sdp": answer.sdp])
            return (offer.description, answer.description)
        }
        func sendFromAiortc(seed: Int) { peer.send(["send": ["size": 1000, "seed": seed]]) }

        // 1. Data only, as LiveKit's first subscriber offer.
        let (_, answer1) = try await answerOffer(1)
        #expect(answer1.media.map(\.kind) == [.application])
        try #require(await waitUntil(.seconds(10)) { pc.state == .connected }, "not connected: \(pc.stats.iceState.map { "\($0)" } ?? "-")")
        // aiortc's channel can send once Parley has its DCEP open (and so aiortc its ACK).
        try #require(await waitUntil(.seconds(5)) { recorder.channels.withLock { $0.first?.state == .open } }, "aiortc's channel never opened")
        try await Task.sleep(for: .milliseconds(200))
        sendFromAiortc(seed: 1)
        #expect(await waitUntil(.seconds(5)) { recorder.messageCount("from-aiortc") == 1 }, "no data from aiortc")
        let sctp = try #require(pc.sctpAssociation)
        let ufrag = iceUfrag(answer1)

        // 2. One track, in a new sendonly section.
        peer.send(["add_track": ["frequency": 440]])
        let (offer2, answer2) = try await answerOffer(2)
        #expect(offer2.media.map(\.kind) == [.application, .audio])
        #expect(answer2.media.map(\.mid) == offer2.media.map(\.mid))
        #expect(answer2.media[1].direction == .recvonly && !answer2.media[1].isRejected)
        let opus = try #require(offer2.media[1].codec(named: "opus", clockRate: 48000)?.payloadType)
        #expect(answer2.media[1].formats == [String(opus)], "Opus only, on aiortc's payload type")
        #expect(iceUfrag(answer2) == ufrag)
        let track1 = try #require(recorder.added.withLock { $0.first })
        #expect(track1.mid == answer2.media[1].mid && track1.trackID != nil && track1.ssrc != nil)
        #expect(await waitUntil(.seconds(8)) { recorder.count(track1) >= 48_000 * 5 / 2 }, "track 1: \(recorder.count(track1)) samples")

        // 3. A second track, in another section: two receivers.
        peer.send(["add_track": ["frequency": 660]])
        let (offer3, answer3) = try await answerOffer(3)
        #expect(answer3.media.map(\.mid) == offer3.media.map(\.mid) && answer3.media.count == 3)
        #expect(answer3.media[1...].map(\.direction) == [.recvonly, .recvonly])
        let track2 = try #require(recorder.added.withLock { $0.count == 2 ? $0[1] : nil })
        #expect(track2.mid == answer3.media[2].mid)
        let before2 = recorder.count(track1)
        #expect(await waitUntil(.seconds(8)) { recorder.count(track2) >= 48_000 * 5 / 2 }, "track 2: \(recorder.count(track2)) samples")
        #expect(recorder.count(track1) > before2 + 48_000, "track 1 stopped while track 2 started")
        let quality1 = try #require(toneSNR(recorder.samples(track1), frequency: 440))
        let quality2 = try #require(toneSNR(recorder.samples(track2), frequency: 660))
        let stats3 = pc.stats
        #expect(stats3.audioReceivers.map(\.track) == [track1, track2])
        #expect(stats3.audioReceivers.allSatisfy { $0.receiver.packetsReceived > 100 && $0.receiver.unknownPayloadType == 0 })

        // 4. The first section goes inactive (aiortc keeps sending on it; Parley drops that).
        peer.send(["set_direction": ["mid": track1.mid, "direction": "inactive"]])
        let (_, answer4) = try await answerOffer(4)
        #expect(answer4.media[1].direction == .inactive)
        #expect(recorder.ended.withLock { $0 } == [track1])
        #expect(pc.remoteAudioTracks == [track2])
        let ended1 = recorder.count(track1)

        // 5. ...and is reused for a new track (new msid) on the same mid.
        peer.send(["replace_track": ["mid": track1.mid, "frequency": 880]])
        let (_, answer5) = try await answerOffer(5)
        #expect(answer5.media[1].direction == .recvonly)
        let track3 = try #require(recorder.added.withLock { $0.count == 3 ? $0[2] : nil })
        #expect(track3.mid == track1.mid && track3.trackID != track1.trackID)
        #expect(await waitUntil(.seconds(8)) { recorder.count(track3) >= 48_000 * 2 }, "track 3: \(recorder.count(track3)) samples")
        let quality3 = try #require(toneSNR(recorder.samples(track3), frequency: 880, lastSeconds: 1.5))
        #expect(recorder.count(track1) == ended1, "frames of an ended track")
        sendFromAiortc(seed: 2)
        #expect(await waitUntil(.seconds(5)) { recorder.messageCount("from-aiortc") == 2 })

        // 6. Parley re-offers with an ICE restart (what a LiveKit client does on its publisher
        // connection after a resume). aiortc answers with its old credentials.
        pc.restartIce()
        let offer6 = try pc.createOffer()
        #expect(iceUfrag(offer6.description) != ufrag, "the restart offer has new credentials")
        #expect(offer6.description.media.map(\.mid) == answer5.media.map(\.mid), "m-lines in place")
        try pc.setLocalDescription(offer6)
        peer.send(["type": "offer", "sdp": offer6.sdp])
        let answer6 = try #require(await peer.waitFor { $0["type"] as? String == "answer" }, "aiortc did not answer: \(peer.messages.filter { $0["error"] != nil })")
        try pc.setRemoteDescription(TypedSessionDescription(type: .answer, sdp: try #require(answer6["sdp"] as? String)))
        #expect(pc.signaling == .stable)
        let counts = (recorder.count(track2), recorder.count(track3))
        #expect(await waitUntil(.seconds(5)) { recorder.count(track2) > counts.0 + 96_000 && recorder.count(track3) > counts.1 + 96_000 },
                "audio stopped after the restart offer")
        sendFromAiortc(seed: 3)
        #expect(await waitUntil(.seconds(5)) { recorder.messageCount("from-aiortc") == 3 })
        let payloads = recorder.messages.withLock { $0["from-aiortc"] ?? [] }
        #expect(payloads == (1...3).map { testPayload(count: 1000, seed: $0) }, "payloads from aiortc: \(payloads.map { "\($0.count) B seed \($0.first ?? 0)" })")

        let stats = pc.stats
        #expect(stats.connectionState == .connected)
        #expect(stats.dtlsHandshakes == 1, "DTLS is never redone")
        #expect(pc.sctpAssociation === sctp, "the SCTP association is reused")
        #expect(stats.negotiations == 6 && stats.localICERestarts == 1)
        print("""
            [renegotiation] track 1 (440 Hz): SNR \(String(format: "%.1f", quality1.snrDB)) dB; track 2 (660 Hz): \
            SNR \(String(format: "%.1f", quality2.snrDB)) dB; track 3 (880 Hz, reused section): SNR \
            \(String(format: "%.1f", quality3.snrDB)) dB; demux \(stats.rtpDemux); receivers \
            \(stats.audioReceivers.map { "\($0.track.mid): \($0.receiver.packetsReceived) pkts, lost \($0.receiver.packetsLost), level \($0.receiver.lastAudioLevel.map { "-\($0) dBov" } ?? "-")" })
            """)
        #expect(quality1.snrDB >= 15, "track 1 SNR \(quality1.snrDB) dB")
        #expect(quality2.snrDB >= 15, "track 2 SNR \(quality2.snrDB) dB")
        #expect(quality3.snrDB >= 15, "track 3 SNR \(quality3.snrDB) dB")

        peer.send(["close": true])
        #expect(await peer.waitFor(.seconds(10)) { $0["done"] as? Bool == true } != nil, "aiortc did not finish")
        #expect(await waitUntil(.seconds(5)) { pc.state == .closed }, "aiortc closed, Parley is \(pc.state)")
    }

    enum Hangup: String, CustomStringConvertible, Sendable {
        /// aiortc's close(): SCTP ABORT, then DTLS close_notify.
        case close
        /// SIGKILL: the process dies and sends nothing; consent expiry must notice.
        case crash
        var description: String { rawValue }
    }

    @Test("aiortc hangs up mid-call: Parley ends within seconds and releases every socket", arguments: [Hangup.close, Hangup.crash])
    func peerHangsUp(_ hangup: Hangup) async throws {
        guard AiortcPeerProcess.available else {
            Issue.record("aiortc test peer missing: run scripts/install-test-peers")
            return
        }
        let pcmPath = FileManager.default.temporaryDirectory.appendingPathComponent("parley-hangup-\(UUID().uuidString).pcm").path
        defer { try? FileManager.default.removeItem(atPath: pcmPath) }
        let peer = try AiortcPeerProcess(arguments: ["--mode", "offer", "--pcm-out", pcmPath])
        defer { peer.terminate() }
        // The whole process's descriptors, counted once the peer process and its pipes exist.
        let baseline = openFileDescriptorCount()
        let hungUp: ContinuousClock.Instant
        var ports: [UInt16] = []
        var sockets: Set<String> = []
        do {
            var configuration = Self.configuration()
            configuration.ice.consentInterval = .milliseconds(500)
            configuration.ice.consentTimeout = .seconds(3)
            let pc = try PeerConnection(configuration: configuration)
            let recorder = ConnectionRecorder()
            recorder.attach(to: pc)
            pc.onLocalCandidate = { candidate in peer.send(["candidate": candidate.candidate, "sdpMid": candidate.sdpMid ?? "0"]) }
            let track = LocalAudioTrack()
            try pc.addTrack(track)
            let tone = playTone(track, frequency: 440)
            defer { tone.cancel() }

            let offer = try #require(await peer.waitFor { $0["type"] as? String == "offer" }, "aiortc sent no offer")
            try pc.setRemoteDescription(TypedSessionDescription(type: .offer, sdp: try #require(offer["sdp"] as? String)))
            let answer = try pc.createAnswer()
            try pc.setLocalDescription(answer)
            peer.send(["type": "answer", "sdp": answer.sdp])
            try #require(await waitUntil(.seconds(10)) { pc.state == .connected }, "not connected")
            let remote = try #require(pc.remoteAudioTracks.first)
            #expect(await waitUntil(.seconds(5)) { recorder.count(remote) >= 48_000 }, "no audio from aiortc")
            // The connection's own sockets (the process's descriptor count moves with the
            // child's pipes and Foundation's reaping of it, so it is checked in RenegotiationTests).
            ports = pc.localAddresses.map(\.port)
            sockets = udpSocketInodes(ports: ports)
            #expect(!ports.isEmpty && !sockets.isEmpty && sockets.isSubset(of: openSocketInodes()))

            hungUp = ContinuousClock.now
            switch hangup {
            case .close:
                peer.send(["close": true])
                #expect(await waitUntil(.seconds(5)) { pc.state == .closed }, "Parley is \(pc.state) after aiortc closed")
                let reason = pc.closedBecause
                #expect(reason == .remoteSCTPAbort || reason == .remoteDTLSClose, "reason \(String(describing: reason))")
                #expect(pc.localAddresses.isEmpty)
            case .crash:
                peer.kill()
                #expect(await waitUntil(.seconds(8)) { pc.state == .failed }, "Parley is \(pc.state) after aiortc died")
                #expect(pc.stats.ice?.consentFailures == 1)
                pc.close()
            }
            print("[\(hangup)] Parley \(pc.state) (\(pc.closedBecause.map { "\($0)" } ?? "-")) after \(ContinuousClock.now - hungUp); states \(recorder.states.withLock { $0 })")
            #expect(recorder.ended.withLock { $0 } == [remote])
            #expect(pc.state == .closed)
        }
        #expect(await waitUntil(.seconds(3)) { openSocketInodes().isDisjoint(with: sockets) }, "the connection's sockets are still open")
        // Not above the baseline (Foundation may close one of its own once the peer is reaped).
        #expect(await waitUntil(.seconds(3)) { openFileDescriptorCount() <= baseline },
                "descriptors: \(openFileDescriptorCount()) open, \(baseline) before")
        for port in ports { #expect(udpPortIsFree(port), "UDP port \(port) still bound") }
        #expect(ContinuousClock.now - hungUp < .seconds(9))
    }
}
