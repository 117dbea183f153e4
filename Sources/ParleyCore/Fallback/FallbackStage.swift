// SPDX-License-Identifier: Apache-2.0

import Logging
import Metrics

/// An ordered list of providers for one slot (STT, LLM or TTS) presented to the engine as one
/// stage: livekit-agents' `FallbackAdapter`. Requests go to the first provider that is
/// available; when it fails before any output of the request went downstream, the request is
/// replayed on the next one.
///
/// ```
///                  ┌──────────────────────────── FallbackStage ("llm:fallback") ───────────────────────────┐
///   user turn ──►  │ request ──► provider 1 ──✗ error / no first output in attempt_timeout                 │
///                  │    │            (marked unavailable for recovery_interval; its request abandoned)     │
///                  │    └─ replay ─► provider 2 ──► tokens… ─────────────────────────────────────────────► │ ──► downstream
///                  │ after recovery_interval: the next request tries provider 1 first again               │
///                  └───────────────────────────────────────────────────────────────────────────────────────┘
/// ```
///
/// The providers are ordinary, unchanged stages. Each runs in a child `StageContext`
/// (ChildStageContext.swift) whose output comes back here: the output of the provider serving
/// the request goes downstream as it comes; a failure (`StageFailure` with `isFatal: false`)
/// or a first output that does not come in time moves the request on.
///
/// **What a request is, and how it is replayed:**
/// - **LLM**: a user turn (a user `TextFrame`; alone, without a turn manager, also a final
///   user transcript), resent to the next provider. The user message the failed provider put
///   into the shared `Conversation` is taken out first, so the turn is not in it twice. The
///   request is over at `responseEnded` (for a provider that sends only text, at the next turn).
/// - **TTS**: each agent `TextFrame` not yet fully spoken (its audio ends with the provider's
///   `agentStoppedSpeaking`); all of them are resent, in order.
/// - **STT**: the audio of the utterances still waiting for a transcript, from the VAD's onset
///   (plus `preRoll`) on, with the VAD events, as `UtteranceRecorder` kept them; fed to the
///   next provider as they were to the first.
///
/// **Never twice.** A request whose output already went downstream (a token, audio of that
/// text, a transcript of that utterance) is not replayed: the provider's failure goes
/// downstream and the request is closed here (LLM: `responseEnded(finishReason: "error")`;
/// TTS: `agentStoppedSpeaking` if the text was being spoken), so no turn waits on it.
///
/// **Never stuck.** A provider that fails is abandoned (it gets an interruption with cause
/// `providerFailure`, so it cancels its request and whatever it still posts is dropped). When
/// every provider failed a request, a non-fatal failure goes downstream and the request is
/// closed as above; `endOfStream` held by a provider that failed is passed to the next one or
/// released. The next request is never refused: if every provider is resting, they are tried
/// in order again.
///
/// **Recovery.** A failed provider rests for `recoveryInterval`; the first request after that
/// goes to it again (it is first in line), and it is available again once it produces output.
/// This probes with real traffic rather than with requests of its own: an LLM or TTS probe
/// would cost tokens or characters for an answer nobody hears, and STT has no audio to probe
/// with. If it is still broken, that request loses at most one error or `attemptTimeout`
/// and moves on.
///
/// **Routing.** Data frames and control frames go to the provider serving now; interruptions
/// too (its epoch is bumped, as the engine does for a node). `startOfStream` goes to all, so
/// each one's stream has begun; `stop`/`cancel` go to all (each was started). A provider
/// changes only between requests or by failing over, so nothing it still owes is lost.
///
/// **Observability.** `parley_fallback_switches_total{slot,from,to}` counts fail-overs, a
/// `fallback` `StageMetric` (time the request lost before it moved) goes into the turn
/// report, and a warning is logged with the provider labels and the provider's failure
/// message (providers keep keys out of their messages).
public final class FallbackStage: Stage {
    /// One provider of the list: the stage and how logs and metrics name it.
    public struct Provider {
        public var stage: any Stage
        /// E.g. its descriptor (`openai/gpt-4o-mini`). Never put secrets here.
        public var label: String

        public init(_ stage: any Stage, label: String? = nil) {
            self.stage = stage
            self.label = label ?? stage.name
        }
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    public let name: String
    public let kind: StageKind
    public let accepts: FrameKinds
    public let produces: FrameKinds
    public let inputCaps: AudioCaps
    public let settings: FallbackSettings
    /// Provider labels, in order.
    public var labels: [String] { children.map(\.label) }

    final class Child {
        let stage: any Stage
        let label: String
        var context: StageContext!
        var available = true
        var failedAt: Nanos = 0
        /// Was handed work it has not finished: gets an interruption when abandoned.
        var busy = false

        init(_ p: Provider) {
            stage = p.stage
            label = p.label
        }
    }

    /// How a frame reached a child, which says what its synchronous emissions are.
    enum DeliveryMode {
        /// Live input: its output goes downstream (what it passes on too).
        case live
        /// A request replayed after a fail-over: its output goes downstream; what it passes on
        /// went downstream the first time and is dropped.
        case replay
        /// Nothing it emits now is wanted (abandoning it; `startOfStream` to an idle provider).
        case silent
    }

    struct Delivery {
        var child: Int
        var mode: DeliveryMode
        /// The frame handed over (a text or transcript passed straight on is not output).
        var frame: Frame?
    }

    let children: [Child]
    private let conversation: Conversation?
    private let turnManaged: Bool
    private var context: StageContext!
    private var logger = Logger(label: "parley.fallback")
    private var serving = 0
    private var delivery: Delivery?
    private var holdsEndOfStream: Int?
    private var timerArmed = false
    private static let attemptTimer = 1

    // The request being worked on.
    private var requestStartedAt: Nanos = 0
    /// Providers that failed the current request (bit per provider).
    private var tried: UInt64 = 0
    private var failureNotes: [String] = []

    // LLM: the user turn in flight.
    private var llmRequest: Frame?
    private var llmAnswered = false
    private var llmResponseID: String?
    private var closedResponses = 0

    // TTS: the texts sent to the serving provider and not yet fully spoken, oldest first.
    struct PendingText {
        var text: TextFrame
        var answered = false
        var speaking = false
    }
    private var speech: [PendingText] = []

    // STT: the utterances waiting for a transcript.
    private var recorder: UtteranceRecorder?

    private let metricsFactory: any MetricsFactory
    /// `parley_fallback_switches_total` per (from, to), made at the first such switch.
    private var switchCounters: [Int: Counter] = [:]

    /// - Parameters:
    ///   - kind: `.stt`, `.llm` or `.tts` (what a request is; see the type's documentation).
    ///   - providers: in order of preference; at least one, at most 64.
    ///   - conversation: LLM only: the session's shared context, to take a failed attempt's
    ///     user message out before the turn is replayed.
    ///   - turnManaged: LLM only: a turn manager upstream sends each turn as a user
    ///     `TextFrame`; without one, final user transcripts are turns too.
    ///   - metricsFactory: where `parley_fallback_switches_total` goes (default: the bootstrapped one).
    public init(kind: StageKind, providers: [Provider], settings: FallbackSettings? = nil,
                conversation: Conversation? = nil, turnManaged: Bool = false,
                metricsFactory: (any MetricsFactory)? = nil) throws {
        guard [.stt, .llm, .tts].contains(kind) else {
            throw SetupError(description: "fallback works for stt, llm and tts, not \(kind)")
        }
        guard !providers.isEmpty, providers.count <= 64 else {
            throw SetupError(description: "fallback needs 1 to 64 providers, got \(providers.count)")
        }
        self.kind = kind
        name = "\(kind.rawValue):fallback"
        self.settings = settings ?? .defaults(for: kind)
        self.conversation = conversation
        self.turnManaged = turnManaged
        // Two providers of one family (openai/a, openai/b) must still be told apart.
        var seen: [String: Int] = [:]
        children = providers.map { p in
            var p = p
            seen[p.label, default: 0] += 1
            if let n = seen[p.label], n > 1 { p.label += "#\(n)" }
            return Child(p)
        }
        accepts = children.reduce(FrameKinds.none) { $0.union($1.stage.accepts) }
        produces = children.reduce(FrameKinds.none) { $0.union($1.stage.produces) }
        let audioTakers = children.filter { $0.stage.accepts.contains(.audio) }
        var caps = AudioCaps.any
        for c in audioTakers {
            guard let merged = caps.intersection(c.stage.inputCaps) else {
                throw SetupError(description: "fallback providers need one common input format: \(c.label) accepts "
                                 + "\(c.stage.inputCaps), the ones before it \(caps)")
            }
            caps = merged
        }
        inputCaps = caps
        self.metricsFactory = metricsFactory ?? MetricsSystem.factory
        speech.reserveCapacity(64)
        failureNotes.reserveCapacity(children.count)
    }

    /// Audio leaves in the first provider's format (the others must match; checked in `start`).
    public func outputFormat(for input: AudioFormat) -> AudioFormat { children[0].stage.outputFormat(for: input) }

    // MARK: Lifecycle

    public func start(_ context: StageContext) throws {
        self.context = context
        logger = context.logger
        for (i, c) in children.enumerated() {
            let out = c.stage.outputFormat(for: context.inputFormat)
            if c.stage.produces.contains(.audio) && out != context.outputFormat {
                for started in children[..<i] { started.stage.cancel(started.context) }
                throw SetupError(description: "fallback providers must emit one audio format: \(c.label) emits \(out), "
                                 + "\(children[0].label) \(context.outputFormat)")
            }
            c.context = context.makeChildContext(name: c.stage.name, outputFormat: out, host: self)
            do {
                try c.stage.start(c.context)
            } catch {
                for started in children[..<i] { started.stage.cancel(started.context) }
                throw SetupError(description: "\(c.label) failed to start: \(error)")
            }
        }
        if kind == .stt {
            recorder = UtteranceRecorder(frameDuration: context.inputFormat.frameDurationNanos,
                                         preRoll: settings.preRoll, maxReplay: settings.maxReplay)
        }
    }

    public func stop(_ context: StageContext) {
        cancelAttemptTimer()
        for c in children where c.context != nil { c.stage.stop(c.context) }
        recorder?.reset()
    }

    public func cancel(_ context: StageContext) {
        cancelAttemptTimer()
        for c in children where c.context != nil { c.stage.cancel(c.context) }
        recorder?.reset()
    }

    // MARK: Input

    public func process(_ frame: Frame, _ context: StageContext) {
        switch (kind, frame) {
        case (.llm, _) where isTurn(frame):
            startTurn(frame)
        case (.tts, .text(let t)) where t.role == .agent:
            speak(t)
        case (.stt, .audio(let a)) where a.role == .user:
            recorder?.audio(frame)
            deliver(frame, to: serving, .live)
        default:
            deliver(frame, to: serving, .live)
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .startOfStream:
            for i in children.indices where i != serving { _ = deliver(frame, to: i, .silent) }
            return deliver(frame, to: serving, .live)
        case .endOfStream:
            return endOfStreamArrived()
        case .userStartedSpeaking where kind == .stt:
            utteranceStarted(frame)
        case .userStoppedSpeaking where kind == .stt, .flush where kind == .stt:
            recorder?.control(frame)
            if recorder?.transcriptDue == true && !timerArmed {
                // The transcript is due from now on: the attempt (and the `fallback` metric) counts from here.
                requestStartedAt = context.now()
                armAttemptTimer()
            }
        default:
            break
        }
        return deliver(frame, to: serving, .live)
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        // As the engine does for a single stage: the provider serving now drops its reply.
        let c = children[serving]
        let outer = delivery
        delivery = Delivery(child: serving, mode: .live, frame: nil)
        c.context.deliverInterruption(interruption, to: c.stage)
        delivery = outer
        switch kind {
        case .llm:
            llmRequest = nil
            c.busy = false
            cancelAttemptTimer()
        case .tts:
            speech.removeAll(keepingCapacity: true)
            c.busy = false
            cancelAttemptTimer()
        default:
            break // user speech survives interruptions: the utterances still want their transcripts
        }
    }

    public func timerFired(id: Int, _ context: StageContext) {
        guard id == Self.attemptTimer, timerArmed else { return }
        timerArmed = false
        let ms = settings.attemptTimeout / 1_000_000
        providerFailed(serving, reason: "no output within \(ms) ms (attempt_timeout_ms)", failure: nil)
    }

    // MARK: Delivery to providers

    private func deliver(_ frame: Frame, to i: Int, _ mode: DeliveryMode) {
        let c = children[i]
        guard c.stage.accepts.contains(frame.kind) else {
            // This provider doesn't take it; it flows past, as the engine would let it.
            if mode == .live { context.emit(frame) }
            return
        }
        let outer = delivery
        delivery = Delivery(child: i, mode: mode, frame: frame)
        c.stage.process(frame, c.context)
        delivery = outer
    }

    private func deliver(_ control: ControlFrame, to i: Int, _ mode: DeliveryMode) -> ControlDisposition {
        let c = children[i]
        let outer = delivery
        delivery = Delivery(child: i, mode: mode, frame: nil)
        let disposition = c.stage.control(control, c.context)
        delivery = outer
        return disposition
    }

    /// Cancels what the provider has in flight: an interruption to it alone (its epoch moves
    /// on, so what it still posts for the old work is dropped on arrival).
    private func abandon(_ i: Int) {
        let c = children[i]
        guard c.busy else { return }
        c.busy = false
        let outer = delivery
        delivery = Delivery(child: i, mode: .silent, frame: nil)
        c.context.deliverInterruption(Interruption(cause: .providerFailure, origin: context.node,
                                                   raisedAt: context.now()), to: c.stage)
        delivery = outer
    }

    // MARK: End of stream

    private func endOfStreamArrived() -> ControlDisposition {
        // An STT transcribes what it still holds now.
        if kind == .stt, recorder?.isIdle == false, !timerArmed { armAttemptTimer() }
        // Held for the provider before it sees it: it may release it while handling it.
        holdsEndOfStream = serving
        let disposition = deliver(.endOfStream, to: serving, .live)
        guard holdsEndOfStream == serving else { return .consume } // released already
        if disposition == .forward {
            holdsEndOfStream = nil
            return .forward
        }
        return .consume
    }

    /// The provider that failed held `endOfStream`: the one taking over gets it (and may hold
    /// it in turn), or it goes on now.
    private func handOverEndOfStream(from failed: Int, to next: Int?) {
        guard holdsEndOfStream == failed else { return }
        guard let next else {
            holdsEndOfStream = nil
            return context.emit(.endOfStream)
        }
        holdsEndOfStream = next
        let disposition = deliver(.endOfStream, to: next, .replay)
        if holdsEndOfStream == next && disposition == .forward {
            holdsEndOfStream = nil
            context.emit(.endOfStream)
        }
    }

    // MARK: What providers emit

    /// Whether `frame` is a provider's own output for a request (not something it passed on).
    private func isOutput(_ frame: Frame, of i: Int) -> Bool {
        if frame.isCancelledByInterruption { return true }
        if case .transcript(let t) = frame, t.role == .user { return children[i].stage.produces.contains(.transcript) }
        return false
    }

    /// `frame` is what the provider was handed, passed straight on.
    private func echoes(_ frame: Frame, _ delivered: Frame?) -> Bool {
        switch (frame, delivered) {
        case (.text(let a), .text(let b)?): return a == b
        case (.transcript(let a), .transcript(let b)?): return a == b
        default: return false
        }
    }

    private func emitted(_ frame: Frame, by i: Int) {
        if let d = delivery, d.child == i, d.mode == .silent { return }
        switch frame {
        case .control(.error(let failure)):
            return childFailed(i, failure)
        case .control(.endOfStream):
            guard holdsEndOfStream == i else { return } // not held for us (an abandoned provider's)
            holdsEndOfStream = nil
            return context.emit(frame)
        default:
            break
        }
        if let d = delivery, d.child == i {
            switch d.mode {
            case .silent:
                return
            case .replay:
                // What it passes on of a replayed request (the user turn, user audio) already
                // went downstream the first time. (A TTS's agent text marker is output: the
                // failed provider never got as far as emitting it.)
                if frame.kind != .control && !isOutput(frame, of: i) { return }
            case .live:
                // Passing on what it was handed (an LLM passing a greeting on) is not an answer.
                if echoes(frame, d.frame) { return context.emit(frame) }
            }
        }
        // Output of a provider that no longer serves (abandoned, or a late post) is not ours.
        guard i == serving else { return }
        track(frame, from: i)
        context.emit(frame)
    }

    /// Bookkeeping of the request the serving provider works on.
    private func track(_ frame: Frame, from i: Int) {
        switch kind {
        case .llm:
            guard llmRequest != nil, frame.kind == .llm || isOutput(frame, of: i) else { return }
            answered(by: i)
            if !llmAnswered {
                llmAnswered = true
                cancelAttemptTimer()
            }
            switch frame {
            case .llm(.responseStarted(let id)):
                llmResponseID = id
            case .llm(.responseEnded):
                llmRequest = nil
                llmResponseID = nil
                children[i].busy = false
            default:
                break
            }
        case .tts:
            trackSpeech(frame, from: i)
        default:
            guard case .transcript(let t) = frame, t.role == .user, let recorder else { return }
            answered(by: i)
            cancelAttemptTimer()
            recorder.transcript(isFinal: t.isFinal)
            if recorder.isIdle { children[i].busy = false }
            if recorder.transcriptDue { armAttemptTimer() }
        }
    }

    private func trackSpeech(_ frame: Frame, from i: Int) {
        guard !speech.isEmpty else { return }
        switch frame {
        case .text(let t) where t.role == .agent:
            // The text whose audio follows. Texts before it that never started were skipped.
            guard let k = speech.firstIndex(where: { !$0.answered && $0.text == t }) else { return }
            if k > 0 { speech.removeSubrange(0..<k) }
            speech[0].answered = true
        case .audio(let a) where a.role == .agent:
            speech[0].answered = true
        case .control(.agentStartedSpeaking):
            speech[0].speaking = true
            return
        case .control(.agentStoppedSpeaking):
            speech.removeFirst()
            cancelAttemptTimer()
            if speech.isEmpty {
                children[i].busy = false
            } else if !speech[0].answered {
                requestStartedAt = context.now()
                armAttemptTimer()
            }
            return
        default:
            return
        }
        answered(by: i)
        cancelAttemptTimer()
    }

    // MARK: LLM

    private func isTurn(_ frame: Frame) -> Bool {
        let text: String
        switch frame {
        case .text(let t) where t.role == .user: text = t.text
        case .transcript(let t) where t.role == .user && t.isFinal && !turnManaged: text = t.text
        default: return false
        }
        // Providers skip blank turns; so does the request bookkeeping.
        return text.contains { !$0.isWhitespace }
    }

    private func startTurn(_ frame: Frame) {
        let next = choose(excluding: 0)
        // A newer turn replaces the reply in flight; a provider replaces its own, but a reply
        // on another one must be cancelled here.
        if llmRequest != nil && next != serving { abandon(serving) }
        serving = next
        beginRequest()
        llmRequest = frame
        llmAnswered = false
        llmResponseID = nil
        children[next].busy = true
        armAttemptTimer()
        deliver(frame, to: next, .live)
    }

    private func llmFailed(_ i: Int, reason: String, failure: StageFailure?) {
        guard let request = llmRequest else { return report(failure, reason, by: i) }
        cancelAttemptTimer()
        abandon(i)
        if llmAnswered {
            // Tokens went downstream: never replayed. Close the reply the provider can't.
            report(failure, reason, by: i)
            if let id = llmResponseID { context.emit(.llm(.responseEnded(responseID: id, finishReason: "error"))) }
            llmRequest = nil
            llmResponseID = nil
            return handOverEndOfStream(from: i, to: nil)
        }
        guard let next = failOver(from: i, reason: reason) else {
            llmRequest = nil
            gaveUp()
            if produces.contains(.llm) {
                // Bracketed like any response, so whatever waits for `responseEnded` stops waiting.
                closedResponses += 1
                let id = "\(name)-\(closedResponses)"
                context.emit(.llm(.responseStarted(responseID: id)))
                context.emit(.llm(.responseEnded(responseID: id, finishReason: "error")))
            }
            return handOverEndOfStream(from: i, to: nil)
        }
        takeBackUserTurn(request)
        children[next].busy = true
        armAttemptTimer()
        deliver(request, to: next, .replay)
        handOverEndOfStream(from: i, to: next)
    }

    /// The failed provider put the user turn into the shared conversation; the next one will
    /// put it in again.
    private func takeBackUserTurn(_ request: Frame) {
        guard let conversation, let last = conversation.messages.last, last.role == .user else { return }
        let text: String
        switch request {
        case .text(let t): text = t.text
        case .transcript(let t): text = t.text
        default: return
        }
        if last.content == text.trimmingCharacters(in: .whitespacesAndNewlines) || last.content == text {
            conversation.discardLastUserTurn()
        }
    }

    // MARK: TTS

    private func speak(_ text: TextFrame) {
        if speech.isEmpty {
            serving = choose(excluding: 0)
            beginRequest()
        }
        speech.append(PendingText(text: text))
        children[serving].busy = true
        if speech.count == 1 { armAttemptTimer() }
        deliver(.text(text), to: serving, .live)
    }

    private func speechFailed(_ i: Int, reason: String, failure: StageFailure?) {
        guard !speech.isEmpty else { return report(failure, reason, by: i) }
        cancelAttemptTimer()
        abandon(i)
        if speech[0].answered {
            // Its audio went downstream: cut where the provider stopped, never said twice.
            if speech[0].speaking { context.emit(.agentStoppedSpeaking) }
            speech.removeFirst()
            report(failure, reason, by: i)
        }
        guard !speech.isEmpty else { return handOverEndOfStream(from: i, to: nil) }
        guard let next = failOver(from: i, reason: reason) else {
            speech.removeAll(keepingCapacity: true)
            gaveUp()
            return handOverEndOfStream(from: i, to: nil)
        }
        children[next].busy = true
        armAttemptTimer()
        for pending in speech { deliver(.text(pending.text), to: next, .replay) }
        handOverEndOfStream(from: i, to: next)
    }

    // MARK: STT

    private func utteranceStarted(_ frame: ControlFrame) {
        guard let recorder else { return }
        if recorder.isIdle {
            // Between utterances the provider may change (a recovered one is first in line
            // again); the one taking over hears the pre-roll first.
            let next = choose(excluding: 0)
            if next != serving {
                serving = next
                for f in recorder.replayFrames { replay(f, to: next) }
            }
            beginRequest()
        }
        recorder.started(frame)
        children[serving].busy = true
    }

    private func sttFailed(_ i: Int, reason: String, failure: StageFailure?) {
        guard let recorder, !recorder.isIdle else { return report(failure, reason, by: i) }
        cancelAttemptTimer()
        abandon(i)
        var reported = false
        if recorder.dropAnswered() {
            // Its words went downstream: that utterance is not transcribed twice.
            report(failure, reason, by: i)
            reported = true
        }
        if recorder.isIdle { return handOverEndOfStream(from: i, to: nil) }
        if recorder.overflowed {
            if !reported { report(failure, reason + " (utterance longer than max_replay_ms; not replayed)", by: i) }
            recorder.reset()
            return handOverEndOfStream(from: i, to: nil)
        }
        guard let next = failOver(from: i, reason: reason) else {
            recorder.reset()
            gaveUp()
            return handOverEndOfStream(from: i, to: nil)
        }
        children[next].busy = true
        // A copy: the provider may answer while it is fed, which changes the recording.
        for f in recorder.replayFrames { replay(f, to: next) }
        if recorder.transcriptDue || holdsEndOfStream == i { armAttemptTimer() }
        handOverEndOfStream(from: i, to: next)
    }

    private func replay(_ frame: Frame, to i: Int) {
        if case .control(let c) = frame {
            _ = deliver(c, to: i, .replay)
        } else {
            deliver(frame, to: i, .replay)
        }
    }

    // MARK: Failing over

    private func childFailed(_ i: Int, _ failure: StageFailure) {
        // A fatal failure stops the pipeline, fallback or not.
        if failure.isFatal { return context.emit(.control(.error(failure))) }
        guard i == serving else {
            logger.debug("failure from a provider not serving ignored",
                         metadata: ["slot": "\(kind)", "provider": "\(children[i].label)", "reason": "\(failure.message)"])
            return
        }
        providerFailed(i, reason: failure.message, failure: failure)
    }

    private func providerFailed(_ i: Int, reason: String, failure: StageFailure?) {
        let c = children[i]
        c.available = false
        c.failedAt = context.now()
        switch kind {
        case .llm: llmFailed(i, reason: reason, failure: failure)
        case .tts: speechFailed(i, reason: reason, failure: failure)
        default: sttFailed(i, reason: reason, failure: failure)
        }
        // Whatever it held back for us, it no longer owes.
        handOverEndOfStream(from: i, to: nil)
    }

    /// Picks the provider for a new request: the first in order that is available or has
    /// rested `recoveryInterval`; if all are resting, the first anyway (a request is never
    /// refused). `excluding`: providers that already failed this request (bit per provider).
    private func choose(excluding: UInt64) -> Int {
        chooseNext(excluding: excluding) ?? 0
    }

    private func chooseNext(excluding: UInt64) -> Int? {
        let now = context.now()
        var fallback: Int?
        for (i, c) in children.enumerated() where excluding & (1 << UInt64(i)) == 0 {
            if c.available || now - c.failedAt >= settings.recoveryInterval { return i }
            if fallback == nil { fallback = i }
        }
        return fallback
    }

    private func beginRequest() {
        requestStartedAt = context.now()
        tried = 0
        failureNotes.removeAll(keepingCapacity: true)
    }

    /// Moves the current request from `failed` to the next provider that hasn't failed it.
    private func failOver(from failed: Int, reason: String) -> Int? {
        tried |= 1 << UInt64(failed)
        failureNotes.append("\(children[failed].label): \(reason)")
        guard let next = chooseNext(excluding: tried) else { return nil }
        serving = next
        switchCounter(from: failed, to: next).increment()
        let lost = context.now() - requestStartedAt
        context.report(metric: "fallback", nanoseconds: lost)
        logger.warning("provider failed; request moved to the next one",
                       metadata: ["slot": "\(kind)", "from": "\(children[failed].label)", "to": "\(children[next].label)",
                                  "reason": "\(reason)", "lost_ms": "\(lost / 1_000_000)"])
        return next
    }

    private func switchCounter(from: Int, to: Int) -> Counter {
        let key = from * children.count + to
        if let c = switchCounters[key] { return c }
        let c = Counter(label: "parley_fallback_switches_total",
                        dimensions: [("slot", kind.rawValue), ("from", children[from].label), ("to", children[to].label)],
                        factory: metricsFactory)
        switchCounters[key] = c
        return c
    }

    /// Every provider failed the current request.
    private func gaveUp() {
        let message = "every \(kind) provider failed: " + failureNotes.joined(separator: "; ")
        logger.error("request failed on every provider", metadata: ["slot": "\(kind)", "reason": "\(message)"])
        context.emit(.control(.error(StageFailure(stage: name, message: message, isFatal: false))))
    }

    /// A failure nothing could be done about goes downstream, as it would without fallback.
    private func report(_ failure: StageFailure?, _ reason: String, by i: Int) {
        logger.warning("provider failed", metadata: ["slot": "\(kind)", "provider": "\(children[i].label)",
                                                     "reason": "\(reason)"])
        context.emit(.control(.error(failure ?? StageFailure(stage: name, message: reason, isFatal: false))))
    }

    /// A resting provider produced output again: it is available.
    private func answered(by i: Int) {
        let c = children[i]
        guard !c.available else { return }
        c.available = true
        logger.info("provider recovered", metadata: ["slot": "\(kind)", "provider": "\(c.label)"])
    }

    // MARK: Attempt timer

    private func armAttemptTimer() {
        guard settings.attemptTimeout > 0 else { return }
        timerArmed = true
        context.schedule(after: settings.attemptTimeout, id: Self.attemptTimer)
    }

    private func cancelAttemptTimer() {
        guard timerArmed else { return }
        timerArmed = false
        context.cancelTimer(id: Self.attemptTimer)
    }
}

extension FallbackStage: ChildStageHost {
    func child(_ channel: Int, emitted frame: Frame) { emitted(frame, by: channel - 1) }

    func child(_ channel: Int, timerFired id: Int) {
        let c = children[channel - 1]
        c.stage.timerFired(id: id, c.context)
    }

    func child(_ channel: Int, raisedInterruption cause: Interruption.Cause) {
        // Only the provider serving now speaks for the slot.
        if channel - 1 == serving { context.raiseInterruption(cause) }
    }
}

extension AudioCaps {
    /// What both accept, or nil if nothing.
    func intersection(_ other: AudioCaps) -> AudioCaps? {
        func both(_ a: [Int]?, _ b: [Int]?) -> [Int]?? {
            guard let a else { return .some(b) }
            guard let b else { return .some(a) }
            let common = a.filter(b.contains)
            return common.isEmpty ? nil : .some(common)
        }
        guard let rates = both(sampleRates, other.sampleRates), let channels = both(self.channels, other.channels) else {
            return nil
        }
        if let a = frameDurationMs, let b = other.frameDurationMs, a != b { return nil }
        return AudioCaps(sampleRates: rates, channels: channels, frameDurationMs: frameDurationMs ?? other.frameDurationMs)
    }
}
