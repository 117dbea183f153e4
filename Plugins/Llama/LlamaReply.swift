// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import Synchronization

/// One reply being generated: turns the text the model produces on the worker into frames
/// posted through the stage's mailbox, and tells the loop how it ended.
///
/// ```
///   worker:  text piece ─► deliver ─► llm_ttft (first) · responseStarted · textDelta · sentences as agent TextFrame
///            finish / fail ─► rest of the last sentence · responseEnded(finishReason)
///   loop:    cancel(reason) ─► responseEnded(reason) if started; nothing is posted after it
/// ```
///
/// Every reply downstream saw start is bracketed: `responseStarted` … `responseEnded`, with
/// `"error"` after a failure (posted after its `StageFailure`), so whatever closes the turn on
/// `responseEnded` never waits forever. All state sits behind one mutex and posting happens
/// while holding it: once `cancel` returns on the loop, no later frame of this reply can
/// reach the mailbox (the engine's epoch check drops any already posted before an interruption).
final class LlamaReply: Sendable {
    enum Outcome: Sendable, Equatable {
        case inFlight
        case completed
        case failed
        case cancelled
    }

    struct Settings: Sendable {
        var stageName: String
        var responseID: String
        var epoch: UInt64
        var emitsSentences: Bool
        var firstClauseAtComma: Bool
    }

    private struct State {
        var outcome = Outcome.inFlight
        var started = false
        var reportedTTFT = false
        var reportedFirstText = false
        var text = ""
        var sentences: SentenceChunker
    }

    let settings: Settings
    private let mailbox: StageMailbox
    private let clock: any PipelineClock
    private let requestedAt: Nanos
    private let state: Mutex<State>

    init(settings: Settings, mailbox: StageMailbox, clock: any PipelineClock) {
        self.settings = settings
        self.mailbox = mailbox
        self.clock = clock
        requestedAt = clock.now()
        state = Mutex(State(sentences: SentenceChunker(firstClauseAtComma: settings.firstClauseAtComma)))
    }

    // MARK: Worker side

    /// New text from the model. Returns false once the reply is over (cancelled): stop decoding.
    func deliver(_ piece: String) -> Bool {
        state.withLock { s in
            guard s.outcome == .inFlight else { return false }
            if !s.reportedTTFT {
                // The metric goes first so it is in the turn report before anything the reply
                // causes downstream closes the turn.
                s.reportedTTFT = true
                post(.control(.metric(StageMetric(stage: settings.stageName, name: "llm_ttft",
                                                  nanoseconds: clock.now() - requestedAt))))
            }
            start(&s)
            s.text += piece
            post(.llm(.textDelta(responseID: settings.responseID, text: piece)))
            if settings.emitsSentences {
                for sentence in s.sentences.add(piece) { postSentence(sentence, &s) }
            }
            return true
        }
    }

    /// The model finished (`"stop"`) or hit `max_tokens` (`"length"`).
    func finish(_ reason: String) {
        state.withLock { s in
            guard s.outcome == .inFlight else { return }
            start(&s)
            if settings.emitsSentences, let rest = s.sentences.finish() { postSentence(rest, &s) }
            post(.llm(.responseEnded(responseID: settings.responseID, finishReason: reason)))
            s.outcome = .completed
        }
    }

    /// The engine failed: a non-fatal failure, then the reply closes with `"error"`.
    func fail(_ message: String) {
        state.withLock { s in
            guard s.outcome == .inFlight else { return }
            post(.control(.error(StageFailure(stage: settings.stageName, message: message, isFatal: false))))
            start(&s)
            post(.llm(.responseEnded(responseID: settings.responseID, finishReason: "error")))
            s.outcome = .failed
        }
    }

    // MARK: Loop side

    /// Stops the reply: nothing more is posted except, if downstream saw it start,
    /// `responseEnded(finishReason: reason)`. Returns the text so far and how the reply had
    /// ended before this call (`.inFlight` if it was still running).
    @discardableResult
    func cancel(reason: String) -> (text: String, outcome: Outcome) {
        state.withLock { s in
            let before = s.outcome
            if s.outcome == .inFlight {
                s.outcome = .cancelled
                if s.started { post(.llm(.responseEnded(responseID: settings.responseID, finishReason: reason))) }
            }
            return (s.text, before)
        }
    }

    // MARK: Under the lock

    private func start(_ s: inout State) {
        guard !s.started else { return }
        s.started = true
        post(.llm(.responseStarted(responseID: settings.responseID)))
    }

    /// One sentence (the first may be a clause) as agent text for TTS; the first one also
    /// reports `llm_first_text`, the time TTS could start speaking.
    private func postSentence(_ sentence: String, _ s: inout State) {
        if !s.reportedFirstText {
            s.reportedFirstText = true
            post(.control(.metric(StageMetric(stage: settings.stageName, name: "llm_first_text",
                                              nanoseconds: clock.now() - requestedAt))))
        }
        post(.text(TextFrame(text: sentence, role: .agent, replyID: settings.responseID)))
    }

    private func post(_ frame: Frame) { mailbox.post(frame, epoch: settings.epoch) }
}
