// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Changes the loudness of user audio by a fixed number of decibels.
public final class GainStage: Stage {
    public let name = "gain"
    // Only audio reaches `process`; every other frame flows past untouched.
    public var accepts: FrameKinds { .audio }
    // Any rate, mono or stereo: the engine converts anything else before it gets here.
    public var inputCaps: AudioCaps { AudioCaps(channels: [1, 2]) }

    private let factor: Float

    public init(gainDB: Double) { factor = Float(pow(10, gainDB / 20)) }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(var audio) = frame else { return context.emit(frame) }
        // Copy-on-write: copies into a pooled buffer only if another stage shares this one.
        audio.withWritableSamples(pool: context.pool(forAtLeast: audio.interleavedCount)) { samples in
            for i in samples.indices {
                samples[i] = Int16(clamping: Int((Float(samples[i]) * factor).rounded()))
            }
        }
        context.emit(.audio(audio))
    }

    /// What `parley plugins` lists and what the config validates against.
    public static let registration = StageRegistration(
        provider: "gain", kinds: [.processor],
        summary: "Fixed gain in dB",
        options: [.double("gain_db", -40 ... 40, default: 6, help: "gain in decibels")]
    ) { request in
        GainStage(gainDB: request.options.double("gain_db"))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
