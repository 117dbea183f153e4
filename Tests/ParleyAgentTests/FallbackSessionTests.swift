// SPDX-License-Identifier: Apache-2.0

import ParleyAgent
import ParleyCore
import Testing

private let ms: Nanos = 1_000_000

/// An LLM provider that fails on cue, on the pipeline clock: for each user turn, in order,
/// `faults` says whether it answers (like `ScriptedLLM`), fails before any output, hangs, or
/// says its first sentence and then fails. It keeps the conversation as real LLM stages do.
final class FlakyLLM: Stage {
    enum Fault { case none, errorBeforeOutput, hang, errorAfterFirstSentence }

    let name: String
    var accepts: FrameKinds { .text }
    var produces: FrameKinds { .text }
    let conversation: Conversation
    var faults: [Fault]
    let sentences = ["One two three four five six.", "Seven eight nine ten."]
    private(set) var requests: [String] = []
    private var pending: (id: String, fault: Fault, epoch: UInt64)?

    init(_ name: String, conversation: Conversation, faults: [Fault]) {
        self.name = name
        self.conversation = conversation
        self.faults = faults
    }

    func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        guard case .text(let t) = frame, t.role == .user else { return }
        let fault = requests.count < faults.count ? faults[requests.count] : .none
        requests.append(t.text)
        conversation.appendUser(t.text)
        pending = (conversation.nextReplyID(prefix: name), fault, context.epoch)
        if fault != .hang { context.schedule(after: 50 * ms, id: 1) }
    }

    func timerFired(id: Int, _ context: StageContext) {
        guard let p = pending else { return }
        pending = nil
        let mailbox = context.mailbox
        switch p.fault {
        case .errorBeforeOutput:
            mailbox.post(.control(.error(StageFailure(stage: name, message: "HTTP 503: unavailable", isFatal: false))))
        case .errorAfterFirstSentence:
            conversation.recordReply(p.id, text: sentences[0])
            mailbox.post(.text(TextFrame(text: sentences[0], role: .agent, replyID: p.id)), epoch: p.epoch)
            mailbox.post(.control(.error(StageFailure(stage: name, message: "stream dropped", isFatal: false))))
        case .none, .hang:
            conversation.recordReply(p.id, text: sentences.joined(separator: " "))
            for s in sentences { mailbox.post(.text(TextFrame(text: s, role: .agent, replyID: p.id)), epoch: p.epoch) }
        }
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        context.cancelTimer(id: 1)
        pending = nil
    }
}

/// A TTS that fails every text before any audio.
final class BrokenTTS: Stage {
    let name = "tts:broken"
    var accepts: FrameKinds { .text }
    var produces: FrameKinds { [.audio, .control] }
    private(set) var texts = 0
    func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let t) = frame, t.role == .agent else { return context.emit(frame) }
        texts += 1
        context.fail("voice not found", fatal: false)
    }
}

/// A voice session whose LLM (or TTS) slot is a `FallbackStage`, on the virtual clock:
///
///   input (user audio, VAD events, transcripts) ─► turn ─► llm:fallback ─► tts ─► playout ─► log
final class FallbackSessionHarness {
    let clock = VirtualClock()
    let conversation = Conversation(instructions: "sys")
    let pipeline: EmbeddedPipeline
    private let box = Box()
    private(set) var media: Nanos = 0
    private var sequence: UInt64 = 0

    final class Box { var frames: [Frame] = [] }

    init(llms: (Conversation) -> [any Stage], tts: [any Stage]? = nil, attemptTimeoutMs: Int = 1_000) throws {
        var settings = TurnSettings()
        settings.endpointingMinMs = 400
        settings.interruptionMinMs = 300
        let turn = TurnManager(settings: settings, conversation: conversation, detector: TrailingWordTurnDetector(),
                               expectsTranscripts: true)
        let llm = try FallbackStage(kind: .llm, providers: llms(conversation).map { .init($0) },
                                    settings: FallbackSettings(attemptTimeoutMs: attemptTimeoutMs),
                                    conversation: conversation, turnManaged: true)
        let speech: any Stage = try tts.map {
            try FallbackStage(kind: .tts, providers: $0.map { .init($0) }, settings: FallbackSettings(attemptTimeoutMs: 1_000))
        } ?? ScriptedTTS()
        let graph = try PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .transcript, .text])
            .then([turn, llm, speech, PlayoutStage(conversation: conversation, paced: true)]).build(outputCaps: .any)
        pipeline = try EmbeddedPipeline(graph: graph, clock: clock)
        pipeline.onOutput { [box] in box.frames.append($0) }
    }

    func audio(_ milliseconds: Int) {
        for _ in 0..<(milliseconds / 20) {
            let buffer = pipeline.pools.pool(forAtLeast: 960).acquire()
            pipeline.push(.audio(AudioFrame(buffer: buffer, format: .standard, timestamp: media, sequence: sequence)))
            sequence += 1
            media += 20 * ms
            pipeline.advance(by: 20 * ms)
        }
    }

    /// One utterance (500 ms of speech, the VAD's stop 300 ms later, the final transcript),
    /// then `afterMs` of silence for the turn to end and the reply to play.
    func say(_ text: String, afterMs: Int = 2_500) {
        pipeline.push(.control(.userStartedSpeaking(at: media)))
        pipeline.run()
        audio(500)
        let end = media
        audio(300)
        pipeline.push(.control(.userStoppedSpeaking(speechEnd: end)))
        pipeline.push(.transcript(TranscriptFrame(text: text, isFinal: true, segmentID: "s", role: .user)))
        pipeline.run()
        audio(afterMs)
    }

    var agentAudio: Int { box.frames.filter { if case .audio(let a) = $0, a.role == .agent { true } else { false } }.count }
    var agentTexts: [String] {
        box.frames.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } }
    }
    var failures: [StageFailure] { box.frames.compactMap { if case .control(.error(let f)) = $0 { f } else { nil } } }
    var messages: [String] { conversation.messages.map { "\($0.role.rawValue): \($0.content)" } }
}

@Suite("fallback in a voice session: no turn gets stuck")
struct FallbackSessionTests {
    static let reply = "One two three four five six. Seven eight nine ten."

    @Test("an LLM error before any output: the next provider answers the same turn, and the next turn completes")
    func errorBeforeOutput() throws {
        var a: FlakyLLM!
        var b: FlakyLLM!
        let h = try FallbackSessionHarness(llms: { c in
            a = FlakyLLM("llm:a", conversation: c, faults: [.errorBeforeOutput])
            b = FlakyLLM("llm:b", conversation: c, faults: [])
            return [a, b]
        })
        h.say("Hello there.")
        #expect(a.requests == ["Hello there."] && b.requests == ["Hello there."])
        #expect(h.agentAudio == 50) // the whole reply played
        #expect(h.failures.isEmpty)
        #expect(h.messages == ["user: Hello there.", "assistant: \(Self.reply)"])
        h.say("And now?")
        #expect(a.requests == ["Hello there."] && b.requests == ["Hello there.", "And now?"])
        #expect(h.agentAudio == 100)
        #expect(h.messages.count == 4)
    }

    @Test("an LLM that never answers: after attempt_timeout_ms the next provider does, and the session goes on")
    func timeout() throws {
        var b: FlakyLLM!
        let h = try FallbackSessionHarness(llms: { c in
            b = FlakyLLM("llm:b", conversation: c, faults: [])
            return [FlakyLLM("llm:a", conversation: c, faults: [.hang]), b]
        }, attemptTimeoutMs: 800)
        h.say("Are you there?")
        #expect(b.requests == ["Are you there?"])
        #expect(h.agentAudio == 50)
        h.say("Good.")
        #expect(h.agentAudio == 100)
        #expect(h.messages == ["user: Are you there?", "assistant: \(Self.reply)", "user: Good.", "assistant: \(Self.reply)"])
    }

    @Test("an LLM failing after its first sentence: no retry, the sentence plays, the failure is reported, the next turn completes")
    func errorAfterOutput() throws {
        var b: FlakyLLM!
        let h = try FallbackSessionHarness(llms: { c in
            b = FlakyLLM("llm:b", conversation: c, faults: [])
            return [FlakyLLM("llm:a", conversation: c, faults: [.errorAfterFirstSentence]), b]
        })
        h.say("Tell me everything.")
        #expect(b.requests.isEmpty)
        #expect(h.agentTexts == ["One two three four five six."])
        #expect(h.agentAudio == 30)
        #expect(h.failures.map(\.message) == ["stream dropped"])
        h.say("Go on.")
        #expect(b.requests == ["Go on."])
        #expect(h.agentAudio == 80)
        #expect(h.messages == ["user: Tell me everything.", "assistant: One two three four five six.", "user: Go on.",
                               "assistant: \(Self.reply)"])
    }

    @Test("every LLM failing a turn: one failure is reported and the next turn still completes")
    func everyProviderFails() throws {
        let h = try FallbackSessionHarness(llms: { c in
            [FlakyLLM("llm:a", conversation: c, faults: [.errorBeforeOutput]),
             FlakyLLM("llm:b", conversation: c, faults: [.errorBeforeOutput])]
        })
        h.say("Hello?")
        #expect(h.agentAudio == 0)
        #expect(h.failures.count == 1 && h.failures.first?.stage == "llm:fallback")
        h.say("Hello again?")
        #expect(h.agentAudio == 50)
        // As with a single LLM that failed: the unanswered turn stays in the context, once.
        #expect(h.messages == ["user: Hello?", "user: Hello again?", "assistant: \(Self.reply)"])
    }

    @Test("a TTS failing before audio: the next voice speaks the reply and playout plays all of it")
    func ttsFallback() throws {
        let broken = BrokenTTS()
        let h = try FallbackSessionHarness(llms: { [ScriptedLLM(conversation: $0) { _ in
            ["One two three four five six.", "Seven eight nine ten."]
        }] }, tts: [broken, ScriptedTTS()])
        h.say("Speak to me.")
        #expect(broken.texts == 1)
        #expect(h.agentAudio == 50)
        #expect(h.agentTexts == ["One two three four five six.", "Seven eight nine ten."])
        #expect(h.failures.isEmpty)
        h.say("Again.")
        #expect(broken.texts == 1) // resting
        #expect(h.agentAudio == 100)
    }
}
