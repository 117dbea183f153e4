// SPDX-License-Identifier: Apache-2.0

/// The noises the evaluation mixes under speech, generated at test time from a seed.
///
/// - white: Gaussian, flat spectrum — the case where an energy VAD's floor works best and a
///   spectral model must not mistake hiss for fricatives.
/// - pink: white noise through Paul Kellet's "refined" 1/f filter (−3 dB/octave, within
///   ±0.05 dB from 9 Hz to Nyquist at 44.1 kHz; close enough at 16 kHz for a test noise) —
///   most of its energy is in the speech band, like fans, road and room noise.
/// - babble: several talkers of *time-reversed* speech summed — speech-shaped and modulated like
///   a crowd, but with no words: the hard case for any VAD, which should (and does) lose here.
enum NoiseKind: String, CaseIterable, Sendable {
    case white, pink, babble
}

enum NoiseGenerator {
    static func white(count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(rng.gaussian()) }
    }

    static func pink(count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var b0 = 0.0, b1 = 0.0, b2 = 0.0, b3 = 0.0, b4 = 0.0, b5 = 0.0, b6 = 0.0
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let w = rng.gaussian()
            b0 = 0.99886 * b0 + w * 0.0555179
            b1 = 0.99332 * b1 + w * 0.0750759
            b2 = 0.96900 * b2 + w * 0.1538520
            b3 = 0.86650 * b3 + w * 0.3104856
            b4 = 0.55000 * b4 + w * 0.5329522
            b5 = -0.7616 * b5 - w * 0.0168980
            out[i] = Float(b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362)
            b6 = w * 0.115926
        }
        return out
    }

    /// `talkers` streams of reversed `material` (each a loop of all utterances back to back,
    /// started at a different utterance and sample offset), summed.
    static func babble(count: Int, material: [[Float]], talkers: Int = 4, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var out = [Float](repeating: 0, count: count)
        let reversed = material.map { Array($0.reversed()) }
        for t in 0..<talkers {
            var loop: [Float] = []
            for j in 0..<reversed.count { loop += reversed[(j + t * 3) % reversed.count] }
            var pos = Int(rng.unit() * Double(loop.count))
            for i in 0..<count {
                out[i] += loop[pos]
                pos += 1
                if pos == loop.count { pos = 0 }
            }
        }
        return out
    }
}
