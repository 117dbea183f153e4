// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore

/// The user's audio as a LiveKit session receives it, for `parley.opus: true`: Opus packets
/// (encoded once per run, as the user's client would), optionally delayed and lost by a named
/// network trace, through the adaptive jitter buffer, decoded at 48 kHz — the subscribe half
/// of a room session. One per session; used only by the `InputFeeder` thread.
///
/// ```
///   packets (shared) ─► network trace (arrival, loss) ─► JitterBuffer ─► Opus decode (48 kHz) ─► frame k
/// ```
final class SubscribePath {
    private let packets: [[UInt8]]
    /// Per packet: its arrival, relative to its send time (nil: lost), or nil for no network.
    private let arrivalDelay: [Nanos?]?
    private let buffer: JitterBuffer<OpusJitterBufferDecoder>
    private var nextInsert = 0

    init(packets: [[UInt8]], network: NetworkTrace?) throws {
        self.packets = packets
        buffer = JitterBuffer(decoder: OpusJitterBufferDecoder(try OpusDecoder(sampleRate: 48_000, channels: 1)))
        if let network {
            // Packet j of the trace was sent at j × 20 ms (its RTP time): what it adds is arrival − send.
            var delays = [Nanos?](repeating: nil, count: packets.count)
            let first = network.packets.map(\.timestamp).min() ?? 0
            for p in network.packets {
                let j = Int(p.timestamp &- first) / network.frameSamples
                guard j >= 0, j < delays.count else { continue }
                delays[j] = p.arrival - Nanos(j) * 20_000_000
            }
            arrivalDelay = delays
        } else {
            arrivalDelay = nil
        }
    }

    /// The frame to push at tick k (packet k was sent at t0 + (k+1) · 20 ms).
    func frame(tick k: Int, now: Nanos, t0: Nanos) -> AudioFrame {
        // Insert every packet that has arrived by now.
        while nextInsert < packets.count {
            let sent = t0 + Nanos(nextInsert + 1) * 20_000_000
            let arrival: Nanos
            if let delays = arrivalDelay {
                guard let d = delays[nextInsert] else { nextInsert += 1; continue } // lost
                arrival = sent + d
            } else {
                arrival = sent
            }
            guard arrival <= now else { break }
            buffer.insert(RTPPacket(sequenceNumber: UInt16(truncatingIfNeeded: nextInsert),
                                    timestamp: UInt32(truncatingIfNeeded: nextInsert * 960), ssrc: 1,
                                    payload: packets[nextInsert][...], arrivalTime: arrival), now: now)
            nextInsert += 1
        }
        var frame = buffer.pull(now: now).audio
        frame.timestamp = now
        frame.role = .user
        return frame
    }

    var stats: JitterBufferStats { buffer.stats }

    /// The input WAV as 20 ms Opus packets (16 kHz in, as a client's capture after its own resampling).
    static func encode(_ samples: [Int16], sampleRate: Int) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(sampleRate: sampleRate, channels: 1)
        let perFrame = sampleRate / 50
        var out: [[UInt8]] = []
        out.reserveCapacity(samples.count / perFrame + 1)
        var frame = [Int16](repeating: 0, count: perFrame)
        var i = 0
        while i < samples.count {
            let n = min(perFrame, samples.count - i)
            for j in 0..<perFrame { frame[j] = j < n ? samples[i + j] : 0 }
            out.append(try frame.withUnsafeBufferPointer { try encoder.encodePacket($0, frameSize: perFrame) })
            i += perFrame
        }
        return out
    }
}

/// The publish half: every agent audio frame that leaves the pipeline is Opus-encoded, as the
/// room session's playout does before SRTP. Allocation-free after the first frame.
final class PublishPath {
    private let encoder: OpusEncoder
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
    private(set) var packets = 0

    init() throws { encoder = try OpusEncoder(sampleRate: 48_000, channels: 1) }
    deinit { scratch.deallocate() }

    func publish(_ frame: AudioFrame) {
        guard frame.format.sampleRate == 48_000, frame.format.channels == 1, frame.sampleCount == 960 else { return }
        if (try? encoder.encode(frame, into: scratch)) != nil { packets += 1 }
    }
}

extension OpusEncoder {
    fileprivate func encodePacket(_ pcm: UnsafeBufferPointer<Int16>, frameSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1500)
        let n = try out.withUnsafeMutableBytes { try encode(pcm, frameSize: frameSize, into: $0) }
        return Array(out.prefix(n))
    }
}
