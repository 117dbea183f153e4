// SPDX-License-Identifier: Apache-2.0

import ParleyCore
@testable import ParleyWebRTCPlugins
import Testing

@Suite("WebRTC VAD stage")
struct WebRTCVADStageTests {
    static let format16k20 = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20)

    /// The first utterance of the labelled set with the silence around it (up to 100 ms before the second).
    func firstUtterance() throws -> (samples: [Int16], span: LabelledSpeechSet.Span) {
        let set = try LabelledSpeechSet.shared.get()
        let end = (set.spans[1].onsetFrame - 10) * LabelledSpeechSet.labelFrame
        return (LabelledSpeechSet.int16(Array(set.clean[0..<end])), set.spans[0])
    }

    @Test("the registry builds it from `webrtc` with defaults and validated options")
    func registration() throws {
        let registry = StageRegistry()
        registry.register(WebRTCVADStage.registration)
        let plain = try #require(try registry.makeStage(.vad, descriptor: "webrtc") as? WebRTCVADStage)
        #expect(plain.settings == WebRTCVADStage.Settings())
        func node(_ yaml: String) throws -> ConfigNode {
            try #require(ConfigLoader.parse(yaml: yaml, file: "t.yaml", environment: [:])["vad"])
        }
        let tuned = try #require(try registry.makeStage(.vad, from: node(
            "vad: { provider: webrtc, mode: 1, activation_threshold: 0.6, min_silence_ms: 400, energy_gate: true }"),
            environment: [:]) as? WebRTCVADStage)
        #expect(tuned.settings.mode == 1 && tuned.settings.activationThreshold == 0.6)
        #expect(tuned.settings.minSilenceMs == 400 && tuned.settings.energyGate)
        #expect(throws: ConfigError.self) { try registry.makeStage(.vad, from: node("vad: { provider: webrtc, mode: 4 }"), environment: [:]) }
        #expect(throws: ConfigError.self) {
            try registry.makeStage(.vad, from: node("vad: { provider: webrtc, activation_threshold: 1.5 }"), environment: [:])
        }
    }

    @Test("caps: 48 kHz/20 ms goes straight in; the engine re-frames 10 ms and resamples 44.1 kHz")
    func capsNegotiation() throws {
        func converters(_ input: AudioFormat) throws -> (names: [String], vadInput: AudioFormat) {
            let p = try EmbeddedPipeline(stages: [try WebRTCVADStage()], input: input)
            let names = p.graph.nodes.filter(\.isConverter).map(\.stage.name)
            let vad = try #require(p.graph.nodes.first { $0.stage is WebRTCVADStage })
            return (names, vad.inputFormat)
        }
        let direct = try converters(.standard)
        #expect(direct.names.isEmpty && direct.vadInput == .standard)
        let tenMs = try converters(AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 10))
        #expect(tenMs.names.count == 1 && tenMs.vadInput == Self.format16k20)
        let cd = try converters(AudioFormat(sampleRate: 44_100, channels: 2, frameDurationMs: 20))
        #expect(cd.names.count == 3) // mix → resample → re-frame
        #expect(cd.vadInput == AudioFormat(sampleRate: 48_000, channels: 1, frameDurationMs: 20))
    }

    @Test("events as EnergyVAD: start stamped at onset minus padding, stop after min silence, audio unchanged")
    func events() throws {
        let (samples, span) = try firstUtterance()
        let p = try EmbeddedPipeline(stages: [try WebRTCVADStage()], input: Self.format16k20)
        let pool = AudioBufferPool(bufferCapacity: 320)
        var decided: [Nanos] = []
        var seen = 0
        for f in StageTestSupport.frames(samples, format: Self.format16k20, pool: pool) {
            p.push(.audio(f))
            p.run()
            let count = StageTestSupport.turnEvents(p.outputs).count
            if count > seen { decided.append(f.endTimestamp); seen = count }
        }
        let out = p.outputs
        #expect(StageTestSupport.audio(out) == samples)
        let events = StageTestSupport.turnEvents(out)
        #expect(events.count == 2)
        guard events.count == 2, case .userStartedSpeaking(let at) = events[0],
              case .userStoppedSpeaking(let end) = events[1] else { return }
        // Start: first voiced sample (within a 10 ms sub-frame of the labelled onset) minus 200 ms.
        #expect(abs(at - (span.onset - .ms(200))) <= .ms(30), "at \(at) onset \(span.onset)")
        #expect(abs(end - span.end) <= .ms(60), "speechEnd \(end) labelled \(span.end)")
        // Stop is decided once 300 ms of silence have passed after the last voiced sub-frame.
        #expect(decided.count == 2 && decided[1] >= end + .ms(300) && decided[1] <= end + .ms(300 + 40))
    }

    @Test("an end of stream mid-utterance closes the turn")
    func endOfStreamClosesTurn() throws {
        let (samples, span) = try firstUtterance()
        let cut = Int(span.onset / 62_500) + 16_000 // one second into the utterance
        let p = try EmbeddedPipeline(stages: [try WebRTCVADStage()], input: Self.format16k20)
        let pool = AudioBufferPool(bufferCapacity: 320)
        for f in StageTestSupport.frames(Array(samples[0..<cut]), format: Self.format16k20, pool: pool) { p.push(.audio(f)) }
        p.push(.control(.endOfStream))
        p.run()
        let names = StageTestSupport.controls(p.outputs).map(\.name)
        #expect(names.contains("user-started-speaking"))
        #expect(names.firstIndex(of: "user-stopped-speaking").map { $0 < names.firstIndex(of: "end-of-stream")! } == true)
    }

    @Test("agent audio passes through unanalysed")
    func agentAudioIgnored() throws {
        let (samples, _) = try firstUtterance()
        let p = try EmbeddedPipeline(stages: [try WebRTCVADStage()], input: Self.format16k20)
        let pool = AudioBufferPool(bufferCapacity: 320)
        for f in StageTestSupport.frames(samples, format: Self.format16k20, pool: pool, role: .agent) {
            p.push(.audio(f))
            p.run()
        }
        #expect(StageTestSupport.turnEvents(p.outputs).isEmpty)
        #expect(StageTestSupport.audio(p.outputs) == samples)
    }
}
