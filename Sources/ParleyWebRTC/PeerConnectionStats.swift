// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// A snapshot of every layer of one `PeerConnection` (pion's GetStats, flattened).
public struct PeerConnectionStats: Sendable {
    public var connectionState: PeerConnectionState
    public var signalingState: SignalingState
    public var iceState: ICEConnectionState?
    public var ice: ICEStats?
    public var selectedPair: String?
    public var dtlsState: DTLSState?
    public var dtls: DTLSStats?
    public var dtlsCipherSuite: String?
    public var srtpProfile: SRTPProtectionProfile?
    public var srtp: SRTPStats?
    public var sctpState: SCTPAssociationState?
    public var sctp: SCTPStats?
    public var audioSender: AudioSenderStats?
    /// The first receiving track's receiver (m-line order); every track's is in `audioReceivers`.
    public var audioReceiver: AudioReceiverStats?
    /// One entry per receiving audio section, in m-line order.
    public var audioReceivers: [RemoteAudioTrackStats]
    /// How inbound RTP was matched to receiving sections.
    public var rtpDemux: RTPDemuxStats
    /// DTLS handshakes completed: 1 for the life of the connection, renegotiations and ICE
    /// restarts included (they keep the association).
    public var dtlsHandshakes: Int
    /// Offer/answer exchanges applied (the first negotiation counts).
    public var negotiations: Int
    /// ICE restarts we started (`restartIce()` offers applied) and the peer started (its offer
    /// changed the credentials).
    public var localICERestarts: Int
    public var remoteICERestarts: Int
    /// Why the connection closed; nil while open.
    public var closeReason: PeerConnectionCloseReason?
    /// Inbound datagrams that were neither DTLS nor SRTP/SRTCP, or came before their layer was ready and overflowed the hold queue.
    public var datagramsDropped: Int
    /// PLI/FIR received and sent, NACKs for unknown SSRCs.
    public var feedback: RTCPFeedbackStats
}
