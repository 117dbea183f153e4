// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyAudio
import ParleyCore
import ParleyLiveKitProto
import ParleyRTC
import ParleyWebRTC
import Synchronization

/// A LiveKit room, joined as one participant over the v0 two-PeerConnection protocol
/// (livekit-protocol.md §3–9).
///
/// ```
///                      SignalClient (/rtc WebSocket, protobuf)
///   join / offer / answer / trickle / update / leave │ ▲ answer / offer / trickle / add_track / ping_req
///                                                    ▼ │
///                               Room (actor: participants, negotiation, data, RPC, resume)
///              ┌──────────────────────┴────────────────────────┐
///   subscriber PeerConnection (server offers)        publisher PeerConnection (we offer)
///     remote audio m-sections ─► Opus + jitter ─►      LocalAudioTrack ─► Opus ─► RTP ─► server
///       onRemoteAudio (on the PC queue, no actor hop)  _reliable / _lossy: DataPackets we send
///     _reliable / _lossy (server-created): DataPackets we receive ─► data, streams, RPC ─► events
/// ```
///
/// **Threading.** Control (signalling, negotiation, data, RPC) runs on the actor, one signal
/// message at a time in arrival order. Media never touches the actor: remote frames go from the
/// subscriber connection's queue straight to `onRemoteAudio`, local frames from
/// `LocalAudioTrack.push` straight to the publisher connection.
///
/// **Resume.** When the signal socket drops (or goes silent past `ping_timeout`), the room
/// reopens `/rtc` with `reconnect=1&sid=`; the server re-offers the subscriber connection with
/// new ICE credentials and we restart ICE on the publisher one. If the server no longer knows
/// us (or says `LeaveRequest{action: RECONNECT}`), the room re-joins from scratch and
/// re-publishes its audio track (the same `LocalAudioTrack`, so producers never notice).
public actor Room {
    public nonisolated let events: AsyncStream<RoomEvent>
    let eventSink: AsyncStream<RoomEvent>.Continuation
    let url: SignalURL
    var token: String
    let options: RoomOptions
    let logger: Logger

    enum ConnectionState: Equatable {
        case connecting
        case connected
        case reconnecting
        case disconnected
    }
    var connectionState: ConnectionState = .connecting
    /// `disconnect()` has begun: the socket closing now is expected, not a reason to resume.
    var leaving = false
    /// Set when the room ends; `waitUntil` loops give up on it.
    var fatalError: LiveKitConnectError?

    // MARK: Signal
    var signal: SignalClient?
    var signalReader: Task<Void, Never>?
    var join: Livekit_JoinResponse?
    /// A ReconnectResponse arrived on the current socket.
    var resumeAccepted = false
    /// The server asked for (or a resume proved the need of) a full re-join.
    var rejoinRequested = false
    var reconnectTask: Task<Void, Never>?

    // MARK: Participants
    public internal(set) var localParticipant: Participant?
    public internal(set) var remoteParticipants: [String: Participant] = [:]
    public internal(set) var activeSpeakers: [String] = []
    var roomInfo = Livekit_Room()

    // MARK: Media
    var subscriber: PeerConnection?
    var publisher: PeerConnection?
    let subscriberCandidates = CandidateGate<ICECandidateInit>()
    let publisherCandidates = CandidateGate<ICECandidateInit>()
    var publisherOfferID: UInt32 = 0
    var publisherNegotiated = false
    var publisherNegotiating = false
    var publisherNeedsRenegotiation = false
    /// mid → track sid, from the server's offers (`mid_to_track_id`).
    var midToTrackSid: [String: String] = [:]
    /// Remote tracks being received, by mid.
    var subscribedTracks: [String: RemoteAudioTrackInfo] = [:]
    /// Our published audio: the track producers push into, its client id and server sid.
    var localAudio: (track: LocalAudioTrack, name: String, cid: String, sid: String?)?
    var pendingPublications: [String: CheckedContinuation<Livekit_TrackInfo, any Error>] = [:]
    /// Where remote audio goes; read on the subscriber connection's queue.
    let remoteAudioSink = Locked<(@Sendable (RemoteAudioTrackInfo, AudioFrame) -> Void)?>(nil)
    /// track sid → owner, readable on the connection queue for `onRemoteAudio`.
    let trackDirectory = Locked<[String: RemoteAudioTrackInfo]>([:])

    // MARK: Data
    var reliableOut: DataChannel?
    var lossyOut: DataChannel?
    var outboundReady = false
    var heldPackets: [(bytes: [UInt8], reliable: Bool)] = []
    var dataSequence: UInt32 = 0
    /// Reliable packets kept for a resume (resent when newer than the server's `last_message_seq`).
    var reliableHistory: [(sequence: UInt32, bytes: [UInt8])] = []
    var lastSeenSequence: [String: UInt32] = [:]
    var incomingStreams = DataStreamAssembler(maxBytes: 16 << 20)
    var rpcHandlers: [String: @Sendable (RpcInvocation) async throws -> String] = [:]
    var pendingRpcs: [String: PendingRpc] = [:]
    var metadataRequestID: UInt32 = 0
    /// Subscriber channel messages, queued in arrival order from the SCTP thread.
    nonisolated let inboundPackets: AsyncStream<([UInt8], Bool)>.Continuation
    let inboundStream: AsyncStream<([UInt8], Bool)>
    var inboundLoop: Task<Void, Never>?

    init(url: SignalURL, token: String, options: RoomOptions, logger: Logger) {
        self.url = url
        self.token = token
        self.options = options
        self.logger = logger
        (events, eventSink) = AsyncStream<RoomEvent>.makeStream()
        (inboundStream, inboundPackets) = AsyncStream<([UInt8], Bool)>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        incomingStreams = DataStreamAssembler(maxBytes: options.maxIncomingStreamBytes)
    }

    /// Joins the room at `url` with `token` and returns once the media connection is up.
    /// With `options.audioTrackName` set, the microphone track is published as part of the join
    /// (see `localAudioTrack`).
    public static func connect(
        url: String, token: String, options: RoomOptions = RoomOptions(),
        logger: Logger = Logger(label: "parley.livekit.room")
    ) async throws(LiveKitConnectError) -> Room {
        let signalURL = try SignalURL(url)
        if let expired = TokenPeek.expiry(of: token), expired < Date() {
            throw .unauthorized(reason: "the access token expired at \(ISO8601DateFormatter().string(from: expired))")
        }
        let room = Room(url: signalURL, token: token, options: options, logger: logger)
        do {
            try await room.performJoin(announce: true)
        } catch {
            await room.shutdown(error: error, notify: false)
            throw error
        }
        return room
    }

    /// The published microphone track, once joined with `options.audioTrackName` (or after
    /// `publishAudio`). Push 20 ms 48 kHz mono frames into it from any thread.
    public var localAudioTrack: LocalAudioTrack? { localAudio?.track }

    /// The participant sid of our own participant.
    public var localSid: String? { localParticipant?.sid }

    /// Sets where remote audio frames go: called on the receiving connection's queue for every
    /// decoded 20 ms frame (48 kHz mono). Keep it short and non-blocking.
    public nonisolated func onRemoteAudio(_ sink: (@Sendable (RemoteAudioTrackInfo, AudioFrame) -> Void)?) {
        remoteAudioSink.withLock { $0 = sink }
    }

    /// Transport statistics for both connections.
    public var stats: (subscriber: PeerConnectionStats?, publisher: PeerConnectionStats?) {
        (subscriber?.stats, publisher?.stats)
    }

    // MARK: - Join

    /// Opens the signal socket and runs the join (or resume) handshake up to a connected
    /// primary connection.
    func performJoin(announce: Bool) async throws(LiveKitConnectError) {
        var query = SignalQuery()
        query.autoSubscribe = options.autoSubscribe
        let client = try await SignalClient.connect(
            url: url, token: token, query: query, timeout: options.signalTimeout, logger: logger)
        attach(client)
        try await waitUntil(options.signalTimeout, step: "join response") { $0.join != nil }
        guard let join else { throw .protocolViolation("no JoinResponse") }
        if let fatalError { throw fatalError }
        if let name = localAudio?.name ?? options.audioTrackName {
            try await publishAudioBeforeOffer(name: name)
        }
        if join.fastPublish || !join.subscriberPrimary || localAudio != nil {
            try negotiatePublisher()
        }
        try await waitUntil(options.connectTimeout, step: "subscriber connection") {
            $0.subscriber?.state == .connected
        }
        connectionState = .connected
        if announce, let localParticipant { eventSink.yield(.connected(local: localParticipant)) }
        logger.info("joined room", metadata: ["room": "\(roomInfo.name)", "participant": "\(localParticipant?.identity ?? "")"])
    }

    /// Starts reading `client`'s responses on the actor, in order.
    func attach(_ client: SignalClient) {
        signal = client
        resumeAccepted = false
        signalReader?.cancel()
        signalReader = Task { [weak self] in
            for await response in client.responses {
                guard let self else { return }
                await self.handle(response, from: client)
            }
            await self?.signalEnded(client)
        }
    }

    func startKeepalive(_ join: Livekit_JoinResponse) {
        let interval = options.pingInterval ?? .seconds(Int64(max(1, join.pingInterval == 0 ? 5 : join.pingInterval)))
        let timeout = options.pingTimeout ?? .seconds(Int64(max(2, join.pingTimeout == 0 ? 15 : join.pingTimeout)))
        signal?.startKeepalive(interval: interval, timeout: timeout)
    }

    /// Polls `condition` every 10 ms until it holds, the room fails, or `limit` passes.
    func waitUntil(
        _ limit: Duration, step: String, _ condition: (isolated Room) -> Bool
    ) async throws(LiveKitConnectError) {
        let deadline = ContinuousClock.now + limit
        while !condition(self) {
            if let fatalError { throw fatalError }
            if ContinuousClock.now >= deadline { throw .timeout(step: step) }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: - Leave

    /// Leaves the room (`LeaveRequest{CLIENT_INITIATED}`), closes both connections and ends
    /// `events`. Idempotent.
    public func disconnect() async {
        guard connectionState != .disconnected, !leaving else { return }
        leaving = true
        reconnectTask?.cancel()
        var request = Livekit_SignalRequest()
        var leave = Livekit_LeaveRequest()
        leave.reason = .clientInitiated
        request.leave = leave
        signal?.send(request)
        // Give the leave a moment to go out before the socket closes.
        try? await Task.sleep(for: .milliseconds(50))
        await shutdown(error: nil, notify: true)
    }

    /// Tears everything down and ends `events` with `.disconnected(error)`.
    func shutdown(error: LiveKitConnectError?, notify: Bool) async {
        guard connectionState != .disconnected else { return }
        connectionState = .disconnected
        fatalError = error ?? .closed
        reconnectTask?.cancel()
        signal?.close()
        signalReader?.cancel()
        inboundPackets.finish()
        inboundLoop?.cancel()
        closePeerConnections()
        for (_, continuation) in pendingPublications { continuation.resume(throwing: LiveKitConnectError.closed) }
        pendingPublications = [:]
        failAllRpcs(RpcError(code: RpcError.recipientDisconnected, message: "room disconnected"))
        if notify { eventSink.yield(.disconnected(error: error)) }
        eventSink.finish()
        if let error { logger.warning("left room", metadata: ["reason": "\(error)"]) } else { logger.info("left room") }
    }
}
