// SPDX-License-Identifier: Apache-2.0

public enum SCTPError: Error, Sendable, Equatable {
    /// A usrsctp call failed; `errno` as it reported it.
    case usrsctp(operation: String, errno: Int32)
    case invalidState(SCTPAssociationState, operation: String)
    /// The data channel is not open (W3C: InvalidStateError).
    case channelNotOpen(DataChannelState)
    /// Larger than the peer's `a=max-message-size` (RFC 8841 §6.1) or our own limit.
    case messageTooLarge(size: Int, limit: Int)
    /// No free stream id of our parity (RFC 8832 §6) below the negotiated stream count.
    case noStreamAvailable
    /// The stream id is already taken by another channel.
    case streamInUse(UInt16)
}
