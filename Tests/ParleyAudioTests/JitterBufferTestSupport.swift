// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore

/// Builds packets and drives a `JitterBuffer<SyntheticDecoder>` on a virtual 20 ms clock.
struct JitterBufferHarness {
    static let frame: Nanos = .ms(20)
    let buffer: JitterBuffer<SyntheticDecoder>
    var now: Nanos = 1_000_000_000
    var ssrc: UInt32 = 0xCAFE

    init(config: JitterBufferConfig = .opus) {
        buffer = JitterBuffer(decoder: SyntheticDecoder(), config: config)
    }

    func packet(_ seq: UInt16, ts: UInt32, ssrc: UInt32? = nil, size: Int = 40, fec: Bool = false,
                arrival: Nanos? = nil) -> RTPPacket {
        RTPPacket(sequenceNumber: seq, timestamp: ts, ssrc: ssrc ?? self.ssrc,
                  payload: SyntheticDecoder.makePayload(sequenceNumber: seq, timestamp: ts, size: size, fec: fec),
                  arrivalTime: arrival ?? now)
    }

    func insert(_ seq: UInt16, ts: UInt32, ssrc: UInt32? = nil, size: Int = 40, fec: Bool = false) {
        buffer.insert(packet(seq, ts: ts, ssrc: ssrc, size: size, fec: fec), now: now)
    }

    /// Pulls one frame and advances the clock by a frame.
    mutating func pull() -> (kind: PlayoutKind, pattern: SyntheticDecoder.Pattern?, seq: UInt16) {
        let f = buffer.pull(now: now)
        now += Self.frame
        let (pattern, seq) = f.audio.withSamples { SyntheticDecoder.read($0) }
        return (f.kind, pattern, seq)
    }

    /// Pulls until playing starts (at most `limit` frames); returns the frames pulled.
    @discardableResult
    mutating func pullUntilPlaying(limit: Int = 50) -> Int {
        var n = 0
        while buffer.state != .playing && n < limit { _ = pull(); n += 1 }
        return n
    }
}
