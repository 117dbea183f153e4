// SPDX-License-Identifier: Apache-2.0

/// How inbound RTP streams were matched to receiving m-sections (see `SSRCDemuxer`).
public struct RTPDemuxStats: Sendable, Hashable {
    /// SSRCs the peer declared with `a=ssrc` in receiving sections (current negotiation).
    public var declaredSSRCs = 0
    /// SSRCs bound to a section by the RTP mid header extension (RFC 9143 §15, `sdes:mid`).
    public var learnedFromMidExtension = 0
    /// SSRCs bound to the first receiving section that had none (no `a=ssrc`, no mid extension).
    public var learnedByOrder = 0
    /// RTP packets whose SSRC matched no receiving section (dropped).
    public var unknownSSRCPackets = 0

    public init() {}
}
