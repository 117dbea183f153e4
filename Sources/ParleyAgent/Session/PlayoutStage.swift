// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The last stage of a voice session: plays agent audio out at its real pace, releases the
/// agent's transcript in step with it, and knows exactly what the user has heard.
///
/// ```
///   TTS ─► text₁ audio audio audio text₂ audio …  ─► [ queue ] ─► one frame per frame-duration ─► output
///                                                     ▲   │          (text released when its first
///          turn manager: .playout(.pause/.resume) ────┘   │           frame plays; agent started/
///          interruption: drop the queue, cut the reply ◄──┘           stopped speaking at the real edges)
///                        in the Conversation to what was heard
/// ```
///
/// - **Paced** (rooms, `--realtime`): a frame leaves when the previous one has played (`lead`
///   earlier, zero by default), so a pause or an interruption silences the output within one frame.
/// - **Unpaced** (`parley run` as fast as possible): everything leaves at once; what left is
///   what was heard.
///
/// A TTS stage posts each agent `TextFrame` immediately before the first audio of that text,
/// so the queue alternates text and its audio; the text's share of a reply that was cut is
/// estimated from the share of its audio that played, to whole words.
///
/// User frames (audio, transcripts, text) pass straight through. The TTS's own
/// `agentStartedSpeaking`/`agentStoppedSpeaking` (synthesis edges) are replaced by this
/// stage's (playout edges), which is what `lk.agent.state` and the turn manager need.
public final class PlayoutStage: Stage {
    public let name = "playout"
    public var accepts: FrameKinds { [.audio, .text, .transcript] }
    public var produces: FrameKinds { [.audio, .text, .control] }

    public let paced: Bool
    let conversation: Conversation

    /// Queued agent frames (audio and text markers), oldest at `head`.
    private var queue: [Frame] = []
    private var head = 0
    private var paused = false
    private var pausedAt: Nanos = 0
    private var speaking = false
    /// Pipeline-clock time at which the audio released so far ends.
    private var playedUntil: Nanos = 0
    private var heldEndOfStream = false

    // What has been heard of the reply being played.
    private var replyID: String?
    private var interruptible = true
    private var heardSentences: [String] = []
    private var currentText: String?
    /// Clock time the current text's first frame started playing, and the audio released for it.
    private var currentTextStart: Nanos = 0
    private var currentTextReleased: Nanos = 0

    static let timerID = 1
    /// How far ahead of its play time a frame is released. Zero: a frame leaves when it starts
    /// playing, so at a pause or an interruption at most the one frame playing still sounds.
    /// An output that needs a cushion (a network sender's own ticks) may ask for more.
    public let lead: Nanos

    public init(conversation: Conversation, paced: Bool, lead: Nanos = 0) {
        self.conversation = conversation
        self.paced = paced
        self.lead = lead
        queue.reserveCapacity(2_048)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        switch frame {
        case .audio(let a) where a.role == .agent:
            enqueue(frame, context)
        case .text(let t) where t.role == .agent:
            enqueue(frame, context)
        default:
            context.emit(frame)
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .agentStartedSpeaking, .agentStoppedSpeaking:
            return .consume
        case .playout(.pause):
            if !paused {
                paused = true
                pausedAt = context.now()
                context.cancelTimer(id: Self.timerID)
            }
            return .consume
        case .playout(.resume):
            guard paused else { return .consume }
            paused = false
            // The pause moved everything not yet played later by its length.
            let shift = context.now() - pausedAt
            currentTextStart += shift
            playedUntil += shift
            pump(context)
            return .consume
        case .endOfStream:
            // Hold it until the queued audio has played (unpaused; a paused end is released).
            if queuedCount > 0 && !paused {
                heldEndOfStream = true
                return .consume
            }
            finishSpeaking(context)
            return .forward
        default:
            return .forward
        }
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        if let replyID {
            conversation.truncateReply(replyID, toHeard: heardText(at: paused ? pausedAt : context.now()))
        }
        queue.removeAll(keepingCapacity: true)
        head = 0
        paused = false
        context.cancelTimer(id: Self.timerID)
        finishSpeaking(context)
        if heldEndOfStream {
            heldEndOfStream = false
            context.emit(.endOfStream)
        }
    }

    public func timerFired(id: Int, _ context: StageContext) { pump(context) }

    // MARK: Queue

    private var queuedCount: Int { queue.count - head }

    private func enqueue(_ frame: Frame, _ context: StageContext) {
        queue.append(frame)
        if !paused { pump(context) }
    }

    private func pop() -> Frame {
        let f = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1_024 && head * 2 >= queue.count {
            queue.removeSubrange(0..<head)
            head = 0
        }
        return f
    }

    /// Releases what may play now; arms the timer for the next frame or the end of speech.
    private func pump(_ context: StageContext) {
        guard !paused else { return }
        let now = context.now()
        while head < queue.count {
            // A text waits for the audio before it to finish, like the audio after it.
            if paced && speaking && playedUntil - lead > now {
                context.schedule(after: playedUntil - lead - now, id: Self.timerID)
                return
            }
            switch queue[head] {
            case .text(let t):
                _ = pop()
                startText(t, at: max(now, playedUntil))
                context.emit(.text(t))
            case .audio(let a):
                _ = pop()
                if !speaking {
                    speaking = true
                    playedUntil = now
                    currentTextStart = max(currentTextStart, now)
                    publishSpeech()
                    context.emit(.agentStartedSpeaking)
                }
                let duration = a.duration
                playedUntil += duration
                currentTextReleased += duration
                context.emit(.audio(a))
            default:
                _ = pop()
            }
        }
        // Nothing queued: speech ends when the last released frame has played.
        guard speaking else { return releaseHeldEnd(context) }
        if paced && playedUntil > now {
            context.schedule(after: playedUntil - now, id: Self.timerID)
        } else {
            finishSpeaking(context)
            releaseHeldEnd(context)
        }
    }

    private func releaseHeldEnd(_ context: StageContext) {
        guard heldEndOfStream && queuedCount == 0 else { return }
        heldEndOfStream = false
        finishSpeaking(context)
        context.emit(.endOfStream)
    }

    private func startText(_ t: TextFrame, at start: Nanos) {
        if t.replyID != replyID {
            heardSentences.removeAll(keepingCapacity: true)
            replyID = t.replyID
        } else if let currentText {
            heardSentences.append(currentText)
        }
        currentText = t.text
        currentTextStart = start
        currentTextReleased = 0
        interruptible = t.allowInterruptions
        publishSpeech()
    }

    private func finishSpeaking(_ context: StageContext) {
        if speaking {
            speaking = false
            context.emit(.agentStoppedSpeaking)
        }
        if let currentText { heardSentences.append(currentText) }
        currentText = nil
        publishSpeech()
    }

    private func publishSpeech() {
        var s = Conversation.Speech()
        s.agentSpeaking = speaking
        s.interruptible = interruptible
        s.replyID = replyID
        conversation.setSpeech(s)
    }

    // MARK: What was heard

    /// The reply's text up to where playout is at `now`: whole texts already played, plus the
    /// words of the current text in proportion to how much of its audio played.
    func heardText(at now: Nanos) -> String {
        var parts = heardSentences
        if let currentText {
            // Audio of the current text: released so far plus what is still queued before the next text.
            var total = currentTextReleased
            var i = head
            while i < queue.count {
                if case .audio(let a) = queue[i] { total += a.duration } else if case .text = queue[i] { break }
                i += 1
            }
            let played = paced ? max(0, min(now - currentTextStart, currentTextReleased)) : currentTextReleased
            let fraction = total > 0 ? Double(played) / Double(total) : 0
            let cut = Self.prefix(of: currentText, fraction: fraction)
            if !cut.isEmpty { parts.append(cut) }
        }
        return parts.joined(separator: " ")
    }

    /// The whole words of `text` that fit in `fraction` of its characters.
    static func prefix(of text: String, fraction: Double) -> String {
        if fraction >= 0.999 { return text }
        let limit = Int(Double(text.count) * fraction)
        var kept: [Substring] = []
        var used = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let next = used + (kept.isEmpty ? 0 : 1) + word.count
            if next > limit { break }
            kept.append(word)
            used = next
        }
        return kept.joined(separator: " ")
    }
}
