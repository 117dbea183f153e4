// SPDX-License-Identifier: Apache-2.0

#if canImport(ParleyLlamaPlugins)
import Foundation
import ParleyAgent
import ParleyBuiltinPlugins
import ParleyCore
import ParleyEspeakEngine
import ParleyLlamaPlugins
import ParleySherpaEngines
import Testing

/// The embedded default as shipped (Examples/local-speech.yaml): Silero VAD → Moonshine STT →
/// SmolLM2 (llama.cpp) → Piper TTS, all in this process, on a spoken question.
@Suite("Local agent pipeline (Silero → Moonshine → SmolLM2 → Piper)", .serialized,
       .enabled(if: Installed.available && InstalledLlama.available, InstalledLlama.skipReason))
struct LocalAgentPipelineTests {
    @Test("the spoken question is heard, answered by the LLM and spoken back; the turn report has every stage's figure")
    func questionToSpokenAnswer() async throws {
        let files = try #require(Installed.files)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let registry = StageRegistry()
        for r in BuiltinPlugins.registrations { registry.register(r) }
        registry.register(SileroVADStage.registration)
        registry.register(MoonshineSTTStage.registration)
        registry.register(LlamaChatStage.registration)
        registry.register(PiperTTSStage.registration)
        var env = ProcessInfo.processInfo.environment
        env["PARLEY_LOCAL_ENGINES"] = files.root.path
        let config = try AgentConfig.load(path: root.appendingPathComponent("Examples/local-speech.yaml").path,
                                          environment: env)

        // The question in the Piper voice (the most natural local one), with silence around it.
        let piper = try PiperSynthesizer(files: files)
        let question = "What is the capital of France?"
        let spoken = try piper.synthesize(question)
        let silence = [Int16](repeating: 0, count: spoken.sampleRate / 2)
        let samples = silence + spoken.samples.map { Int16(max(-32768, min(32767, ($0 * 32767).rounded()))) } + silence
            + silence + silence + silence + silence
        let input = AudioFormat(sampleRate: spoken.sampleRate, channels: 1, frameDurationMs: 20)
        let graph = try PipelineAssembler(registry: registry, environment: env)
            .build(config, input: input, outputCaps: AudioCaps(sampleRates: [48_000], channels: [1]))

        let outputs = LocalSpeechPipelineTests.Box()
        let pipeline = Pipeline(graph: graph, id: "local-agent", policy: .offline, pacing: .asFastAsPossible,
                                source: SampleArraySource(samples: samples, format: input),
                                output: { outputs.add($0) }, events: { outputs.add($0) })
        try pipeline.start()
        #expect(await pipeline.wait() == .finished)
        _ = pipeline.waitBlocking()

        let heard = outputs.frames.compactMap { f -> String? in
            if case .transcript(let t) = f, t.isFinal, t.role == .user { return t.text }
            return nil
        }
        #expect(heard.count == 1)
        #expect(normalised(heard.first ?? "") == normalised(question), "heard: \(heard)")

        let answer = outputs.frames.compactMap { f -> String? in
            if case .text(let t) = f, t.role == .agent { return t.text }
            return nil
        }
        #expect(!answer.isEmpty, "the agent said nothing")
        let agentAudio = outputs.frames.compactMap { f -> AudioFrame? in
            if case .audio(let a) = f, a.role == .agent { return a }
            return nil
        }
        var speech: [Float] = []
        for f in agentAudio { f.withSamples { s in speech += s.map { Float($0) / 32768 } } }
        #expect(speech.count > 48_000 / 2, "agent spoke \(speech.count) samples at 48 kHz")

        // What was said is what was written: Moonshine on the reply audio against the agent text.
        let stt = try MoonshineRecognizer(files: files)
        let replyHeard = try stt.transcribe(padded(resample(speech, from: 48_000, to: 16_000)))
        // Piper samples its voice (VITS noise), so Moonshine's word split varies from run to run
        // ("Francis Parris"): score characters, not words.
        let cer = characterErrorRate(reference: answer.joined(separator: " "), hypothesis: replyHeard)
        #expect(cer <= 0.2, "agent wrote \(answer), Moonshine heard \"\(replyHeard)\"")

        let turns = outputs.events.compactMap { e -> TurnReport? in if case .turn(let t) = e { return t }; return nil }
        let turn = try #require(turns.first)
        for metric in ["stt_final", "llm_ttft", "llm_first_text", "ttfb"] {
            #expect(turn.metrics.contains { $0.name == metric }, "no \(metric) in the turn report: \(turn.metrics)")
        }
        #expect(outputs.frames.allSatisfy { if case .control(.error) = $0 { false } else { true } })
        print("[local agent] heard \"\(heard.first ?? "")\"; answered \(answer); Moonshine on the reply: \"\(replyHeard)\"; "
              + "endpointing \(turn.endpointingDelay.milliseconds) ms, response \(turn.responseLatency.milliseconds) ms; "
              + turn.metrics.map { "\($0.stage) \($0.name) \($0.nanoseconds.milliseconds) ms" }.joined(separator: ", "))
    }
}
#endif
