// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import Synchronization

/// Plays the user's side into every session of a run, in real time, from one thread: frame k
/// of the input WAV is pushed at t0 + (k+1) · frame (when its last sample would have been
/// captured), stamped with its push time as live input is (`RoomSession` does the same), so
/// media time is clock time. After the input, silence follows until `stop()`.
///
/// The push times are kept: a turn's end of speech is when the frame holding its last sample
/// was pushed (PROTOCOL.md), and a frame pushed more than one frame late counts as late.
public final class InputFeeder: @unchecked Sendable {
    // `@unchecked Sendable`: `pushTimes` and the pool are touched only by the feeder thread
    // until `finished` is signalled; readers wait for that (`waitUntilStopped`) first.
    public let frameSamples: Int
    public let format: AudioFormat
    private let samples: [Int16]
    private let sessions: [Pipeline]
    /// Per session, the Opus subscribe path its frames come through (nil: PCM pushed as is).
    private let paths: [SubscribePath?]
    private let clock = SystemClock()
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var pushTimes: [Nanos] = []
    private var lateFrames = 0
    public private(set) var t0: Nanos = 0

    init(samples: [Int16], format: AudioFormat, sessions: [Pipeline], paths: [SubscribePath?]? = nil) {
        self.samples = samples
        self.format = format
        self.sessions = sessions
        self.paths = paths ?? Array(repeating: nil, count: sessions.count)
        frameSamples = format.samplesPerFrame
        pushTimes.reserveCapacity(samples.count / frameSamples + 4096)
    }

    /// Starts feeding; t0 is now + `delay`.
    public func start(after delay: Nanos = 20_000_000) {
        t0 = clock.now() + delay
        let thread = Thread { [self] in run() }
        thread.name = "parley.bench.input"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    public func stop() { stopFlag.store(true, ordering: .releasing) }

    /// Waits for the thread to end (after `stop()`); then the push times can be read.
    public func waitUntilStopped() { finished.wait(); finished.signal() }

    /// When frame `k` was pushed (SystemClock), after the run.
    public func pushTime(ofFrame k: Int) -> Nanos? { k < pushTimes.count ? pushTimes[k] : nil }
    public var framesLate: Int { lateFrames }
    public var inputFrames: Int { (samples.count + frameSamples - 1) / frameSamples }

    private func run() {
        let pool = AudioBufferPool(bufferCapacity: frameSamples, preallocate: 64)
        let period = Nanos(format.frameDurationMs) * 1_000_000
        var k = 0
        while !stopFlag.load(ordering: .acquiring) {
            let due = t0 + Nanos(k + 1) * period
            var now = clock.now()
            if due > now {
                var ts = timespec(tv_sec: Int((due - now) / 1_000_000_000), tv_nsec: Int((due - now) % 1_000_000_000))
                nanosleep(&ts, nil)
                now = clock.now()
            }
            if now - due > period { lateFrames += 1 }
            let start = k * frameSamples
            for (i, pipeline) in sessions.enumerated() {
                if let path = paths[i] {
                    pipeline.push(.audio(path.frame(tick: k, now: now, t0: t0)))
                    continue
                }
                let buffer = pool.acquire()
                if start < samples.count {
                    let n = min(frameSamples, samples.count - start)
                    samples.withUnsafeBufferPointer { buffer.storage.update(from: $0.baseAddress! + start, count: n) }
                    if n < frameSamples { (buffer.storage + n).update(repeating: 0, count: frameSamples - n) }
                } else {
                    buffer.storage.update(repeating: 0, count: frameSamples)
                }
                pipeline.push(.audio(AudioFrame(buffer: buffer, format: format, timestamp: now, sequence: UInt64(k))))
            }
            pushTimes.append(now)
            k += 1
        }
        finished.signal()
    }
}
