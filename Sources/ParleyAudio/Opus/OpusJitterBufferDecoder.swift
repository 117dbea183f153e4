// SPDX-License-Identifier: Apache-2.0

/// Adapts an `OpusDecoder` to the jitter buffer: decode, FEC from the following packet
/// (RFC 6716 §2.1.7 LBRR) and PLC for frames that never arrived.
///
/// The adaptation differs from the decoder's own methods in two ways the buffer relies on:
/// FEC returns 0 when the next packet carries no LBRR data (so the buffer conceals the gap
/// itself and counts it as concealed, not recovered), and concealment cannot fail (a libopus
/// argument error fills the frame with silence instead).
public struct OpusJitterBufferDecoder: JitterBufferDecoder {
    public let decoder: OpusDecoder

    public init(_ decoder: OpusDecoder) { self.decoder = decoder }

    public func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int {
        try decoder.decode(payload, into: pcm)
    }

    public func decodeFEC(from next: UnsafeRawBufferPointer, frameSize: Int,
                          into pcm: UnsafeMutableBufferPointer<Int16>) throws -> Int {
        guard (try? OpusPacket.hasLBRR(next)) == true else { return 0 }
        return try decoder.decodeFEC(from: next, frameSize: frameSize, into: pcm)
    }

    public func conceal(frameSize: Int, into pcm: UnsafeMutableBufferPointer<Int16>) -> Int {
        do {
            return try decoder.conceal(frameSize: frameSize, into: pcm)
        } catch {
            let n = min(frameSize * decoder.channels, pcm.count)
            pcm.baseAddress?.update(repeating: 0, count: n)
            return n / decoder.channels
        }
    }

    public func reset() { decoder.reset() }
}
