// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore
import Testing

@Suite("Jitter buffer: RTP arithmetic")
struct JitterBufferSerialTests {
    @Test func sequenceDistanceWraps() {
        #expect(RTPSerial.distance(from: 65_535, to: 0) == 1)
        #expect(RTPSerial.distance(from: 0, to: 65_535) == -1)
        #expect(RTPSerial.distance(from: 10, to: 10) == 0)
        #expect(RTPSerial.isNewer(UInt16(2), than: 65_000))
        #expect(RTPSerial.distance(from: UInt32.max, to: 5) == 6)
    }

    @Test func unwrapperExtendsAcrossWraps() {
        var seq = SequenceNumberUnwrapper()
        var last: Int64 = 0
        var value: UInt16 = 65_530
        for i in 0..<20 {
            let e = seq.extend(value)
            if i > 0 { #expect(e == last + 1) }
            seq.accept(e)
            last = e
            value &+= 1
        }
        // A reordered packet from before the wrap extends below the highest, without moving it.
        let old = seq.extend(65_534)
        #expect(old < last)
        seq.accept(old)
        #expect(seq.highest == last)

        var ts = RTPTimestampUnwrapper()
        let a = ts.extend(UInt32.max - 959)
        ts.accept(a)
        let b = ts.extend(0)
        #expect(b == a + 960)
    }
}

@Suite("Jitter buffer: playout")
struct JitterBufferPlayoutTests {
    @Test func playsInOrderAcrossSequenceAndTimestampWrap() {
        var h = JitterBufferHarness()
        var seq: UInt16 = 65_530
        var ts: UInt32 = UInt32.max - 960 * 3 + 1
        #expect(h.buffer.state == .idle)
        var played: [UInt16] = []
        for _ in 0..<40 {
            h.insert(seq, ts: ts)
            seq &+= 1
            ts &+= 960
            let f = h.pull()
            if f.kind == .decoded { played.append(f.seq) }
        }
        #expect(h.buffer.state == .playing)
        #expect(played.count >= 30)
        for (a, b) in zip(played, played.dropFirst()) { #expect(b == a &+ 1) }
        #expect(played.contains(0) && played.contains(65_535))
        let s = h.buffer.stats
        #expect(s.lost == 0 && s.late == 0 && s.concealed == 0)
        #expect(h.buffer.decoder.decodeCalls == s.decoded)
    }

    @Test func reorderedPacketsArePlayedInSequence() {
        var h = JitterBufferHarness()
        // Packets arrive in pairs swapped: 1,0,3,2,... two per tick after a 60 ms head start.
        var order: [UInt16] = []
        for p in stride(from: 0, to: 60, by: 2) { order += [UInt16(p + 1), UInt16(p)] }
        var played: [UInt16] = []
        var i = 0
        for tick in 0..<60 {
            while i < order.count && i <= tick + 3 {
                h.insert(order[i], ts: UInt32(order[i]) * 960)
                i += 1
            }
            let f = h.pull()
            if f.kind == .decoded { played.append(f.seq) }
        }
        #expect(played == played.sorted())
        #expect(h.buffer.stats.reordered >= 25)
        #expect(h.buffer.stats.lost == 0)
    }

    @Test func duplicatesAreCountedAndPlayedOnce() {
        var h = JitterBufferHarness()
        var played: [UInt16] = []
        for k in 0..<30 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            if k > 2 { h.insert(UInt16(k - 2), ts: UInt32(k - 2) * 960) } // an old copy
            let f = h.pull()
            if f.kind == .decoded { played.append(f.seq) }
        }
        #expect(Set(played).count == played.count)
        #expect(h.buffer.stats.duplicate >= 55)
    }

    @Test func lossIsConcealedAndFECRecoversTheFrameBeforeAPacket() {
        var h = JitterBufferHarness()
        var kinds: [(PlayoutKind, UInt16)] = []
        for k in 0..<40 {
            // 10 is lost (no FEC after it); 20 is lost and 21 carries FEC for it.
            if k != 10 && k != 20 { h.insert(UInt16(k), ts: UInt32(k) * 960, fec: k == 21) }
            let f = h.pull()
            kinds.append((f.kind, f.seq))
        }
        let s = h.buffer.stats
        #expect(s.lost == 2)
        #expect(s.fecRecovered == 1)
        #expect(kinds.contains { $0.0 == .fec && $0.1 == 20 })
        #expect(kinds.filter { $0.0 == .concealed }.count == 1)
        #expect(h.buffer.decoder.fecRecovered == 1)
        #expect(h.buffer.decoder.concealCalls >= 1)
    }

    @Test func dtxGapIsSilenceNotLoss() {
        var h = JitterBufferHarness()
        // Speech 0..<10, a DTX packet at 10, then (contiguous sequence numbers) speech resumes
        // 400 ms later: timestamps jump, nothing is missing.
        var seq: UInt16 = 0
        var ts: UInt32 = 0
        var silence = 0
        for tick in 0..<60 {
            if tick < 10 || tick == 10 || tick >= 30 {
                if tick == 10 {
                    h.insert(seq, ts: ts, size: 1)
                } else {
                    h.insert(seq, ts: ts)
                }
                seq &+= 1
            }
            ts &+= 960
            if h.pull().kind == .silence && h.buffer.state == .playing { silence += 1 }
        }
        let s = h.buffer.stats
        #expect(s.lost == 0)
        #expect(s.concealed == 0)
        #expect(s.underruns == 0)
        #expect(silence >= 15)
    }

    @Test func latePacketIsCountedLateAfterItsFrameWasConcealed() {
        var h = JitterBufferHarness()
        for k in 0..<20 {
            if k != 12 { h.insert(UInt16(k), ts: UInt32(k) * 960) }
            if k == 16 { h.insert(12, ts: 12 * 960) } // arrives long after its turn
            _ = h.pull()
        }
        #expect(h.buffer.stats.late == 1)
        #expect(h.buffer.stats.lost == 1)
    }

    @Test func ssrcChangeRestartsTheStreamAfterConfirmation() {
        var h = JitterBufferHarness()
        for k in 0..<20 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            _ = h.pull()
        }
        // One stray packet of another SSRC is held on probation, not played.
        h.insert(9_000, ts: 123_456, ssrc: 0xBEEF)
        #expect(h.buffer.stats.outOfStream == 1)
        #expect(h.buffer.stats.resets == 0)
        h.insert(20, ts: 20 * 960)
        _ = h.pull()
        let decoderResets = h.buffer.decoder.resets
        // A real new source: two consecutive packets confirm it.
        var played: [UInt16] = []
        for k in 0..<30 {
            h.insert(UInt16(5_000 + k), ts: UInt32(777_000 + k * 960), ssrc: 0xBEEF)
            let f = h.pull()
            if f.kind == .decoded { played.append(f.seq) }
        }
        let s = h.buffer.stats
        #expect(s.resets == 1)
        #expect(h.buffer.decoder.resets == decoderResets + 1)
        #expect(s.invalid == 0)
        #expect(played.contains(5_000))
        #expect(played.filter { $0 >= 5_000 } == played.filter { $0 >= 5_000 }.sorted())
    }

    @Test func timestampJumpRestartsTheTimeline() {
        var h = JitterBufferHarness()
        for k in 0..<20 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            _ = h.pull()
        }
        // The sender restarts its timestamps (same SSRC, sequence continues).
        var played = 0
        for k in 20..<50 {
            h.insert(UInt16(k), ts: 3_000_000_000 &+ UInt32(k) * 960)
            if h.pull().kind == .decoded { played += 1 }
        }
        #expect(h.buffer.stats.resets == 1)
        #expect(played >= 20)
    }

    @Test func garbagePayloadIsInvalidAndConcealed() {
        var h = JitterBufferHarness()
        for k in 0..<20 {
            if k == 8 {
                h.buffer.insert(RTPPacket(sequenceNumber: 8, timestamp: 8 * 960, ssrc: h.ssrc,
                                          payload: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07], arrivalTime: h.now),
                                now: h.now)
            } else {
                h.insert(UInt16(k), ts: UInt32(k) * 960)
            }
            _ = h.pull()
        }
        // Empty and oversized payloads are rejected at insert.
        h.buffer.insert(RTPPacket(sequenceNumber: 20, timestamp: 20 * 960, ssrc: h.ssrc, payload: [], arrivalTime: h.now),
                        now: h.now)
        h.buffer.insert(RTPPacket(sequenceNumber: 21, timestamp: 21 * 960, ssrc: h.ssrc,
                                  payload: [UInt8](repeating: 0xA5, count: 5_000), arrivalTime: h.now), now: h.now)
        let s = h.buffer.stats
        #expect(s.invalid == 3)
        #expect(h.buffer.decoder.invalidPackets == 1)
    }

    @Test func statesGoFromIdleThroughBufferingToPlayingAndBackOnStarvation() {
        var h = JitterBufferHarness()
        #expect(h.buffer.state == .idle)
        #expect(h.pull().kind == .silence)
        h.insert(0, ts: 0)
        #expect(h.buffer.state == .buffering)
        for k in 1..<10 {
            h.insert(UInt16(k), ts: UInt32(k) * 960)
            _ = h.pull()
        }
        #expect(h.buffer.state == .playing)
        // The sender goes quiet without DTX: conceal, then buffer again.
        for _ in 0..<60 { _ = h.pull() }
        #expect(h.buffer.state == .buffering)
        #expect(h.buffer.stats.rebuffers == 1)
        #expect(h.buffer.stats.currentDelay == 0)
        h.buffer.reset()
        #expect(h.buffer.state == .idle)
    }

    @Test func targetDelayFollowsJitter() {
        // Packets with ±30 ms alternating jitter: the target must grow beyond the initial delay.
        var h = JitterBufferHarness()
        var pending: [(Nanos, UInt16)] = []
        for k in 0..<500 {
            let extra: Nanos = k % 2 == 0 ? .ms(60) : 0
            pending.append((h.now + extra, UInt16(k)))
            pending.sort { $0.0 < $1.0 }
            while let first = pending.first, first.0 <= h.now {
                h.buffer.insert(h.packet(first.1, ts: UInt32(first.1) * 960, arrival: first.0), now: h.now)
                pending.removeFirst()
            }
            _ = h.pull()
        }
        let s = h.buffer.stats
        #expect(s.targetDelay >= .ms(55))
        #expect(s.currentDelay >= s.targetDelay)
        #expect(Double(s.late) < 0.05 * 500)
    }
}
