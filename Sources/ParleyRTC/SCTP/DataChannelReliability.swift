// SPDX-License-Identifier: Apache-2.0

/// Ordering and partial reliability of a data channel (RFC 8831 §6.1, RFC 3758 PR-SCTP), as
/// the DCEP channel type and reliability parameter carry them (RFC 8832 §5.1).
public struct DataChannelReliability: Sendable, Hashable {
    public var ordered: Bool
    /// Retransmission limit (SCTP_PR_SCTP_RTX); 0 = sent once. Exclusive with `maxPacketLifeTime`.
    public var maxRetransmits: UInt32?
    /// Lifetime in milliseconds (SCTP_PR_SCTP_TTL).
    public var maxPacketLifeTime: UInt32?

    public init(ordered: Bool = true, maxRetransmits: UInt32? = nil, maxPacketLifeTime: UInt32? = nil) {
        self.ordered = ordered
        self.maxRetransmits = maxRetransmits
        self.maxPacketLifeTime = maxPacketLifeTime
    }

    /// Ordered and reliable: LiveKit's `_reliable`.
    public static let reliable = DataChannelReliability()
    /// Unordered, never retransmitted: LiveKit's `_lossy` (livekit-protocol.md §4).
    public static let unorderedUnreliable = DataChannelReliability(ordered: false, maxRetransmits: 0)

    /// DCEP channel type (RFC 8832 §5.1): 0x00/0x01/0x02 reliable/rexmit/timed, | 0x80 unordered.
    var channelType: UInt8 {
        let base: UInt8 = maxRetransmits != nil ? 0x01 : (maxPacketLifeTime != nil ? 0x02 : 0x00)
        return ordered ? base : base | 0x80
    }

    var reliabilityParameter: UInt32 { maxRetransmits ?? maxPacketLifeTime ?? 0 }

    init?(channelType: UInt8, parameter: UInt32) {
        let ordered = channelType & 0x80 == 0
        switch channelType & 0x7F {
        case 0x00: self.init(ordered: ordered)
        case 0x01: self.init(ordered: ordered, maxRetransmits: parameter)
        case 0x02: self.init(ordered: ordered, maxPacketLifeTime: parameter)
        default: return nil
        }
    }

    /// usrsctp's PR-SCTP policy and value for SCTP_SENDV_SPA (RFC 6458 §5.3.7).
    var prPolicy: (policy: UInt16, value: UInt32) {
        if let maxRetransmits { return (3, maxRetransmits) }  // SCTP_PR_SCTP_RTX
        if let maxPacketLifeTime { return (1, maxPacketLifeTime) }  // SCTP_PR_SCTP_TTL
        return (0, 0)  // SCTP_PR_SCTP_NONE
    }
}
