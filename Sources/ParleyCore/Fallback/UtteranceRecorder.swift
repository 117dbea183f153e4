// SPDX-License-Identifier: Apache-2.0

/// What an STT `FallbackStage` keeps so that another provider can transcribe an utterance
/// the serving one failed on: the user audio and VAD events since the onset of the oldest
/// utterance still waiting for its transcript (plus a pre-roll before it), in the order the
/// provider was given them.
///
/// ```
///   no utterance open:  audio ─► pre-roll ring (the last `preRoll` of audio)
///   userStartedSpeaking: log = pre-roll + [started]          segment 1 opens
///   audio…               log += audio
///   userStoppedSpeaking: log += [stopped]                    segment 1 waits for its transcript
///   (userStartedSpeaking again: segment 2 opens in the same log, its start a pre-roll back)
///   transcript:          the oldest segment has output; a final one for a stopped segment
///                        closes it and drops its part of the log
/// ```
///
/// Transcripts are matched to segments in order (providers transcribe utterances in order).
/// A segment with any transcript out (interim or final) is never replayed: its words already
/// went downstream. A provider that sends several finals for one utterance closes it at the
/// first; a later final then counts for the next segment, which only makes that segment
/// "answered" early (not replayed), never heard twice.
///
/// Frames are kept by reference (audio buffers are shared, not copied); the log and the ring
/// are allocated once, so recording allocates nothing per frame. The pipeline's buffer pool
/// grows once to cover the frames held here (up to `maxReplay` of audio).
final class UtteranceRecorder {
    struct Segment {
        /// Index in `log` of the segment's first frame (its pre-roll).
        var start: Int
        var stopped = false
        /// A transcript for it went downstream.
        var answered = false
    }

    private(set) var log: [Frame] = []
    private(set) var segments: [Segment] = []
    /// Set when the log hit its capacity: the open utterances can't be replayed whole.
    private(set) var overflowed = false
    private let capacity: Int
    private let preRollFrames: Int
    private var ring: [Frame?]
    private var ringNext = 0
    private var ringCount = 0

    init(frameDuration: Nanos, preRoll: Nanos, maxReplay: Nanos) {
        let frame = max(1, frameDuration)
        preRollFrames = Int((preRoll + frame - 1) / frame)
        capacity = Int((maxReplay + frame - 1) / frame) + preRollFrames + 64
        log.reserveCapacity(capacity)
        segments.reserveCapacity(8)
        ring = Array(repeating: nil, count: max(1, preRollFrames))
    }

    /// No utterance is waiting for a transcript.
    var isIdle: Bool { segments.isEmpty }

    /// The oldest open utterance has ended and has no transcript yet: one is due.
    var transcriptDue: Bool { segments.first.map { $0.stopped && !$0.answered } ?? false }

    // MARK: Recording

    func audio(_ frame: Frame) {
        if segments.isEmpty {
            guard preRollFrames > 0 else { return }
            ring[ringNext] = frame
            ringNext = (ringNext + 1) % ring.count
            ringCount = min(ringCount + 1, ring.count)
        } else {
            append(frame)
        }
    }

    func started(_ control: ControlFrame) {
        if segments.isEmpty {
            log.removeAll(keepingCapacity: true)
            overflowed = false
            forEachPreRollFrame { log.append($0) }
            clearRing()
            segments.append(Segment(start: 0))
        } else {
            // A pre-roll back from here, but only audio after the segment before (never its
            // VAD events: replaying them would transcribe that segment again).
            var start = log.count
            while start > 0, log.count - start < preRollFrames, case .audio = log[start - 1] { start -= 1 }
            segments.append(Segment(start: start))
        }
        append(.control(control))
    }

    /// `userStoppedSpeaking`, `flush`: recorded in place.
    func control(_ control: ControlFrame) {
        guard !segments.isEmpty else { return }
        if case .userStoppedSpeaking = control { segments[segments.count - 1].stopped = true }
        append(.control(control))
    }

    private func append(_ frame: Frame) {
        guard !overflowed else { return }
        if log.count >= capacity {
            overflowed = true
            return
        }
        log.append(frame)
    }

    // MARK: Transcripts

    /// A transcript came from the serving provider: the oldest open segment has output; a
    /// final one for a stopped segment closes it.
    func transcript(isFinal: Bool) {
        guard !segments.isEmpty else { return }
        segments[0].answered = true
        if isFinal && segments[0].stopped { closeOldest() }
    }

    /// After the serving provider failed: an oldest segment that has output is given up
    /// (never replayed). Returns whether one was.
    func dropAnswered() -> Bool {
        guard let first = segments.first, first.answered else { return false }
        closeOldest()
        return true
    }

    /// What another provider must be fed to take over: the open segments' frames, or (none
    /// open) the pre-roll, so its next utterance starts with the audio before the onset.
    var replayFrames: [Frame] {
        if let first = segments.first { return Array(log[first.start...]) }
        var frames: [Frame] = []
        forEachPreRollFrame { frames.append($0) }
        return frames
    }

    /// Forgets the open segments (given up); audio goes to the pre-roll ring again.
    func reset() {
        log.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
        overflowed = false
    }

    private func closeOldest() {
        if segments.count > 1 {
            let cut = segments[1].start
            log.removeSubrange(0..<cut)
            segments.removeFirst()
            for i in segments.indices { segments[i].start -= cut }
        } else {
            // Nothing open any more: the last audio is the next utterance's pre-roll.
            var first = log.count
            var audioFrames = 0
            while first > 0 && audioFrames < preRollFrames {
                first -= 1
                if case .audio = log[first] { audioFrames += 1 }
            }
            segments.removeAll(keepingCapacity: true)
            clearRing()
            for i in first..<log.count where log[i].kind == .audio { audio(log[i]) }
            reset()
        }
    }

    // MARK: Pre-roll ring

    /// The pre-roll ring's frames, oldest first.
    private func forEachPreRollFrame(_ body: (Frame) -> Void) {
        let size = ring.count
        var k = (ringNext - ringCount + size) % size
        for _ in 0..<ringCount {
            if let frame = ring[k] { body(frame) }
            k = (k + 1) % size
        }
    }

    private func clearRing() {
        for i in ring.indices { ring[i] = nil }
        ringNext = 0
        ringCount = 0
    }
}
