// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAudio
import ParleyRTC
import Synchronization
import Testing
@testable import ParleyWebRTC

/// RTCP feedback between two Parley peer connections on 127.0.0.1: NACK recovery of induced
/// loss (aiortc sends no NACKs for audio and ignores ours: its audio codecs declare no
/// rtcp-fb, so the in-process pair is the interop partner here), PLI/FIR delivery.
@Suite("RTCP feedback (Parley ↔ Parley)", .serialized)
struct RTCPFeedbackLoopbackTests {
    struct Outcome {
        var quality: ToneQuality
        var receiver: AudioReceiverStats
        var sender: AudioSenderStats
        var offeredFeedback: [String]
        var answeredFeedback: [String]
    }

    /// A sends a 440 Hz tone to B for ~4 s, dropping every 20th RTP packet it sends (5 %)
    /// before the socket; retransmissions are not dropped.
    static func lossyCall(nack: Bool) async throws -> Outcome {
        let pair = try LoopbackPair { $0.audioNACK = nack }
        defer { pair.close() }
        let (a, b) = (pair.a, pair.b)
        let atB = ConnectionRecorder()
        atB.attach(to: b)
        pair.connectCandidates()
        let track = LocalAudioTrack(id: "a-track", streamID: "a-stream")
        try a.addTrack(track)
        let (offer, answer) = try pair.negotiate(offerer: a, answerer: b)
        func feedback(_ description: SessionDescription) -> [String] {
            description.media.first { $0.kind == .audio }?.codec(named: "opus", clockRate: 48000)?.feedback.map(\.type) ?? []
        }
        a.onQueue { a.outboundRTPFilter = { sequence in sequence % 20 == 7 } }
        try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
        let tone = playTone(track, frequency: 440)
        defer { tone.cancel() }
        let fromA = try #require(await waitUntil(.seconds(5)) { !atB.added.withLock { $0 }.isEmpty } ? atB.added.withLock { $0[0] } : nil)
        try #require(await waitUntil(.seconds(12)) { atB.count(fromA) >= 48_000 * 4 }, "B got \(atB.count(fromA)) samples")
        let quality = try #require(toneSNR(atB.samples(fromA), frequency: 440, lastSeconds: 3))
        let receiver = try #require(b.stats.audioReceiver)
        let sender = try #require(a.stats.audioSender)
        return Outcome(quality: quality, receiver: receiver, sender: sender, offeredFeedback: feedback(offer),
                       answeredFeedback: feedback(answer))
    }

    @Test("5 % induced loss: NACKs recover packets in time, and the tone is cleaner than without NACK")
    func nackRecovery() async throws {
        let with = try await Self.lossyCall(nack: true)
        let without = try await Self.lossyCall(nack: false)
        print("""
            [NACK loopback] with NACK: SNR \(String(format: "%.1f", with.quality.snrDB)) dB, nacksSent \(with.receiver.nacksSent), \
            recovered \(with.receiver.packetsRecoveredByNACK), too late \(with.receiver.retransmissionsTooLate), \
            resent \(with.sender.packetsRetransmitted)/\(with.sender.retransmissionsRequested), concealed \
            \(with.receiver.jitterBuffer.concealed), fec \(with.receiver.jitterBuffer.fecRecovered); without: SNR \
            \(String(format: "%.1f", without.quality.snrDB)) dB, concealed \(without.receiver.jitterBuffer.concealed), \
            fec \(without.receiver.jitterBuffer.fecRecovered), lost \(without.receiver.packetsLost)
            """)
        // Negotiated only when both sides take it (RFC 4585 §4.2).
        #expect(with.offeredFeedback == ["nack"] && with.answeredFeedback == ["nack"])
        #expect(without.offeredFeedback.isEmpty && without.answeredFeedback.isEmpty)

        #expect(with.receiver.nacksSent > 0)
        #expect(with.receiver.packetsRecoveredByNACK > 0)
        #expect(with.sender.nacksReceived > 0 && with.sender.packetsRetransmitted > 0)
        #expect(with.sender.packetsRetransmitted >= with.receiver.packetsRecoveredByNACK)
        // Recovered packets are decoded instead of concealed.
        #expect(with.receiver.jitterBuffer.concealed < without.receiver.jitterBuffer.concealed)
        #expect(without.receiver.nacksSent == 0 && without.sender.nacksReceived == 0)
        // abs-capture-time went out on the first packet and about once a second after.
        #expect(with.sender.captureTimesSent >= 3 && with.receiver.captureTimesReceived >= 2)
        #expect(with.receiver.lastCaptureTime.map { $0 >> 32 > 3_900_000_000 } == true, "an NTP time after 2023")
        #expect(with.quality.snrDB > without.quality.snrDB, "SNR with NACK \(with.quality.snrDB) dB vs \(without.quality.snrDB) dB")
    }

    @Test("PLI and FIR from the peer reach onKeyframeRequest; a repeated FIR sequence number is one request")
    func keyframeRequests() async throws {
        let pair = try LoopbackPair()
        defer { pair.close() }
        let (a, b) = (pair.a, pair.b)
        pair.connectCandidates()
        let track = LocalAudioTrack(id: "a-track", streamID: "a-stream")
        try a.addTrack(track)
        try pair.negotiate(offerer: a, answerer: b)
        try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
        let requests = Mutex<[KeyframeRequest]>([])
        a.onKeyframeRequest = { request in requests.withLock { $0.append(request) } }
        let ssrcA = try #require(a.stats.audioSender?.ssrc)

        b.sendPictureLossIndication(mediaSSRC: ssrcA)
        b.sendPictureLossIndication(mediaSSRC: 0xDEAD_BEEF)  // not A's: counted, not surfaced
        let fir = RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: ssrcA, sequenceNumber: 3)])
        b.onQueue {
            b.sendFeedback([.fullIntraRequest(fir)])
            b.sendFeedback([.fullIntraRequest(fir)])  // a retransmission of the same command
        }
        #expect(await waitUntil(.seconds(3)) { requests.withLock { $0.count } == 2 })
        try await Task.sleep(for: .milliseconds(200))
        let received = requests.withLock { $0 }
        #expect(received.count == 2)
        #expect(received.first?.kind == .pictureLossIndication && received.first?.mediaSSRC == ssrcA)
        #expect(received.last?.kind == .fullIntraRequest(sequenceNumber: 3))
        let feedback = a.stats.feedback
        #expect(feedback.pliReceived == 2 && feedback.firReceived == 2 && feedback.firRepeated == 1)
        #expect(feedback.keyframeRequests == 2)
        #expect(b.stats.feedback.pliSent == 2)
    }
}
