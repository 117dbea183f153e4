// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

@Suite("SDP: parsing real descriptions")
struct SDPParseTests {
    /// Every fixture: parse, serialize, parse again gives the same model.
    @Test("round trip: parse(serialize(parse(x))) == parse(x)", arguments: [
        ("LiveKit subscriber offer", SDPFixtures.liveKitSubscriberOffer),
        ("LiveKit publisher answer", SDPFixtures.liveKitPublisherAnswer),
        ("Chrome offer", SDPFixtures.chromeOffer),
        ("aiortc offer", SDPFixtures.aiortcOffer),
        ("aiortc answer", SDPFixtures.aiortcAnswer),
    ])
    func roundTrip(name: String, text: String) throws {
        let parsed = try SessionDescription(parsing: text)
        let again = try SessionDescription(parsing: parsed.serialize())
        #expect(again == parsed, "\(name)")
        #expect(parsed.serialize().hasSuffix("\r\n"))
        #expect(!parsed.serialize().contains("\n\n"))
    }

    @Test("pion- and Chrome-style text serializes back to the identical text")
    func exactText() throws {
        for text in [SDPFixtures.liveKitSubscriberOffer, SDPFixtures.liveKitPublisherAnswer, SDPFixtures.chromeOffer] {
            #expect(try SessionDescription(parsing: text).serialize() == text)
        }
    }

    @Test("bare LF line endings parse the same as CRLF")
    func lfEndings() throws {
        let lf = SDPFixtures.chromeOffer.split(separator: "\r\n", omittingEmptySubsequences: false).joined(separator: "\n")
        #expect(try SessionDescription(parsing: lf) == SessionDescription(parsing: SDPFixtures.chromeOffer))
    }

    @Test("LiveKit subscriber offer: session-level transport, packed msid, Opus+RED, TCP candidate")
    func liveKitOffer() throws {
        let sdp = try SessionDescription(parsing: SDPFixtures.liveKitSubscriberOffer)
        #expect(sdp.origin.sessionID == "3635251148020752571")
        #expect(sdp.origin.sessionVersion == 1_784_024_921)
        #expect(sdp.bundleGroup == .bundle(["0", "1", "2"]))
        #expect(sdp.msidSemantic == SDPMsidSemantic(semantic: "WMS", identifiers: ["*"]))
        #expect(sdp.extmapAllowMixed)
        #expect(!sdp.iceLite)
        #expect(sdp.fingerprints.first?.algorithm == "sha-256")
        #expect(sdp.fingerprints.first?.bytes.count == 32)
        #expect(sdp.media.map(\.kind) == [.audio, .video, .application])

        let audio = sdp.media[0]
        #expect(audio.mid == "0")
        #expect(audio.direction == .sendonly)
        #expect(audio.setup == .actpass)
        #expect(audio.rtcpMux && audio.rtcpRsize)
        #expect(audio.payloadTypes == [111, 63, 0, 8])
        #expect(sdp.fingerprints(for: audio) == sdp.fingerprints)
        #expect(sdp.iceCredentials(for: audio)! == ("kHzPqMfVtLwbNcsE", "NoYJzEcHcVhBYSRsTqJrFmKnPvWxLdGa"))
        let opus = try #require(audio.codec(named: "opus", clockRate: 48000))
        #expect(opus.payloadType == 111)
        #expect(opus.rtpMap == SDPRTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, encodingParameters: 2))
        #expect(opus.formatParameters?.parameter("useinbandfec") == "1")
        #expect(opus.formatParameters?.parameter("minptime") == "10")
        #expect(opus.feedback == [SDPRTCPFeedback(payloadType: 111, type: "nack")])
        #expect(audio.codec(named: "red")?.formatParameters?.value == "111/111")
        #expect(audio.extmaps == [SDPExtmap(id: 1, uri: SDPExtmap.absCaptureTime)])
        #expect(audio.msids == [SDPMsid(streamID: "PA_4fTmZxRkP3aB|TR_AMkqT7yQ2sVn", trackID: "TR_AMkqT7yQ2sVn")])
        #expect(audio.ssrcIDs == [1_848_205_624])
        #expect(audio.cname(ssrc: 1_848_205_624) == "PA_4fTmZxRkP3aB|TR_AMkqT7yQ2sVn")
        #expect(audio.candidates.count == 3)
        #expect(audio.candidates[2].transport == .tcp)
        #expect(audio.candidates[2].tcpType == .passive)
        #expect(audio.candidates[2].port == 7881)
        #expect(audio.endOfCandidates)

        let video = sdp.media[1]
        #expect(video.ssrcGroups == [SDPSSRCGroup(semantics: "FID", ssrcs: [2_940_451_716, 3_402_811_560])])
        #expect(video.codec(named: "VP8")?.feedback.map(\.type) == ["ccm", "nack", "nack", "goog-remb"])
        #expect(video.rtcpFeedback[0].parameter == "fir")
        #expect(video.extmaps.first?.uri.hasPrefix("https://aomediacodec.github.io/") == true)

        let data = sdp.media[2]
        #expect(data.proto == "UDP/DTLS/SCTP")
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 65535)
        #expect(data.direction == .sendrecv)
    }

    @Test("LiveKit publisher answer (esp-webrtc-solution #186 dump): active setup, recvonly Opus, data section")
    func liveKitAnswer() throws {
        let sdp = try SessionDescription(parsing: SDPFixtures.liveKitPublisherAnswer)
        #expect(sdp.bundleGroup?.mids == ["0", "1"])
        #expect(sdp.media[0].setup == .active)
        #expect(sdp.media[0].direction == .recvonly)
        #expect(sdp.media[0].rtpMaps.map(\.encodingName) == ["opus"])
        #expect(sdp.media[0].connections.isEmpty)
        #expect(sdp.media[1].sctpPort == 5000)
        #expect(sdp.media[1].direction == .sendrecv)
    }

    @Test("Chrome offer: mDNS and srflx candidates, Chrome candidate extensions, rtcp attribute, transport-cc")
    func chromeOffer() throws {
        let sdp = try SessionDescription(parsing: SDPFixtures.chromeOffer)
        #expect(sdp.msidSemantic?.identifiers == ["6b8f1e3a-3c1d-4f7e-9b7a-2d1c5e9f0a44"])
        let audio = sdp.media[0]
        #expect(audio.port == 54321)
        #expect(audio.connections == [SDPConnection(address: "203.0.113.7")])
        #expect(audio.attributes.first == .rtcp(SDPRTCPAddress(port: 9, connection: SDPConnection())))
        #expect(audio.iceOptions == ["trickle"])
        let host = audio.candidates[0]
        #expect(host.foundation == "2437072876")
        #expect(host.priority == 2_122_260_223)
        #expect(host.ipAddress == IPAddress("192.168.1.20"))
        #expect(host.generation == 0 && host.networkID == 1 && host.networkCost == 10)
        let mdns = audio.candidates[1]
        #expect(mdns.address.hasSuffix(".local"))
        #expect(mdns.ipAddress == nil)
        let srflx = audio.candidates[2]
        #expect(srflx.type == .srflx)
        #expect(srflx.relatedAddress == "192.168.1.20" && srflx.relatedPort == 54321)
        #expect(audio.candidates[3].tcpType == .active)
        #expect(audio.codecs.count == 8)
        #expect(audio.codec(named: "telephone-event", clockRate: 8000)?.payloadType == 126)
        #expect(sdp.media[1].extmaps.map(\.id) == [14, 2, 13, 3, 5, 4, 10, 11])
        #expect(sdp.media[1].codec(named: "H264")?.formatParameters?.parameter("packetization-mode") == "1")
        #expect(sdp.media[2].maxMessageSize == 262_144)
        #expect(sdp.media[2].direction == nil)
        #expect(sdp.media[2].effectiveDirection == .sendrecv)
    }

    @Test("aiortc offer/answer: real candidates (IPv4 + IPv6), three fingerprints, sha-384/512")
    func aiortc() throws {
        let offer = try SessionDescription(parsing: SDPFixtures.aiortcOffer)
        let answer = try SessionDescription(parsing: SDPFixtures.aiortcAnswer)
        #expect(offer.msidSemantic == SDPMsidSemantic(semantic: "WMS", identifiers: ["*"]))
        let audio = offer.media[0]
        #expect(audio.payloadTypes == [96, 9, 0, 8])
        #expect(audio.codec(named: "opus")?.payloadType == 96)
        #expect(audio.fingerprints.map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
        #expect(audio.fingerprints.map(\.bytes.count) == [32, 48, 64])
        #expect(audio.candidates.map { $0.ipAddress?.family } == [.v4, .v6])
        #expect(audio.candidates.first?.foundation.count == 32)
        #expect(audio.endOfCandidates)
        #expect(audio.extmaps.map(\.uri) == [SDPExtmap.sdesMid, SDPExtmap.ssrcAudioLevel])
        #expect(offer.media[1].maxMessageSize == 262_144)
        #expect(answer.media[0].setup == .active)
        #expect(answer.media.map(\.mid) == ["0", "1"])
    }

    @Test("unknown attributes are preserved in order, at session and media level")
    func unknownAttributes() throws {
        let text = SDPFixtures.crlf("""
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=x-session-thing:42
            a=ice-options:trickle ice2
            m=audio 9 UDP/TLS/RTP/SAVPF 111
            a=mid:a
            a=x-vendor:foo bar
            a=ptime:20
            a=bundle-only
            a=rtpmap:111 opus/48000/2
            a=x-flag
            """)
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.otherAttributes.map(\.name) == ["x-session-thing"])
        #expect(sdp.iceOptions == ["trickle", "ice2"])
        let other = sdp.media[0].otherAttributes
        #expect(other.map(\.name) == ["x-vendor", "ptime", "bundle-only", "x-flag"])
        #expect(other.map(\.value) == ["foo bar", "20", nil, nil])
        #expect(sdp.serialize() == text)
    }

    @Test("typed setters edit in place and keep the other lines")
    func setters() throws {
        var sdp = try SessionDescription(parsing: SDPFixtures.liveKitSubscriberOffer)
        sdp.media[0].direction = .inactive
        sdp.media[0].mid = "audio"
        sdp.media[0].candidates = []
        sdp.media[0].extmaps.append(SDPExtmap(id: 5, direction: .recvonly, uri: SDPExtmap.sdesMid))
        sdp.iceLite = true
        let reparsed = try SessionDescription(parsing: sdp.serialize())
        #expect(reparsed.media[0].direction == .inactive)
        #expect(reparsed.media[0].mid == "audio")
        #expect(reparsed.media[0].attributes[1] == .mid("audio"))
        #expect(reparsed.media[0].candidates.isEmpty)
        #expect(reparsed.media[0].extmaps.last == SDPExtmap(id: 5, direction: .recvonly, uri: SDPExtmap.sdesMid))
        #expect(reparsed.serialize().contains("a=extmap:5/recvonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"))
        #expect(reparsed.iceLite)
        #expect(reparsed.media[0].rtpMaps.count == 4)
    }
}

@Suite("SDP: malformed input names the line")
struct SDPErrorTests {
    /// A small valid offer; each case replaces (or removes) one of its lines.
    static let base = [
        "v=0",  // 1
        "o=- 1 2 IN IP4 127.0.0.1",  // 2
        "s=-",  // 3
        "t=0 0",  // 4
        "a=group:BUNDLE 0",  // 5
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",  // 6
        "c=IN IP4 0.0.0.0",  // 7
        "a=mid:0",  // 8
        "a=rtpmap:111 opus/48000/2",  // 9
        "a=fmtp:111 minptime=10;useinbandfec=1",  // 10
        "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host",  // 11
        "a=setup:actpass",  // 12
        "a=fingerprint:sha-256 AA:BB",  // 13
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",  // 14
        "a=ssrc:1234 cname:x",  // 15
    ]

    static func text(replacing line: Int, with replacement: String?) -> String {
        var lines = base
        if let replacement { lines[line - 1] = replacement } else { lines.remove(at: line - 1) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    @Test("the base description is valid")
    func baseIsValid() throws {
        let sdp = try SessionDescription(parsing: SDPErrorTests.text(replacing: 1, with: "v=0"))
        #expect(sdp.media.count == 1)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let line: Int
        let replacement: String?
        let reportedLine: Int
        let reportedText: String
        let reason: String
        var testDescription: String { "line \(line): \(replacement ?? "<removed>")" }
    }

    static let cases: [Case] = [
        Case(line: 9, replacement: "a=rtpmap:111 opus", reportedLine: 9, reportedText: "a=rtpmap:111 opus",
             reason: "rtpmap needs \"<pt> <encoding>/<clock rate>\""),
        Case(line: 9, replacement: "a=rtpmap:200 opus/48000/2", reportedLine: 9, reportedText: "a=rtpmap:200 opus/48000/2",
             reason: "rtpmap payload type \"200\" is not a number 0–127"),
        Case(line: 9, replacement: "a=rtpmap:111 opus/fast/2", reportedLine: 9, reportedText: "a=rtpmap:111 opus/fast/2",
             reason: "rtpmap clock rate \"fast\" is not a positive number"),
        Case(line: 1, replacement: "v=1", reportedLine: 1, reportedText: "v=1", reason: "version \"1\" is not 0 (RFC 8866 §5.1)"),
        Case(line: 1, replacement: "s=-", reportedLine: 1, reportedText: "s=-", reason: "an SDP description starts with \"v=0\""),
        Case(line: 2, replacement: "o=- 1 IN IP4 127.0.0.1", reportedLine: 2, reportedText: "o=- 1 IN IP4 127.0.0.1",
             reason: "origin needs \"<username> <sess-id> <sess-version> <nettype> <addrtype> <address>\" (6 fields, found 5)"),
        Case(line: 3, replacement: nil, reportedLine: 3, reportedText: "t=0 0",
             reason: "the third line must be the session name \"s=\""),
        Case(line: 4, replacement: nil, reportedLine: 5, reportedText: "m=audio 9 UDP/TLS/RTP/SAVPF 111",
             reason: "no \"t=\" line before the first media section (RFC 8866 §5.9)"),
        Case(line: 5, replacement: "", reportedLine: 5, reportedText: "", reason: "empty line"),
        Case(line: 5, replacement: "group:BUNDLE 0", reportedLine: 5, reportedText: "group:BUNDLE 0",
             reason: "expected \"<type>=<value>\" with a lower-case letter type (RFC 8866 §5)"),
        Case(line: 5, replacement: "y=whatever", reportedLine: 5, reportedText: "y=whatever",
             reason: "unknown line type \"y=\" (RFC 8866 §5 forbids ignoring it)"),
        Case(line: 6, replacement: "m=audio nine UDP/TLS/RTP/SAVPF 111", reportedLine: 6,
             reportedText: "m=audio nine UDP/TLS/RTP/SAVPF 111", reason: "media port \"nine\" is not a number 0–65535"),
        Case(line: 6, replacement: "m=audio 9 UDP/TLS/RTP/SAVPF opus", reportedLine: 6,
             reportedText: "m=audio 9 UDP/TLS/RTP/SAVPF opus",
             reason: "payload type \"opus\" is not a number 0–127 (RTP formats are payload types)"),
        Case(line: 7, replacement: "c=IN IP4", reportedLine: 7, reportedText: "c=IN IP4",
             reason: "connection needs \"<nettype> <addrtype> <address>\" (3 fields, found 2)"),
        Case(line: 7, replacement: "t=0 0", reportedLine: 7, reportedText: "t=0 0",
             reason: "\"t=\" is a session-level line and cannot appear inside a media section"),
        Case(line: 8, replacement: "a=mid", reportedLine: 8, reportedText: "a=mid", reason: "mid needs a value"),
        Case(line: 10, replacement: "a=fmtp:111", reportedLine: 10, reportedText: "a=fmtp:111",
             reason: "fmtp needs \"<format> <parameters>\""),
        Case(line: 11, replacement: "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 host x", reportedLine: 11,
             reportedText: "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 host x",
             reason: "candidate has \"host\" where \"typ\" must be (RFC 8839 §5.1)"),
        Case(line: 11, replacement: "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ magic", reportedLine: 11,
             reportedText: "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ magic",
             reason: "candidate type \"magic\" is not host, srflx, prflx or relay"),
        Case(line: 11, replacement: "a=candidate:1 1 udp 2130706431 10.0.0.1 70000 typ host", reportedLine: 11,
             reportedText: "a=candidate:1 1 udp 2130706431 10.0.0.1 70000 typ host",
             reason: "candidate port \"70000\" is not a number 0–65535"),
        Case(line: 11, replacement: "a=candidate:1 1 udp 5 10.0.0.1 5000 typ srflx raddr 10.0.0.2 rport", reportedLine: 11,
             reportedText: "a=candidate:1 1 udp 5 10.0.0.1 5000 typ srflx raddr 10.0.0.2 rport",
             reason: "candidate extension \"rport\" has no value (extensions are \"<name> <value>\" pairs)"),
        Case(line: 12, replacement: "a=setup:both", reportedLine: 12, reportedText: "a=setup:both",
             reason: "setup \"both\" is not actpass, active, passive or holdconn (RFC 4145 §4)"),
        Case(line: 13, replacement: "a=fingerprint:sha-256 AA:BG", reportedLine: 13, reportedText: "a=fingerprint:sha-256 AA:BG",
             reason: "fingerprint \"AA:BG\" is not hex bytes separated by ':' (RFC 8122 §5)"),
        Case(line: 14, replacement: "a=extmap:256 urn:x", reportedLine: 14, reportedText: "a=extmap:256 urn:x",
             reason: "extmap id \"256\" is not 1–255 or 4096–4351 (RFC 8285 §5, §7)"),
        Case(line: 15, replacement: "a=ssrc:abc cname:x", reportedLine: 15, reportedText: "a=ssrc:abc cname:x",
             reason: "ssrc needs \"<ssrc> <attribute>[:<value>]\" with a 32-bit ssrc"),
        Case(line: 15, replacement: "a=rtcp-mux:yes", reportedLine: 15, reportedText: "a=rtcp-mux:yes",
             reason: "rtcp-mux takes no value"),
        Case(line: 15, replacement: "a=ice-ufrag:ab-cd", reportedLine: 15, reportedText: "a=ice-ufrag:ab-cd",
             reason: "ice-ufrag \"ab-cd\" has characters other than ALPHA/DIGIT/+/ (RFC 8839 §5.4)"),
        Case(line: 15, replacement: "a=:x", reportedLine: 15, reportedText: "a=:x", reason: "attribute has no name"),
        Case(line: 15, replacement: "a=max-message-size:-1", reportedLine: 15, reportedText: "a=max-message-size:-1",
             reason: "max-message-size \"-1\" is not a number"),
    ]

    @Test("each malformed line is reported with its number, text and rule", arguments: cases)
    func malformed(_ c: Case) {
        let text = SDPErrorTests.text(replacing: c.line, with: c.replacement)
        #expect(throws: SDPError(lineNumber: c.reportedLine, line: c.reportedText, reason: c.reason)) {
            try SessionDescription(parsing: text)
        }
    }

    @Test("the description reads like the brief's example")
    func descriptionFormat() {
        let error = SDPError(lineNumber: 14, line: "a=rtpmap:111 opus", reason: "rtpmap needs \"<pt> <encoding>/<clock rate>\"")
        #expect(error.description == "SDP line 14 \"a=rtpmap:111 opus\": rtpmap needs \"<pt> <encoding>/<clock rate>\"")
    }

    @Test("truncated descriptions name the line that is missing")
    func truncated() {
        #expect(throws: SDPError(lineNumber: 1, line: "", reason: "empty line")) { try SessionDescription(parsing: "") }
        #expect(throws: SDPError(lineNumber: 2, line: "", reason: "description ends before the origin \"o=\"")) {
            try SessionDescription(parsing: "v=0\r\n")
        }
        #expect(throws: SDPError(lineNumber: 4, line: "", reason: "description has no \"t=\" line (RFC 8866 §5.9)")) {
            try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n")
        }
    }
}

@Suite("ICE candidates (RFC 8839 §5.1)")
struct ICECandidateTests {
    @Test("trickle form from LiveKit (candidate:…) and a=candidate parse the same")
    func forms() throws {
        let line = "candidate:3156574652 1 udp 2122194687 10.0.3.17 50312 typ host generation 0 ufrag Fx2T network-id 2"
        let a = try ICECandidate(parsing: line)
        let b = try ICECandidate(parsing: "a=" + line + "\r\n")
        #expect(a == b)
        #expect(a.usernameFragment == "Fx2T")
        #expect(a.description == line)
    }

    @Test("relay candidate with raddr/rport, Firefox's upper-case UDP, unknown extensions kept in order")
    func relayAndExtensions() throws {
        let c = try ICECandidate(parsing: "candidate:5 1 UDP 16777215 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0 x-a 1 x-b two")
        #expect(c.transport == .udp)
        #expect(c.type == .relay)
        #expect(c.relatedAddress == "0.0.0.0" && c.relatedPort == 0)
        #expect(c.extensions == [.init(name: "x-a", value: "1"), .init(name: "x-b", value: "two")])
        #expect(c.description == "candidate:5 1 udp 16777215 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0 x-a 1 x-b two")
        #expect(c.transportAddress == TransportAddress(address: .v4(0xC633_6409), port: 3478))
    }

    @Test("priority formula (RFC 8445 §5.1.2.1)")
    func priority() {
        #expect(ICECandidate.priority(type: .host, localPreference: 65535, component: 1) == 2_130_706_431)
        #expect(ICECandidate.priority(type: .srflx, localPreference: 65535, component: 1) == 1_694_498_815)
        #expect(ICECandidate.priority(type: .relay, localPreference: 0, component: 2) == 254)
    }

    @Test("errors carry the candidate text")
    func errors() {
        #expect(throws: SDPError(lineNumber: 1, line: "candidate:1 1 udp 1 1.2.3.4 5 typ host generation x",
                                 reason: "candidate generation \"x\" is not a number")) {
            try ICECandidate(parsing: "candidate:1 1 udp 1 1.2.3.4 5 typ host generation x")
        }
        #expect(throws: SDPError(lineNumber: 1, line: "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype sideways",
                                 reason: "candidate tcptype \"sideways\" is not active, passive or so (RFC 6544 §4.5)")) {
            try ICECandidate(parsing: "candidate:1 1 udp 1 1.2.3.4 5 typ host tcptype sideways")
        }
    }
}

@Suite("IP addresses")
struct IPAddressTests {
    @Test("parse and RFC 5952 canonical text", arguments: [
        ("192.0.2.1", "192.0.2.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("2001:0DB8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"), ("::", "::"), ("::1", "::1"),
        ("fd00::2", "fd00::2"), ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"), ("2001:db8::", "2001:db8::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
    ])
    func valid(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(bytes: address.bytes) == address)
    }

    @Test("rejects malformed addresses", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.", "::1::", "1:2:3:4:5:6:7:8:9", ":1::",
        "1:", "fe80::1%eth0", "[::1]", "12345::", "g::", "1.2.3.4::", "::1.2.3", " 1.2.3.4",
    ])
    func invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }
}
