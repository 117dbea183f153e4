// SPDX-License-Identifier: Apache-2.0

import CEspeakNG

/// espeak-ng text-to-speech: robotic but instant (about 0.1 ms to the first 20 ms buffer,
/// RTF ~0.001 on 2 cores), so it is the fallback voice and the "say something now" voice.
///
/// Output is mono 16-bit PCM at espeak-ng's native rate (22 050 Hz); the pipeline converts rates.
///
/// Threading: an instance is confined to the thread that uses it (it is not `Sendable`); one
/// pipeline stage owns one. espeak-ng itself is process-global, so calls from different
/// instances are serialised by a process-wide lock (see `EspeakRuntime`).
public final class EspeakSynthesizer {
    /// The espeak-ng voice, e.g. "en-us".
    public let voice: String
    /// Words per minute (espeak-ng's default is 175).
    public let wordsPerMinute: Int
    /// Output sample rate in Hz, known once espeak-ng is initialised (at `init`).
    public let sampleRate: Int

    /// Initialises espeak-ng (once per process) and checks the voice exists.
    public init(voice: String = "en-us", wordsPerMinute: Int = 175) throws {
        self.voice = voice
        self.wordsPerMinute = wordsPerMinute
        sampleRate = Int(try EspeakRuntime.withEngine(voice: voice) { rate in rate })
    }

    /// Synthesises `text`, handing each buffer (about 20 ms) to `onChunk` as it is produced.
    /// Return `false` from `onChunk` to stop early (barge-in); the call then returns promptly.
    /// - Returns: whether synthesis ran to the end (false when `onChunk` stopped it).
    @discardableResult
    public func synthesize(_ text: String, onChunk: @escaping (UnsafeBufferPointer<Int16>) -> Bool) throws -> Bool {
        let sink = SynthSink(onChunk: onChunk)
        let wpm = Int32(wordsPerMinute)
        return try EspeakRuntime.withEngine(voice: voice) { _ in
            espeak_SetParameter(espeakRATE, wpm, 0)
            let box = Unmanaged.passRetained(sink)
            defer { box.release() }
            let bytes = text.utf8.count + 1
            let status = text.withCString { cText in
                espeak_Synth(cText, bytes, 0, POS_CHARACTER, 0,
                             UInt32(espeakCHARS_UTF8), nil, box.toOpaque())
            }
            guard status == EE_OK else { throw EspeakError.synthesisFailed(code: Int32(status.rawValue)) }
            return !sink.cancelled
        }
    }

    /// Synthesises `text` completely and returns all samples.
    public func synthesize(_ text: String) throws -> [Int16] {
        var out: [Int16] = []
        try synthesize(text) { chunk in
            out.append(contentsOf: chunk)
            return true
        }
        return out
    }
}
