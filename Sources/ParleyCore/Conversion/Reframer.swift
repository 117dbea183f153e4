// SPDX-License-Identifier: Apache-2.0

/// Re-cuts audio into frames of exactly `samplesPerFrame` samples per channel (e.g. 20 ms
/// Opus frames into the 10 ms frames WebRTC VAD wants, or uneven resampler output into even
/// frames). Holds at most one partial frame; a flush or end of stream emits it short.
///
/// Timestamps are exact: each output frame's timestamp is the media time of its first sample.
/// When the role (user/agent) changes, the partial frame is emitted first so roles never mix.
/// An interruption discards a partial frame of agent audio.
public final class Reframer: Stage {
    public let samplesPerFrame: Int
    private var pending: AudioBuffer?
    private var pendingCount = 0
    private var pendingStart: Nanos = 0
    private var pendingRole: MediaRole = .user
    private var sequence: UInt64 = 0

    public var name: String { "convert:reframe \(samplesPerFrame)" }
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .audio }

    public init(samplesPerFrame: Int) {
        precondition(samplesPerFrame > 0)
        self.samplesPerFrame = samplesPerFrame
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: input.sampleRate, channels: input.channels, samplesPerFrame: samplesPerFrame)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return context.emit(frame) }
        let ch = a.format.channels
        let rate = Nanos(a.format.sampleRate)
        if pendingCount > 0 && a.role != pendingRole { emitPending(context) }
        // Fast path: aligned and exactly one frame.
        if pendingCount == 0 && a.sampleCount == samplesPerFrame {
            var f = a
            f.format = context.outputFormat
            f.sequence = sequence
            sequence += 1
            return context.emit(.audio(f))
        }
        var consumed = 0
        a.withSamples { src in
            while consumed < a.sampleCount {
                if pending == nil {
                    pending = context.acquireBuffer(minimumSamples: samplesPerFrame * ch)
                    pendingCount = 0
                    pendingStart = a.timestamp + Nanos(consumed) * 1_000_000_000 / rate
                    pendingRole = a.role
                }
                let take = min(samplesPerFrame - pendingCount, a.sampleCount - consumed)
                pending!.storage.advanced(by: pendingCount * ch)
                    .update(from: src.baseAddress!.advanced(by: consumed * ch), count: take * ch)
                pendingCount += take
                consumed += take
                if pendingCount == samplesPerFrame { emitPending(context) }
            }
        }
    }

    private func emitPending(_ context: StageContext) {
        guard let buffer = pending, pendingCount > 0 else { return }
        let f = AudioFrame(buffer: buffer, format: context.outputFormat, sampleCount: pendingCount,
                           timestamp: pendingStart, sequence: sequence, role: pendingRole)
        sequence += 1
        pending = nil
        pendingCount = 0
        context.emit(.audio(f))
    }

    public func flush(_ context: StageContext) { emitPending(context) }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        if pendingRole == .agent {
            pending = nil
            pendingCount = 0
        }
    }
}
