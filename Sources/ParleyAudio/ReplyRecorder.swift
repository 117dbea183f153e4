// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Writes the agent's audio from a pipeline's output to a WAV file on the input's timeline:
/// each reply starts at its frame timestamp (the media time the agent began to answer), with
/// silence in between, so the file lines up with the question when both are played together.
/// Audio that arrives while earlier audio is still "playing" follows it without overlap.
///
/// Runs on the pipeline loop (file output for offline runs); user audio reaching the output
/// is ignored.
public final class ReplyRecorder {
    private let writer: WAVWriter
    public let format: AudioFormat
    private var cursor: Int64 = 0
    private var silence: [Int16]
    public private(set) var agentSamples: Int64 = 0
    public private(set) var firstError: (any Error)?

    public init(path: String, format: AudioFormat) throws {
        self.format = format
        writer = try WAVWriter(path: path, sampleRate: format.sampleRate, channels: format.channels)
        silence = Array(repeating: 0, count: format.samplesPerFrameAllChannels)
    }

    /// Feed every output frame here.
    public func handle(_ frame: Frame) {
        guard case .audio(let a) = frame, a.role == .agent, firstError == nil else { return }
        let start = a.timestamp * Int64(format.sampleRate) / 1_000_000_000
        do {
            while cursor < start {
                let n = Int(min(Int64(silence.count / format.channels), start - cursor))
                try silence.withUnsafeBufferPointer { try writer.write(UnsafeBufferPointer(rebasing: $0[0..<(n * format.channels)])) }
                cursor += Int64(n)
            }
            try a.withSamples { try writer.write($0) }
            cursor += Int64(a.sampleCount)
            agentSamples += Int64(a.sampleCount)
        } catch {
            firstError = error
        }
    }

    /// Pads to `mediaEnd` (so the reply file is at least as long as the input) and closes.
    public func finish(padTo mediaEnd: Nanos) throws {
        if let firstError { throw firstError }
        let end = mediaEnd * Int64(format.sampleRate) / 1_000_000_000
        while cursor < end {
            let n = Int(min(Int64(silence.count / format.channels), end - cursor))
            try silence.withUnsafeBufferPointer { try writer.write(UnsafeBufferPointer(rebasing: $0[0..<(n * format.channels)])) }
            cursor += Int64(n)
        }
        try writer.close()
    }
}
