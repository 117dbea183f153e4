// SPDX-License-Identifier: Apache-2.0

/// SNR of a processed signal against the clean reference, after removing the processing delay.
///
/// - Alignment: the lag (0…`maxLag` samples) that maximises the cross-correlation of the
///   processed signal with the clean one over 4 s (16 kHz) after `skip`; the processed signal is
///   shifted back by it.
/// - Global SNR: clean energy over error energy (`out − clean`) over the whole track after
///   `skip` samples (the denoiser's noise estimate converges during the leading silence).
/// - Segmental SNR: the mean over 20 ms segments that the labels mark as speech of the same
///   ratio, each clamped to −10…35 dB (the usual bounds, so silent or perfect segments do not
///   dominate).
/// - Residual noise: the level (dBFS) of the processed signal in the non-speech frames.
enum SignalSNR {
    struct Result: Sendable {
        var lag: Int
        var globalDB: Double
        var segmentalDB: Double
        var residualNoiseDBFS: Double
    }

    static func measure(_ out: [Float], clean: [Float], speechFrames: [Bool], frame: Int,
                        maxLag: Int, skip: Int) -> Result {
        let n = min(out.count, clean.count)
        // Correlate over (at most) 4 s after `skip`: enough speech to lock on, cheap in debug builds.
        let window = min(n - maxLag, skip + 4 * 16_000)
        var bestLag = 0
        var best = -Double.infinity
        out.withUnsafeBufferPointer { o in
            clean.withUnsafeBufferPointer { c in
                for lag in 0...maxLag {
                    var acc: Float = 0
                    for i in skip..<window { acc += o[i + lag] * c[i] }
                    if Double(acc) > best { best = Double(acc); bestLag = lag }
                }
            }
        }
        var sig = 0.0, err = 0.0
        for i in skip..<(n - bestLag) {
            let s = Double(clean[i]), e = Double(out[i + bestLag]) - s
            sig += s * s
            err += e * e
        }
        var segs: [Double] = []
        var noiseE = 0.0, noiseN = 0
        let segFrames = 2 // 20 ms of 10 ms label frames
        var f = skip / frame
        while (f + segFrames) * frame + bestLag <= n {
            let isSpeech = (f..<(f + segFrames)).allSatisfy { $0 < speechFrames.count && speechFrames[$0] }
            let isSilence = (f..<(f + segFrames)).allSatisfy { $0 < speechFrames.count && !speechFrames[$0] }
            var s = 0.0, e = 0.0, o = 0.0
            for i in (f * frame)..<((f + segFrames) * frame) {
                let c = Double(clean[i]), y = Double(out[i + bestLag])
                s += c * c
                e += (y - c) * (y - c)
                o += y * y
            }
            if isSpeech && e > 0 { segs.append(min(35, max(-10, 10 * log10(s / e)))) }
            if isSilence { noiseE += o; noiseN += segFrames * frame }
            f += segFrames
        }
        return Result(lag: bestLag, globalDB: 10 * log10(sig / err),
                      segmentalDB: segs.isEmpty ? .nan : segs.reduce(0, +) / Double(segs.count),
                      residualNoiseDBFS: noiseN == 0 ? .nan : 10 * log10(max(1e-12, noiseE / Double(noiseN))))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
