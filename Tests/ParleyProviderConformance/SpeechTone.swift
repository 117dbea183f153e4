// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The deterministic "speech" of the speech protocol test servers (Swift twin of
/// `Tests/ProviderTestServers/speech_tone.py`): TTS servers synthesize it, so a test can decode
/// the audio a stage emitted back to the text it was for; STT tests speak it, so the server can
/// decode what it was sent.
///
/// Every character becomes 20 ms of a 440 Hz sine whose peak amplitude is 64 × min(code, 511),
/// phase restarting per character. Decoding cuts 20 ms segments and maps each peak back;
/// a segment whose peak is under 32 is silence.
public enum SpeechTone {
    public static let characterMilliseconds = 20
    static let frequency = 440.0
    static let step = 64

    public static func samplesPerCharacter(_ sampleRate: Int) -> Int { sampleRate * characterMilliseconds / 1000 }

    public static func encode(_ text: String, sampleRate: Int) -> [Int16] {
        let n = samplesPerCharacter(sampleRate)
        var out: [Int16] = []
        out.reserveCapacity(n * text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let amplitude = Double(step * min(Int(scalar.value), 511))
            for i in 0..<n {
                out.append(Int16((amplitude * sin(2 * Double.pi * frequency * Double(i) / Double(sampleRate))).rounded()))
            }
        }
        return out
    }

    public static func decode(_ samples: [Int16], sampleRate: Int) -> String {
        let n = samplesPerCharacter(sampleRate)
        var text = String.UnicodeScalarView()
        var start = 0
        while start + n <= samples.count {
            var peak = 0
            for s in samples[start..<(start + n)] { peak = max(peak, abs(Int(s))) }
            if peak >= step / 2, let scalar = Unicode.Scalar(UInt32((Double(peak) / Double(step)).rounded())) {
                text.append(scalar)
            }
            start += n
        }
        return String(text)
    }
}
