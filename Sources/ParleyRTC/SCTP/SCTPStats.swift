// SPDX-License-Identifier: Apache-2.0

/// Counters of one association, pion-style. Packets are whole SCTP packets (RFC 4960 §3)
/// crossing the lower transport; messages are user messages (RFC 8831 §6.6) and DCEP messages.
public struct SCTPStats: Sendable, Equatable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Inbound packets held because `start()` had not been called, and those dropped past the limit.
    public var packetsHeldBeforeStart = 0
    public var packetsDroppedBeforeStart = 0
    /// Inbound packets dropped before usrsctp saw them because a chunk or parameter length
    /// was inconsistent (RFC 4960 §3.2, §3.2.1; see `SCTPPacketDefect`), and the last reason.
    public var malformedPacketsDropped = 0
    public var lastMalformedPacket: SCTPPacketDefect?
    public var messagesSent = 0
    public var messagesReceived = 0
    public var dcepMessagesSent = 0
    public var dcepMessagesReceived = 0
    /// Inbound DCEP messages that did not parse, or OPENs for a stream already in use.
    public var dcepMessagesInvalid = 0
    /// User messages for a stream with no open channel, with an unknown PPID, or over the limit.
    public var messagesDropped = 0
    /// Messages handed to usrsctp after waiting in a channel's queue (its send buffer was full).
    public var sendsDeferred = 0
    public var channelsOpened = 0
    public var channelsClosed = 0
    /// RFC 6525 outgoing stream resets we requested, and resets the peer requested.
    public var streamResetsSent = 0
    public var streamResetsReceived = 0
    public var notifications = 0

    public init() {}
}

/// Counters of one data channel.
public struct DataChannelStats: Sendable, Equatable {
    public var messagesSent = 0
    public var messagesReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0

    public init() {}
}
