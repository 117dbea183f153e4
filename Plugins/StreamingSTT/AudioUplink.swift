// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import Synchronization

/// The audio (and control messages) on their way from the pipeline loop to one provider socket.
///
/// ```
///   loop      write(frame) ──copy──► ring (preallocated Int16) ─┐            no allocation, never waits
///             send(text, flushingAudio:) ─► commands ──────────┤ doorbell
///   sender    next() ◄─────────────────────────────────────────┘ ──► [UInt8] / String ──► socket.send
///   receiver  media(atProviderSeconds:), sentAt(providerSeconds:) ◄── timeline, send log
/// ```
///
/// The loop only copies samples into a ring buffer allocated with the connection and rings a
/// doorbell (resuming the sender task if it waits); the sender task cuts messages to the
/// provider's `AudioChunking`, allocates their bytes and hands them to the WebSocket. While the
/// connection is still being opened the ring holds the audio (10 s by default); beyond that the
/// oldest unsent audio is dropped and counted, and the timeline keeps the result times right.
///
/// A control message that flushes audio (finalize, end of stream) goes out after every sample
/// written before it, padded to the minimum message size if the provider needs that; one that
/// does not (keep-alive) goes out at once.
final class AudioUplink: Sendable {
    enum Outbound: Sendable, Equatable {
        case audio([UInt8])
        case text(String)
    }

    struct Command {
        /// Ring position the command follows (every sample before it goes first).
        var position: Int64
        var text: String
        var flushesAudio: Bool
    }

    private struct State {
        var ring: [Int16]
        /// Samples ever written / taken by the sender (ring positions).
        var written: Int64 = 0
        var read: Int64 = 0
        /// Samples sent to the provider, silence padding included: the provider's clock.
        var providerOffset: Int64 = 0
        var commands: [Command] = []
        var waiter: CheckedContinuation<Void, Never>?
        /// No more writes: end of stream was requested.
        var closed = false
        /// The sender stops: the socket ended or the session was abandoned.
        var finished = false
        var droppedSamples: Int64 = 0
        var timeline: StreamTimeline
        /// (provider offset at the end of a message, pipeline clock when it was handed to the socket).
        var sendLog: [(end: Int64, at: Nanos)] = []
        var sendLogNext = 0
    }

    static let sendLogSize = 256

    let chunking: AudioChunking
    let sampleRate: Int
    private let clock: any PipelineClock
    private let state: Mutex<State>

    init(chunking: AudioChunking, sampleRate: Int, bufferSeconds: Int = 10, clock: any PipelineClock) {
        self.chunking = chunking
        self.sampleRate = sampleRate
        self.clock = clock
        var initial = State(ring: [Int16](repeating: 0, count: max(chunking.maximumSamples * 2, sampleRate * bufferSeconds)),
                            timeline: StreamTimeline(sampleRate: sampleRate))
        initial.commands.reserveCapacity(8)
        initial.sendLog.reserveCapacity(Self.sendLogSize)
        state = Mutex(initial)
    }

    // MARK: Loop side

    /// Copies a (mono) frame's samples in. False when the uplink no longer takes audio (the
    /// connection ended or end of stream was requested): the caller opens a new one.
    func write(_ frame: AudioFrame) -> Bool {
        let waiter: CheckedContinuation<Void, Never>?? = frame.withSamples { samples in
            state.withLock { s -> CheckedContinuation<Void, Never>?? in
                guard !s.finished, !s.closed else { return .none }
                let count = samples.count / max(1, frame.format.channels)
                let capacity = Int64(s.ring.count)
                let overflow = s.written + Int64(count) - s.read - capacity
                if overflow > 0 {
                    // Connecting for too long: the oldest unsent audio goes (the timeline keeps times right).
                    s.read += overflow
                    s.droppedSamples += overflow
                }
                s.timeline.wrote(at: s.written, timestamp: frame.timestamp, samples: count)
                let channels = frame.format.channels
                s.ring.withUnsafeMutableBufferPointer { ring in
                    var position = Int(s.written % capacity)
                    for i in 0..<count {
                        ring[position] = samples[i * channels]
                        position += 1
                        if position == ring.count { position = 0 }
                    }
                }
                s.written += Int64(count)
                return .some(Self.takeWaiterIfWorkReady(&s, chunking))
            }
        }
        guard case .some(let ready) = waiter else { return false }
        ready?.resume()
        return true
    }

    /// Queues a control message. `flushingAudio`: it follows every sample written so far.
    @discardableResult
    func send(_ text: String, flushingAudio: Bool) -> Bool {
        let waiter: CheckedContinuation<Void, Never>?? = state.withLock { s in
            guard !s.finished, !s.closed else { return .none }
            s.commands.append(Command(position: s.written, text: text, flushesAudio: flushingAudio))
            defer { s.waiter = nil }
            return .some(s.waiter)
        }
        guard case .some(let ready) = waiter else { return false }
        ready?.resume()
        return true
    }

    /// Queues the end-of-stream message (after all audio); no more audio is taken after it.
    @discardableResult
    func close(with text: String) -> Bool {
        guard send(text, flushingAudio: true) else { return false }
        state.withLock { $0.closed = true }
        return true
    }

    /// Samples dropped because the ring was full (the provider was not connected in time).
    var droppedSamples: Int64 { state.withLock { $0.droppedSamples } }

    // MARK: Sender side

    /// The next message to send, waiting for one; nil once the uplink has finished.
    func next() async -> Outbound? {
        while true {
            let (item, done) = state.withLock { s in (take(&s), s.finished) }
            if let item { return item }
            if done { return nil }
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.finished || Self.hasWork(s, chunking) { return true }
                    s.waiter = waiter
                    return false
                }
                if now { waiter.resume() }
            }
        }
    }

    /// Stops the sender (the socket ended, or the session is abandoned). Idempotent.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    private func take(_ s: inout State) -> Outbound? {
        guard !s.finished else { return nil }
        // Keep-alives don't wait for audio.
        if let i = s.commands.firstIndex(where: { !$0.flushesAudio }) {
            return .text(s.commands.remove(at: i).text)
        }
        let available = s.written - s.read
        if let command = s.commands.first {
            let before = command.position - s.read
            if before <= 0 {
                s.commands.removeFirst()
                return .text(command.text)
            }
            let count = Int(min(before, Int64(chunking.maximumSamples)))
            let padding = chunking.padsShortFlushes ? max(0, chunking.minimumSamples - count) : 0
            return .audio(takeAudio(&s, count: count, padding: padding))
        }
        guard available >= Int64(chunking.minimumSamples) else { return nil }
        return .audio(takeAudio(&s, count: Int(min(available, Int64(chunking.maximumSamples))), padding: 0))
    }

    /// Little-endian PCM16 bytes of the next `count` ring samples and `padding` samples of silence.
    private func takeAudio(_ s: inout State, count: Int, padding: Int) -> [UInt8] {
        s.timeline.sending(ringStart: s.read, count: count, providerOffset: s.providerOffset)
        let capacity = s.ring.count
        let bytes = [UInt8](unsafeUninitializedCapacity: (count + padding) * 2) { out, initialized in
            s.ring.withUnsafeBufferPointer { ring in
                var position = Int(s.read % Int64(capacity))
                for i in 0..<count {
                    let v = UInt16(bitPattern: ring[position])
                    out[2 * i] = UInt8(truncatingIfNeeded: v)
                    out[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    position += 1
                    if position == capacity { position = 0 }
                }
            }
            for i in (2 * count)..<(2 * (count + padding)) { out[i] = 0 }
            initialized = 2 * (count + padding)
        }
        s.read += Int64(count)
        s.providerOffset += Int64(count + padding)
        s.timeline.sent(through: s.read)
        let entry = (end: s.providerOffset, at: clock.now())
        if s.sendLog.count < Self.sendLogSize {
            s.sendLog.append(entry)
        } else {
            s.sendLog[s.sendLogNext] = entry
        }
        s.sendLogNext = (s.sendLogNext + 1) % Self.sendLogSize
        return bytes
    }

    private static func hasWork(_ s: State, _ chunking: AudioChunking) -> Bool {
        !s.commands.isEmpty || s.written - s.read >= Int64(chunking.minimumSamples)
    }

    private static func takeWaiterIfWorkReady(_ s: inout State, _ chunking: AudioChunking)
        -> CheckedContinuation<Void, Never>? {
        guard s.waiter != nil, hasWork(s, chunking) else { return nil }
        defer { s.waiter = nil }
        return s.waiter
    }

    // MARK: Receiver side

    /// Media time of a provider time (seconds since the connection's first audio).
    func media(atProviderSeconds seconds: Double) -> Nanos {
        state.withLock { $0.timeline.media(atProviderSeconds: seconds) }
    }

    /// Media time of the end of the audio sent so far.
    var sentMediaEnd: Nanos {
        state.withLock { $0.timeline.media(atProviderOffset: $0.providerOffset) }
    }

    /// Pipeline clock time at which the audio at provider time `seconds` was handed to the
    /// socket (the first message reaching it), if it is still in the send log.
    func sentAt(providerSeconds seconds: Double) -> Nanos? {
        let offset = Int64((seconds * Double(sampleRate)).rounded())
        return state.withLock { s in
            s.sendLog.filter { $0.end >= offset }.min { $0.end < $1.end }?.at
        }
    }
}
