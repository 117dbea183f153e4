// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyRTC
import Synchronization
import Testing
@testable import ParleyWebRTC

/// Renegotiation, several remote tracks, ICE restart and hangups between two Parley peer
/// connections on 127.0.0.1, plus the answers Parley gives LiveKit-shaped subscriber offers
/// (SDP only, no peer behind them).
@Suite("PeerConnection renegotiation (Parley ↔ Parley)", .serialized)
struct RenegotiationTests {
    // MARK: - Answers to LiveKit-shaped offers

    /// A LiveKit (pion) subscriber offer (livekit-protocol.md §4): session-level fingerprint,
    /// every section with mid, ICE credentials and `setup:actpass`.
    static func liveKitOffer(
        version: Int, ufrag: String = "kHzPqMfVtLwbNcsE", pwd: String = "NoYJzEcHcVhBYSRsTqJrFmKnPvWxLdGa",
        fingerprint: String = "3B:1F:6C:29:86:42:2D:9A:5E:71:C8:0D:AA:4E:21:F7:3C:90:B2:55:6D:E1:0F:84:7A:C3:19:5B:E2:D6:48:0C",
        sections: [Section]
    ) -> String {
        var lines = [
            "v=0", "o=- 3635251148020752571 \(version) IN IP4 0.0.0.0", "s=-", "t=0 0", "a=msid-semantic: WMS *",
            "a=fingerprint:sha-256 \(fingerprint)", "a=extmap-allow-mixed",
            "a=group:BUNDLE " + sections.filter(\.accepted).map(\.mid).joined(separator: " "),
        ]
        let transport = ["a=setup:actpass", "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(pwd)"]
        for section in sections {
            switch section {
            case .application(let mid):
                lines += ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:\(mid)"] + transport
                    + ["a=sendrecv", "a=sctp-port:5000", "a=max-message-size:65535"]
            case .audio(let mid, let direction, let track):
                lines += ["m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0 8", "c=IN IP4 0.0.0.0", "a=mid:\(mid)"] + transport + [
                    "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
                    "a=rtcp-fb:111 nack", "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=rtpmap:0 PCMU/8000",
                    "a=rtpmap:8 PCMA/8000", "a=extmap:1 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
                ]
                if let track {
                    let (participant, trackSID, ssrc) = track
                    lines += [
                        "a=ssrc:\(ssrc) cname:\(participant)|\(trackSID)",
                        "a=ssrc:\(ssrc) msid:\(participant)|\(trackSID) \(trackSID)",
                        "a=msid:\(participant)|\(trackSID) \(trackSID)",
                    ]
                }
                lines.append("a=\(direction)")
            case .video(let mid):
                lines += ["m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=mid:\(mid)"] + transport + [
                    "a=rtcp-mux", "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", "a=sendonly",
                ]
            case .rejected(let mid, let kind):
                lines += ["m=\(kind) 0 UDP/TLS/RTP/SAVPF 0", "c=IN IP4 0.0.0.0", "a=mid:\(mid)"]
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    enum Section {
        case application(String)
        case audio(String, String, (String, String, UInt32)?)
        case video(String)
        case rejected(String, String)

        var mid: String {
            switch self {
            case .application(let mid), .audio(let mid, _, _), .video(let mid), .rejected(let mid, _): mid
            }
        }
        var accepted: Bool { if case .rejected = self { false } else { true } }
    }

    /// Applies a remote offer and our answer; returns the answer.
    static func answer(_ pc: PeerConnection, _ sdp: String) throws -> SessionDescription {
        try pc.setRemoteDescription(TypedSessionDescription(type: .offer, sdp: sdp))
        let answer = try pc.createAnswer()
        try pc.setLocalDescription(answer)
        #expect(pc.signaling == .stable)
        // What we send must parse back the same (the peer parses our text).
        #expect(try SessionDescription(parsing: answer.sdp) == answer.description)
        return answer.description
    }

    /// Every accepted section of an answer: one ufrag/pwd (pion rejects conflicting ones), one a=setup.
    static func transport(_ answer: SessionDescription) -> (ufrag: String, pwd: String, setup: SDPSetupRole)? {
        let accepted = answer.media.filter { !$0.isRejected }
        let credentials = Set(accepted.compactMap { answer.iceCredentials(for: $0).map { "\($0.ufrag) \($0.pwd)" } })
        let setups = Set(accepted.compactMap { answer.setup(for: $0) })
        guard credentials.count == 1, setups.count == 1, let first = accepted.first,
            let pair = answer.iceCredentials(for: first), let setup = setups.first
        else { return nil }
        return (pair.ufrag, pair.pwd, setup)
    }

    @Test("LiveKit subscriber offers: data only, then tracks added, set inactive, reused, rejected; ICE restart; the answers and track events")
    func liveKitSubscriberAnswers() throws {
        var configuration = PeerConnectionConfiguration()
        configuration.hostAddresses = [IPAddress("127.0.0.1")!]
        let pc = try PeerConnection(configuration: configuration)
        defer { pc.close() }
        let recorder = ConnectionRecorder()
        recorder.attach(to: pc)
        let trackA = RemoteAudioTrack(mid: "1", streamID: "PA_alice|TR_A1", trackID: "TR_A1", ssrc: 1_111_111)
        let trackB = RemoteAudioTrack(mid: "2", streamID: "PA_bob|TR_B1", trackID: "TR_B1", ssrc: 2_222_222)
        let trackC = RemoteAudioTrack(mid: "1", streamID: "PA_carol|TR_C1", trackID: "TR_C1", ssrc: 3_333_333)

        // 1. The first offer has only the data section.
        let first = try Self.answer(pc, Self.liveKitOffer(version: 1, sections: [.application("0")]))
        #expect(first.media.map(\.mid) == ["0"])
        #expect(first.media.map(\.kind) == [.application] && !first.media[0].isRejected)
        #expect(first.bundleGroup?.mids == ["0"])
        let firstTransport = try #require(Self.transport(first))
        #expect(firstTransport.setup == .active)
        #expect(recorder.added.withLock { $0 }.isEmpty)

        // 2. Two subscribed tracks and a video track: one sendonly section each, appended.
        let second = try Self.answer(pc, Self.liveKitOffer(version: 2, sections: [
            .application("0"), .audio("1", "sendonly", ("PA_alice", "TR_A1", 1_111_111)),
            .audio("2", "sendonly", ("PA_bob", "TR_B1", 2_222_222)), .video("3"),
        ]))
        #expect(second.media.map(\.mid) == ["0", "1", "2", "3"], "the answer echoes the offer's mids in order")
        #expect(second.media.map(\.kind) == [.application, .audio, .audio, .video])
        #expect(second.media.map(\.isRejected) == [false, false, false, true], "video is rejected with port 0")
        for audio in second.media[1...2] {
            #expect(audio.direction == .recvonly)
            #expect(audio.formats == ["111"], "Opus only, on the offered payload type (no RED, PCMU, PCMA)")
            #expect(audio.rtpMaps.map(\.encodingName) == ["opus"])
            #expect(audio.rtcpMux)
            #expect(audio.msids.isEmpty && audio.ssrcs.isEmpty, "nothing to announce: we send nothing")
        }
        #expect(second.bundleGroup?.mids == ["0", "1", "2"])
        let secondTransport = try #require(Self.transport(second), "one ufrag/pwd and one a=setup across sections")
        #expect(secondTransport.ufrag == firstTransport.ufrag && secondTransport.pwd == firstTransport.pwd, "no ICE restart")
        #expect(secondTransport.setup == .active, "the DTLS role is restated")
        #expect(recorder.added.withLock { $0 } == [trackA, trackB])
        #expect(pc.remoteAudioTracks == [trackA, trackB])
        #expect(pc.stats.audioReceivers.map(\.track) == [trackA, trackB])
        #expect(pc.stats.rtpDemux.declaredSSRCs == 2)

        // 3. Alice's track is unsubscribed: her section goes inactive (kept for reuse).
        let third = try Self.answer(pc, Self.liveKitOffer(version: 3, sections: [
            .application("0"), .audio("1", "inactive", nil), .audio("2", "sendonly", ("PA_bob", "TR_B1", 2_222_222)),
            .rejected("3", "video"),
        ]))
        #expect(third.media[1].direction == .inactive && !third.media[1].isRejected)
        #expect(third.media[3].isRejected)
        #expect(recorder.ended.withLock { $0 } == [trackA])
        #expect(pc.remoteAudioTracks == [trackB])

        // 4. The section is reused for Carol's track.
        let fourth = try Self.answer(pc, Self.liveKitOffer(version: 4, sections: [
            .application("0"), .audio("1", "sendonly", ("PA_carol", "TR_C1", 3_333_333)),
            .audio("2", "sendonly", ("PA_bob", "TR_B1", 2_222_222)), .rejected("3", "video"),
        ]))
        #expect(fourth.media[1].direction == .recvonly)
        #expect(recorder.added.withLock { $0 } == [trackA, trackB, trackC])
        #expect(pc.remoteAudioTracks == [trackC, trackB])

        // 5. A resume: the server restarts ICE with new credentials; our answer has new ones too.
        let fifth = try Self.answer(pc, Self.liveKitOffer(
            version: 5, ufrag: "RstUfragRstUfrag", pwd: "RestartedPasswordRestartedPasswd", sections: [
                .application("0"), .audio("1", "sendonly", ("PA_carol", "TR_C1", 3_333_333)),
                .audio("2", "sendonly", ("PA_bob", "TR_B1", 2_222_222)), .rejected("3", "video"),
            ]))
        let fifthTransport = try #require(Self.transport(fifth))
        #expect(fifthTransport.ufrag != firstTransport.ufrag && fifthTransport.pwd != firstTransport.pwd)
        #expect(pc.stats.remoteICERestarts == 1)
        #expect(recorder.added.withLock { $0.count } == 3 && recorder.ended.withLock { $0.count } == 1, "no track changed")

        // 6. Bob's section is rejected outright.
        let sixth = try Self.answer(pc, Self.liveKitOffer(
            version: 6, ufrag: "RstUfragRstUfrag", pwd: "RestartedPasswordRestartedPasswd", sections: [
                .application("0"), .audio("1", "sendonly", ("PA_carol", "TR_C1", 3_333_333)), .rejected("2", "audio"),
                .rejected("3", "video"),
            ]))
        #expect(sixth.media[2].isRejected)
        #expect(try #require(Self.transport(sixth)).ufrag == fifthTransport.ufrag, "same credentials: no second restart")
        #expect(recorder.ended.withLock { $0 } == [trackA, trackB])
        #expect(pc.remoteAudioTracks == [trackC])
        #expect(pc.stats.negotiations == 6)

        // A new DTLS identity cannot be renegotiated on this connection.
        #expect(throws: PeerConnectionError.self) {
            try pc.setRemoteDescription(TypedSessionDescription(type: .offer, sdp: Self.liveKitOffer(
                version: 7, fingerprint: Array(repeating: "AB", count: 32).joined(separator: ":"),
                sections: [.application("0")])))
        }
        #expect(pc.signaling == .stable)

        // A subsequent offer of ours repeats every m-line in place, the rejected ones with port 0.
        let offer = try pc.createOffer()
        #expect(offer.description.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(offer.description.media.map(\.isRejected) == [false, false, true, true])
        #expect(offer.description.media[1].direction == .recvonly)
        #expect(try #require(Self.transport(offer.description)).setup == .active, "the role DTLS has, not actpass")
        #expect(try #require(Self.transport(offer.description)).ufrag == fifthTransport.ufrag)

        pc.close()
        #expect(recorder.ended.withLock { $0 } == [trackA, trackB, trackC], "close ends the remaining track")
    }

    // MARK: - Parley ↔ Parley over UDP

    @Test("data-only first offer; audio added by re-offer both ways; removeTrack ends the track; addTrack reuses the section")
    func renegotiateTracks() async throws {
        let pair = try LoopbackPair { $0.offerToReceiveAudio = false }
        defer { pair.close() }
        let (a, b) = (pair.a, pair.b)
        let atA = ConnectionRecorder()
        let atB = ConnectionRecorder()
        atA.attach(to: a)
        atB.attach(to: b)
        pair.connectCandidates()

        let (offer1, answer1) = try pair.negotiate(offerer: a, answerer: b)
        #expect(offer1.media.map(\.kind) == [.application])
        #expect(answer1.media.map(\.kind) == [.application])
        try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
        let sctpA = try #require(a.sctpAssociation)
        let sctpB = try #require(b.sctpAssociation)
        let channel = try a.createDataChannel(label: "a-data")
        try #require(await waitUntil(.seconds(5)) { channel.state == .open })
        try channel.send(binary: testPayload(count: 1000, seed: 1))
        #expect(await waitUntil(.seconds(5)) { atB.messageCount("a-data") == 1 })

        // A adds a track: the re-offer keeps mid "0" first and appends the audio section.
        let trackA1 = LocalAudioTrack(id: "a-track-1", streamID: "a-stream")
        try a.addTrack(trackA1)
        let toneA1 = playTone(trackA1, frequency: 440)
        defer { toneA1.cancel() }
        let (offer2, answer2) = try pair.negotiate(offerer: a, answerer: b)
        #expect(offer2.media.map(\.mid) == ["0", "1"] && offer2.media.map(\.kind) == [.application, .audio])
        #expect(iceUfrag(offer2) == iceUfrag(offer1), "a re-offer without restartIce keeps the credentials")
        #expect(offer2.media[1].direction == .sendrecv && answer2.media[1].direction == .recvonly)
        #expect(offer2.media[0].setup != .actpass, "a re-offer restates the DTLS role")
        let ssrcA = try #require(a.stats.audioSender?.ssrc)
        let fromA1 = RemoteAudioTrack(mid: "1", streamID: "a-stream", trackID: "a-track-1", ssrc: ssrcA)
        #expect(atB.added.withLock { $0 } == [fromA1])
        #expect(await waitUntil(.seconds(8)) { atB.count(fromA1) >= 48_000 * 5 / 2 }, "B got \(atB.count(fromA1)) samples")
        let quality1 = try #require(toneSNR(atB.samples(fromA1), frequency: 440))
        #expect(quality1.snrDB >= 15, "A→B SNR \(quality1.snrDB) dB")
        #expect(atB.firstTrackAudio.withLock { $0.count } > 0, "onAudioFrame carries the only track")
        #expect(b.stats.audioReceivers.first?.receiver.lastAudioLevel != nil, "the audio-level extension arrives")
        #expect(b.stats.rtpDemux.unknownSSRCPackets == 0)

        // B re-offers (the answerer becomes offerer), adding its own track on the same section.
        let trackB = LocalAudioTrack(id: "b-track", streamID: "b-stream")
        try b.addTrack(trackB)
        let toneB = playTone(trackB, frequency: 660)
        defer { toneB.cancel() }
        let (offer3, answer3) = try pair.negotiate(offerer: b, answerer: a)
        #expect(offer3.media.map(\.mid) == ["0", "1"])
        #expect(offer3.media[1].direction == .sendrecv && answer3.media[1].direction == .sendrecv)
        let fromB = RemoteAudioTrack(mid: "1", streamID: "b-stream", trackID: "b-track", ssrc: b.stats.audioSender?.ssrc)
        #expect(atA.added.withLock { $0 } == [fromB])
        #expect(await waitUntil(.seconds(8)) { atA.count(fromB) >= 48_000 * 5 / 2 }, "A got \(atA.count(fromB)) samples")
        let quality2 = try #require(toneSNR(atA.samples(fromB), frequency: 660))
        #expect(quality2.snrDB >= 15, "B→A SNR \(quality2.snrDB) dB")

        // A removes its track: its next offer says recvonly, B's answer sendonly, B's track ends.
        try a.removeTrack(trackA1)
        #expect(!trackA1.push(toneFrame(offset: 0)), "a removed track is detached at once")
        let (offer4, answer4) = try pair.negotiate(offerer: a, answerer: b)
        #expect(offer4.media[1].direction == .recvonly && answer4.media[1].direction == .sendonly)
        #expect(atB.ended.withLock { $0 } == [fromA1])
        #expect(b.remoteAudioTracks.isEmpty)
        let countB = atA.count(fromB)
        #expect(await waitUntil(.seconds(3)) { atA.count(fromB) > countB + 48_000 }, "B→A stopped")

        // A adds another track: it reuses the section (same mid, same SSRC), a new track for B.
        let trackA2 = LocalAudioTrack(id: "a-track-2", streamID: "a-stream")
        try a.addTrack(trackA2)
        let toneA2 = playTone(trackA2, frequency: 880)
        defer { toneA2.cancel() }
        let (offer5, _) = try pair.negotiate(offerer: a, answerer: b)
        #expect(offer5.media.map(\.mid) == ["0", "1"] && offer5.media[1].direction == .sendrecv)
        let fromA2 = RemoteAudioTrack(mid: "1", streamID: "a-stream", trackID: "a-track-2", ssrc: ssrcA)
        #expect(atB.added.withLock { $0 } == [fromA1, fromA2])
        #expect(await waitUntil(.seconds(8)) { atB.count(fromA2) >= 48_000 * 2 }, "B got \(atB.count(fromA2)) samples")
        let quality3 = try #require(toneSNR(atB.samples(fromA2), frequency: 880, lastSeconds: 1.5))
        #expect(quality3.snrDB >= 15, "A→B (second track) SNR \(quality3.snrDB) dB")
        print("""
            [loopback renegotiation] A→B 440 Hz SNR \(String(format: "%.1f", quality1.snrDB)) dB, B→A 660 Hz \
            \(String(format: "%.1f", quality2.snrDB)) dB, A→B reused section 880 Hz \(String(format: "%.1f", quality3.snrDB)) dB; \
            B demux \(b.stats.rtpDemux)
            """)

        // Same transports throughout.
        try channel.send(binary: testPayload(count: 1000, seed: 2))
        #expect(await waitUntil(.seconds(5)) { atB.messageCount("a-data") == 2 })
        for (pc, sctp) in [(a, sctpA), (b, sctpB)] {
            let stats = pc.stats
            #expect(stats.dtlsHandshakes == 1 && stats.negotiations == 5)
            #expect(pc.sctpAssociation === sctp, "the SCTP association is reused")
            #expect(stats.connectionState == .connected)
        }
        #expect(atA.states.withLock { $0 }.filter { $0 == .connected }.count == 1, "A never left connected: \(atA.states.withLock { $0 })")
    }

    @Test("ICE restart started by each side: new credentials, a new pair selected, audio and data continue over the same DTLS")
    func iceRestart() async throws {
        let pair = try LoopbackPair()
        defer { pair.close() }
        let (a, b) = (pair.a, pair.b)
        let atA = ConnectionRecorder()
        let atB = ConnectionRecorder()
        atA.attach(to: a)
        atB.attach(to: b)
        pair.connectCandidates()
        let trackA = LocalAudioTrack(id: "a", streamID: "a")
        let trackB = LocalAudioTrack(id: "b", streamID: "b")
        try a.addTrack(trackA)
        try b.addTrack(trackB)
        let tones = [playTone(trackA, frequency: 440), playTone(trackB, frequency: 660)]
        defer { for tone in tones { tone.cancel() } }

        var (offer, answer) = try pair.negotiate(offerer: a, answerer: b)
        try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
        let channel = try a.createDataChannel(label: "a-data")
        try #require(await waitUntil(.seconds(5)) { channel.state == .open })
        let fromA = try #require(b.remoteAudioTracks.first)
        let fromB = try #require(a.remoteAudioTracks.first)
        #expect(await waitUntil(.seconds(5)) { atA.count(fromB) > 48_000 && atB.count(fromA) > 48_000 })
        #expect(a.stats.ice?.pairsSelected == 1 && b.stats.ice?.pairsSelected == 1)

        for (round, (restarter, other)) in [(a, b), (b, a)].enumerated() {
            let before = (iceUfrag(offer), iceUfrag(answer))
            restarter.restartIce()
            (offer, answer) = try pair.negotiate(offerer: restarter, answerer: other)
            #expect(iceUfrag(offer) != before.0 && iceUfrag(offer) != before.1, "the restart offer has new credentials")
            #expect(iceUfrag(answer) != before.0 && iceUfrag(answer) != before.1, "so does the answer (RFC 8839 §4.4)")
            let selected = round + 2
            #expect(await waitUntil(.seconds(8)) {
                a.stats.ice?.pairsSelected == selected && b.stats.ice?.pairsSelected == selected
            }, "round \(round): pairs selected A \(a.stats.ice?.pairsSelected ?? -1), B \(b.stats.ice?.pairsSelected ?? -1)")
            #expect(restarter.stats.localICERestarts == 1 && other.stats.remoteICERestarts == 1)
            // Media and data keep going over the new pair, on the same association.
            let counts = (atA.count(fromB), atB.count(fromA))
            #expect(await waitUntil(.seconds(5)) { atA.count(fromB) > counts.0 + 72_000 && atB.count(fromA) > counts.1 + 72_000 })
            try channel.send(binary: testPayload(count: 2000, seed: round + 1))
            #expect(await waitUntil(.seconds(5)) { atB.messageCount("a-data") == round + 1 })
        }
        let atBQuality = try #require(toneSNR(atB.samples(fromA), frequency: 440, lastSeconds: 1.5))
        let atAQuality = try #require(toneSNR(atA.samples(fromB), frequency: 660, lastSeconds: 1.5))
        #expect(atBQuality.snrDB >= 15 && atAQuality.snrDB >= 15, "after restarts: A→B \(atBQuality.snrDB) dB, B→A \(atAQuality.snrDB) dB")
        print("""
            [loopback ICE restart] after 2 restarts: A→B SNR \(String(format: "%.1f", atBQuality.snrDB)) dB, B→A \
            \(String(format: "%.1f", atAQuality.snrDB)) dB; A ICE \(a.stats.ice.map { "restarts \($0.restarts), pairs selected \($0.pairsSelected), checks sent \($0.checksSent)" } ?? "-")
            """)
        for pc in [a, b] {
            let stats = pc.stats
            #expect(stats.dtlsHandshakes == 1, "DTLS is not redone")
            #expect(stats.ice?.restarts == 2)
            #expect(stats.connectionState == .connected)
        }
        #expect(atA.states.withLock { $0 } == [.connecting, .connected], "A's states: \(atA.states.withLock { $0 })")
    }

    @Test("the peer closes: the other side reaches closed by itself, and every socket is released")
    func peerCloses() async throws {
        let baseline = openFileDescriptorCount()
        do {
            let pair = try LoopbackPair()
            let (a, b) = (pair.a, pair.b)
            let atA = ConnectionRecorder()
            atA.attach(to: a)
            pair.connectCandidates()
            let track = LocalAudioTrack()
            try b.addTrack(track)
            let tone = playTone(track, frequency: 440)
            defer { tone.cancel() }
            try pair.negotiate(offerer: a, answerer: b)
            try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
            let fromB = try #require(a.remoteAudioTracks.first)
            #expect(await waitUntil(.seconds(3)) { atA.count(fromB) > 0 })
            #expect(openFileDescriptorCount() > baseline)

            b.close()
            #expect(await waitUntil(.seconds(3)) { a.state == .closed }, "A is \(a.state)")
            let reason = a.closedBecause
            #expect(reason == .remoteDTLSClose || reason == .remoteSCTPShutdown || reason == .remoteSCTPAbort, "reason \(String(describing: reason))")
            #expect(a.localAddresses.isEmpty)
            #expect(atA.ended.withLock { $0 } == [fromB], "the remote track ends with the connection")
            #expect(atA.states.withLock { $0.last } == .closed)
            print("[loopback hangup] A closed because \(reason.map { "\($0)" } ?? "-")")
        }
        #expect(await waitUntil(.seconds(3)) { openFileDescriptorCount() == baseline },
                "descriptors: \(openFileDescriptorCount()) open, \(baseline) before")
    }

    @Test("consent freshness expires (RFC 7675, 3 s here): failed, and close releases everything")
    func consentExpires() async throws {
        let baseline = openFileDescriptorCount()
        do {
            let pair = try LoopbackPair {
                $0.ice.consentInterval = .milliseconds(500)
                $0.ice.consentTimeout = .seconds(3)
            }
            let (a, b) = (pair.a, pair.b)
            pair.connectCandidates()
            try pair.negotiate(offerer: a, answerer: b)
            try #require(await waitUntil(.seconds(10)) { a.state == .connected && b.state == .connected }, "not connected")
            // B vanishes without a word (its sockets close; no close_notify, no SHUTDOWN).
            b.queue.sync { b.ice?.close() }
            let lost = ContinuousClock.now
            #expect(await waitUntil(.seconds(8)) { a.state == .failed }, "A is \(a.state)")
            let took = ContinuousClock.now - lost
            #expect(took >= .seconds(2) && took < .seconds(6), "failed after \(took)")
            #expect(a.stats.ice?.consentFailures == 1)
            pair.close()
            #expect(a.state == .closed && a.closedBecause == .local)
        }
        #expect(await waitUntil(.seconds(3)) { openFileDescriptorCount() == baseline },
                "descriptors: \(openFileDescriptorCount()) open, \(baseline) before")
    }
}
