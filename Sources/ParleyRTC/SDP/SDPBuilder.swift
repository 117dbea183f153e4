// SPDX-License-Identifier: Apache-2.0

/// What every m-section of a local description says about our transport (RFC 8829 §5.2.1):
/// ICE credentials and options, the DTLS certificate fingerprint, and any candidates already
/// gathered. With BUNDLE all sections carry the same values.
public struct SDPTransportParameters: Sendable, Hashable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprint: SDPFingerprint
    /// `trickle` tells the peer candidates may follow in signalling (RFC 8840 §4.1.1).
    public var iceOptions: [String]
    public var candidates: [ICECandidate]
    public var endOfCandidates: Bool

    public init(
        iceUfrag: String, icePwd: String, fingerprint: SDPFingerprint, iceOptions: [String] = ["trickle"],
        candidates: [ICECandidate] = [], endOfCandidates: Bool = false
    ) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.iceOptions = iceOptions
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
    }

    /// Fresh credentials: a 16-character ufrag and a 32-character password of `ice-char`s,
    /// above RFC 8839 §5.4's minimums of 4 and 22 characters (24 and 128 bits of randomness).
    public static func random(fingerprint: SDPFingerprint) -> SDPTransportParameters {
        var generator = SystemRandomNumberGenerator()
        return SDPTransportParameters(
            iceUfrag: randomICEString(16, using: &generator), icePwd: randomICEString(32, using: &generator),
            fingerprint: fingerprint)
    }

    static func randomICEString(_ count: Int, using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// A local audio track to announce in an m-section: `a=msid` and `a=ssrc … cname`, so that
/// pion (LiveKit) fires OnTrack from the SDP and matches the track to the AddTrackRequest by
/// its track id (livekit-protocol.md §4, "Publishing a track").
public struct SDPAudioSender: Sendable, Hashable {
    public var streamID: String
    public var trackID: String
    public var ssrc: UInt32
    public var cname: String

    public init(streamID: String, trackID: String, ssrc: UInt32, cname: String) {
        self.streamID = streamID
        self.trackID = trackID
        self.ssrc = ssrc
        self.cname = cname
    }
}

/// Why an answer could not be built from an offer.
public enum SDPNegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// JSEP (RFC 8829 §5.8) and pion require a mid on every section.
    case missingMid(sectionIndex: Int)
    /// The offer wants no connection (`a=setup:holdconn`).
    case setupHoldconn(mid: String)
    /// More than one section accepted but the offer has no BUNDLE group; ParleyRTC, like
    /// pion, runs one transport for everything (RFC 8843).
    case bundleRequired
    /// The offer names no ICE credentials for a section it wants connected.
    case missingICECredentials(mid: String)

    public var description: String {
        switch self {
        case .missingMid(let index): "offer m-section \(index) has no a=mid (RFC 8829 §5.8)"
        case .setupHoldconn(let mid): "offer m-section \(mid) says a=setup:holdconn"
        case .bundleRequired: "offer accepts several sections without a=group:BUNDLE; only bundled transport is supported"
        case .missingICECredentials(let mid): "offer m-section \(mid) has no a=ice-ufrag/a=ice-pwd"
        }
    }
}

/// Builds the local offers and answers a LiveKit client needs (livekit-protocol.md §4):
///
/// - **publisher PC** (we offer): `offer([.audio(mid: "0", direction: .sendonly, sender: …), .data(mid: "1")])`
/// - **subscriber PC** (the server offers): `answer(to: serverOffer)` accepts Opus audio
///   receive-only, the data channel section, and rejects video and anything else with port 0.
///
/// Every description is unified plan (RFC 8829), BUNDLEs everything (RFC 8843), muxes RTCP
/// (RFC 5761) and carries the transport attributes in every section (RFC 8829 §5.2.1).
/// Audio is Opus on PT 111, `minptime=10;useinbandfec=1` (RFC 7587 §7) with the mid,
/// audio-level and abs-capture-time header extensions.
public struct SDPBuilder: Sendable {
    public var transport: SDPTransportParameters
    /// Decimal, < 2^62 (RFC 8829 §5.2.1).
    public var sessionID: String
    /// Incremented by every `offer`/`answer` call (RFC 8829 §5.2.2).
    public private(set) var sessionVersion: UInt64
    public var opusPayloadType: UInt8 = 111
    public var opusParameters = "minptime=10;useinbandfec=1"
    /// RTCP feedback offered/accepted for Opus, e.g. `["nack"]` once NACKs are answered.
    public var audioFeedback: [String] = []
    /// Header extension URIs for audio, offered with ids 1, 2, 3… and accepted when offered.
    public var audioExtensions: [String] = [SDPExtmap.sdesMid, SDPExtmap.ssrcAudioLevel, SDPExtmap.absCaptureTime]
    /// Ids already negotiated for some of `audioExtensions` (URI → id): a subsequent offer
    /// keeps them, since packets in flight carry them (RFC 8285 §6 binds an id for the
    /// session); the other URIs get the lowest free ids.
    public var negotiatedExtensionIDs: [String: UInt16] = [:]
    /// RFC 8841 §5.2; 5000 by convention, what LiveKit and browsers use.
    public var sctpPort: UInt16 = 5000
    /// The largest data channel message we reassemble (RFC 8841 §6). LiveKit advertises 65535.
    public var maxMessageSize: UInt64 = 65535

    public init(transport: SDPTransportParameters, sessionID: String? = nil, sessionVersion: UInt64 = 1) {
        self.transport = transport
        var generator = SystemRandomNumberGenerator()
        self.sessionID = sessionID ?? String(UInt64.random(in: 1..<(1 << 62), using: &generator))
        self.sessionVersion = sessionVersion
    }

    public enum Section: Sendable, Hashable {
        /// An Opus audio section; `sender` announces our track when `direction` sends.
        case audio(mid: String, direction: SDPDirection, sender: SDPAudioSender?)
        /// The SCTP data channel section (RFC 8841 §4, `webrtc-datachannel`).
        case data(mid: String)
        /// A section that stays in the description only to keep its place and mid: a subsequent
        /// offer repeats every earlier m-line in order (RFC 9429 §5.2.2), rejected ones with
        /// port 0 and their media, proto and formats (RFC 3264 §8.2, RFC 8843 §7.3.3).
        case rejected(mid: String, kind: SDPMediaKind, proto: String, formats: [String])
    }

    // MARK: - Offer

    /// A complete offer with one BUNDLE group of all accepted sections. `setup` is
    /// `actpass` in an initial offer (RFC 8842 §5.2); a subsequent offer that keeps the running
    /// DTLS association states the role it already has (`active`/`passive`): an answer to
    /// `actpass` could pick the other role, and a changed role means a new association
    /// (RFC 8842 §5). libwebrtc and aiortc re-offer the same way.
    public mutating func offer(_ sections: [Section], setup: SDPSetupRole = .actpass) -> SessionDescription {
        var session = newSession()
        var mids: [String] = []
        for section in sections {
            switch section {
            case .audio(let mid, let direction, let sender):
                let extmaps = offeredAudioExtmaps()
                session.media.append(
                    audioSection(
                        mid: mid, direction: direction, sender: direction.sends ? sender : nil, setup: setup,
                        extmaps: extmaps, feedback: audioFeedback, rtcpRsize: true))
                mids.append(mid)
            case .data(let mid):
                session.media.append(dataSection(mid: mid, proto: "UDP/DTLS/SCTP", setup: setup))
                mids.append(mid)
            case .rejected(let mid, let kind, let proto, let formats):
                session.media.append(
                    MediaDescription(
                        kind: kind, port: 0, proto: proto, formats: formats, connections: [SDPConnection()],
                        attributes: [.mid(mid)]))
            }
        }
        session.attributes = [.group(.bundle(mids)), .extmapAllowMixed, .msidSemantic(SDPMsidSemantic())]
        return session
    }

    // MARK: - Answer

    /// An answer (RFC 8829 §5.3) to a remote offer: every offered section in order, same mids.
    ///
    /// - Audio: accepted with Opus (the offer's payload type for `opus/48000/2`; RED, PCMU and
    ///   the rest are left out), the offered header extensions we know (keeping the offer's
    ///   ids), the offered feedback we support, and direction = offer's direction reversed,
    ///   narrowed to what we do (receive when `receiveAudio`; send when `sender` is given, on
    ///   the section `senderMid` names or else the first section that can). Each section is
    ///   its own transceiver, so a renegotiation offer with several sendonly tracks gets as
    ///   many recvonly sections. Without Opus or without rtcp-mux the section is rejected.
    /// - Data (`webrtc-datachannel` over SCTP): the first such section is accepted with our
    ///   sctp-port and max-message-size (one association per connection, RFC 8841 §5).
    /// - Anything else (video, …), further data sections, and sections the offer already
    ///   rejected: port 0 (RFC 3264 §6).
    ///
    /// `setup` is our DTLS role when the offer says actpass: `.passive` makes us the DTLS
    /// server, which is also our role on the publisher PC (livekit-protocol.md §6).
    public mutating func answer(
        to offer: SessionDescription, sender: SDPAudioSender? = nil, receiveAudio: Bool = true,
        setup preferred: SDPSetupRole = .passive, senderMid: String? = nil
    ) throws(SDPNegotiationError) -> SessionDescription {
        var session = newSession()
        var accepted: [String] = []
        var senderLeft = sender
        var dataAccepted = false
        for (index, offered) in offer.media.enumerated() {
            guard let mid = offered.mid else { throw .missingMid(sectionIndex: index) }
            guard !offered.isRejected else {
                session.media.append(rejected(offered, mid: mid))
                continue
            }
            let role = offer.setup(for: offered) ?? .actpass
            guard let ourRole = role.answerRole(preferring: preferred) else { throw .setupHoldconn(mid: mid) }
            guard offer.iceCredentials(for: offered) != nil else { throw .missingICECredentials(mid: mid) }

            if offered.kind == .audio, offered.isRTP, offered.rtcpMux,
                let opus = offered.codec(named: "opus", clockRate: 48000)
            {
                let offeredDirection = offered.effectiveDirection
                let sends = offeredDirection.receives && senderLeft != nil && (senderMid == nil || senderMid == mid)
                let direction = SDPDirection(sends: sends, receives: offeredDirection.sends && receiveAudio)
                let extmaps = offered.extmaps.filter { audioExtensions.contains($0.uri) }.map { SDPExtmap(id: $0.id, uri: $0.uri) }
                // `nack pli` and the like are video feedback; take each plain type once.
                var feedback: [String] = []
                for offered in opus.feedback where offered.parameter == nil && audioFeedback.contains(offered.type) {
                    if !feedback.contains(offered.type) { feedback.append(offered.type) }
                }
                var section = audioSection(
                    mid: mid, direction: direction, sender: sends ? senderLeft : nil, setup: ourRole, extmaps: extmaps,
                    feedback: feedback, rtcpRsize: offered.rtcpRsize, payloadType: opus.payloadType)
                section.proto = offered.proto
                if sends { senderLeft = nil }
                session.media.append(section)
                accepted.append(mid)
            } else if offered.kind == .application, offered.proto.uppercased().contains("SCTP"),
                offered.formats.contains("webrtc-datachannel"), !dataAccepted
            {
                session.media.append(dataSection(mid: mid, proto: offered.proto, setup: ourRole))
                accepted.append(mid)
                dataAccepted = true
            } else {
                session.media.append(rejected(offered, mid: mid))
            }
        }
        var attributes: [SDPAttribute] = []
        if let bundle = offer.bundleGroup {
            let mids = bundle.mids.filter { accepted.contains($0) }
            if !mids.isEmpty { attributes.append(.group(SDPGroup(semantics: bundle.semantics, mids: mids))) }
        } else if accepted.count > 1 {
            throw .bundleRequired
        }
        if offer.extmapAllowMixed { attributes.append(.extmapAllowMixed) }
        attributes.append(.msidSemantic(SDPMsidSemantic()))
        session.attributes = attributes
        return session
    }

    // MARK: - Sections

    /// `audioExtensions` with their negotiated ids, the rest numbered from the lowest free id
    /// (1–14: the one-byte header form, RFC 8285 §4.2).
    private func offeredAudioExtmaps() -> [SDPExtmap] {
        var used = Set(audioExtensions.compactMap { negotiatedExtensionIDs[$0] })
        var next: UInt16 = 1
        return audioExtensions.map { uri in
            if let id = negotiatedExtensionIDs[uri] { return SDPExtmap(id: id, uri: uri) }
            while used.contains(next) { next += 1 }
            used.insert(next)
            return SDPExtmap(id: next, uri: uri)
        }
    }

    private mutating func newSession() -> SessionDescription {
        defer { sessionVersion += 1 }
        return SessionDescription(
            origin: SDPOrigin(sessionID: sessionID, sessionVersion: sessionVersion, unicastAddress: "127.0.0.1"))
    }

    private func transportAttributes(setup: SDPSetupRole) -> [SDPAttribute] {
        var attributes: [SDPAttribute] = [.iceUfrag(transport.iceUfrag), .icePwd(transport.icePwd)]
        if !transport.iceOptions.isEmpty { attributes.append(.iceOptions(transport.iceOptions)) }
        attributes.append(.fingerprint(transport.fingerprint))
        attributes.append(.setup(setup))
        return attributes
    }

    private func candidateAttributes() -> [SDPAttribute] {
        var attributes = transport.candidates.map { SDPAttribute.candidate($0) }
        if transport.endOfCandidates { attributes.append(.endOfCandidates) }
        return attributes
    }

    private func audioSection(
        mid: String, direction: SDPDirection, sender: SDPAudioSender?, setup: SDPSetupRole, extmaps: [SDPExtmap],
        feedback: [String], rtcpRsize: Bool, payloadType: UInt8? = nil
    ) -> MediaDescription {
        let pt = payloadType ?? opusPayloadType
        var section = MediaDescription(
            kind: .audio, port: 9, proto: "UDP/TLS/RTP/SAVPF", formats: [String(pt)], connections: [SDPConnection()])
        var attributes = transportAttributes(setup: setup)
        attributes.append(.mid(mid))
        attributes += extmaps.map { .extmap($0) }
        attributes.append(.direction(direction))
        if let sender { attributes.append(.msid(SDPMsid(streamID: sender.streamID, trackID: sender.trackID))) }
        attributes.append(.rtcpMux)
        if rtcpRsize { attributes.append(.rtcpRsize) }
        attributes.append(.rtpmap(SDPRTPMap(payloadType: pt, encodingName: "opus", clockRate: 48000, encodingParameters: 2)))
        attributes += feedback.map { .rtcpFeedback(SDPRTCPFeedback(payloadType: pt, type: $0)) }
        attributes.append(.fmtp(SDPFormatParameters(payloadType: pt, value: opusParameters)))
        if let sender { attributes.append(.ssrc(.cname(sender.ssrc, sender.cname))) }
        attributes += candidateAttributes()
        section.attributes = attributes
        return section
    }

    private func dataSection(mid: String, proto: String, setup: SDPSetupRole) -> MediaDescription {
        var section = MediaDescription(
            kind: .application, port: 9, proto: proto, formats: ["webrtc-datachannel"], connections: [SDPConnection()])
        var attributes = transportAttributes(setup: setup)
        attributes.append(.mid(mid))
        attributes.append(.sctpPort(sctpPort))
        attributes.append(.maxMessageSize(maxMessageSize))
        attributes += candidateAttributes()
        section.attributes = attributes
        return section
    }

    /// A rejected section: the offer's media, proto and formats with port 0 and the mid
    /// (RFC 8829 §5.3.1; RFC 8843 §7.3.3).
    private func rejected(_ offered: MediaDescription, mid: String) -> MediaDescription {
        MediaDescription(
            kind: offered.kind, port: 0, proto: offered.proto, formats: offered.formats,
            connections: [SDPConnection()], attributes: [.mid(mid)])
    }
}
