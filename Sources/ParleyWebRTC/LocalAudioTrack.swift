// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import Synchronization

/// An audio source we send: push 20 ms frames of 48 kHz mono PCM (960 samples) in real time;
/// the peer connection it was added to encodes them with Opus and sends them as RTP
/// (RFC 7587) once the connection is up. Frames pushed before that are dropped (counted).
///
/// Any thread may push; the frame is handed to the peer connection's queue.
public final class LocalAudioTrack: Sendable {
    public let id: String
    public let streamID: String
    /// 48 kHz, mono, 20 ms: what the encoder and the RTP clock expect.
    public static let format = AudioFormat.standard

    private let sink = Mutex<(@Sendable ([Int16]) -> Void)?>(nil)

    public init(id: String = "parley-audio", streamID: String = "parley") {
        self.id = id
        self.streamID = streamID
    }

    /// Pushes one frame of exactly 960 samples. Returns false if the track is not attached yet.
    @discardableResult
    public func push(_ samples: [Int16]) -> Bool {
        precondition(samples.count == Self.format.samplesPerFrame, "push 20 ms frames (960 samples at 48 kHz mono)")
        guard let sink = sink.withLock({ $0 }) else { return false }
        sink(samples)
        return true
    }

    /// Pushes an `AudioFrame` of the track's format.
    @discardableResult
    public func push(_ frame: AudioFrame) -> Bool {
        precondition(frame.format == Self.format, "LocalAudioTrack takes \(Self.format), got \(frame.format)")
        var samples = [Int16](repeating: 0, count: Self.format.samplesPerFrame)
        frame.withSamples { pcm in for i in 0..<pcm.count { samples[i] = pcm[i] } }
        return push(samples)
    }

    func attach(_ deliver: (@Sendable ([Int16]) -> Void)?) {
        sink.withLock { $0 = deliver }
    }
}
