// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyAudio
import ParleyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Media hot paths per 20 ms / 48 kHz mono frame: Opus encode + decode, and the receive side
/// a remote track runs every 20 ms (jitter buffer insert + pull with the Opus decoder behind
/// it); AudioPathBenchmarks.swift adds SRTP, RTP and the whole send + receive path of one
/// stream. Results are per frame (scaling factor 1000; the benchmark package scales the malloc
/// counts by it too, so they are per frame as well). CPU time (user + system, `.cpuTotal`) is
/// listed beside wall clock: the budget is in CPU, and on a shared machine the wall clock also
/// counts time spent waiting for a core.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput, .instructions],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )
    let noAllocations = Benchmark.Configuration(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])

    /// One second of speech-like signal (two tones with a 4 Hz envelope), 50 frames of 960.
    func testSignal() -> [Int16] {
        (0..<48_000).map { i in
            let t = Double(i) / 48_000
            let env = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
            return Int16(8000 * env * (sin(2 * .pi * 220 * t) + 0.5 * sin(2 * .pi * 1330 * t)))
        }
    }

    Benchmark("Opus encode + decode, 24 kbit/s complexity 5", configuration: noAllocations) { benchmark in
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip)
        try encoder.configure(bitrate: 24_000, complexity: 5, fec: true, packetLossPercent: 10, dtx: false)
        let decoder = try OpusDecoder(sampleRate: 48_000, channels: 1)
        let signal = testSignal()
        var packet = [UInt8](repeating: 0, count: 1500)
        var pcm = [Int16](repeating: 0, count: 960)
        var frame = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let start = (frame % 50) * 960
            frame += 1
            let bytes = try signal.withUnsafeBufferPointer { s in
                try packet.withUnsafeMutableBytes { out in
                    try encoder.encode(UnsafeBufferPointer(rebasing: s[start..<(start + 960)]), frameSize: 960, into: out)
                }
            }
            let n = try packet.withUnsafeBytes { p in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeRawBufferPointer(rebasing: p[0..<bytes]), into: $0) }
            }
            blackHole(n)
        }
    }

    Benchmark("jitter buffer insert + pull with Opus decode", configuration: noAllocations) { benchmark in
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip)
        try encoder.configure(bitrate: 24_000, complexity: 5, fec: true, packetLossPercent: 10, dtx: false)
        // Pre-encode one second so the measured loop is the receive side only.
        let signal = testSignal()
        var packets: [[UInt8]] = []
        for f in 0..<50 {
            var out = [UInt8](repeating: 0, count: 1500)
            let n = try signal.withUnsafeBufferPointer { s in
                try out.withUnsafeMutableBytes { try encoder.encode(UnsafeBufferPointer(rebasing: s[(f * 960)..<((f + 1) * 960)]), frameSize: 960, into: $0) }
            }
            packets.append(Array(out[0..<n]))
        }
        let buffer = JitterBuffer(decoder: OpusJitterBufferDecoder(try OpusDecoder(sampleRate: 48_000, channels: 1)))
        var seq: UInt16 = 0
        var ts: UInt32 = 0
        var now: Nanos = 0
        func step() {
            buffer.insert(RTPPacket(sequenceNumber: seq, timestamp: ts, ssrc: 1, payload: packets[Int(seq) % 50][...],
                                    arrivalTime: now), now: now)
            blackHole(buffer.pull(now: now))
            seq &+= 1
            ts &+= 960
            now += 20_000_000
        }
        for _ in 0..<200 { step() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { step() }
    }

    // SRTP, RTP, Opus at the PeerConnection's settings, and one stream's whole send + receive path.
    audioPathBenchmarks()
}
