// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The agent side of a cloud TTS stage: turns the PCM a provider returns for each text into the
/// frames the pipeline expects, in the order the outputs downstream rely on.
///
/// ```
///   provider task:  enqueue(text₁) enqueue(text₂)  append(text₂, pcm) append(text₁, pcm) … finish(text₁) …
///                          │                                  │ (held: text₁ is still speaking)
///   mailbox, per text:     ▼
///     ttfb metric ─► agentStartedSpeaking ─► TextFrame ─► audio … audio ─► agentStoppedSpeaking
///     (text₁ first, then text₂ with the audio that waited for it)
/// ```
///
/// - **Order.** Texts come out in the order they were enqueued, whatever order the provider's
///   audio arrives in (several contexts of one socket can stream at once): a later text's audio
///   waits in memory until the texts before it are finished.
/// - **Text before its audio.** The `TextFrame` is posted immediately before the text's first
///   audio frame, so an output that shows transcripts in step with playout sees both in order.
/// - **Frames.** PCM (16-bit little-endian mono, any chunking, odd bytes carried over) is cut
///   into frames of `format` from a buffer pool, stamped on the media timeline: a text starts at
///   the media time it arrived at or where the previous text's audio ended, whichever is later,
///   and runs on consecutively.
/// - **Epochs.** Everything is posted with the text's interruption epoch, so the engine drops
///   audio and text of a reply that an interruption cut while it was on its way.
///
/// Not thread-safe: one provider task (an actor, a serial queue, or a lock) owns it.
public final class SpeechOutput {
    /// A text handed to `enqueue`; later calls name it.
    public struct Item: Hashable, Sendable {
        let id: UInt64
    }

    private struct Entry {
        let item: Item
        let request: SpeechRequest
        /// When the provider's first byte for this text arrived (pipeline clock).
        var firstByteAt: Nanos?
        /// Audio that arrived while an earlier text was still speaking.
        var waiting: [UInt8] = []
        var finished = false
    }

    public let stageName: String
    public let format: AudioFormat
    private let mailbox: StageMailbox
    private let clock: any PipelineClock
    private let pool: AudioBufferPool

    private var entries: [Entry] = []
    private var nextID: UInt64 = 0
    /// State of the text at the head of `entries`, once it started speaking.
    private var headStarted = false
    private var headStart: Nanos = 0
    private var headSamples: Int64 = 0
    private var buffer: AudioBuffer?
    private var filled = 0
    private var carry: UInt8?
    private var sequence: UInt64 = 0
    /// Media time where the last spoken text's audio ended (nil after an interruption).
    private var timelineEnd: Nanos?

    /// `sampleRate`: the provider's PCM rate (mono, 16-bit LE); frames of `frameMilliseconds`.
    public init(stageName: String, sampleRate: Int, frameMilliseconds: Int = 20, mailbox: StageMailbox,
                clock: any PipelineClock) {
        self.stageName = stageName
        format = AudioFormat(sampleRate: sampleRate, channels: 1, frameDurationMs: frameMilliseconds)
        self.mailbox = mailbox
        self.clock = clock
        pool = AudioBufferPool(bufferCapacity: format.samplesPerFrame, preallocate: 16)
        entries.reserveCapacity(16)
    }

    /// Whether every enqueued text has been finished or cancelled.
    public var isIdle: Bool { entries.isEmpty }

    /// Texts enqueued and not yet finished or cancelled, oldest first.
    public var pendingCount: Int { entries.count }

    /// Queues a text; nothing is posted until its first audio (or `finish`).
    public func enqueue(_ request: SpeechRequest) -> Item {
        nextID += 1
        let item = Item(id: nextID)
        entries.append(Entry(item: item, request: request))
        return item
    }

    /// Whether any audio arrived for `item` (false once it is gone).
    public func hasAudio(_ item: Item) -> Bool {
        entries.first { $0.item == item }?.firstByteAt != nil
    }

    public func contains(_ item: Item) -> Bool { entries.contains { $0.item == item } }

    /// Audio for `item`: 16-bit little-endian mono PCM at `format.sampleRate`, any length.
    public func append(_ item: Item, pcm: UnsafeRawBufferPointer) {
        guard let index = entries.firstIndex(where: { $0.item == item }), !entries[index].finished, !pcm.isEmpty else {
            return
        }
        if entries[index].firstByteAt == nil { entries[index].firstByteAt = clock.now() }
        if index == 0 {
            startHeadIfNeeded()
            write(pcm)
        } else {
            entries[index].waiting.append(contentsOf: pcm)
        }
    }

    public func append(_ item: Item, pcm: [UInt8]) {
        pcm.withUnsafeBytes { append(item, pcm: $0) }
    }

    /// The provider has sent all of `item`'s audio.
    public func finish(_ item: Item) {
        guard let index = entries.firstIndex(where: { $0.item == item }) else { return }
        entries[index].finished = true
        if index == 0 { drainHead() }
    }

    /// `item` will get no (more) audio: a failure. Posts `agentStoppedSpeaking` if it had started
    /// speaking; a text that never got audio is not posted at all (it was never said).
    public func cancel(_ item: Item) {
        guard let index = entries.firstIndex(where: { $0.item == item }) else { return }
        if index == 0 {
            if headStarted { endHead() } else { entries.removeFirst(); resetHead() }
            drainHead()
        } else {
            entries.remove(at: index)
        }
    }

    /// An interruption: drops every queued text and its audio. The text speaking now gets its
    /// `agentStoppedSpeaking` (so started/stopped stay paired); nothing else is posted. The next
    /// text starts on the media timeline where it arrives.
    public func cancelAll() {
        if !entries.isEmpty, headStarted {
            let epoch = entries[0].request.epoch
            mailbox.post(.control(.agentStoppedSpeaking), epoch: epoch)
        }
        entries.removeAll(keepingCapacity: true)
        resetHead()
        timelineEnd = nil
    }

    // MARK: The head

    /// Posts what has to precede the head's first audio frame: the ttfb metric, the speaking
    /// state and the text itself.
    private func startHeadIfNeeded() {
        guard !headStarted, let head = entries.first else { return }
        headStarted = true
        let epoch = head.request.epoch
        if let firstByteAt = head.firstByteAt {
            // The metric goes first so it is in the turn report before the audio closes the turn.
            let waited = max(0, firstByteAt - head.request.receivedAt)
            mailbox.post(.control(.metric(StageMetric(stage: stageName, name: "ttfb", nanoseconds: waited))), epoch: epoch)
        }
        mailbox.post(.control(.agentStartedSpeaking), epoch: epoch)
        mailbox.post(.text(head.request.text), epoch: epoch)
        headStart = max(head.request.mediaStart, timelineEnd ?? head.request.mediaStart)
        headSamples = 0
    }

    /// Moves audio that waited into the head and ends finished texts, until the head is one
    /// that is still speaking (or nothing is left).
    private func drainHead() {
        while let head = entries.first {
            if !head.waiting.isEmpty || head.firstByteAt != nil || head.finished {
                startHeadIfNeeded()
            }
            if !entries[0].waiting.isEmpty {
                let waiting = entries[0].waiting
                entries[0].waiting = []
                waiting.withUnsafeBytes { write($0) }
            }
            guard entries[0].finished else { return }
            endHead()
        }
    }

    /// Posts the head's last partial frame and `agentStoppedSpeaking`, and removes it.
    private func endHead() {
        let epoch = entries[0].request.epoch
        if filled > 0 { postFrame() }
        mailbox.post(.control(.agentStoppedSpeaking), epoch: epoch)
        timelineEnd = headStart + headSamples * 1_000_000_000 / Int64(format.sampleRate)
        entries.removeFirst()
        resetHead()
    }

    private func resetHead() {
        headStarted = false
        buffer = nil
        filled = 0
        carry = nil
    }

    // MARK: PCM → frames

    private func write(_ pcm: UnsafeRawBufferPointer) {
        var i = 0
        if let low = carry, let high = pcm.first {
            store(Int16(bitPattern: UInt16(low) | UInt16(high) << 8))
            carry = nil
            i = 1
        }
        while i + 1 < pcm.count {
            store(Int16(bitPattern: UInt16(pcm[i]) | UInt16(pcm[i + 1]) << 8))
            i += 2
        }
        if i < pcm.count { carry = pcm[i] }
    }

    private func store(_ sample: Int16) {
        let b: AudioBuffer
        if let current = buffer {
            b = current
        } else {
            b = pool.acquire()
            buffer = b
        }
        b.storage[filled] = sample
        filled += 1
        if filled == format.samplesPerFrame { postFrame() }
    }

    private func postFrame() {
        guard let b = buffer, filled > 0, let head = entries.first else { return }
        let timestamp = headStart + headSamples * 1_000_000_000 / Int64(format.sampleRate)
        let frame = AudioFrame(buffer: b, format: format, sampleCount: filled, timestamp: timestamp,
                               sequence: sequence, role: .agent)
        sequence += 1
        headSamples += Int64(filled)
        buffer = nil
        filled = 0
        mailbox.post(.audio(frame), epoch: head.request.epoch)
    }
}
