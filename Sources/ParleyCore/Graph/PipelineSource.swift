// SPDX-License-Identifier: Apache-2.0

/// How a pulled source is paced.
public enum SourcePacing: Sendable, Hashable {
    /// Frames enter as fast as the pipeline takes them (offline files, benchmarks); queues use
    /// backpressure so nothing is lost.
    case asFastAsPossible
    /// Frames enter when the clock reaches their media timestamp (simulating live capture).
    case realtime
}

/// Something the engine pulls input frames from (a WAV file, a generator).
///
/// Live input (a LiveKit track) does not use this: it pushes into `Pipeline.push(_:)` from its
/// own thread instead. Called only on the pipeline loop.
public protocol PipelineSource: AnyObject {
    /// The format of the audio frames it produces.
    var format: AudioFormat { get }
    /// The next frame, or nil when exhausted (the engine then sends `endOfStream`).
    /// Take buffers from `pools` to avoid allocating.
    func nextFrame(pools: BufferPools) throws -> Frame?
}

/// A source over interleaved Int16 samples in memory, cut into frames of `format`
/// (the last frame may be short). Used by file input and tests.
public final class SampleArraySource: PipelineSource {
    public let format: AudioFormat
    private let samples: [Int16]
    private var position = 0
    private var sequence: UInt64 = 0
    public let role: MediaRole

    public init(samples: [Int16], format: AudioFormat, role: MediaRole = .user) {
        self.samples = samples
        self.format = format
        self.role = role
    }

    public func nextFrame(pools: BufferPools) throws -> Frame? {
        let perFrame = format.samplesPerFrameAllChannels
        guard position < samples.count else { return nil }
        let n = min(perFrame, samples.count - position)
        let buffer = pools.pool(forAtLeast: perFrame).acquire()
        samples.withUnsafeBufferPointer { src in
            buffer.storage.update(from: src.baseAddress! + position, count: n)
        }
        let timestamp = Nanos(position / format.channels) * 1_000_000_000 / Nanos(format.sampleRate)
        position += n
        defer { sequence += 1 }
        return .audio(AudioFrame(buffer: buffer, format: format, sampleCount: n / format.channels,
                                 timestamp: timestamp, sequence: sequence, role: role))
    }
}
