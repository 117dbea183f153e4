// SPDX-License-Identifier: Apache-2.0

/// The codec operations a `JitterBuffer` needs: decode, forward error correction and packet
/// loss concealment. The Opus decoder implements it; tests use `SyntheticDecoder`.
///
/// Every call writes interleaved Int16 samples into `pcm`, which holds at least
/// `JitterBufferConfig.maxPacketSamples × channels` samples, and returns the samples per
/// channel it wrote. Implementations must not allocate per call (the buffer runs on the
/// pipeline loop, once per 20 ms).
public protocol JitterBufferDecoder {
    /// Decodes one packet into `pcm` and returns the samples per channel, or throws for an
    /// invalid packet (the buffer counts it as invalid and conceals the frame instead).
    mutating func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int

    /// Recovers the frame *before* `next` from the in-band FEC that `next` carries (Opus LBRR)
    /// and returns the samples per channel, `frameSize` at most. Returns 0 when `next` carries
    /// no FEC or the codec has none; throws when `next` is invalid.
    mutating func decodeFEC(from next: UnsafeRawBufferPointer, frameSize: Int,
                            into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int

    /// Packet loss concealment for one missing frame of `frameSize` samples per channel (also
    /// used for comfort noise during DTX, which is what Opus does with a missing packet then).
    mutating func conceal(frameSize: Int, into pcm: UnsafeMutableBufferPointer<Int16>) -> Int

    /// True when `payload` is a discontinuous-transmission (DTX) packet: the sender stops
    /// sending after it until speech resumes, so an empty buffer afterwards is silence, not a
    /// late packet. Default: a payload of at most 2 bytes (an Opus DTX packet is its TOC byte,
    /// sometimes with one more; the same rule WebRTC's Opus wrapper uses).
    func isDiscontinuousTransmission(_ payload: UnsafeRawBufferPointer) -> Bool

    /// Forgets the decoder's inter-frame state; called when the stream restarts (new SSRC,
    /// timestamp or sequence jump). Default: nothing.
    mutating func reset()
}

extension JitterBufferDecoder {
    public func isDiscontinuousTransmission(_ payload: UnsafeRawBufferPointer) -> Bool { payload.count <= 2 }
    public mutating func reset() {}
}
