// SPDX-License-Identifier: Apache-2.0

import Foundation
import Metrics
import ParleyCore

/// Turn taking: decides when the user's turn is over (endpointing), when user speech over the
/// agent is an interruption, and when it was a false alarm. Sits between STT and the LLM; the
/// `PlayoutStage` at the end of the pipeline is its other half.
///
/// ```
///   VAD/STT ─► userStarted/Stopped, transcripts ─► [TurnManager] ─► user TextFrame (the turn) ─► LLM ─► TTS ─► playout
///                                                      │  ▲                                                   │
///                                                      │  └──────── Conversation.speech (agent speaking?) ◄───┘
///                                                      └─► .playout(.pause/.resume), interruption ──────────►┘
/// ```
///
/// **Endpointing.** After the VAD's `userStoppedSpeaking`, the turn ends once the silence since
/// the last voiced sample reaches `endpointing_min_ms`, the STT's final transcript for the
/// speech is in, and the turn detector (if any) judges the text finished — or, whichever comes
/// first, when the silence reaches `endpointing_max_ms` with some text. Silence is measured on
/// the media timeline (`StageContext.mediaNow − speechEnd`), with a pipeline-clock timer for
/// the part still to wait, so files run as fast as possible and live input agree. The turn
/// leaves as one user `TextFrame` (finals joined); transcripts pass on for outputs.
///
/// **Interruption.** User speech while the agent speaks (or a reply is on its way) that lasts
/// `interruption_min_ms` (and has `interruption_min_words`, when set) pauses playout at once
/// (priority lane: silent within one frame). With `resume_false_interruption`, it becomes an
/// interruption (the reply is cancelled, the context cut to what was heard) only when words
/// follow; if the user stops and no words come within `false_interruption_timeout_ms`, playout
/// resumes where it stopped. Without it, the interruption is raised right away.
///
/// **Preemptive generation.** With `preemptive_generation`, a final transcript that arrives
/// while endpointing is still waiting is sent to the LLM at once with playout paused; when the
/// turn ends with the same text the reply is already under way (playout resumes), otherwise
/// it is discarded (`Interruption.Cause.superseded`) and the real turn is sent.
public final class TurnManager: Stage {
    public let name = "turn"
    public var accepts: FrameKinds { [.transcript, .text] }
    public var produces: FrameKinds { [.text, .control] }

    public let settings: TurnSettings
    let conversation: Conversation
    let detector: (any TurnDetector)?
    /// Whether an STT runs upstream (then endpointing waits for its final transcript).
    let expectsTranscripts: Bool

    enum Timer: Int { case interruption = 1, endpointingMin, endpointingMax, falseInterruption }

    // The user's side.
    private var userSpeaking = false
    private var speechStartMedia: Nanos = 0
    private var speechEnd: Nanos?
    private var stoppedAtClock: Nanos = 0
    private var stoppedAtMedia: Nanos = 0
    private var finals: [String] = []
    private var interim = ""
    private var awaitingFinal = false
    /// Media time up to which the finals of this turn cover the speech (their latest `end`).
    private var finalsCoverUntil: Nanos = .min
    private var minElapsed = false

    // The agent's side, as this stage sees it.
    private var replyPending = false
    private var bargeIn = BargeIn.none
    private var preemptiveText: String?

    enum BargeIn {
        case none
        /// Speech over the agent started; waiting for `interruption_min_ms` (`long`) and, when
        /// `interruption_min_words` is set, for that many words.
        case pending(long: Bool)
        /// Playout is paused; a real interruption once words come, a resume if none do.
        case paused
    }

    private let interruptions = Counter(label: "parley_interruptions_total")
    private let falseInterruptions = Counter(label: "parley_false_interruptions_total")

    public init(settings: TurnSettings, conversation: Conversation, detector: (any TurnDetector)? = nil,
                expectsTranscripts: Bool) {
        self.settings = settings
        self.conversation = conversation
        self.detector = settings.turnDetectionEnabled ? detector : nil
        self.expectsTranscripts = expectsTranscripts
        finals.reserveCapacity(8)
    }

    private var turnText: String {
        (finals + (interim.isEmpty ? [] : [interim])).joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private var agentBusy: Bool {
        let speech = conversation.speech
        if speech.agentSpeaking { replyPending = false }
        return speech.agentSpeaking || replyPending
    }

    private var interruptible: Bool { settings.allowInterruptions && conversation.speech.interruptible }

    // MARK: Frames

    public func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        switch frame {
        case .transcript(let t) where t.role == .user:
            heard(t, context)
        case .text(let t) where t.role == .user:
            // Typed input is a whole turn by itself: it is already on its way to the LLM.
            replyPending = true
        default:
            break
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking(let at):
            userStarted(at: at, context)
        case .userStoppedSpeaking(let end):
            userStopped(speechEnd: end, context)
        case .endOfStream:
            // The input is over: whatever was said is the turn.
            if !turnText.isEmpty { commit(context) }
        default:
            break
        }
        return .forward
    }

    public func timerFired(id: Int, _ context: StageContext) {
        switch Timer(rawValue: id) {
        case .interruption:
            if case .pending = bargeIn { bargeIn = .pending(long: true) }
            checkBargeIn(context)
        case .endpointingMin:
            minElapsed = true
            evaluateEndOfTurn(context, maxReached: false)
        case .endpointingMax: evaluateEndOfTurn(context, maxReached: true)
        case .falseInterruption: falseInterruptionTimedOut(context)
        case nil: break
        }
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        // An interruption from upstream (an API call) ends whatever reply was on its way.
        replyPending = false
        if case .paused = bargeIn { bargeIn = .none }
    }

    // MARK: User speech

    private func userStarted(at: Nanos, _ context: StageContext) {
        userSpeaking = true
        speechStartMedia = at
        cancelEndpointing(context)
        if preemptiveText != nil {
            // More speech: the preemptive reply answered an unfinished turn.
            discardPreemptive(context)
        }
        if case .none = bargeIn, agentBusy, interruptible {
            // The VAD confirms speech some time after its onset: count from the onset.
            let spoken = max(0, context.mediaNow - at)
            let remaining = Nanos(settings.interruptionMinMs) * 1_000_000 - spoken
            bargeIn = .pending(long: remaining <= 0)
            if remaining <= 0 { checkBargeIn(context) } else { context.schedule(after: remaining, id: Timer.interruption.rawValue) }
        }
    }

    private func userStopped(speechEnd end: Nanos, _ context: StageContext) {
        userSpeaking = false
        speechEnd = end
        stoppedAtClock = context.now()
        stoppedAtMedia = context.mediaNow
        context.cancelTimer(id: Timer.interruption.rawValue)
        switch bargeIn {
        case .pending:
            // Too short to count: the agent never stopped.
            bargeIn = .none
        case .paused:
            context.schedule(after: Nanos(settings.falseInterruptionTimeoutMs) * 1_000_000,
                             id: Timer.falseInterruption.rawValue)
        case .none:
            break
        }
        // A streaming STT may finalize before the VAD's hangover is over (its own endpointing is
        // often shorter): a final that already covers the speech up to its end, with nothing
        // interim after it, is the final this stop would wait for.
        let finalIsIn = interim.isEmpty && !finals.isEmpty && finalsCoverUntil >= end - Self.finalCoverageSlack
        awaitingFinal = expectsTranscripts && !finalIsIn
        minElapsed = false
        let silence = max(0, context.mediaNow - end)
        let toMin = Nanos(settings.endpointingMinMs) * 1_000_000 - silence
        let toMax = Nanos(settings.endpointingMaxMs) * 1_000_000 - silence
        if toMin <= 0 { minElapsed = true } else { context.schedule(after: toMin, id: Timer.endpointingMin.rawValue) }
        context.schedule(after: max(0, toMax), id: Timer.endpointingMax.rawValue)
        evaluateEndOfTurn(context, maxReached: false)
    }

    private func heard(_ t: TranscriptFrame, _ context: StageContext) {
        if t.isFinal {
            let text = t.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty {
                finals.append(text)
                finalsCoverUntil = max(finalsCoverUntil, t.end)
            }
            interim = ""
            if !userSpeaking {
                awaitingFinal = false
                // STT-driven endpointing without a VAD: the provider says the utterance ended.
                if speechEnd == nil && t.endsUtterance { userStopped(speechEnd: t.end, context) }
            }
        } else {
            interim = t.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch bargeIn {
        case .pending: checkBargeIn(context)
        case .paused: if hasEnoughWords { interrupt(context) }
        case .none: break
        }
        if speechEnd != nil && !userSpeaking { evaluateEndOfTurn(context, maxReached: false) }
    }

    // MARK: Interruption

    private var hasEnoughWords: Bool {
        turnText.split(separator: " ").count >= max(1, settings.interruptionMinWords)
    }

    /// At `interruption_min_ms` of speech over the agent (or when words arrive after it).
    private func checkBargeIn(_ context: StageContext) {
        guard case .pending(let long) = bargeIn, userSpeaking else { return }
        guard agentBusy, interruptible else {
            bargeIn = .none
            return
        }
        if !long && context.mediaNow - speechStartMedia < Nanos(settings.interruptionMinMs) * 1_000_000 { return }
        bargeIn = .pending(long: true)
        if settings.interruptionMinWords > 0 && !hasEnoughWords { return }
        if settings.resumeFalseInterruption {
            bargeIn = .paused
            context.emit(.playout(.pause))
            if hasEnoughWords { interrupt(context) }
        } else {
            interrupt(context)
        }
    }

    private func interrupt(_ context: StageContext) {
        bargeIn = .none
        replyPending = false
        context.cancelTimer(id: Timer.falseInterruption.rawValue)
        interruptions.increment()
        context.raiseInterruption(.userSpeech)
    }

    private func falseInterruptionTimedOut(_ context: StageContext) {
        guard case .paused = bargeIn else { return }
        guard !hasEnoughWords else { return interrupt(context) }
        bargeIn = .none
        falseInterruptions.increment()
        context.report(metric: "false_interruption", nanoseconds: Nanos(settings.falseInterruptionTimeoutMs) * 1_000_000)
        // The noise was no turn: forget it and play on.
        cancelEndpointing(context)
        resetTurn()
        context.emit(.playout(.resume))
    }

    // MARK: End of turn

    private func evaluateEndOfTurn(_ context: StageContext, maxReached: Bool) {
        guard let end = speechEnd, !userSpeaking else { return }
        if case .paused = bargeIn { return } // decided by the false-interruption timer or by words
        let text = turnText
        if maxReached {
            if text.isEmpty { return resetTurn() }
            return commit(context)
        }
        if !minElapsed && context.mediaNow - end >= Nanos(settings.endpointingMinMs) * 1_000_000 { minElapsed = true }
        guard !text.isEmpty, !awaitingFinal else { return }
        if minElapsed && (detector?.isComplete(transcript: text, context: conversation.messages) ?? true) {
            commit(context)
        } else if settings.preemptiveGeneration && preemptiveText == nil && !replyPending {
            preempt(text, context)
        }
    }

    private func commit(_ context: StageContext) {
        let text = turnText
        cancelEndpointing(context)
        let delay = endOfUtteranceDelay(context)
        resetTurn()
        guard !text.isEmpty else { return }
        context.report(metric: "end_of_utterance", nanoseconds: delay)
        if let early = preemptiveText {
            preemptiveText = nil
            if early == text {
                // The reply started early is the right one: let it play.
                context.emit(.playout(.resume))
                return
            }
            context.raiseInterruption(.superseded)
        }
        replyPending = true
        context.emit(.text(TextFrame(text: text, role: .user)))
    }

    private func preempt(_ text: String, _ context: StageContext) {
        preemptiveText = text
        replyPending = true
        context.emit(.playout(.pause))
        context.emit(.text(TextFrame(text: text, role: .user)))
    }

    private func discardPreemptive(_ context: StageContext) {
        preemptiveText = nil
        replyPending = false
        // The interruption also lifts the playout's pause.
        context.raiseInterruption(.superseded)
    }

    /// Media silence up to the VAD's decision plus the clock time waited since.
    private func endOfUtteranceDelay(_ context: StageContext) -> Nanos {
        guard let end = speechEnd else { return 0 }
        return max(0, stoppedAtMedia - end) + max(0, context.now() - stoppedAtClock)
    }

    private func cancelEndpointing(_ context: StageContext) {
        context.cancelTimer(id: Timer.endpointingMin.rawValue)
        context.cancelTimer(id: Timer.endpointingMax.rawValue)
    }

    private func resetTurn() {
        finals.removeAll(keepingCapacity: true)
        interim = ""
        speechEnd = nil
        awaitingFinal = false
        minElapsed = false
        finalsCoverUntil = .min
    }

    /// How far before the VAD's end of speech a final's last word may end and still count as
    /// covering it (word timings and the VAD's frame grid differ by a frame or two).
    static let finalCoverageSlack: Nanos = 100_000_000
}
