// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyRTC

@Suite("SDP builder: offers and answers for LiveKit")
struct SDPBuilderTests {
    static let fingerprint = SDPFingerprint(algorithm: "sha-256", bytes: Array(0..<32))
    static let transport = SDPTransportParameters(
        iceUfrag: "ParleyUfrag0001", icePwd: "ParleyPasswordParleyPassword0001", fingerprint: fingerprint,
        candidates: [
            ICECandidate(
                foundation: "1", priority: ICECandidate.priority(type: .host), address: "192.0.2.2", port: 40000, type: .host)
        ])
    static let sender = SDPAudioSender(streamID: "parley-stream", trackID: "TR_local", ssrc: 0x1234_5678, cname: "parley")

    @Test("publisher offer: sendonly Opus 111 with msid/ssrc, data section, BUNDLE, actpass, round-trips exactly")
    func publisherOffer() throws {
        var builder = SDPBuilder(transport: SDPBuilderTests.transport, sessionID: "4242")
        let offer = builder.offer([
            .audio(mid: "0", direction: .sendonly, sender: SDPBuilderTests.sender), .data(mid: "1"),
        ])
        let text = offer.serialize()
        #expect(try SessionDescription(parsing: text) == offer)
        #expect(try SessionDescription(parsing: text).serialize() == text)
        #expect(offer.origin.sessionVersion == 1)
        #expect(builder.sessionVersion == 2)
        #expect(offer.bundleGroup == .bundle(["0", "1"]))

        let audio = offer.media[0]
        #expect(audio.port == 9 && audio.proto == "UDP/TLS/RTP/SAVPF" && audio.formats == ["111"])
        #expect(audio.direction == .sendonly)
        #expect(audio.setup == .actpass)
        #expect(audio.rtcpMux && audio.rtcpRsize)
        #expect(audio.codec(named: "opus")?.formatParameters?.value == "minptime=10;useinbandfec=1")
        #expect(audio.extmaps.map(\.uri) == [SDPExtmap.sdesMid, SDPExtmap.ssrcAudioLevel, SDPExtmap.absCaptureTime])
        #expect(audio.extmaps.map(\.id) == [1, 2, 3])
        #expect(audio.msids == [SDPMsid(streamID: "parley-stream", trackID: "TR_local")])
        #expect(audio.cname(ssrc: 0x1234_5678) == "parley")
        #expect(audio.candidates.count == 1)
        #expect(audio.fingerprints == [SDPBuilderTests.fingerprint])

        let data = offer.media[1]
        #expect(data.kind == .application && data.proto == "UDP/DTLS/SCTP" && data.formats == ["webrtc-datachannel"])
        #expect(data.sctpPort == 5000 && data.maxMessageSize == 65535)
        #expect(offer.iceCredentials(for: data)! == ("ParleyUfrag0001", "ParleyPasswordParleyPassword0001"))

        #expect(text.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"))
        #expect(text.contains("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"))
    }

    @Test("subscriber answer to the LiveKit offer: recvonly Opus, video rejected, data accepted, passive")
    func subscriberAnswer() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.liveKitSubscriberOffer)
        var builder = SDPBuilder(transport: SDPBuilderTests.transport)
        let answer = try builder.answer(to: offer)
        #expect(try SessionDescription(parsing: answer.serialize()) == answer)
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        #expect(answer.bundleGroup == .bundle(["0", "2"]))
        #expect(answer.extmapAllowMixed)

        let audio = answer.media[0]
        #expect(audio.direction == .recvonly)
        #expect(audio.formats == ["111"])
        #expect(audio.setup == .passive)
        #expect(audio.extmaps == [SDPExtmap(id: 1, uri: SDPExtmap.absCaptureTime)])
        #expect(audio.rtcpFeedback.isEmpty)
        #expect(audio.msids.isEmpty && audio.ssrcs.isEmpty)
        #expect(audio.rtcpRsize)

        let video = answer.media[1]
        #expect(video.isRejected)
        #expect(video.formats == ["96", "97"])
        #expect(video.attributes == [.mid("1")])

        let data = answer.media[2]
        #expect(!data.isRejected && data.sctpPort == 5000 && data.setup == .passive)
    }

    @Test("answer honours the offer's payload type, feedback we support, active role and a sendrecv offer")
    func answerToAiortc() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.aiortcOffer)
        var builder = SDPBuilder(transport: SDPBuilderTests.transport)
        builder.audioFeedback = ["nack"]
        let answer = try builder.answer(to: offer, sender: SDPBuilderTests.sender, setup: .active)
        let audio = answer.media[0]
        #expect(audio.formats == ["96"])  // aiortc puts Opus on 96
        #expect(audio.rtpMaps == [SDPRTPMap(payloadType: 96, encodingName: "opus", clockRate: 48000, encodingParameters: 2)])
        #expect(audio.direction == .sendrecv)
        #expect(audio.setup == .active)
        #expect(audio.extmaps.map(\.id) == [1, 2])
        #expect(audio.cname(ssrc: 0x1234_5678) == "parley")
        #expect(audio.rtcpFeedback.isEmpty)  // aiortc offers no nack for audio
        #expect(!audio.rtcpRsize)
        #expect(answer.bundleGroup == .bundle(["0", "1"]))
    }

    @Test("audio feedback: plain nack answered once when offered (nack pli and transport-cc are not ours), offered when configured")
    func audioNACKFeedback() throws {
        let text = SDPFixtures.liveKitSubscriberOffer.replacingOccurrences(
            of: "a=rtcp-fb:111 nack\r\n",
            with: "a=rtcp-fb:111 nack pli\r\na=rtcp-fb:111 nack\r\na=rtcp-fb:111 transport-cc\r\na=rtcp-fb:111 nack\r\n")
        let offer = try SessionDescription(parsing: text)
        var builder = SDPBuilder(transport: SDPBuilderTests.transport)
        builder.audioFeedback = ["nack"]
        let answer = try builder.answer(to: offer)
        #expect(answer.media[0].rtcpFeedback == [SDPRTCPFeedback(payloadType: 111, type: "nack")])
        builder.audioFeedback = []
        #expect(try builder.answer(to: offer).media[0].rtcpFeedback.isEmpty, "not configured: not accepted")
        builder.audioFeedback = ["nack"]
        let ours = builder.offer([.audio(mid: "0", direction: .sendonly, sender: SDPBuilderTests.sender)])
        #expect(ours.media[0].rtcpFeedback == [SDPRTCPFeedback(payloadType: 111, type: "nack")])
        #expect(ours.serialize().contains("a=rtcp-fb:111 nack\r\n"))
    }

    @Test("answer roles: offer active → passive, offer passive → active")
    func setupRoles() {
        #expect(SDPSetupRole.actpass.answerRole() == .passive)
        #expect(SDPSetupRole.actpass.answerRole(preferring: .active) == .active)
        #expect(SDPSetupRole.active.answerRole(preferring: .active) == .passive)
        #expect(SDPSetupRole.passive.answerRole() == .active)
        #expect(SDPSetupRole.holdconn.answerRole() == nil)
    }

    @Test("negotiation errors: missing mid, no BUNDLE for several sections")
    func negotiationErrors() throws {
        var offer = try SessionDescription(parsing: SDPFixtures.liveKitSubscriberOffer)
        var builder = SDPBuilder(transport: SDPBuilderTests.transport)
        var noMid = offer
        noMid.media[1].mid = nil
        #expect(throws: SDPNegotiationError.missingMid(sectionIndex: 1)) { try builder.answer(to: noMid) }
        offer.groups = []
        #expect(throws: SDPNegotiationError.bundleRequired) { try builder.answer(to: offer) }
    }

    @Test("random transport parameters use ice-chars and the lengths RFC 8839 asks for")
    func randomCredentials() throws {
        let transport = SDPTransportParameters.random(fingerprint: SDPBuilderTests.fingerprint)
        #expect(transport.iceUfrag.count == 16 && transport.icePwd.count == 32)
        #expect(SDPSyntax.isICEChars(Substring(transport.iceUfrag)) && SDPSyntax.isICEChars(Substring(transport.icePwd)))
        var builder = SDPBuilder(transport: transport)
        let offer = builder.offer([.data(mid: "0")])
        #expect(try SessionDescription(parsing: offer.serialize()) == offer)
        #expect(UInt64(builder.sessionID)! < 1 << 62)
    }

    @Test("subsequent offer: m-lines in place, a rejected one with port 0, the established a=setup, negotiated extmap ids")
    func subsequentOffer() throws {
        var builder = SDPBuilder(transport: SDPBuilderTests.transport, sessionID: "4242")
        builder.negotiatedExtensionIDs = [SDPExtmap.absCaptureTime: 1]
        let offer = builder.offer(
            [
                .data(mid: "0"), .audio(mid: "1", direction: .recvonly, sender: nil),
                .rejected(mid: "2", kind: .video, proto: "UDP/TLS/RTP/SAVPF", formats: ["96", "97"]),
                .audio(mid: "3", direction: .sendrecv, sender: SDPBuilderTests.sender),
            ], setup: .passive)
        #expect(try SessionDescription(parsing: offer.serialize()) == offer)
        #expect(offer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(offer.media.map(\.isRejected) == [false, false, true, false])
        #expect(offer.media[2].kind == .video && offer.media[2].formats == ["96", "97"] && offer.media[2].iceUfrag == nil)
        #expect(offer.bundleGroup == .bundle(["0", "1", "3"]), "rejected sections are not bundled")
        #expect(offer.media.filter { !$0.isRejected }.allSatisfy { $0.setup == .passive })
        // abs-capture-time keeps the id the peer gave it; the others take the lowest free ones.
        #expect(offer.media[1].extmaps.map(\.id) == [2, 3, 1])
        #expect(offer.media[1].msids.isEmpty && offer.media[3].msids.count == 1)
    }

    @Test("answer: the sender goes on the named section; several audio sections each recvonly; one data section only")
    func answerSections() throws {
        var offerer = SDPBuilder(transport: SDPBuilderTests.transport)
        let offer = offerer.offer([
            .data(mid: "0"), .audio(mid: "1", direction: .sendonly, sender: SDPBuilderTests.sender),
            .audio(mid: "2", direction: .sendrecv, sender: SDPBuilderTests.sender), .data(mid: "3"),
        ])
        var builder = SDPBuilder(transport: SDPBuilderTests.transport)
        let sender = SDPAudioSender(streamID: "s", trackID: "t", ssrc: 7, cname: "c")
        let answer = try builder.answer(to: offer, sender: sender, setup: .active, senderMid: "2")
        #expect(answer.media.map(\.mid) == ["0", "1", "2", "3"])
        #expect(answer.media[1].direction == .recvonly && answer.media[1].msids.isEmpty)
        #expect(answer.media[2].direction == .sendrecv && answer.media[2].msids == [SDPMsid(streamID: "s", trackID: "t")])
        #expect(!answer.media[0].isRejected && answer.media[3].isRejected, "one SCTP association per connection")
        #expect(answer.bundleGroup == .bundle(["0", "1", "2"]))
        // Without senderMid the first section that can send takes it (mid 2: mid 1 only sends to us).
        var again = SDPBuilder(transport: SDPBuilderTests.transport)
        #expect(try again.answer(to: offer, sender: sender).media[2].direction == .sendrecv)
    }
}

