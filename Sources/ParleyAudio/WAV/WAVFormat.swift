// SPDX-License-Identifier: Apache-2.0

/// The sample layout of a WAV file: rate, channel count and on-disk encoding.
///
/// The encoding describes what is stored in the file; `WAVReader` always hands
/// samples back as Int16 so the rest of the pipeline has a single sample type.
public struct WAVFormat: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var encoding: Encoding

    public enum Encoding: Sendable, Equatable {
        /// 8-bit unsigned integer (WAV stores 8-bit PCM offset by 128).
        case pcm8
        /// 16-bit signed little-endian integer.
        case pcm16
        /// 24-bit signed little-endian integer, packed in 3 bytes.
        case pcm24
        /// 32-bit signed little-endian integer.
        case pcm32
        /// 32-bit IEEE float, nominal range -1...1.
        case float32
        /// 64-bit IEEE float, nominal range -1...1.
        case float64

        /// Bytes one sample occupies in the data chunk.
        public var bytesPerSample: Int {
            switch self {
            case .pcm8: 1
            case .pcm16: 2
            case .pcm24: 3
            case .pcm32, .float32: 4
            case .float64: 8
            }
        }

        public var bitsPerSample: Int { bytesPerSample * 8 }

        public var isFloat: Bool { self == .float32 || self == .float64 }
    }

    public init(sampleRate: Int, channels: Int, encoding: Encoding) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.encoding = encoding
    }

    /// Bytes per interleaved frame (one sample for every channel).
    public var bytesPerFrame: Int { channels * encoding.bytesPerSample }

    /// Sample rates the reader and writer accept. The upper bound is the
    /// highest rate real hardware produces; anything beyond it in a header is
    /// far more likely corruption than audio.
    public static let supportedSampleRates: ClosedRange<Int> = 1...384_000

    /// Channel counts the reader and writer accept. 32 covers every real
    /// speaker/mic-array layout while rejecting garbage headers early.
    public static let supportedChannels: ClosedRange<Int> = 1...32
}
