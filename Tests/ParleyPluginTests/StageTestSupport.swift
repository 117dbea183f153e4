// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Small helpers shared by the plugin stage tests: cut a sample array into frames, collect
/// what comes out of a pipeline.
enum StageTestSupport {
    /// `samples` as consecutive frames of `format` (the last one may be short), from `pool`.
    static func frames(_ samples: [Int16], format: AudioFormat, pool: AudioBufferPool,
                       role: MediaRole = .user) -> [AudioFrame] {
        var out: [AudioFrame] = []
        var index = 0
        let spf = format.samplesPerFrame
        while index < samples.count {
            let n = min(spf, samples.count - index)
            let b = pool.acquire()
            samples.withUnsafeBufferPointer { b.storage.update(from: $0.baseAddress! + index, count: n) }
            out.append(AudioFrame(buffer: b, format: format, sampleCount: n,
                                  timestamp: Nanos(index) * 1_000_000_000 / Nanos(format.sampleRate),
                                  sequence: UInt64(out.count), role: role))
            index += n
        }
        return out
    }

    /// The samples of every audio frame in `outputs`, in order.
    static func audio(_ outputs: [Frame]) -> [Int16] {
        var out: [Int16] = []
        for case .audio(let a) in outputs { a.withSamples { out.append(contentsOf: $0) } }
        return out
    }

    static func controls(_ outputs: [Frame]) -> [ControlFrame] {
        outputs.compactMap { if case .control(let c) = $0 { return c } else { return nil } }
    }

    /// Only the VAD's turn events.
    static func turnEvents(_ outputs: [Frame]) -> [ControlFrame] {
        controls(outputs).filter {
            switch $0 {
            case .userStartedSpeaking, .userStoppedSpeaking: return true
            default: return false
            }
        }
    }
}
