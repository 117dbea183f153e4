// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// One WebRTC data channel (RFC 8831): an SCTP stream pair with an id, a label, a
/// sub-protocol and a reliability mode, opened in-band with DCEP (RFC 8832) or pre-negotiated.
///
/// Lifecycle (`DataChannelState`):
///
///     ours:   connecting ──DATA_CHANNEL_ACK──► open ──close()──► closing ──our reset done──► closed
///     theirs:             DATA_CHANNEL_OPEN ──► open (we ACK) ──peer reset──► closing ──► closed
///
/// Closing is an RFC 6525 outgoing stream reset in each direction (RFC 8831 §6.7): whoever
/// closes resets its outgoing stream; the peer, seeing its incoming stream reset, resets its
/// own. The channel is closed once our outgoing reset is acknowledged. Messages queued before
/// `close()` are handed to SCTP first.
///
/// Handlers (`onOpen`, `onMessage`, `onClose`) run on the SCTP queue (`SCTPStack`), one at a
/// time, in order; keep them short. They may call `send` and `close`, which then run inline.
///
/// `@unchecked Sendable`: the channel's state lives on the SCTP queue (every accessor goes
/// through `SCTPStack.run`); the handlers are behind a `Mutex`.
public final class DataChannel: @unchecked Sendable {
    public let id: UInt16
    public let label: String
    public let `protocol`: String
    public let reliability: DataChannelReliability
    public let priority: UInt16
    /// Pre-negotiated (RFC 8832 §6 "out-of-band"): no DCEP, open as soon as the association is.
    public let negotiated: Bool

    struct Handlers {
        var onOpen: (@Sendable () -> Void)?
        var onMessage: (@Sendable (DataChannelMessage) -> Void)?
        var onClose: (@Sendable () -> Void)?
    }

    private let handlers = Mutex(Handlers())
    private let stack = SCTPStack.shared
    weak var association: SCTPAssociation?

    // Confined to the SCTP queue.
    var currentState: DataChannelState = .connecting
    var currentStats = DataChannelStats()
    /// Messages usrsctp could not take yet (send buffer full), oldest first.
    var pending: [SCTPOutboundMessage] = []
    var pendingBytes = 0
    /// DCEP OPEN has been handed to usrsctp (ours), so we now wait for the ACK.
    var openSent = false
    var resetRequested = false
    var resetAttempts = 0

    init(id: UInt16, label: String, protocol: String, reliability: DataChannelReliability, priority: UInt16,
         negotiated: Bool, association: SCTPAssociation) {
        self.id = id
        self.label = label
        self.protocol = `protocol`
        self.reliability = reliability
        self.priority = priority
        self.negotiated = negotiated
        self.association = association
    }

    // MARK: - Public API

    public var state: DataChannelState { stack.run { currentState } }
    public var stats: DataChannelStats { stack.run { currentStats } }
    /// Bytes of user messages accepted by `send` but not yet taken by the SCTP send buffer.
    public var bufferedAmount: Int { stack.run { pendingBytes } }

    public var onOpen: (@Sendable () -> Void)? {
        get { handlers.withLock { $0.onOpen } }
        set { handlers.withLock { $0.onOpen = newValue } }
    }
    public var onMessage: (@Sendable (DataChannelMessage) -> Void)? {
        get { handlers.withLock { $0.onMessage } }
        set { handlers.withLock { $0.onMessage = newValue } }
    }
    public var onClose: (@Sendable () -> Void)? {
        get { handlers.withLock { $0.onClose } }
        set { handlers.withLock { $0.onClose = newValue } }
    }

    /// Sends one message (RFC 8831 §6.6). Throws unless the channel is open, or when the
    /// message exceeds the peer's `a=max-message-size`.
    public func send(_ message: DataChannelMessage) throws(SCTPError) {
        let result: Result<Void, SCTPError> = stack.run {
            guard let association else { return .failure(.channelNotOpen(.closed)) }
            return association.send(message, on: self)
        }
        try result.get()
    }

    public func send(text: String) throws(SCTPError) { try send(.text(text)) }
    public func send(binary: [UInt8]) throws(SCTPError) { try send(.binary(binary)) }

    /// Starts closing (RFC 8831 §6.7). Idempotent.
    public func close() {
        stack.run { association?.close(self) }
    }

    // MARK: - Events (on the SCTP queue, outside usrsctp)

    func fireOpen() { handlers.withLock { $0.onOpen }?() }
    func fireMessage(_ message: DataChannelMessage) { handlers.withLock { $0.onMessage }?(message) }
    func fireClose() { handlers.withLock { $0.onClose }?() }
}

/// A message waiting for room in usrsctp's send buffer.
struct SCTPOutboundMessage {
    var ppid: SCTPPayloadProtocolIdentifier
    var payload: [UInt8]
    /// DCEP messages go ordered and reliable whatever the channel's mode (RFC 8832 §6).
    var isUserMessage: Bool
}
