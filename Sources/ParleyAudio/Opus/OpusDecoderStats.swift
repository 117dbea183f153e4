// SPDX-License-Identifier: Apache-2.0

/// What an `OpusDecoder` has done, for metrics and for tests that assert on loss handling
/// (in the manner of pion's per-component stats structs).
///
/// A concealed or FEC-recovered frame is one `conceal`/`decodeFEC` call, whatever its length;
/// the sample counters carry the durations.
public struct OpusDecoderStats: Sendable, Hashable, CustomStringConvertible {
    /// Packets decoded normally (including 1-byte DTX packets).
    public var packetsDecoded = 0
    /// Samples per channel produced by normal decoding.
    public var decodedSamples = 0
    /// Gaps filled by packet loss concealment (`conceal`, or `decodeFEC` when the next packet
    /// had no usable FEC data).
    public var concealedFrames = 0
    public var concealedSamples = 0
    /// Gaps filled from the next packet's in-band FEC (LBRR) data.
    public var fecRecoveredFrames = 0
    public var fecRecoveredSamples = 0
    /// `decodeFEC` calls that found no usable FEC in the next packet and fell back to PLC
    /// (also counted in `concealedFrames`).
    public var fecUnavailable = 0
    /// Packets `decode` rejected as malformed, empty or corrupt (`OPUS_INVALID_PACKET`).
    public var invalidPackets = 0

    public init() {}

    public var description: String {
        "decoded \(packetsDecoded), concealed \(concealedFrames), FEC-recovered \(fecRecoveredFrames) "
            + "(unavailable \(fecUnavailable)), invalid \(invalidPackets)"
    }
}
