// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyAudio
import ParleyCore
import ParleyRTC

/// A WebRTC peer connection (W3C webrtc-pc, JSEP RFC 9429) as LiveKit needs it: unified plan,
/// everything BUNDLEd on one ICE transport with rtcp-mux, one Opus audio transceiver and SCTP
/// data channels.
///
/// ```
///            createOffer / createAnswer ─► SDPBuilder          setRemoteDescription ─► remote params
///                                   │                                   │
///   UDPICESocket (ICE agent, one UDP socket per host address) ◄─────────┘ credentials, candidates
///      │ non-STUN datagrams (RFC 7983)                          ▲ send
///      ▼                                                        │
///   queue ─┬─ DTLS (20–63) ─► DTLSTransport ─► connected(keys) ─► SRTPSession
///          │                        └─ application data ─► SCTPAssociation ─► DataChannels
///          ├─ SRTP (RTP) ─► unprotect ─► AudioReceiver (JitterBuffer + Opus) ─► 20 ms pull ─► onAudioFrame
///          └─ SRTCP ─► unprotect ─► SR/RR ─► stats (RTT, loss)
///   LocalAudioTrack.push ─► AudioSender (Opus ─► RTP ─► SRTP) ─► ICE;  SR/RR every rtcpInterval
/// ```
///
/// **Threading.** All state lives on one serial queue. Public methods may be called from
/// any thread (they hop onto the queue, or run inline when already on it, so handlers may
/// call back in). Handlers run on that queue: keep them short. The ICE driver and the SCTP
/// stack have queues of their own; we call into them synchronously, they call back into us
/// only asynchronously, so no cycle of waits can form.
///
/// **Roles.** The offerer is ICE-controlling (unless the peer is ICE-lite). DTLS: offers say
/// `a=setup:actpass`; the answer's `active` makes the answerer the DTLS client
/// (`configuration.answerSetup`, active by default as pion does).
///
/// `@unchecked Sendable`: every mutable field is touched only on `queue` (see `onQueue`).
public final class PeerConnection: @unchecked Sendable {
    public let configuration: PeerConnectionConfiguration
    let queue = DispatchQueue(label: "parley.peerconnection")
    private let queueKey = DispatchSpecificKey<UInt8>()
    let certificate: DTLSCertificate
    let dtlsContext: DTLSContext

    // MARK: State (on `queue`)

    var connectionState: PeerConnectionState = .new
    var signalingState: SignalingState = .stable
    var ice: UDPICESocket?
    var iceState: ICEConnectionState = .new
    var builder: SDPBuilder?
    var localDescription: TypedSessionDescription?
    var remoteDescription: TypedSessionDescription?
    /// Candidates added before the remote description (livekit-protocol.md §4: buffer them).
    var pendingRemoteCandidates: [ICECandidateInit] = []
    var dtls: DTLSTransport?
    var dtlsRole: DTLSRole?
    var dtlsTimer: (any DispatchSourceTimer)?
    /// DTLS datagrams that arrived before the transport existed.
    var heldDTLS: [[UInt8]] = []
    var srtp: SRTPSession?
    var sctp: SCTPAssociation?
    var remoteSCTPPort: UInt16?
    var remoteMaxMessageSize: Int = 65_536
    var audioTrack: LocalAudioTrack?
    var audioSender: AudioSender?
    var audioReceiver: AudioReceiver?
    /// The negotiated Opus payload type and the mid of the audio section.
    var audioPayloadType: UInt8?
    var remoteSends = false
    var localSends = false
    var pullTimer: (any DispatchSourceTimer)?
    var rtcpTimer: (any DispatchSourceTimer)?
    var datagramsDropped = 0
    var gathering = false

    // MARK: Handlers (on `queue`)

    var localCandidateHandler: (@Sendable (ICECandidateInit) -> Void)?
    var connectionStateHandler: (@Sendable (PeerConnectionState) -> Void)?
    var dataChannelHandler: (@Sendable (DataChannel) -> Void)?
    var audioFrameHandler: (@Sendable (AudioFrame) -> Void)?

    public init(configuration: PeerConnectionConfiguration = PeerConnectionConfiguration()) throws(PeerConnectionError) {
        self.configuration = configuration
        do {
            certificate = try DTLSCertificate.generate()
            dtlsContext = try DTLSContext(certificate: certificate, srtpProfiles: configuration.srtpProfiles)
        } catch {
            throw .dtls(error)
        }
        queue.setSpecific(key: queueKey, value: 1)
    }

    deinit {
        dtlsTimer?.cancel()
        pullTimer?.cancel()
        rtcpTimer?.cancel()
        ice?.close()
        sctp?.close()
    }

    func onQueue<T>(_ body: () throws(PeerConnectionError) -> T) throws(PeerConnectionError) -> T {
        if DispatchQueue.getSpecific(key: queueKey) == 1 { return try body() }
        let result: Result<T, PeerConnectionError> = queue.sync {
            do throws(PeerConnectionError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    func onQueue<T>(_ body: () -> T) -> T {
        DispatchQueue.getSpecific(key: queueKey) == 1 ? body() : queue.sync(execute: body)
    }

    // MARK: - Events

    /// A local candidate to trickle (RFC 8838); an empty `candidate` ends them.
    public var onLocalCandidate: (@Sendable (ICECandidateInit) -> Void)? {
        get { onQueue { localCandidateHandler } }
        set { onQueue { localCandidateHandler = newValue } }
    }
    public var onConnectionStateChange: (@Sendable (PeerConnectionState) -> Void)? {
        get { onQueue { connectionStateHandler } }
        set { onQueue { connectionStateHandler = newValue } }
    }
    /// A channel the peer opened (DCEP, RFC 8832). Set its handlers here; `onOpen` follows.
    public var onDataChannel: (@Sendable (DataChannel) -> Void)? {
        get { onQueue { dataChannelHandler } }
        set { onQueue { dataChannelHandler = newValue } }
    }
    /// One decoded 20 ms frame (48 kHz mono) of the peer's audio per tick, once its first packet arrived.
    public var onAudioFrame: (@Sendable (AudioFrame) -> Void)? {
        get { onQueue { audioFrameHandler } }
        set { onQueue { audioFrameHandler = newValue } }
    }

    // MARK: - State

    public var state: PeerConnectionState { onQueue { connectionState } }
    public var signaling: SignalingState { onQueue { signalingState } }
    public var currentLocalDescription: TypedSessionDescription? { onQueue { localDescription } }
    public var currentRemoteDescription: TypedSessionDescription? { onQueue { remoteDescription } }
    /// The bound UDP socket addresses (one per host candidate); empty before negotiation starts and after close.
    public var localAddresses: [TransportAddress] { onQueue { ice?.localAddresses ?? [] } }
    /// The SCTP association once negotiated.
    public var sctpAssociation: SCTPAssociation? { onQueue { sctp } }

    public var stats: PeerConnectionStats {
        onQueue {
            PeerConnectionStats(
                connectionState: connectionState, signalingState: signalingState, iceState: ice?.state, ice: ice?.stats,
                selectedPair: ice?.selectedPair?.description, dtlsState: dtls?.state, dtls: dtls?.stats,
                dtlsCipherSuite: dtls?.cipherSuite, srtpProfile: srtp?.profile, srtp: srtp?.stats, sctpState: sctp?.state,
                sctp: sctp?.stats, audioSender: audioSender?.stats, audioReceiver: audioReceiver?.snapshot,
                datagramsDropped: datagramsDropped)
        }
    }

    // MARK: - Tracks and channels

    /// Sends `track` on the audio transceiver (one per connection). Call before creating the
    /// offer or answer so the description announces it (`a=msid`, `a=ssrc`).
    public func addTrack(_ track: LocalAudioTrack) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            guard audioTrack == nil else { throw .audio("only one audio track per connection") }
            do {
                audioSender = try AudioSender(settings: configuration.opus, cname: configuration.cname)
            } catch {
                throw .audio("\(error)")
            }
            audioTrack = track
            track.attach { [weak self] samples in
                guard let self else { return }
                self.queue.async { self.sendAudio(samples) }
            }
        }
    }

    /// Opens a data channel (DCEP, RFC 8832) once both descriptions are set; it opens when the
    /// association comes up. `maxRetransmits` nil is reliable.
    public func createDataChannel(
        label: String, ordered: Bool = true, maxRetransmits: UInt32? = nil, protocol: String = ""
    ) throws(PeerConnectionError) -> DataChannel {
        try onQueue { () throws(PeerConnectionError) -> DataChannel in
            guard connectionState != .closed else { throw .closed }
            guard let sctp else { throw .noDataChannelTransport }
            do throws(SCTPError) {
                return try sctp.createDataChannel(
                    label: label, protocol: `protocol`,
                    reliability: DataChannelReliability(ordered: ordered, maxRetransmits: maxRetransmits))
            } catch {
                throw .sctp(error)
            }
        }
    }

    // MARK: - Close

    /// Closes everything: data channels and the association (SHUTDOWN), DTLS (close_notify),
    /// ICE and its sockets, the timers. Final and idempotent; no handler runs afterwards.
    public func close() {
        onQueue {
            guard connectionState != .closed else { return }
            audioTrack?.attach(nil)
            pullTimer?.cancel()
            rtcpTimer?.cancel()
            dtlsTimer?.cancel()
            pullTimer = nil
            rtcpTimer = nil
            dtlsTimer = nil
            sctp?.onDataChannel = nil
            sctp?.onStateChange = nil
            sctp?.close()
            if let dtls, let ice {
                for datagram in dtls.close() { ice.send(datagram) }
            }
            ice?.close()
            ice = nil  // its deinit closes the sockets
            srtp = nil
            signalingState = .closed
            setConnectionState(.closed)
            localCandidateHandler = nil
            connectionStateHandler = nil
            dataChannelHandler = nil
            audioFrameHandler = nil
        }
    }

    func setConnectionState(_ state: PeerConnectionState) {
        guard state != connectionState else { return }
        connectionState = state
        connectionStateHandler?(state)
    }
}
