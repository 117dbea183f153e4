// SPDX-License-Identifier: Apache-2.0

/// Changes the sample rate with `StreamingResampler` (polyphase windowed sinc, stateful
/// across frames). Output frames carry the input's timestamps; the filter's group delay
/// (`delayFrames`, a few milliseconds) is left in the signal, as a live resampler must.
///
/// Frame sizes out of a resampler can differ by a sample from frame to frame when the rate
/// ratio does not map a frame to a whole number of samples; the engine puts a `Reframer`
/// behind it when the next stage needs exact frames.
///
/// On an interruption the filter history is cleared if it holds agent audio, so no tail of
/// the cancelled reply leaks into the next one.
public final class ResamplerStage: Stage {
    public let inputRate: Int
    public let outputRate: Int
    public let channels: Int
    private var resampler: StreamingResampler
    private var lastRole: MediaRole = .user
    private var scratchCapacity: Int

    /// The filter's group delay in output samples.
    public var delayFrames: Int { resampler.delayFrames }

    public var name: String { "convert:resample \(inputRate)→\(outputRate)" }
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .audio }

    public init(from inputRate: Int, to outputRate: Int, channels: Int, quality: ResamplerQuality = .high) {
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
        resampler = StreamingResampler(inputRate: inputRate, outputRate: outputRate, channels: channels,
                                       quality: quality)
        scratchCapacity = 0
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        let samples = max(1, Int((Int64(input.samplesPerFrame) * Int64(outputRate)) / Int64(inputRate)))
        return AudioFormat(sampleRate: outputRate, channels: input.channels, samplesPerFrame: samples)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return context.emit(frame) }
        if a.role != lastRole {
            resampler.reset()
            lastRole = a.role
        }
        let maxOut = resampler.maxOutputFrames(forInputFrames: a.sampleCount)
        let out = context.acquireBuffer(minimumSamples: maxOut * channels)
        let produced = a.withSamples { src in
            resampler.process(src, into: UnsafeMutableBufferPointer(start: out.storage, count: maxOut * channels))
        }
        guard produced > 0 else { return }
        let format = context.outputFormat
        context.emit(.audio(AudioFrame(buffer: out, format: format, sampleCount: produced, timestamp: a.timestamp,
                                       sequence: a.sequence, role: a.role)))
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        if lastRole == .agent { resampler.reset() }
    }
}
