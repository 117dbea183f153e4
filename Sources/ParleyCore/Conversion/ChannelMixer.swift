// SPDX-License-Identifier: Apache-2.0

/// Converts the channel count: N → 1 averages the channels, 1 → M copies the mono signal to
/// every channel, N → M (both > 1) averages to mono and copies out.
/// Inserted by the engine during caps negotiation; stages never mix on their own.
public final class ChannelMixer: Stage {
    public let inputChannels: Int
    public let outputChannels: Int
    public var name: String { "convert:channels \(inputChannels)→\(outputChannels)" }
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .audio }

    public init(from input: Int, to output: Int) {
        precondition(input > 0 && output > 0)
        inputChannels = input
        outputChannels = output
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: input.sampleRate, channels: outputChannels, samplesPerFrame: input.samplesPerFrame)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return context.emit(frame) }
        if a.format.channels == outputChannels { return context.emit(frame) }
        let n = a.sampleCount
        let inCh = a.format.channels
        let out = context.acquireBuffer(minimumSamples: n * outputChannels)
        a.withSamples { src in
            for i in 0..<n {
                var sum = 0
                for c in 0..<inCh { sum += Int(src[i * inCh + c]) }
                let mono = Int16(clamping: sum / inCh)
                for c in 0..<outputChannels { out.storage[i * outputChannels + c] = mono }
            }
        }
        var format = a.format
        format.channels = outputChannels
        context.emit(.audio(AudioFrame(buffer: out, format: format, sampleCount: n, timestamp: a.timestamp,
                                       sequence: a.sequence, role: a.role)))
    }
}
