// SPDX-License-Identifier: Apache-2.0

import Metrics
import MetricsTestKit
import Testing
@testable import ParleyCore

/// `FallbackStage` on the virtual clock with scripted providers (FallbackTestProviders.swift):
///
///   input ─► [fallback: provider a, provider b (, c)] ─► output
@Suite("fallback across providers")
struct FallbackStageTests {
    let metrics = TestMetrics()

    func llmPipeline(_ providers: [ScriptedLLMProvider], conversation: Conversation? = nil,
                     timeoutMs: Int = 500, recoveryMs: Int = 10_000) throws -> (EmbeddedPipeline, FallbackStage) {
        let stage = try FallbackStage(
            kind: .llm, providers: providers.map { FallbackStage.Provider($0, label: $0.name) },
            settings: FallbackSettings(attemptTimeoutMs: timeoutMs, recoveryIntervalMs: recoveryMs),
            conversation: conversation, turnManaged: true, metricsFactory: metrics)
        let graph = try PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .text]).then(stage).build()
        return (try EmbeddedPipeline(graph: graph), stage)
    }

    func turn(_ p: EmbeddedPipeline, _ text: String) {
        p.push(.text(TextFrame(text: text, role: .user)))
        p.run()
    }

    func switches(_ from: String, _ to: String, slot: String = "llm") throws -> Int64 {
        let counter = try metrics.expectCounter("parley_fallback_switches_total",
                                                [("slot", slot), ("from", from), ("to", to)])
        return counter.totalValue
    }

    // MARK: LLM

    @Test("an error before any token moves the turn to the next provider, which answers it once")
    func llmErrorBeforeOutput() throws {
        let conversation = Conversation(instructions: "sys")
        let a = ScriptedLLMProvider("llm:a", conversation: conversation, faults: [.errorBeforeOutput])
        let b = ScriptedLLMProvider("llm:b", conversation: conversation)
        let (p, _) = try llmPipeline([a, b], conversation: conversation)
        turn(p, "What time is it?")
        p.advance(by: .ms(40)) // a fails
        #expect(b.requests == ["What time is it?"])
        #expect(a.interruptions == [.providerFailure]) // its request abandoned
        p.advance(by: .ms(40)) // b answers
        // Downstream sees the user turn once and b's reply only: no error, nothing of a.
        #expect(p.userTexts == ["What time is it?"])
        #expect(p.agentTexts == ["llm:b answers: What time is it?"])
        #expect(p.llmFrames.map(\.responseID).allSatisfy { $0.hasPrefix("llm:b") })
        #expect(p.llmFrames.last == .responseEnded(responseID: "llm:b-1", finishReason: "stop"))
        #expect(p.failures.isEmpty)
        // The turn is in the context once, answered by b.
        #expect(conversation.messages.map(\.content) == ["What time is it?", "llm:b answers: What time is it?"])
        let fallback = try #require(p.metrics.first { $0.name == "fallback" })
        #expect(fallback.stage == "llm:fallback" && fallback.nanoseconds == .ms(40))
        #expect(try switches("llm:a", "llm:b") == 1)
    }

    @Test("no first token within attempt_timeout_ms moves the turn on; the hung request is cancelled")
    func llmAttemptTimeout() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.hang])
        let b = ScriptedLLMProvider("llm:b")
        let (p, _) = try llmPipeline([a, b], timeoutMs: 300)
        turn(p, "Hello?")
        p.advance(by: .ms(299))
        #expect(b.requests.isEmpty)
        p.advance(by: .ms(1))
        #expect(b.requests == ["Hello?"])
        #expect(a.interruptions == [.providerFailure])
        p.advance(by: .ms(40))
        #expect(p.agentTexts == ["llm:b answers: Hello?"])
        #expect(p.metrics.first { $0.name == "fallback" }?.nanoseconds == .ms(300))
        #expect(p.failures.isEmpty)
    }

    @Test("an error after the first token is not retried: the failure goes on and the reply is closed")
    func llmErrorAfterOutput() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.errorAfterOutput])
        let b = ScriptedLLMProvider("llm:b")
        let (p, _) = try llmPipeline([a, b])
        turn(p, "Tell me a story.")
        p.advance(by: .ms(100))
        #expect(b.requests.isEmpty)
        #expect(p.failures.map(\.message) == ["stream dropped after 2 events"])
        #expect(p.llmFrames == [.responseStarted(responseID: "llm:a-1"), .textDelta(responseID: "llm:a-1", text: "Partly"),
                                .responseEnded(responseID: "llm:a-1", finishReason: "error")])
        // a rests now: the next turn goes to b.
        turn(p, "Anything else?")
        p.advance(by: .ms(40))
        #expect(b.requests == ["Anything else?"])
        #expect(p.agentTexts == ["llm:b answers: Anything else?"])
    }

    @Test("a failed provider rests for recovery_interval_ms, then is tried first again")
    func llmRecovery() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.errorBeforeOutput, .none, .errorBeforeOutput, .none])
        let b = ScriptedLLMProvider("llm:b")
        let (p, _) = try llmPipeline([a, b], recoveryMs: 10_000)
        turn(p, "one")
        p.advance(by: .ms(100))
        #expect(a.requests == ["one"] && b.requests == ["one"])
        p.advance(by: .ms(5_000))
        turn(p, "two") // a is resting
        p.advance(by: .ms(100))
        #expect(a.requests == ["one"] && b.requests == ["one", "two"])
        p.advance(by: .ms(5_000)) // 10.2 s after a failed
        turn(p, "three") // a is first in line again and answers
        p.advance(by: .ms(100))
        #expect(a.requests == ["one", "three"] && b.requests == ["one", "two"])
        #expect(p.agentTexts.last == "llm:a answers: three")
        turn(p, "four") // available again: no waiting for another interval
        p.advance(by: .ms(100))
        #expect(a.requests == ["one", "three", "four"])
        // It fails again: that turn moves to b at once.
        #expect(b.requests == ["one", "two", "four"])
        #expect(p.agentTexts.last == "llm:b answers: four")
        #expect(try switches("llm:a", "llm:b") == 2)
        #expect(p.failures.isEmpty)
    }

    @Test("when every provider fails, one failure goes on, the reply is closed, and the next turn starts over")
    func llmEveryProviderFails() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.errorBeforeOutput, .errorBeforeOutput])
        let b = ScriptedLLMProvider("llm:b", faults: [.hang])
        let (p, _) = try llmPipeline([a, b], timeoutMs: 200)
        turn(p, "Hi")
        p.advance(by: .ms(40 + 200))
        let failure = try #require(p.failures.first)
        #expect(p.failures.count == 1 && !failure.isFatal && failure.stage == "llm:fallback")
        #expect(failure.message == "every llm provider failed: llm:a: HTTP 500: overloaded; "
                + "llm:b: no output within 200 ms (attempt_timeout_ms)")
        #expect(p.llmFrames == [.responseStarted(responseID: "llm:fallback-1"),
                                .responseEnded(responseID: "llm:fallback-1", finishReason: "error")])
        // Both rest; the next turn is not refused: a (first in order) fails again, b answers.
        turn(p, "Hello again")
        p.advance(by: .ms(100))
        #expect(a.requests == ["Hi", "Hello again"] && b.requests == ["Hi", "Hello again"])
        #expect(p.agentTexts == ["llm:b answers: Hello again"])
    }

    @Test("end of stream held by a failing provider is handed to the next and released after its reply")
    func llmEndOfStreamHandOver() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.errorBeforeOutput])
        let b = ScriptedLLMProvider("llm:b")
        let (p, _) = try llmPipeline([a, b])
        turn(p, "Last words?")
        p.push(.control(.endOfStream))
        p.run()
        #expect(p.outcome == nil) // held by a
        p.advance(by: .ms(40)) // a fails: b holds it now
        #expect(p.outcome == nil)
        p.advance(by: .ms(40))
        #expect(p.outcome == .finished)
        #expect(p.agentTexts == ["llm:b answers: Last words?"])
        guard case .control(.endOfStream)? = p.outputs.last else { Issue.record("end of stream not last"); return }
        #expect(p.controls { $0 == .endOfStream } == 1)
    }

    @Test("an interruption reaches the serving provider; its late output is dropped by epoch")
    func llmInterruption() throws {
        let a = ScriptedLLMProvider("llm:a", faults: [.errorBeforeOutput])
        let b = ScriptedLLMProvider("llm:b", delay: .ms(100))
        let (p, _) = try llmPipeline([a, b])
        turn(p, "Long question")
        p.advance(by: .ms(40)) // b has it
        p.interrupt(.userSpeech)
        p.run()
        #expect(b.interruptions == [.userSpeech])
        #expect(a.interruptions == [.providerFailure]) // nothing more for a: it isn't serving
        p.advance(by: .ms(200))
        #expect(p.agentTexts.isEmpty)
        turn(p, "Next")
        p.advance(by: .ms(150))
        #expect(p.agentTexts == ["llm:b answers: Next"])
    }

    // MARK: TTS

    func ttsPipeline(_ providers: [ScriptedTTSProvider], timeoutMs: Int = 500) throws -> EmbeddedPipeline {
        let stage = try FallbackStage(kind: .tts, providers: providers.map { .init($0) },
                                      settings: FallbackSettings(attemptTimeoutMs: timeoutMs), metricsFactory: metrics)
        let graph = try PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .text]).then(stage).build()
        return try EmbeddedPipeline(graph: graph)
    }

    func say(_ p: EmbeddedPipeline, _ texts: [String]) {
        for t in texts { p.push(.text(TextFrame(text: t, role: .agent, replyID: "r1"))) }
        p.run()
    }

    @Test("TTS: a failure before any audio resends every pending text to the next provider, in order")
    func ttsErrorBeforeAudio() throws {
        let a = ScriptedTTSProvider("tts:a", voice: 1, faults: [.errorBeforeOutput])
        let b = ScriptedTTSProvider("tts:b", voice: 2)
        let p = try ttsPipeline([a, b])
        say(p, ["First sentence.", "Second one."])
        p.advance(by: .ms(200))
        #expect(b.texts == ["First sentence.", "Second one."])
        #expect(p.agentTexts == ["First sentence.", "Second one."])
        let voices = p.agentAudio.map { $0.withSamples { $0[0] } }
        #expect(voices == Array(repeating: 2, count: 10))
        #expect(p.controls { $0 == .agentStartedSpeaking } == 2 && p.controls { $0 == .agentStoppedSpeaking } == 2)
        #expect(p.failures.isEmpty)
        #expect(try switches("tts:a", "tts:b", slot: "tts") == 1)
    }

    @Test("TTS: a text cut mid-audio is not spoken again; the texts after it move to the next provider")
    func ttsErrorMidText() throws {
        let a = ScriptedTTSProvider("tts:a", voice: 1, faults: [.none, .errorAfterOutput])
        let b = ScriptedTTSProvider("tts:b", voice: 2)
        let p = try ttsPipeline([a, b])
        say(p, ["One.", "Two.", "Three."])
        p.advance(by: .ms(300))
        #expect(b.texts == ["Three."])
        #expect(p.agentTexts == ["One.", "Two.", "Three."])
        let voices = p.agentAudio.map { $0.withSamples { $0[0] } }
        #expect(voices == Array(repeating: 1, count: 5) + [1, 1] + Array(repeating: 2, count: 5))
        // The cut text still ends its speech edge, once.
        #expect(p.controls { $0 == .agentStartedSpeaking } == 3 && p.controls { $0 == .agentStoppedSpeaking } == 3)
        #expect(p.failures.map(\.message) == ["socket closed mid-sentence"])
    }

    @Test("TTS: a provider that never starts speaking times out; what it posts later is dropped")
    func ttsTimeout() throws {
        let a = ScriptedTTSProvider("tts:a", voice: 1, delay: .ms(400))
        let b = ScriptedTTSProvider("tts:b", voice: 2)
        let p = try ttsPipeline([a, b], timeoutMs: 200)
        say(p, ["Slow."])
        p.advance(by: .ms(1_000))
        #expect(p.agentAudio.allSatisfy { $0.withSamples { $0[0] } == 2 } && p.agentAudio.count == 5)
        #expect(a.interruptions == [.providerFailure])
        #expect(p.agentTexts == ["Slow."])
    }

    // MARK: STT

    func sttPipeline(_ providers: [ScriptedSTTProvider], timeoutMs: Int = 1_000) throws -> EmbeddedPipeline {
        let stage = try FallbackStage(kind: .stt, providers: providers.map { .init($0) },
                                      settings: FallbackSettings(attemptTimeoutMs: timeoutMs, preRollMs: 200),
                                      metricsFactory: metrics)
        return try EmbeddedPipeline(stages: [stage])
    }

    /// Silence, word `first` (the VAD confirms it late: its onset stamp is 100 ms back), word
    /// `second`, silence, stop. Default: "one two".
    func utterance(_ s: inout CodedSpeaker, _ first: Int16 = 1, _ second: Int16 = 2, silence: Int = 10, frames: Int = 5) {
        s.audio(0, frames: silence)
        let onset = s.media
        s.audio(first, frames: frames)
        s.control(.userStartedSpeaking(at: onset))
        s.audio(second, frames: 2 * frames)
        let end = s.media
        s.audio(0, frames: frames)
        s.control(.userStoppedSpeaking(speechEnd: end))
    }

    @Test("STT: the utterance's buffered audio (with the pre-roll before the VAD's event) is replayed to the next provider")
    func sttReplay() throws {
        let a = ScriptedSTTProvider("stt:a", faults: [.errorBeforeOutput])
        let b = ScriptedSTTProvider("stt:b")
        let p = try sttPipeline([a, b])
        var s = CodedSpeaker(p)
        utterance(&s)
        #expect(b.framesHeard == 0) // idle until needed
        p.advance(by: .ms(60)) // a fails; b is fed the utterance
        p.advance(by: .ms(60))
        #expect(p.transcripts.map(\.text) == ["one two"])
        #expect(p.transcripts.first?.segmentID == "stt:b-1")
        #expect(p.failures.isEmpty)
        #expect(p.controls { if case .userStartedSpeaking = $0 { true } else { false } } == 1)
        #expect(p.controls { if case .userStoppedSpeaking = $0 { true } else { false } } == 1)
        // The next utterance goes to b directly, with its own pre-roll.
        var t = s
        utterance(&t)
        p.advance(by: .ms(60))
        #expect(p.transcripts.map(\.text) == ["one two", "one two"])
        #expect(a.utterances == 1 && b.utterances == 2)
    }

    @Test("STT: no transcript within attempt_timeout_ms after the end of speech moves the utterance on")
    func sttTimeout() throws {
        let a = ScriptedSTTProvider("stt:a", faults: [.hang])
        let b = ScriptedSTTProvider("stt:b")
        let p = try sttPipeline([a, b], timeoutMs: 500)
        var s = CodedSpeaker(p)
        utterance(&s)
        p.advance(by: .ms(499))
        #expect(p.transcripts.isEmpty)
        p.advance(by: .ms(61))
        #expect(p.transcripts.map(\.text) == ["one two"])
        #expect(p.metrics.first { $0.name == "fallback" }?.nanoseconds == .ms(500))
    }

    @Test("STT: an utterance whose interim transcript went out is not replayed")
    func sttNoReplayAfterOutput() throws {
        let a = ScriptedSTTProvider("stt:a", faults: [.errorAfterOutput])
        let b = ScriptedSTTProvider("stt:b")
        let p = try sttPipeline([a, b])
        var s = CodedSpeaker(p)
        utterance(&s)
        p.advance(by: .ms(200))
        #expect(p.transcripts.map(\.text) == ["…"])
        #expect(p.failures.map(\.message) == ["recogniser crashed"])
        #expect(b.framesHeard == 0)
        utterance(&s) // the next one goes to b
        p.advance(by: .ms(100))
        #expect(p.transcripts.map(\.text) == ["…", "one two"])
    }

    @Test("STT: of two utterances, only the one still without a transcript is replayed")
    func sttReplaysOnlyTheUnanswered() throws {
        let a = ScriptedSTTProvider("stt:a", delay: .ms(400), faults: [.none, .errorBeforeOutput])
        let b = ScriptedSTTProvider("stt:b")
        let p = try sttPipeline([a, b])
        var s = CodedSpeaker(p)
        // Short utterances close together: the second's pre-roll reaches back to the first's
        // stop, but never takes the first's VAD events along.
        utterance(&s, silence: 10, frames: 1) // stops at 280 ms; a answers it at 680 ms
        utterance(&s, 3, 4, silence: 0, frames: 2) // 280…440 ms, a fails it at 840 ms
        p.advance(by: .ms(600))
        #expect(p.transcripts.map(\.text) == ["one two", "three four"])
        #expect(p.transcripts.map(\.segmentID) == ["stt:a-1", "stt:b-1"])
    }

    @Test("STT: two utterances waiting when the provider fails are both replayed, in order")
    func sttReplaysBoth() throws {
        let a = ScriptedSTTProvider("stt:a", delay: .ms(400), faults: [.errorBeforeOutput])
        let b = ScriptedSTTProvider("stt:b")
        let p = try sttPipeline([a, b])
        var s = CodedSpeaker(p)
        utterance(&s) // stops at 600 ms; a fails it at 1000 ms
        utterance(&s, 3, 4) // 600…1200 ms
        p.advance(by: .ms(300))
        #expect(p.transcripts.map(\.text) == ["one two", "three four"])
        #expect(p.transcripts.map(\.segmentID) == ["stt:b-1", "stt:b-2"])
        #expect(b.utterances == 2)
    }

    // MARK: Setup

    @Test("providers that cannot share one input format are refused, naming them")
    func capsMismatch() {
        final class Needs: Stage {
            let name: String
            let rate: Int
            var accepts: FrameKinds { .audio }
            var inputCaps: AudioCaps { AudioCaps(sampleRates: [rate], channels: [1]) }
            init(_ name: String, _ rate: Int) { self.name = name; self.rate = rate }
        }
        #expect(throws: FallbackStage.SetupError.self) {
            try FallbackStage(kind: .stt, providers: [.init(Needs("stt:a", 16_000)), .init(Needs("stt:b", 24_000))])
        }
        do {
            _ = try FallbackStage(kind: .stt, providers: [.init(Needs("stt:a", 16_000)), .init(Needs("stt:b", 24_000))])
        } catch {
            #expect("\(error)".contains("stt:b accepts 24000 Hz"))
        }
        #expect(throws: FallbackStage.SetupError.self) { try FallbackStage(kind: .vad, providers: [.init(Needs("v", 1))]) }
        #expect(throws: FallbackStage.SetupError.self) { try FallbackStage(kind: .llm, providers: []) }
    }
}
