// SPDX-License-Identifier: Apache-2.0
//
// This target links Debian's libespeak-ng, which is GPL-3.0-or-later: a binary that links
// `ParleyEspeakEngine` (directly, or through `ParleySherpaEngines`' Piper voice) is distributed
// under GPL-3.0 terms. Keep it out of builds that must stay Apache-2.0-only.

import CEspeakNG
import Synchronization

/// An espeak-ng failure. Messages carry no user text.
public enum EspeakError: Error, CustomStringConvertible, Equatable {
    /// `espeak_Initialize` failed: usually the data directory is missing.
    case initializationFailed(dataPath: String)
    /// No voice of that name in espeak-ng-data.
    case unknownVoice(String)
    /// `espeak_Synth` returned an error code.
    case synthesisFailed(code: Int32)

    public var description: String {
        switch self {
        case .initializationFailed(let path):
            return "espeak-ng could not initialise (data directory \(path)); "
                + "install libespeak-ng1 and espeak-ng-data, e.g. with scripts/install-local-engines"
        case .unknownVoice(let name):
            return "espeak-ng has no voice \"\(name)\" (see `espeak-ng --voices`)"
        case .synthesisFailed(let code):
            return "espeak-ng synthesis failed (espeak_ERROR \(code))"
        }
    }
}

/// The one espeak-ng instance of the process.
///
/// libespeak-ng keeps all of its state in globals (voice, parameters, the synth callback, the
/// phoneme buffer), so every call into it, from the synthesizer or the phonemizer, on any thread,
/// goes through this lock. Calls are short (about 1 ms per sentence), so contention is small.
enum EspeakRuntime {
    struct State {
        var sampleRate: Int32 = 0
        var voice: String?
    }

    static let state = Mutex(State())


    /// Runs `body` holding the lock, with espeak-ng initialised and `voice` selected.
    /// Returns espeak-ng's output sample rate with the body's result.
    static func withEngine<R>(voice: String, _ body: (Int32) throws -> R) throws -> R {
        try state.withLock { state -> R in
            if state.sampleRate == 0 {
                // DONT_EXIT: without it espeak-ng calls exit() when its data files are missing.
                let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 20, nil,
                                             Int32(espeakINITIALIZE_DONT_EXIT))
                guard rate > 0 else { throw EspeakError.initializationFailed(dataPath: "libespeak-ng's default espeak-ng-data") }
                espeak_SetSynthCallback(espeakSynthCallback)
                state.sampleRate = rate
            }
            if state.voice != voice {
                guard espeak_SetVoiceByName(voice) == EE_OK else { throw EspeakError.unknownVoice(voice) }
                state.voice = voice
            }
            return try body(state.sampleRate)
        }
    }
}

/// Receives each buffer espeak-ng synthesises (synchronous mode: on the calling thread, inside
/// `espeak_Synth`). `user_data` is the `SynthSink` of the call in progress.
private func espeakSynthCallback(
    _ wav: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutablePointer<espeak_EVENT>?
) -> Int32 {
    guard let raw = events?.pointee.user_data else { return 0 }
    let sink = Unmanaged<SynthSink>.fromOpaque(raw).takeUnretainedValue()
    guard let wav, count > 0 else { return sink.cancelled ? 1 : 0 }
    sink.deliver(UnsafeBufferPointer(start: wav, count: Int(count)))
    return sink.cancelled ? 1 : 0  // non-zero aborts synthesis
}

/// Collects one synthesis call's audio and forwards it to the caller's chunk handler.
/// Lives only for the duration of one `espeak_Synth` call, on the calling thread.
final class SynthSink {
    let onChunk: (UnsafeBufferPointer<Int16>) -> Bool
    private(set) var cancelled = false
    private(set) var firstChunkAt: ContinuousClock.Instant?

    init(onChunk: @escaping (UnsafeBufferPointer<Int16>) -> Bool) { self.onChunk = onChunk }

    func deliver(_ samples: UnsafeBufferPointer<Int16>) {
        guard !cancelled else { return }
        if firstChunkAt == nil { firstChunkAt = .now }
        if !onChunk(samples) { cancelled = true }
    }
}
