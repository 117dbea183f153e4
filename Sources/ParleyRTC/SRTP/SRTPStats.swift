// SPDX-License-Identifier: Apache-2.0

/// Counters of one `SRTPSession`, cumulative.
public struct SRTPStats: Sendable, Hashable {
    public var rtpProtected = 0
    public var rtpUnprotected = 0
    public var rtcpProtected = 0
    public var rtcpUnprotected = 0
    /// Inbound packets dropped for a bad authentication tag.
    public var authenticationFailures = 0
    /// Inbound packets dropped by replay protection.
    public var replayFailures = 0
    /// Packets too short or malformed, either direction.
    public var badPackets = 0
    /// Other libsrtp2 failures and too-small buffers.
    public var otherFailures = 0

    public init() {}
}
