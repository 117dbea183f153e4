// SPDX-License-Identifier: Apache-2.0

import ParleyAgent
import ParleyCore
import Testing

/// `TurnManager` + `PlayoutStage` on the virtual clock with scripted LLM and TTS stages:
///
///   input (user audio, VAD events, transcripts) ─► turn ─► llm:scripted ─► tts:scripted ─► playout ─► log
///
/// The harness moves media time and the clock together, 20 ms per user frame, as live input does.
final class TurnHarness {
    let clock = VirtualClock()
    let conversation = Conversation(instructions: "sys")
    let llm: ScriptedLLM
    let tts: ScriptedTTS
    let pipeline: EmbeddedPipeline
    private let box = LogBox()
    private(set) var media: Nanos = 0
    private var sequence: UInt64 = 0

    final class LogBox { var entries: [(at: Nanos, frame: Frame)] = [] }

    init(_ configure: (inout TurnSettings) -> Void = { _ in }, paced: Bool = true, framesPerWord: Int = 5,
         answer: @escaping (String) -> [String] = { _ in ["One two three four five six.", "Seven eight nine ten."] })
        throws {
        var settings = TurnSettings()
        settings.endpointingMinMs = 400
        settings.endpointingMaxMs = 2_000
        settings.interruptionMinMs = 300
        settings.falseInterruptionTimeoutMs = 500
        configure(&settings)
        llm = ScriptedLLM(conversation: conversation, answer: answer)
        tts = ScriptedTTS(framesPerWord: framesPerWord)
        let turn = TurnManager(settings: settings, conversation: conversation, detector: TrailingWordTurnDetector(),
                               expectsTranscripts: true)
        let playout = PlayoutStage(conversation: conversation, paced: paced)
        let graph = try PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .transcript, .text])
            .then([turn, llm, tts, playout]).build(outputCaps: .any)
        pipeline = try EmbeddedPipeline(graph: graph, clock: clock)
        let clock = clock
        pipeline.onOutput { [box] f in box.entries.append((clock.now(), f)) }
    }

    var log: [(at: Nanos, frame: Frame)] { box.entries }

    /// Pushes `ms` of user audio (20 ms frames), moving media time and the clock together.
    func audio(_ ms: Int) {
        for _ in 0..<(ms / 20) {
            let buffer = pipeline.pools.pool(forAtLeast: 960).acquire()
            pipeline.push(.audio(AudioFrame(buffer: buffer, format: .standard, timestamp: media, sequence: sequence,
                                            role: .user)))
            sequence += 1
            media += 20_000_000
            pipeline.advance(by: 20_000_000)
        }
    }

    func startSpeaking(at: Nanos? = nil) {
        pipeline.push(.control(.userStartedSpeaking(at: at ?? media)))
        pipeline.run()
    }

    func stopSpeaking(speechEnd: Nanos) {
        pipeline.push(.control(.userStoppedSpeaking(speechEnd: speechEnd)))
        pipeline.run()
    }

    func transcript(_ text: String, final: Bool = true) {
        pipeline.push(.transcript(TranscriptFrame(text: text, isFinal: final, segmentID: "s", role: .user)))
        pipeline.run()
    }

    /// Says one utterance: speech onset, `speechMs` of speech, `hangoverMs` of silence until the
    /// VAD decides, then the final transcript (at once).
    func say(_ text: String, speechMs: Int = 500, hangoverMs: Int = 300) {
        let start = media
        startSpeaking(at: start)
        audio(speechMs)
        let end = media
        audio(hangoverMs)
        stopSpeaking(speechEnd: end)
        transcript(text)
        _ = start
    }

    // What came out.
    var agentAudio: [(at: Nanos, frame: AudioFrame)] {
        log.compactMap { if case .audio(let a) = $0.frame, a.role == .agent { ($0.at, a) } else { nil } }
    }

    var agentTexts: [(at: Nanos, text: TextFrame)] {
        log.compactMap { if case .text(let t) = $0.frame, t.role == .agent { ($0.at, t) } else { nil } }
    }

    func firstTime(_ match: (Frame) -> Bool) -> Nanos? { log.first { match($0.frame) }?.at }

    var interruptions: [(at: Nanos, Interruption)] {
        log.compactMap { if case .control(.interruption(let i)) = $0.frame { ($0.at, i) } else { nil } }
    }

    var metrics: [StageMetric] {
        log.compactMap { if case .control(.metric(let m)) = $0.frame { m } else { nil } }
    }

    var assistantMessages: [String] { conversation.messages.filter { $0.role == .assistant }.map(\.content) }
    var userMessages: [String] { conversation.messages.filter { $0.role == .user }.map(\.content) }
}

private let ms: Nanos = 1_000_000

@Suite("turn taking on the virtual clock")
struct TurnTakingTests {
    // MARK: Endpointing

    @Test("the turn ends endpointing_min_ms after the last voiced sample, not before")
    func minDelay() throws {
        let h = try TurnHarness()
        h.say("Hello there.") // speech ends at 500 ms; the VAD decides at 800 ms
        #expect(h.llm.requests.isEmpty)
        h.audio(80) // 880 ms: 380 ms of silence
        #expect(h.llm.requests.isEmpty)
        h.audio(40) // 920 ms
        #expect(h.llm.requests == ["Hello there."])
        let eou = try #require(h.metrics.first { $0.name == "end_of_utterance" })
        #expect(eou.nanoseconds >= 400 * ms && eou.nanoseconds <= 420 * ms)
    }

    @Test("an unfinished sentence waits for more speech until endpointing_max_ms")
    func maxDelayForUnfinishedText() throws {
        let h = try TurnHarness()
        h.say("I would like to book a table and")
        h.audio(1_000) // 1.8 s: past the minimum, the detector says "not finished"
        #expect(h.llm.requests.isEmpty)
        h.audio(760) // 2.56 s > 0.5 s + 2 s
        #expect(h.llm.requests == ["I would like to book a table and"])
    }

    @Test("more speech before the end of the turn joins the same turn")
    func continuedSpeechJoins() throws {
        let h = try TurnHarness()
        h.say("I would like", hangoverMs: 200)
        h.audio(100)
        h.say("a coffee please.")
        h.audio(200)
        #expect(h.llm.requests == ["I would like a coffee please."])
    }

    @Test("endpointing waits for the STT's final transcript, then ends the turn at once")
    func waitsForFinal() throws {
        let h = try TurnHarness()
        h.startSpeaking()
        h.audio(500)
        h.transcript("what time", final: false)
        h.audio(300)
        h.stopSpeaking(speechEnd: 500 * ms)
        h.audio(300) // 1.1 s: past the minimum, no final yet
        #expect(h.llm.requests.isEmpty)
        h.transcript("What time is it?")
        #expect(h.llm.requests == ["What time is it?"])
    }

    @Test("a final that arrives before the VAD's stop and covers the speech ends the turn at endpointing_min_ms")
    func finalBeforeStop() throws {
        let h = try TurnHarness()
        h.startSpeaking()
        h.audio(500)
        h.audio(140) // the STT finalizes 140 ms after the speech ended, before the VAD's 300 ms hangover
        h.pipeline.push(.transcript(TranscriptFrame(text: "What time is it?", isFinal: true, segmentID: "s", role: .user,
                                                    start: 0, end: 500 * ms, endsUtterance: true)))
        h.pipeline.run()
        h.audio(160)
        h.stopSpeaking(speechEnd: 500 * ms)
        h.audio(60) // 860 ms: 360 ms of silence
        #expect(h.llm.requests.isEmpty)
        h.audio(60) // 920 ms: past endpointing_min_ms (400), no second final needed
        #expect(h.llm.requests == ["What time is it?"])
    }

    @Test("a final that ends well before the VAD's end of speech still waits for the rest")
    func earlyPartialFinalWaits() throws {
        let h = try TurnHarness()
        h.startSpeaking()
        h.audio(300)
        h.pipeline.push(.transcript(TranscriptFrame(text: "What time", isFinal: true, segmentID: "s", role: .user,
                                                    start: 0, end: 250 * ms)))
        h.pipeline.run()
        h.audio(500)
        h.stopSpeaking(speechEnd: 500 * ms)
        h.audio(400) // 1.2 s: past the minimum, the words after 250 ms are not transcribed yet
        #expect(h.llm.requests.isEmpty)
        h.transcript("is it?")
        #expect(h.llm.requests == ["What time is it?"])
    }

    @Test("without a final transcript the turn ends at the maximum delay with the interim text")
    func maxDelayWithInterim() throws {
        let h = try TurnHarness()
        h.startSpeaking()
        h.audio(500)
        h.transcript("what time is it", final: false)
        h.audio(300)
        h.stopSpeaking(speechEnd: 500 * ms)
        h.audio(1_600) // 2.4 s
        #expect(h.llm.requests.isEmpty)
        h.audio(200) // 2.6 s
        #expect(h.llm.requests == ["what time is it"])
    }

    @Test("a noise with no words is no turn")
    func noWordsNoTurn() throws {
        let h = try TurnHarness()
        h.startSpeaking()
        h.audio(300)
        h.stopSpeaking(speechEnd: 300 * ms)
        h.audio(3_000)
        #expect(h.llm.requests.isEmpty)
    }

    // MARK: Interruption

    /// Says a question and lets the 50-frame reply play for `playMs`.
    private func replying(_ h: TurnHarness, playMs: Int) -> Nanos {
        h.say("Tell me something.")
        h.audio(200) // turn ends at 900 ms, reply text at 950 ms, audio at 980 ms
        let started = h.agentAudio.first?.at ?? 0
        h.audio(playMs)
        return started
    }

    @Test("speech over the agent for interruption_min_ms stops playout within one frame and cuts the context to what was heard")
    func interruptionStopsWithinOneFrame() throws {
        let h = try TurnHarness { $0.resumeFalseInterruption = false }
        let started = replying(h, playMs: 100)
        #expect(started > 0)
        h.startSpeaking()
        h.audio(400)
        let (at, interruption) = try #require(h.interruptions.first)
        #expect(interruption.cause == .userSpeech)
        let audio = h.agentAudio
        // Nothing left after the interruption; what was already out ends within one frame of it.
        #expect(audio.allSatisfy { $0.at <= at })
        let lastEnd = try #require(audio.last).at + 20 * ms
        #expect(lastEnd <= at + 20 * ms)
        #expect(audio.count < 50)
        #expect(h.firstTime { if case .control(.agentStoppedSpeaking) = $0 { true } else { false } } == at)
        // The first sentence has 6 words over 600 ms; about 420 ms of it played.
        let heard = try #require(h.assistantMessages.last)
        #expect("One two three four five six.".hasPrefix(heard))
        let words = heard.split(separator: " ").count
        #expect((3...5).contains(words), "heard: \(heard)")
        #expect(h.userMessages == ["Tell me something."])
    }

    @Test("an interruptible greeting is cut like any reply")
    func interruptibleGreeting() throws {
        let h = try TurnHarness { $0.resumeFalseInterruption = false }
        h.pipeline.push(AgentSpeech.say("Welcome to the bank of Parley, how can I help?", conversation: h.conversation))
        h.audio(200)
        h.startSpeaking()
        h.audio(400)
        #expect(h.interruptions.count == 1)
        let heard = try #require(h.assistantMessages.first)
        #expect("Welcome to the bank of Parley, how can I help?".hasPrefix(heard) && heard.count < 30)
    }

    @Test("speech shorter than interruption_min_ms does not interrupt")
    func shortSpeechDoesNotInterrupt() throws {
        let h = try TurnHarness { $0.resumeFalseInterruption = false }
        _ = replying(h, playMs: 100)
        h.startSpeaking()
        h.audio(200)
        h.stopSpeaking(speechEnd: h.media)
        h.audio(1_500)
        #expect(h.interruptions.isEmpty)
        #expect(h.agentAudio.count == 50)
        #expect(h.assistantMessages == ["One two three four five six. Seven eight nine ten."])
    }

    @Test("interruption_min_words holds the interruption until enough words were recognised")
    func minWords() throws {
        let h = try TurnHarness {
            $0.resumeFalseInterruption = false
            $0.interruptionMinWords = 2
        }
        _ = replying(h, playMs: 100)
        h.startSpeaking()
        h.audio(400)
        h.transcript("hey", final: false)
        h.audio(40)
        #expect(h.interruptions.isEmpty)
        h.transcript("hey wait", final: false)
        #expect(h.interruptions.count == 1)
    }

    @Test("a false interruption pauses playout and resumes where it stopped")
    func falseInterruptionResumes() throws {
        let h = try TurnHarness()
        _ = replying(h, playMs: 200)
        h.startSpeaking()
        h.audio(300)
        let pausedAt = h.clock.now()
        let outAtPause = h.agentAudio.count
        h.audio(100)
        h.stopSpeaking(speechEnd: h.media - 100 * ms)
        h.audio(400) // within the 500 ms timeout: still paused
        #expect(h.agentAudio.count == outAtPause)
        #expect(h.agentAudio.allSatisfy { $0.at <= pausedAt })
        h.audio(2_000)
        #expect(h.interruptions.isEmpty)
        #expect(h.agentAudio.count == 50) // every frame played, none twice
        #expect(h.metrics.contains { $0.name == "false_interruption" })
        #expect(h.assistantMessages == ["One two three four five six. Seven eight nine ten."])
        #expect(h.llm.requests.count == 1)
    }

    @Test("words after the pause make it a real interruption, cut at the pause")
    func wordsAfterPauseInterrupt() throws {
        let h = try TurnHarness()
        _ = replying(h, playMs: 100)
        h.startSpeaking()
        h.audio(300)
        let outAtPause = h.agentAudio.count
        h.audio(200)
        h.transcript("stop", final: false)
        #expect(h.interruptions.count == 1)
        #expect(h.agentAudio.count == outAtPause)
        let heard = try #require(h.assistantMessages.last)
        #expect("One two three four five six.".hasPrefix(heard) && !heard.isEmpty)
    }

    @Test("a greeting with allow_interruptions false is recorded, spoken and not interrupted")
    func uninterruptible() throws {
        let h = try TurnHarness { $0.resumeFalseInterruption = false }
        var profile = AgentProfile()
        profile.greeting = "Welcome to the bank of Parley."
        profile.greetingAllowInterruptions = false
        h.pipeline.push(try #require(AgentSpeech.greeting(profile, conversation: h.conversation)))
        h.audio(100)
        h.startSpeaking()
        h.audio(500)
        #expect(h.interruptions.isEmpty)
        #expect(h.assistantMessages == ["Welcome to the bank of Parley."])
        #expect(h.agentTexts.map(\.text.text) == ["Welcome to the bank of Parley."])
    }

    // MARK: Preemptive generation

    @Test("a preemptive reply whose turn ends with the same text plays at the end of the turn, not before")
    func preemptiveKept() throws {
        let h = try TurnHarness { $0.preemptiveGeneration = true }
        h.say("What is the capital of France?") // final at 800 ms; the turn ends at 900 ms
        #expect(h.llm.requests == ["What is the capital of France?"])
        h.audio(200)
        #expect(h.llm.requests.count == 1)
        let first = try #require(h.agentAudio.first)
        #expect(first.at >= 900 * ms && first.at <= 920 * ms, "first audio at \(first.at / ms) ms")
        #expect(h.userMessages == ["What is the capital of France?"])
    }

    @Test("a preemptive reply is discarded when the user goes on speaking")
    func preemptiveDiscarded() throws {
        let h = try TurnHarness { $0.preemptiveGeneration = true }
        h.say("What is the time", hangoverMs: 300) // preemptive request at 800 ms
        h.audio(60) // the scripted LLM and TTS have produced the early reply (paused)
        #expect(h.agentAudio.isEmpty)
        h.say("in Paris?")
        h.audio(200)
        #expect(h.interruptions.first?.1.cause == .superseded)
        #expect(h.llm.requests == ["What is the time", "What is the time in Paris?"])
        #expect(h.userMessages == ["What is the time in Paris?"])
        let texts = h.agentTexts.map(\.text.replyID)
        #expect(Set(texts) == ["scripted-2"])
    }

    // MARK: Transcripts in step with playout

    @Test("agent text leaves when its first audio frame plays")
    func transcriptsInStep() throws {
        let h = try TurnHarness()
        _ = replying(h, playMs: 1_200)
        let texts = h.agentTexts
        try #require(texts.count == 2)
        let audio = h.agentAudio
        #expect(texts[0].at == audio[0].at)
        // The second sentence's text leaves when the first sentence's 30 frames have played.
        #expect(texts[1].at == audio[30].at)
        #expect(audio[30].at - audio[0].at == 600 * ms)
        // Each frame leaves when the previous one has played: exactly 20 ms apart.
        for i in 1..<audio.count { #expect(audio[i].at - audio[i - 1].at == 20 * ms) }
    }

    @Test("unpaced playout releases at once and counts it all as heard")
    func unpaced() throws {
        let h = try TurnHarness({ $0.resumeFalseInterruption = false }, paced: false)
        _ = replying(h, playMs: 100)
        #expect(h.agentAudio.count == 50)
        #expect(h.assistantMessages == ["One two three four five six. Seven eight nine ten."])
    }
}
