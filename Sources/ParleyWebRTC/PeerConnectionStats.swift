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
    public var audioReceiver: AudioReceiverStats?
    /// Inbound datagrams that were neither DTLS nor SRTP/SRTCP, or came before their layer was ready and overflowed the hold queue.
    public var datagramsDropped: Int
}
