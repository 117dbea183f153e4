// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which side of the conversation produced a piece of media or text.
///
/// The role decides what an interruption does: `.user` media (the microphone) is never
/// cancelled, because the user's new speech is exactly what the interruption is about;
/// `.agent` media (synthesized speech, generated text) belongs to the reply being cut off,
/// so an interruption purges it from every queue downstream of the stage that raised it.
public enum MediaRole: UInt8, Sendable, Hashable {
    case user
    case agent
}

/// A time on a pipeline's clock or media timeline, in nanoseconds.
public typealias Nanos = Int64

/// PCM audio: interleaved Int16 samples in a pooled, shared buffer.
///
/// - Storage is Int16 (what Opus, WebRTC and WAV exchange); `floatSample(_:)` and
///   `copyFloats(into:)` give the Float view DSP code wants, scaled to -1...1.
/// - `timestamp` is the media time of the first sample (capture time for live input,
///   position in the file for file input); `sequence` counts frames per source.
/// - **Interruption:** `.user` audio survives an interruption; `.agent` audio queued
///   downstream of the interrupting stage is dropped (counted as purged), and stages holding
///   agent audio in flight discard it in `Stage.interrupted`.
/// - **Overflow:** `.user` audio is the only frame the engine may drop when a realtime edge
///   is full (oldest first, counted per edge); agent audio is never dropped.
public struct AudioFrame: Sendable {
    public private(set) var buffer: AudioBuffer
    public var format: AudioFormat
    /// Samples per channel actually present (≤ format.samplesPerFrame; a file's last frame can be short).
    public var sampleCount: Int
    public var timestamp: Nanos
    public var sequence: UInt64
    public var role: MediaRole

    /// Wraps `buffer` (which must hold at least `sampleCount × channels` samples).
    public init(buffer: AudioBuffer, format: AudioFormat, sampleCount: Int? = nil, timestamp: Nanos,
                sequence: UInt64, role: MediaRole = .user) {
        let count = sampleCount ?? format.samplesPerFrame
        precondition(count * format.channels <= buffer.capacity, "AudioFrame larger than its buffer")
        self.buffer = buffer
        self.format = format
        self.sampleCount = count
        self.timestamp = timestamp
        self.sequence = sequence
        self.role = role
    }

    /// A silent frame from `pool`.
    public static func silence(format: AudioFormat, pool: AudioBufferPool, timestamp: Nanos, sequence: UInt64,
                               role: MediaRole = .user) -> AudioFrame {
        let b = pool.acquire()
        b.storage.update(repeating: 0, count: format.samplesPerFrameAllChannels)
        return AudioFrame(buffer: b, format: format, timestamp: timestamp, sequence: sequence, role: role)
    }

    /// Interleaved samples present in this frame.
    public var interleavedCount: Int { sampleCount * format.channels }
    public var duration: Nanos { Int64(sampleCount) * 1_000_000_000 / Int64(format.sampleRate) }
    /// Media time just after the last sample.
    public var endTimestamp: Nanos { timestamp + duration }

    @inlinable
    public func withSamples<R>(_ body: (UnsafeBufferPointer<Int16>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: buffer.storage, count: interleavedCount))
    }

    /// Gives write access to the samples, copying them into a buffer from `pool` first if any
    /// other frame shares the current one (copy-on-write).
    public mutating func withWritableSamples<R>(pool: AudioBufferPool,
                                                _ body: (UnsafeMutableBufferPointer<Int16>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&buffer) {
            let fresh = pool.acquire()
            precondition(fresh.capacity >= interleavedCount, "pool buffers too small for frame")
            fresh.storage.update(from: buffer.storage, count: interleavedCount)
            buffer = fresh
        }
        return try body(UnsafeMutableBufferPointer(start: buffer.storage, count: interleavedCount))
    }

    /// Sample `index` (interleaved) as Float in -1...1.
    @inlinable
    public func floatSample(_ index: Int) -> Float {
        Float(buffer.storage[index]) * (1.0 / 32768.0)
    }

    /// Writes the Float view of the samples into `out` (which must hold `interleavedCount`).
    public func copyFloats(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= interleavedCount)
        let scale: Float = 1.0 / 32768.0
        for i in 0..<interleavedCount { out[i] = Float(buffer.storage[i]) * scale }
    }

    /// Root-mean-square level in dBFS (−∞ for digital silence), used by VADs and meters.
    public var levelDBFS: Double {
        var sum: Double = 0
        let n = interleavedCount
        if n == 0 { return -.infinity }
        for i in 0..<n { let s = Double(buffer.storage[i]); sum += s * s }
        let rms = (sum / Double(n)).squareRoot() / 32768.0
        return rms > 0 ? 20 * log10(rms) : -.infinity
    }
}

