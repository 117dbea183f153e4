// SPDX-License-Identifier: Apache-2.0

import CUsrSCTP
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An SCTP association over DTLS (RFC 8261) carrying WebRTC data channels (RFC 8831/8832),
/// on usrsctp in AF_CONN mode (see `SCTPStack` for why usrsctp, and for the threading).
///
///     lower transport ──receive(packet)──► length check ──► usrsctp ──► DCEP / user messages ──► DataChannel handlers
///                                               └─ malformed (SCTPPacketDefect): dropped, counted
///     DataChannel.send ──► usrsctp_sendv ──► packets ──► SCTPLowerTransport.send
///
/// - Both ends call `start()` and send INIT (WebRTC does; pion always does): the INIT
///   collision is resolved by SCTP itself (RFC 4960 §5.2.1–5.2.4).
/// - Ports: ours and the peer's `a=sctp-port` (RFC 8841 §5), 5000 by default.
/// - Message size: we accept `maxMessageSize` (advertise it as `a=max-message-size`), and
///   never send more than the peer's (RFC 8841 §6.1; 64 KiB when it sent none).
/// - Packets are at most `mtu` bytes, so each fits one DTLS record in one datagram
///   (RFC 8261 §5; path MTU discovery off).
/// - Stream ids: the DTLS client opens even ids, the server odd (RFC 8832 §6).
/// - Fragmented inbound messages (partial delivery, no MSG_EOR yet) are reassembled per
///   stream, so messages of different streams may interleave.
///
/// Call `close()` when done: a started association stays registered (and alive) until then.
///
/// `@unchecked Sendable`: mutable state is confined to the SCTP queue (`SCTPStack`); the
/// public methods hop onto it. Handlers are behind a `Mutex`.
public final class SCTPAssociation: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Our DTLS role: decides the parity of the stream ids we open (RFC 8832 §6).
        public var role: DTLSRole
        public var localPort: UInt16 = 5000
        /// The peer's `a=sctp-port`.
        public var remotePort: UInt16 = 5000
        /// The largest message we accept (our `a=max-message-size`).
        public var maxMessageSize: Int = 262_144
        /// The peer's `a=max-message-size`; 0 means "no limit" (RFC 8841 §6.1).
        public var remoteMaxMessageSize: Int = 65_536
        /// Largest SCTP packet; must fit `DTLSTransport.maxApplicationDataSize` (1163 bytes
        /// with AES-GCM records in 1200-byte datagrams).
        public var mtu: Int = 1_150
        /// Streams requested each way (SCTP_INITMSG); the association uses the smaller offer.
        public var streams: UInt16 = 1024
        /// Retransmission timer bounds (RFC 4960 §6.3.1; usrsctp's defaults are 3 s / 1 s / 60 s).
        public var rtoInitial: Duration = .seconds(1)
        public var rtoMin: Duration = .milliseconds(400)
        public var rtoMax: Duration = .seconds(10)
        /// Inbound packets kept until `start()` (a fast peer's INIT can beat us).
        public var maxHeldPackets = 64

        public init(role: DTLSRole) { self.role = role }

        var sendLimit: Int { remoteMaxMessageSize == 0 ? Int.max : remoteMaxMessageSize }
    }

    struct Handlers {
        var onStateChange: (@Sendable (SCTPAssociationState) -> Void)?
        var onDataChannel: (@Sendable (DataChannel) -> Void)?
    }

    /// What a usrsctp callback left for `drain()`.
    enum Inbound {
        case data(stream: UInt16, ppid: UInt32, bytes: [UInt8], endOfRecord: Bool)
        case notification([UInt8])
        case endOfFile
    }

    public let configuration: Configuration
    private let transport: any SCTPLowerTransport
    private let stack = SCTPStack.shared
    private let handlers = Mutex(Handlers())

    // Confined to the SCTP queue.
    private var id = 0
    private var socket: OpaquePointer?
    private var currentState: SCTPAssociationState = .new
    private var currentStats = SCTPStats()
    private var heldPackets: [[UInt8]] = []
    private var outbox: [[UInt8]] = []
    private var inbox: [Inbound] = []
    private var channels: [UInt16: DataChannel] = [:]
    /// Partly delivered messages by stream (usrsctp partial delivery, RFC 6458 §8.1.20).
    private var partial: [UInt16: [UInt8]] = [:]
    private var negotiatedOutboundStreams: Int?
    private var draining = false
    /// Closed, but the address stays registered for the end of the SHUTDOWN exchange.
    private var lingering = false

    public init(transport: any SCTPLowerTransport, configuration: Configuration) {
        self.transport = transport
        self.configuration = configuration
    }

    // MARK: - Public API

    public var state: SCTPAssociationState { stack.run { currentState } }
    public var stats: SCTPStats { stack.run { currentStats } }
    /// Open and opening channels by stream id.
    public var dataChannels: [DataChannel] { stack.run { channels.values.sorted { $0.id < $1.id } } }

    public var onStateChange: (@Sendable (SCTPAssociationState) -> Void)? {
        get { handlers.withLock { $0.onStateChange } }
        set { handlers.withLock { $0.onStateChange = newValue } }
    }
    /// A channel the peer opened with DATA_CHANNEL_OPEN; set its handlers here — `onOpen`
    /// follows right after.
    public var onDataChannel: (@Sendable (DataChannel) -> Void)? {
        get { handlers.withLock { $0.onDataChannel } }
        set { handlers.withLock { $0.onDataChannel = newValue } }
    }

    /// Creates the socket and sends INIT. Call once the DTLS transport is connected.
    public func start() throws(SCTPError) {
        let result: Result<Void, SCTPError> = stack.run { startOnQueue() }
        try result.get()
    }

    /// Feeds one inbound SCTP packet (a DTLS application message). Any thread; asynchronous.
    public func receive(_ packet: [UInt8]) {
        stack.queue.async { [self] in receiveOnQueue(packet) }
    }

    /// Opens a channel. With `negotiated: false` (the default) the peer learns of it through
    /// DATA_CHANNEL_OPEN; `id` picks the stream (else the lowest free one of our parity).
    public func createDataChannel(
        label: String, protocol: String = "", reliability: DataChannelReliability = .reliable,
        priority: UInt16 = 256, negotiated: Bool = false, id: UInt16? = nil
    ) throws(SCTPError) -> DataChannel {
        let result: Result<DataChannel, SCTPError> = stack.run {
            createOnQueue(label: label, protocol: `protocol`, reliability: reliability, priority: priority,
                          negotiated: negotiated, id: id)
        }
        return try result.get()
    }

    /// Closes every channel and the association (SHUTDOWN, RFC 4960 §9.2). Idempotent.
    public func close() {
        stack.run { closeOnQueue(failed: false) }
    }

    // MARK: - Setup

    private var address: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: id) }

    private func startOnQueue() -> Result<Void, SCTPError> {
        guard currentState == .new else { return .failure(.invalidState(currentState, operation: "start")) }
        id = stack.register(self)
        guard let socket = usrsctp_socket(AF_CONN, Int32(SOCK_STREAM.rawValue), Int32(IPPROTO_SCTP),
                                           SCTPAssociation.receiveCallback, nil, 0, address) else {
            return fail(operation: "usrsctp_socket")
        }
        self.socket = socket
        let config = configuration
        let setup: [(String, () -> Int32)] = [
            ("non-blocking", { usrsctp_set_non_blocking(socket, 1) }),
            ("SO_SNDBUF", { parley_sctp_setsockopt_int(socket, SOL_SOCKET, SO_SNDBUF, 1 << 20) }),
            ("SO_RCVBUF", { parley_sctp_setsockopt_int(socket, SOL_SOCKET, SO_RCVBUF, 1 << 20) }),
            ("SCTP_NODELAY", { parley_sctp_setsockopt_int(socket, Int32(IPPROTO_SCTP), SCTP_NODELAY, 1) }),
            ("SCTP_RECVRCVINFO", { parley_sctp_setsockopt_int(socket, Int32(IPPROTO_SCTP), SCTP_RECVRCVINFO, 1) }),
            ("SCTP_ENABLE_STREAM_RESET", { parley_sctp_enable_stream_reset(socket) }),
            ("SCTP_INITMSG", { parley_sctp_set_streams(socket, config.streams, config.streams) }),
            ("SCTP_PEER_ADDR_PARAMS", { parley_sctp_set_path_mtu(socket, UInt32(config.mtu - Self.mtuSlack)) }),
            ("SCTP_RTOINFO", {
                parley_sctp_set_rto(socket, Self.milliseconds(config.rtoInitial), Self.milliseconds(config.rtoMin),
                                    Self.milliseconds(config.rtoMax))
            }),
        ]
        for (name, call) in setup where call() < 0 { return fail(operation: name) }
        for event in [SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT, SCTP_SENDER_DRY_EVENT] {
            if parley_sctp_subscribe(socket, UInt16(event)) < 0 { return fail(operation: "SCTP_EVENT \(event)") }
        }
        if parley_sctp_bind(socket, config.localPort, address) < 0 { return fail(operation: "usrsctp_bind") }
        setState(.connecting)
        // Non-blocking connect: EINPROGRESS while INIT is out (RFC 4960 §5.1 A).
        if parley_sctp_connect(socket, config.remotePort, address) < 0, errno != EINPROGRESS {
            return fail(operation: "usrsctp_connect")
        }
        stack.drain()
        let held = heldPackets
        heldPackets = []
        for packet in held { receiveOnQueue(packet) }
        return .success(())
    }

    private func fail(operation: String) -> Result<Void, SCTPError> {
        let error = SCTPError.usrsctp(operation: operation, errno: errno)
        closeOnQueue(failed: true)
        return .failure(error)
    }

    /// usrsctp's AF_CONN packets can come out a little larger than the path MTU it is given (chunk padding); we give it this much less.
    static let mtuSlack = 24

    private static func milliseconds(_ duration: Duration) -> UInt32 {
        UInt32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    // MARK: - Inbound

    private func receiveOnQueue(_ packet: [UInt8]) {
        switch currentState {
        case .new:
            guard isWellFormed(packet) else { return }
            if heldPackets.count < configuration.maxHeldPackets {
                heldPackets.append(packet)
                currentStats.packetsHeldBeforeStart += 1
            } else {
                currentStats.packetsDroppedBeforeStart += 1
            }
        case .connecting, .connected:
            guard !packet.isEmpty else { return }
            currentStats.packetsReceived += 1
            currentStats.bytesReceived += packet.count
            guard isWellFormed(packet) else { return }
            packet.withUnsafeBytes { usrsctp_conninput(address, $0.baseAddress, $0.count, 0) }
            stack.drain()
        case .closed, .failed:
            // usrsctp may still be finishing SHUTDOWN (or answering with ABORT) for a while.
            guard lingering, !packet.isEmpty, isWellFormed(packet) else { return }
            packet.withUnsafeBytes { usrsctp_conninput(address, $0.baseAddress, $0.count, 0) }
            stack.drain()
        }
    }

    /// The guard in front of `usrsctp_conninput`: a packet with an inconsistent chunk or
    /// parameter length (RFC 4960 §3.2, §3.2.1) is dropped and counted, never handed over.
    /// usrsctp 0.9.5 spins forever on some of them, on the queue every association shares
    /// (see `SCTPPacketDefect`).
    private func isWellFormed(_ packet: [UInt8]) -> Bool {
        guard let defect = SCTPPacketDefect.first(in: packet) else { return true }
        currentStats.malformedPacketsDropped += 1
        currentStats.lastMalformedPacket = defect
        return false
    }

    /// The socket's receive callback: a (part of a) message or a notification. usrsctp hands
    /// over a malloc'd buffer that we free.
    private static let receiveCallback: @convention(c) (
        OpaquePointer?, sctp_sockstore, UnsafeMutableRawPointer?, Int, sctp_rcvinfo, Int32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, _, data, length, info, flags, ulp in
        let association = SCTPStack.shared.association(Int(bitPattern: ulp))
        guard let data else {
            association?.inbox.append(.endOfFile)
            return 1
        }
        let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
        free(data)
        guard let association else { return 1 }
        if flags & Int32(MSG_NOTIFICATION) != 0 {
            association.inbox.append(.notification(bytes))
        } else {
            association.inbox.append(.data(stream: info.rcv_sid, ppid: UInt32(bigEndian: info.rcv_ppid), bytes: bytes,
                                           endOfRecord: flags & Int32(MSG_EOR) != 0))
        }
        return 1
    }

    func enqueueOutbound(_ packet: [UInt8]) {
        outbox.append(packet)
    }

    /// Sends what usrsctp produced and handles what it delivered (on the queue, outside usrsctp).
    func drain() {
        if !outbox.isEmpty {
            let packets = outbox
            outbox = []
            for packet in packets {
                currentStats.packetsSent += 1
                currentStats.bytesSent += packet.count
                transport.send(packet)
            }
        }
        guard !draining else { return }  // a handler called back in; the outer loop continues
        draining = true
        defer { draining = false }
        while !inbox.isEmpty {
            let items = inbox
            inbox = []
            for item in items { handle(item) }
        }
        flushPending()
    }

    private func handle(_ item: Inbound) {
        switch item {
        case .endOfFile:
            closeOnQueue(failed: false)
        case .notification(let bytes):
            currentStats.notifications += 1
            handleNotification(bytes)
        case .data(let stream, let ppid, let bytes, let endOfRecord):
            var message = partial.removeValue(forKey: stream) ?? []
            message += bytes
            guard message.count <= configuration.maxMessageSize else {
                currentStats.messagesDropped += 1
                if !endOfRecord { partial[stream] = [] }  // swallow the rest of it
                return
            }
            guard endOfRecord else {
                partial[stream] = message
                return
            }
            handleMessage(stream: stream, ppid: ppid, payload: message)
        }
    }

    private func handleMessage(stream: UInt16, ppid: UInt32, payload: [UInt8]) {
        if ppid == SCTPPayloadProtocolIdentifier.dcep.rawValue {
            currentStats.dcepMessagesReceived += 1
            handleDCEP(stream: stream, payload: payload)
            return
        }
        guard let channel = channels[stream], channel.currentState == .open || channel.currentState == .closing,
            let message = DataChannelMessage(ppid: ppid, payload: payload)
        else {
            // A message before the ACK implies it (RFC 8832 §6): the peer saw our OPEN.
            if let channel = channels[stream], channel.currentState == .connecting, channel.openSent,
                let message = DataChannelMessage(ppid: ppid, payload: payload)
            {
                markOpen(channel)
                deliver(message, to: channel)
                return
            }
            currentStats.messagesDropped += 1
            return
        }
        deliver(message, to: channel)
    }

    private func deliver(_ message: DataChannelMessage, to channel: DataChannel) {
        currentStats.messagesReceived += 1
        channel.currentStats.messagesReceived += 1
        channel.currentStats.bytesReceived += message.count
        channel.fireMessage(message)
    }

    /// RFC 8832 §6: answer OPEN with ACK on the same stream; ACK opens our pending channel.
    private func handleDCEP(stream: UInt16, payload: [UInt8]) {
        switch DCEPMessage.decode(payload) {
        case .open(let label, let proto, let reliability, let priority):
            guard channels[stream] == nil else {
                currentStats.dcepMessagesInvalid += 1
                return
            }
            let channel = DataChannel(id: stream, label: label, protocol: proto, reliability: reliability,
                                      priority: priority, negotiated: false, association: self)
            channels[stream] = channel
            enqueue(SCTPOutboundMessage(ppid: .dcep, payload: DCEPMessage.ack.encode(), isUserMessage: false), on: channel)
            channel.currentState = .open
            currentStats.channelsOpened += 1
            handlers.withLock { $0.onDataChannel }?(channel)
            channel.fireOpen()
        case .ack:
            guard let channel = channels[stream], channel.currentState == .connecting else {
                currentStats.dcepMessagesInvalid += 1
                return
            }
            markOpen(channel)
        case nil:
            currentStats.dcepMessagesInvalid += 1
        }
    }

    private func markOpen(_ channel: DataChannel) {
        channel.currentState = .open
        currentStats.channelsOpened += 1
        channel.fireOpen()
    }

    /// RFC 6458 §6.1 notifications: header { type u16, flags u16, length u32 } in host order.
    private func handleNotification(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return }
        let type = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        switch Int32(type) {
        case SCTP_ASSOC_CHANGE:
            guard bytes.count >= 16 else { return }
            let (state, outbound) = bytes.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: 8, as: UInt16.self), $0.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
            }
            switch Int32(state) {
            case SCTP_COMM_UP:
                negotiatedOutboundStreams = Int(outbound)
                guard currentState == .connecting else { return }
                setState(.connected)
                openPendingChannels()
            case SCTP_COMM_LOST, SCTP_CANT_STR_ASSOC:
                closeOnQueue(failed: true)
            case SCTP_SHUTDOWN_COMP:
                closeOnQueue(failed: false)
            default:
                break
            }
        case SCTP_SHUTDOWN_EVENT:
            // The peer sent SHUTDOWN (RFC 4960 §9.2): no more data either way.
            closeOnQueue(failed: false)
        case SCTP_STREAM_RESET_EVENT:
            handleStreamReset(bytes)
        default:
            break
        }
    }

    /// RFC 6525 via usrsctp: INCOMING_SSN = the peer reset its outgoing stream (it closes the
    /// channel); OUTGOING_SSN = our reset was performed.
    private func handleStreamReset(_ bytes: [UInt8]) {
        let streams: [UInt16] = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return [] }
            let event = base.assumingMemoryBound(to: sctp_stream_reset_event.self)
            let count = min(Int(parley_sctp_reset_event_stream_count(event)), (raw.count - 12) / 2)
            return (0..<max(count, 0)).map { parley_sctp_reset_event_stream(event, UInt16($0)) }
        }
        let flags = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self) }
        let failed = flags & UInt16(SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED) != 0
        for stream in streams {
            guard let channel = channels[stream] else { continue }
            if flags & UInt16(SCTP_STREAM_RESET_INCOMING_SSN) != 0 {
                currentStats.streamResetsReceived += 1
                partial[stream] = nil
                if channel.currentState != .closing {
                    channel.currentState = .closing
                    channel.pending = []
                    channel.pendingBytes = 0
                }
            }
            if failed && channel.resetRequested && channel.resetAttempts < Self.maxResetAttempts {
                // Denied or failed, typically because a reset from the peer was in progress at the
                // same moment (both sides closing): ask again on the next drain instead of closing
                // only on our side, which would leave the peer's channel open.
                channel.resetRequested = false
                channel.resetAttempts += 1
            } else if flags & UInt16(SCTP_STREAM_RESET_OUTGOING_SSN) != 0 || failed {
                finishClose(channel)
            }
        }
        flushPending()
    }

    // MARK: - Outbound

    private func createOnQueue(label: String, protocol proto: String, reliability: DataChannelReliability,
                               priority: UInt16, negotiated: Bool, id: UInt16?) -> Result<DataChannel, SCTPError> {
        guard currentState == .new || currentState == .connecting || currentState == .connected else {
            return .failure(.invalidState(currentState, operation: "createDataChannel"))
        }
        let limit = negotiatedOutboundStreams ?? Int(configuration.streams)
        let stream: UInt16
        if let id {
            guard channels[id] == nil else { return .failure(.streamInUse(id)) }
            guard Int(id) < limit else { return .failure(.noStreamAvailable) }
            stream = id
        } else {
            var candidate = configuration.role == .client ? 0 : 1
            while candidate < limit, channels[UInt16(candidate)] != nil { candidate += 2 }
            guard candidate < limit else { return .failure(.noStreamAvailable) }
            stream = UInt16(candidate)
        }
        let channel = DataChannel(id: stream, label: label, protocol: proto, reliability: reliability,
                                  priority: priority, negotiated: negotiated, association: self)
        channels[stream] = channel
        if currentState == .connected { openPendingChannels() }
        return .success(channel)
    }

    /// Sends DATA_CHANNEL_OPEN for our channels (or opens pre-negotiated ones) once connected.
    private func openPendingChannels() {
        for channel in channels.values.sorted(by: { $0.id < $1.id }) where channel.currentState == .connecting && !channel.openSent {
            channel.openSent = true
            if channel.negotiated {
                markOpen(channel)
            } else {
                let open = DCEPMessage.open(label: channel.label, protocol: channel.protocol,
                                            reliability: channel.reliability, priority: channel.priority)
                enqueue(SCTPOutboundMessage(ppid: .dcep, payload: open.encode(), isUserMessage: false), on: channel)
            }
        }
    }

    func send(_ message: DataChannelMessage, on channel: DataChannel) -> Result<Void, SCTPError> {
        guard channel.currentState == .open else { return .failure(.channelNotOpen(channel.currentState)) }
        let limit = min(configuration.sendLimit, 1 << 20)
        guard message.count <= limit else { return .failure(.messageTooLarge(size: message.count, limit: limit)) }
        let (ppid, payload) = message.wire
        channel.currentStats.messagesSent += 1
        channel.currentStats.bytesSent += message.count
        currentStats.messagesSent += 1
        enqueue(SCTPOutboundMessage(ppid: ppid, payload: payload, isUserMessage: true), on: channel)
        return .success(())
    }

    /// Hands a message to usrsctp now, or queues it behind earlier ones when the send buffer is full.
    private func enqueue(_ message: SCTPOutboundMessage, on channel: DataChannel) {
        if channel.pending.isEmpty, trySend(message, on: channel) { return }
        channel.pending.append(message)
        if message.isUserMessage { channel.pendingBytes += message.payload.count }
    }

    /// One usrsctp_sendv; false when it must wait (EWOULDBLOCK/EAGAIN).
    private func trySend(_ message: SCTPOutboundMessage, on channel: DataChannel) -> Bool {
        guard let socket else { return true }  // gone: drop
        let reliability = message.isUserMessage ? channel.reliability : .reliable
        let pr = reliability.prPolicy
        let sent = message.payload.withUnsafeBytes {
            parley_sctp_send(socket, $0.baseAddress, $0.count, channel.id, message.ppid.rawValue,
                             reliability.ordered ? 0 : 1, pr.policy, pr.value)
        }
        if sent < 0 {
            let code = errno
            if code == EWOULDBLOCK || code == EAGAIN { return false }
            currentStats.messagesDropped += 1  // e.g. the stream is being reset
            return true
        }
        if !message.isUserMessage { currentStats.dcepMessagesSent += 1 }
        stack.drain()
        return true
    }

    /// Retries queued messages (SACKs make room) and the resets of closing channels.
    private func flushPending() {
        for channel in channels.values.sorted(by: { $0.id < $1.id }) {
            while let first = channel.pending.first {
                guard trySend(first, on: channel) else { break }
                channel.pending.removeFirst()
                if first.isUserMessage {
                    channel.pendingBytes -= first.payload.count
                    currentStats.sendsDeferred += 1
                }
            }
            if channel.currentState == .closing, channel.pending.isEmpty, !channel.resetRequested {
                requestReset(channel)
            }
        }
    }

    func close(_ channel: DataChannel) {
        switch channel.currentState {
        case .closing, .closed:
            return
        case .connecting where !channel.openSent:
            finishClose(channel)
        case .connecting, .open:
            channel.currentState = .closing
            if channel.pending.isEmpty { requestReset(channel) }
        }
    }

    /// How often a denied outgoing stream reset is retried before the channel is closed locally.
    static let maxResetAttempts = 5

    private func requestReset(_ channel: DataChannel) {
        guard let socket, currentState == .connected else {
            finishClose(channel)
            return
        }
        if parley_sctp_reset_outgoing_stream(socket, channel.id) < 0 {
            // usrsctp refuses a second RE-CONFIG while one is outstanding (EALREADY/EBUSY/EAGAIN,
            // EINPROGRESS on some paths) — common when both sides close at once. Ask again on the
            // next drain (every 10 ms timer tick); give up and close locally only after a few tries.
            if channel.resetAttempts < Self.maxResetAttempts * 20 {
                channel.resetAttempts += 1
                return
            }
            finishClose(channel)
            return
        }
        channel.resetRequested = true
        currentStats.streamResetsSent += 1
        stack.drain()
    }

    private func finishClose(_ channel: DataChannel) {
        guard channel.currentState != .closed else { return }
        let wasOpen = channel.currentState != .connecting || channel.openSent
        channel.currentState = .closed
        channel.pending = []
        channel.pendingBytes = 0
        channels[channel.id] = nil
        partial[channel.id] = nil
        if wasOpen { currentStats.channelsClosed += 1 }
        channel.fireClose()
    }

    private func closeOnQueue(failed: Bool) {
        guard currentState != .closed, currentState != .failed else { return }
        for channel in channels.values.sorted(by: { $0.id < $1.id }) { finishClose(channel) }
        if let socket {
            self.socket = nil
            usrsctp_close(socket)  // SHUTDOWN (RFC 4960 §9.2), or ABORT if data is unsent
        }
        setState(failed ? .failed : .closed)
        if id != 0 {
            stack.drain()
            // Keep the address registered a little, for the SHUTDOWN exchange's last packets.
            let id = self.id
            let stack = self.stack
            lingering = true
            stack.queue.asyncAfter(deadline: .now() + .seconds(2)) { [self] in
                lingering = false
                stack.deregister(id)
            }
        }
    }

    private func setState(_ state: SCTPAssociationState) {
        guard currentState != state else { return }
        currentState = state
        handlers.withLock { $0.onStateChange }?(state)
    }
}
