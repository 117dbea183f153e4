// SPDX-License-Identifier: Apache-2.0

import Dispatch
import ParleyCore
import ParleyWebRTC
import Synchronization

/// Paces the agent's audio into a published track in real time: the pipeline produces speech
/// faster than it plays (TTS runs ahead), the track must receive exactly one 20 ms frame per
/// 20 ms. A ring buffer sized at start sits between them (enqueueing never allocates); a timer on
/// its own queue takes one frame per tick, on a deadline schedule so ticks do not drift.
///
/// ```
///   pipeline loop ── enqueue(AudioFrame 48 kHz mono) ──► ring (30 s) ──► tick every 20 ms ──► LocalAudioTrack.push
///   interruption ── clear() ──► ring emptied: playout stops within one frame
/// ```
///
/// `@unchecked Sendable`: the only non-Sendable field is the dispatch timer, whose `cancel()`
/// is thread-safe; everything mutable is in the `Mutex`.
public final class AudioPlayout: @unchecked Sendable {
    public static let samplesPerTick = 960

    private struct Ring {
        var storage: [Int16]
        var head = 0
        var count = 0
        var playing = false
        var dropped = 0
        var played = 0
    }

    private let ring: Locked<Ring>
    private let track: LocalAudioTrack
    private let queue = DispatchQueue(label: "parley.playout", qos: .userInteractive)
    private let timer: any DispatchSourceTimer
    /// Called (on the playout queue) when audio starts flowing after silence, and when it runs dry.
    private let onState: @Sendable (_ playing: Bool) -> Void

    public init(track: LocalAudioTrack, capacitySeconds: Int = 30, onState: @escaping @Sendable (Bool) -> Void = { _ in }) {
        self.track = track
        self.onState = onState
        ring = Locked(Ring(storage: [Int16](repeating: 0, count: 48_000 * capacitySeconds)))
        timer = DispatchSource.makeTimerSource(flags: .strict, queue: queue)
        let ring = self.ring
        timer.setEventHandler { [track, onState] in
            // One array per tick: the track hands it to the connection's queue, so reusing a
            // buffer would copy on write anyway.
            var frame = [Int16](repeating: 0, count: Self.samplesPerTick)
            let (hasFrame, changed, playing) = ring.withLock { r -> (Bool, Bool, Bool) in
                guard r.count > 0 else {
                    defer { r.playing = false }
                    return (false, r.playing, false)
                }
                let n = min(Self.samplesPerTick, r.count)
                for i in 0..<Self.samplesPerTick {
                    frame[i] = i < n ? r.storage[(r.head + i) % r.storage.count] : 0
                }
                r.head = (r.head + n) % r.storage.count
                r.count -= n
                r.played += 1
                defer { r.playing = true }
                return (true, !r.playing, true)
            }
            if hasFrame { track.push(frame) }
            if changed { onState(playing) }
        }
        timer.schedule(deadline: .now(), repeating: .milliseconds(20), leeway: .milliseconds(1))
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Queues agent audio (48 kHz mono). Audio beyond the ring's capacity is dropped and counted.
    public func enqueue(_ frame: AudioFrame) {
        precondition(frame.format.sampleRate == 48_000 && frame.format.channels == 1, "playout takes 48 kHz mono")
        frame.withSamples { samples in
            ring.withLock { r in
                let capacity = r.storage.count
                for sample in samples {
                    guard r.count < capacity else {
                        r.dropped += 1
                        continue
                    }
                    r.storage[(r.head + r.count) % capacity] = sample
                    r.count += 1
                }
            }
        }
    }

    /// Drops everything not yet played (an interruption).
    public func clear() {
        ring.withLock { r in
            r.count = 0
        }
    }

    /// Audio waiting to play, in milliseconds.
    public var bufferedMilliseconds: Int { ring.withLock { $0.count / 48 } }

    public func stop() { timer.cancel() }
}
