// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore
import Testing

@Suite("Jitter buffer: hostile input")
struct JitterBufferFuzzTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomGarbageNeverCrashesAndIsCounted(seed: UInt64) {
        var rng = TraceRandom(seed: seed)
        let buffer = JitterBuffer(decoder: SyntheticDecoder())
        var now: Nanos = 0
        var inserted = 0
        var payload = [UInt8](repeating: 0, count: 1_600)
        for step in 0..<4_000 {
            now += Nanos(rng.next() % 25_000_000)
            let r = rng.next() % 10
            let seq = UInt16(truncatingIfNeeded: rng.next())
            let ts = UInt32(truncatingIfNeeded: rng.next())
            let ssrc: UInt32 = rng.chance(0.2) ? UInt32(truncatingIfNeeded: rng.next()) : 7
            var size = Int(rng.next() % 200)
            if r == 0 { size = Int(rng.next() % 1_600) }
            for i in 0..<size { payload[i] = UInt8(truncatingIfNeeded: rng.next()) }
            if r < 5 && size >= 7 {
                // Mostly well-formed headers with hostile numbers.
                payload.withUnsafeMutableBytes {
                    _ = SyntheticDecoder.writePayload(sequenceNumber: seq, timestamp: ts, size: size, fec: rng.chance(0.3),
                                                      into: $0)
                }
            }
            let arrival: Nanos
            switch rng.next() % 5 {
            case 0: arrival = .min
            case 1: arrival = .max
            case 2: arrival = -now
            default: arrival = now
            }
            buffer.insert(RTPPacket(sequenceNumber: seq, timestamp: ts, ssrc: ssrc, marker: rng.chance(0.1),
                                    payload: payload[0..<size], arrivalTime: arrival), now: now)
            inserted += 1
            if step % 2 == 0 {
                let f = buffer.pull(now: now)
                #expect(f.audio.sampleCount == 960)
            }
        }
        let s = buffer.stats
        #expect(s.received == inserted)
        #expect(s.invalid + s.outOfStream + s.duplicate + s.late + s.overflow > 0)
        #expect(s.invalid > 0)

        // After all that, a clean stream on a new SSRC is played.
        var played = 0
        for k in 0..<100 {
            now += .ms(20)
            buffer.insert(RTPPacket(sequenceNumber: UInt16(k), timestamp: UInt32(k * 960), ssrc: 99,
                                    payload: SyntheticDecoder.makePayload(sequenceNumber: UInt16(k), timestamp: UInt32(k * 960)),
                                    arrivalTime: now), now: now)
            if buffer.pull(now: now).kind == .decoded { played += 1 }
        }
        #expect(played >= 80)
    }

    @Test func clockGoingBackwardsAndHugeJumpsAreSurvived() {
        let buffer = JitterBuffer(decoder: SyntheticDecoder())
        let times: [Nanos] = [0, .max / 2, -5, .max - 1, .min + 1, 100, .max]
        for (k, t) in times.enumerated() {
            buffer.insert(RTPPacket(sequenceNumber: UInt16(k * 20_000 % 65_536), timestamp: UInt32(k) &* 1_000_000_007,
                                    ssrc: 1, payload: SyntheticDecoder.makePayload(sequenceNumber: UInt16(k), timestamp: 0),
                                    arrivalTime: t), now: t)
            _ = buffer.pull(now: t)
        }
        #expect(buffer.stats.received == times.count)
    }

    @Test func sequenceJumpsNeedConfirmation() {
        var h = JitterBufferHarness()
        for k in 0..<20 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            _ = h.pull()
        }
        // Isolated far jumps are rejected and counted; the stream keeps playing.
        h.insert(40_000, ts: 20 * 960)
        h.insert(20, ts: 20 * 960)
        h.insert(10_000, ts: 21 * 960)
        h.insert(21, ts: 21 * 960)
        #expect(h.buffer.stats.outOfStream == 2)
        #expect(h.buffer.stats.resets == 0)
        var played: [UInt16] = []
        for k in 22..<40 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            let f = h.pull()
            if f.kind == .decoded { played.append(f.seq) }
        }
        #expect(played.contains(20) && played.contains(21))
    }
}
