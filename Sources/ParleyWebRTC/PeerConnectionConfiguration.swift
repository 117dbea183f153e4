// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyRTC

/// How a `PeerConnection` behaves. Defaults follow pion/LiveKit (livekit-protocol.md §4–7).
public struct PeerConnectionConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates.
    public var iceServers: [ICEServer] = []
    /// Host addresses to bind (one UDP socket each); nil gathers every interface's address.
    public var hostAddresses: [IPAddress]?
    /// Gather loopback candidates when `hostAddresses` is nil (test rigs on 127.0.0.1).
    public var includeLoopback = false
    /// Tunes the ICE agent; `role` is overwritten from negotiation (the offerer controls,
    /// unless the peer is ICE-lite: RFC 8445 §6.1.1). `ice.consentTimeout` (RFC 7675 §5.1,
    /// 30 s) is how long a peer that vanished without a word takes to make the connection
    /// `.failed`; `ice.consentInterval` how often consent is refreshed (5 s).
    public var ice = ICEAgentConfiguration(role: .controlling)
    /// Our `a=setup` when answering an actpass offer: `.active` (DTLS client, pion's default)
    /// or `.passive` (DTLS server).
    public var answerSetup: SDPSetupRole = .active
    /// DTLS retransmission and handshake limits; `role` and fingerprints come from negotiation.
    public var dtlsInitialRetransmitTimeout: Duration = .seconds(1)
    public var dtlsHandshakeTimeout: Duration = .seconds(30)
    public var srtpProfiles: [SRTPProtectionProfile] = SRTPProtectionProfile.defaultOffer
    /// Offer an `m=application` section (data channels) in every offer, as LiveKit needs.
    public var offerDataChannels = true
    /// Without a local track, the first offer still has a receive-only audio section (true,
    /// the classic `offerToReceiveAudio`), or only the data section (false: what LiveKit's
    /// server sends first on the subscriber connection).
    public var offerToReceiveAudio = true
    /// Opus encoder settings for our audio track (its `AudioSender`). The default is the voice
    /// setting: 32 kbit/s, FEC for 10 % loss, complexity `OpusEncoderSettings.voiceComplexity`
    /// (1), which keeps the session's media path within 0.5 % of a core; raise `complexity`
    /// for better sound at more CPU (the figures are on `voiceComplexity`).
    public var opus = OpusEncoderSettings()
    /// The receive jitter buffer.
    public var jitterBuffer = JitterBufferConfig.opus
    /// Negotiate Generic NACK for Opus (`a=rtcp-fb:111 nack`, RFC 4585): keep ~1 s of sent
    /// packets to answer the peer's NACKs and ask for our own missing packets while they can
    /// still be played. LiveKit offers it for audio (livekit-protocol.md §4, §7).
    public var audioNACK = true
    /// How often we send an RTCP sender (or receiver) report (RFC 3550 §6.2; ~1 s as libwebrtc does for audio).
    public var rtcpInterval: Duration = .seconds(1)
    /// The CNAME in our SDES and `a=ssrc` (RFC 7022: random per connection).
    public var cname: String = "parley-" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)

    public init() {}
}
