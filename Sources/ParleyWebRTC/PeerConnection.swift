// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyAudio
import ParleyCore
import ParleyRTC

/// A WebRTC peer connection (W3C webrtc-pc, JSEP RFC 9429) as LiveKit needs it: unified plan,
/// everything BUNDLEd on one ICE transport with rtcp-mux, audio transceivers (one Opus track
/// we send, any number we receive) and SCTP data channels.
///
/// ```
///            createOffer / createAnswer ─► SDPBuilder          setRemoteDescription ─► remote params
///                                   │                                   │
///   UDPICESocket (ICE agent, one UDP socket per host address) ◄─────────┘ credentials, candidates
///      │ non-STUN datagrams (RFC 7983)                          ▲ send
///      ▼                                                        │
///   queue ─┬─ DTLS (20–63) ─► DTLSTransport ─► connected(keys) ─► SRTPSession
///          │                        └─ application data ─► SCTPAssociation ─► DataChannels
///          ├─ SRTP (RTP) ─► unprotect ─► SSRCDemuxer ─► AudioTransceiver.receiver (JitterBuffer + Opus)
///          │                                              ─► 20 ms pull ─► onRemoteAudioFrame / onAudioFrame
///          └─ SRTCP ─► unprotect ─► SR/RR ─► stats (RTT, loss)
///   LocalAudioTrack.push ─► AudioSender (Opus ─► RTP ─► SRTP) ─► ICE;  SR/RR every rtcpInterval
/// ```
///
/// **Negotiation** (JSEP §5) may run any number of times. The first offer/answer creates the
/// ICE, DTLS and SCTP transports; later ones reuse them and only add, change or stop m-sections,
/// which keep their order and mids (§5.2.2, §5.3.2). Changed ICE credentials are an ICE restart
/// (RFC 8445 §9, JSEP §5.2.3.1 and `restartIce()`): new checks and a new pair under the same DTLS
/// association, SRTP keys and SCTP association.
///
/// **Threading.** All state lives on one serial queue. Public methods may be called from
/// any thread (they hop onto the queue, or run inline when already on it, so handlers may
/// call back in). Handlers run on that queue: keep them short. The ICE driver and the SCTP
/// stack have queues of their own; we call into them synchronously, they call back into us
/// only asynchronously, so no cycle of waits can form.
///
/// **Roles.** The offerer of the first negotiation is ICE-controlling (unless the peer is
/// ICE-lite) and stays so. DTLS: the first offer says `a=setup:actpass`; the answer's `active`
/// makes the answerer the DTLS client (`configuration.answerSetup`, active by default as pion
/// does); later descriptions restate the role the association has.
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
    /// The latest descriptions set (pending or current, W3C localDescription/remoteDescription).
    var localDescription: TypedSessionDescription?
    var remoteDescription: TypedSessionDescription?
    /// The last offer/answer pair applied (stable): the m-line layout every later offer repeats.
    var negotiatedLocal: SessionDescription?
    var negotiatedRemote: SessionDescription?
    /// Candidates added before the remote description (livekit-protocol.md §4: buffer them).
    var pendingRemoteCandidates: [ICECandidateInit] = []
    /// The credentials the ICE agent runs with (ours) and was given (theirs; nil right after
    /// our own restart until the answer brings the peer's).
    var localICE: ICECredentials?
    var remoteICE: ICECredentials?
    /// `restartIce()` was called: the next offer carries `pendingICECredentials`.
    var iceRestartRequested = false
    var pendingICECredentials: ICECredentials?
    var dtls: DTLSTransport?
    var dtlsRole: DTLSRole?
    /// The fingerprints the DTLS transport checks the peer's certificate against.
    var remoteFingerprints: [SDPFingerprint] = []
    var dtlsTimer: (any DispatchSourceTimer)?
    /// DTLS datagrams that arrived before the transport existed.
    var heldDTLS: [[UInt8]] = []
    var srtp: SRTPSession?
    /// Where inbound SRTP packets are unprotected and parsed, reused from packet to packet.
    var rtpReceiveBuffer = SRTPPacketBuffer()
    var sctp: SCTPAssociation?
    /// The association reached `connected` (so its end is a hangup, not a failed setup).
    var sctpWasConnected = false
    /// We closed the association ourselves (its section was rejected, or `close()`).
    var sctpClosedLocally = false
    var remoteSCTPPort: UInt16?
    var remoteMaxMessageSize: Int = 65_536
    /// Audio transceivers in m-line order (not yet negotiated ones last).
    var transceivers: [AudioTransceiver] = []
    var demuxer = SSRCDemuxer()
    var pullTimer: (any DispatchSourceTimer)?
    var rtcpTimer: (any DispatchSourceTimer)?
    var datagramsDropped = 0
    var gathering = false
    var negotiations = 0
    var dtlsHandshakes = 0
    var localICERestarts = 0
    var remoteICERestarts = 0
    var closeReason: PeerConnectionCloseReason?
    var feedbackStats = RTCPFeedbackStats()
    /// The last FIR command sequence number per SSRC we send (RFC 5104 §4.3.1.2: a repeat is
    /// the same request).
    var lastFIRSequence: [UInt32: UInt8] = [:]
    /// Drops outbound RTP before it is sent when it returns true: a test hook for induced
    /// loss (retransmissions are not filtered, so NACK recovery can be measured).
    var outboundRTPFilter: ((_ sequenceNumber: UInt16) -> Bool)?

    // MARK: Handlers (on `queue`)

    var localCandidateHandler: (@Sendable (ICECandidateInit) -> Void)?
    var connectionStateHandler: (@Sendable (PeerConnectionState) -> Void)?
    var dataChannelHandler: (@Sendable (DataChannel) -> Void)?
    var audioFrameHandler: (@Sendable (AudioFrame) -> Void)?
    var remoteAudioTrackHandler: (@Sendable (RemoteAudioTrack) -> Void)?
    var remoteAudioTrackEndedHandler: (@Sendable (RemoteAudioTrack) -> Void)?
    var remoteAudioFrameHandler: (@Sendable (RemoteAudioTrack, AudioFrame) -> Void)?
    var keyframeRequestHandler: (@Sendable (KeyframeRequest) -> Void)?

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
    /// One decoded 20 ms frame (48 kHz mono) of the peer's audio per tick, once its first packet
    /// arrived: the first receiving track's (m-line order), for callers that expect one track.
    public var onAudioFrame: (@Sendable (AudioFrame) -> Void)? {
        get { onQueue { audioFrameHandler } }
        set { onQueue { audioFrameHandler = newValue } }
    }
    /// A receiving audio section appeared (or a section the peer reused now carries another
    /// track), once the offer/answer that made it is applied (the connection is stable).
    public var onRemoteAudioTrack: (@Sendable (RemoteAudioTrack) -> Void)? {
        get { onQueue { remoteAudioTrackHandler } }
        set { onQueue { remoteAudioTrackHandler = newValue } }
    }
    /// A track announced by `onRemoteAudioTrack` ended: its section went inactive (or
    /// recvonly from the peer's side), was rejected, was reused for another track, or the
    /// connection closed. No frame of it follows.
    public var onRemoteAudioTrackEnded: (@Sendable (RemoteAudioTrack) -> Void)? {
        get { onQueue { remoteAudioTrackEndedHandler } }
        set { onQueue { remoteAudioTrackEndedHandler = newValue } }
    }
    /// One decoded 20 ms frame (48 kHz mono) per receiving track per tick, once the track's
    /// first packet arrived; the track value is the one `onRemoteAudioTrack` announced.
    public var onRemoteAudioFrame: (@Sendable (RemoteAudioTrack, AudioFrame) -> Void)? {
        get { onQueue { remoteAudioFrameHandler } }
        set { onQueue { remoteAudioFrameHandler = newValue } }
    }

    /// The peer wants a key frame from a stream we send (PLI or a new FIR naming our SSRC).
    /// No video encoder exists yet: the counters in `stats.feedback` show them.
    public var onKeyframeRequest: (@Sendable (KeyframeRequest) -> Void)? {
        get { onQueue { keyframeRequestHandler } }
        set { onQueue { keyframeRequestHandler = newValue } }
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
    /// The audio tracks the peer sends us now, in m-line order.
    public var remoteAudioTracks: [RemoteAudioTrack] { onQueue { transceivers.compactMap(\.announced) } }
    /// Why the connection closed; nil while it is open.
    public var closedBecause: PeerConnectionCloseReason? { onQueue { closeReason } }

    public var stats: PeerConnectionStats {
        onQueue {
            let receivers = transceivers.compactMap { transceiver -> RemoteAudioTrackStats? in
                guard let track = transceiver.announced, let receiver = transceiver.receiver else { return nil }
                return RemoteAudioTrackStats(track: track, receiver: receiver.snapshot)
            }
            return PeerConnectionStats(
                connectionState: connectionState, signalingState: signalingState, iceState: ice?.state, ice: ice?.stats,
                selectedPair: ice?.selectedPair?.description, dtlsState: dtls?.state, dtls: dtls?.stats,
                dtlsCipherSuite: dtls?.cipherSuite, srtpProfile: srtp?.profile, srtp: srtp?.stats, sctpState: sctp?.state,
                sctp: sctp?.stats, audioSender: senderTransceiver?.sender?.stats, audioReceiver: receivers.first?.receiver,
                audioReceivers: receivers, rtpDemux: demuxer.stats, dtlsHandshakes: dtlsHandshakes, negotiations: negotiations,
                localICERestarts: localICERestarts, remoteICERestarts: remoteICERestarts, closeReason: closeReason,
                datagramsDropped: datagramsDropped, feedback: feedbackStats)
        }
    }

    // MARK: - Tracks and channels

    /// Sends `track` (one local audio track per connection). Like W3C addTrack it takes over an
    /// audio transceiver that has never sent (the receive-only section of our first offer, or
    /// a section the peer offered) or the one a removed track left, else it adds a transceiver
    /// whose section the next offer appends. Before the first negotiation, call it before
    /// creating the offer or answer so the description announces it (`a=msid`, `a=ssrc`);
    /// later, renegotiate (offer again) for the peer to learn of it.
    public func addTrack(_ track: LocalAudioTrack) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            guard !transceivers.contains(where: { $0.track != nil }) else {
                throw .audio("only one audio track per connection")
            }
            let transceiver = transceivers.first { !$0.stopped && $0.sender != nil }
                ?? transceivers.first { !$0.stopped && $0.sender == nil && $0.currentDirection?.sends != true }
                ?? {
                    let created = AudioTransceiver(origin: .addTrack)
                    transceivers.append(created)
                    return created
                }()
            if transceiver.sender == nil {
                do {
                    transceiver.sender = try AudioSender(settings: configuration.opus, cname: configuration.cname)
                } catch {
                    throw .audio("\(error)")
                }
            }
            transceiver.track = track
            track.attach { [weak self] samples in
                guard let self else { return }
                self.queue.async { self.sendAudio(samples) }
            }
        }
    }

    /// Stops sending `track` at once (W3C removeTrack); the next offer says so (the section
    /// becomes recvonly or inactive). Its transceiver and SSRC stay for a later `addTrack`.
    public func removeTrack(_ track: LocalAudioTrack) throws(PeerConnectionError) {
        try onQueue { () throws(PeerConnectionError) in
            guard connectionState != .closed else { throw .closed }
            guard let transceiver = transceivers.first(where: { $0.track === track }) else {
                throw .audio("the track is not attached to this connection")
            }
            transceiver.track = nil
            track.attach(nil)
        }
    }

    /// The transceiver our local track is attached to.
    var senderTransceiver: AudioTransceiver? { transceivers.first { $0.track != nil } ?? transceivers.first { $0.sender != nil } }

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
    /// ICE and its sockets, the timers. Announced remote tracks end (`onRemoteAudioTrackEnded`)
    /// after the `.closed` state change. Final and idempotent; no handler runs afterwards.
    public func close() {
        onQueue { teardown(.local) }
    }

    /// The one way to `.closed`: `close()`, or the peer hung up (DTLS close_notify, SCTP ABORT
    /// or SHUTDOWN; see `PeerConnectionCloseReason`). Releases the sockets at once.
    func teardown(_ reason: PeerConnectionCloseReason) {
        guard connectionState != .closed else { return }
        closeReason = reason
        for transceiver in transceivers { transceiver.track?.attach(nil) }
        pullTimer?.cancel()
        rtcpTimer?.cancel()
        dtlsTimer?.cancel()
        pullTimer = nil
        rtcpTimer = nil
        dtlsTimer = nil
        sctpClosedLocally = true
        sctp?.onDataChannel = nil
        sctp?.onStateChange = nil
        sctp?.close()
        if let dtls, let ice, dtls.state == .connected || dtls.state == .connecting {
            for datagram in dtls.close() { ice.send(datagram) }
        }
        ice?.close()  // releases the sockets now
        ice = nil
        srtp = nil
        signalingState = .closed
        let ended = transceivers.compactMap { $0.stopReceiving() }
        setConnectionState(.closed)
        for track in ended { remoteAudioTrackEndedHandler?(track) }
        localCandidateHandler = nil
        connectionStateHandler = nil
        dataChannelHandler = nil
        audioFrameHandler = nil
        remoteAudioTrackHandler = nil
        remoteAudioTrackEndedHandler = nil
        remoteAudioFrameHandler = nil
    }

    func setConnectionState(_ state: PeerConnectionState) {
        guard state != connectionState else { return }
        connectionState = state
        connectionStateHandler?(state)
    }
}
