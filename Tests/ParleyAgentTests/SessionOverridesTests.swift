// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
import ParleyAgent
import ParleyCore

@Suite("Per-session overrides from dispatch metadata")
struct SessionOverridesTests {
    let base = try! AgentConfig.parse(yaml: """
        agent: { name: a, instructions: base prompt, greeting: hello }
        pipeline:
          noise_suppression: speex
          vad: energy
          stt: deepgram/nova-3:en
          llm: openai/gpt-4o-mini
          tts: cartesia/sonic-3:v1
        """, file: "base.yaml", environment: [:])

    @Test("seed agentConfig fields override the file config")
    func seedFields() throws {
        let json = """
        {"stt":"assemblyai/universal-streaming:en","tts":"cartesia/sonic-3:9626c31c","llm":"openai/gpt-4o",
         "prompt":"You are Maya.","greeting":"Hi I'm Maya","realtime":false,"vad_enabled":false,
         "turn_detection_enabled":false,"noise_cancellation_enabled":false,"noise_cancellation_type":"auto"}
        """
        let o = try SessionOverrides(json: Data(json.utf8))
        let c = try o.applied(to: base, registry: StageRegistry())
        #expect(c.agent.instructions == "You are Maya.")
        #expect(c.agent.greeting == "Hi I'm Maya")
        #expect(try c.pipeline.stt?.string() == "assemblyai/universal-streaming:en")
        #expect(try c.pipeline.llm?.string() == "openai/gpt-4o")
        #expect(c.pipeline.vad == nil)
        #expect(c.pipeline.noiseSuppression == nil)
        #expect(c.turn.turnDetectionEnabled == false)
        #expect(o.ignoredKeys.isEmpty)
    }

    @Test("realtime with model and voice becomes a realtime slot that replaces stt/llm/tts")
    func realtime() throws {
        let o = try SessionOverrides(json: Data(#"{"agentConfig":{"realtime":true,"realtime_model":"gpt-4o-realtime-preview","realtime_voice":"sage"}}"#.utf8))
        let c = try o.applied(to: base, registry: StageRegistry())
        #expect(try c.pipeline.realtime?.string() == "openai/gpt-4o-realtime-preview:sage")
        #expect(c.pipeline.orderedSlots.map(\.0) == [.noiseSuppression, .vad, .realtime])
    }

    @Test("unknown keys are ignored and reported; bad values of known keys are errors")
    func unknownAndBad() throws {
        let o = try SessionOverrides(json: Data(#"{"stt":"deepgram/nova-3","avatar_style":"x","temperature":2}"#.utf8))
        #expect(o.ignoredKeys == ["avatar_style", "temperature"])
        #expect(throws: ConfigError.self) { try SessionOverrides(json: Data(#"{"vad_enabled":"perhaps"}"#.utf8)) }
        #expect(throws: ConfigError.self) { try SessionOverrides(json: Data(#"{"stt":"#.utf8)) }
        #expect(throws: ConfigError.self) { try SessionOverrides(json: Data(#"["stt"]"#.utf8)) }
    }

    @Test("empty metadata means no overrides")
    func empty() throws {
        let o = try SessionOverrides(json: Data())
        let c = try o.applied(to: base, registry: StageRegistry())
        #expect(c.agent.instructions == "base prompt")
    }
}

@Suite("Pipeline assembly from config")
struct AssemblyTests {
    @Test("an explicit stages list with parallel branches builds a fan-out/fan-in graph")
    func parallelFromConfig() throws {
        let registry = ConfigErrorTests.registry
        let config = try AgentConfig.parse(yaml: """
            pipeline:
              stages:
                - energy
                - parallel:
                    - [passthrough/a]
                    - [passthrough/b, passthrough/c]
                - loopback
            """, file: "p.yaml", environment: [:])
        let graph = try PipelineAssembler(registry: registry, environment: [:])
            .build(config, input: .standard, outputCaps: .any)
        #expect(graph.nodes.map { $0.stage.name } == ["vad:energy", "passthrough:a", "passthrough:b", "passthrough:c",
                                                    "responder:loopback"])
        let loopback = graph.nodes.count - 1
        #expect(graph.edges.filter { $0.to == loopback }.map(\.from).sorted() == [1, 3])
        #expect(graph.edges.filter { $0.from == 0 }.map(\.to).sorted() == [1, 2])
    }

    @Test("slots are assembled in pipeline order, input converted to the configured internal format")
    func slotsOrder() throws {
        let config = try AgentConfig.parse(yaml: "pipeline: { vad: energy }\naudio: { sample_rate: 16000, frame_ms: 10 }\n",
                                           file: "s.yaml", environment: [:])
        let graph = try PipelineAssembler(registry: ConfigErrorTests.registry, environment: [:])
            .build(config, input: .standard, outputCaps: .any)
        let vad = try #require(graph.nodes.first { $0.stage.name == "vad:energy" })
        #expect(vad.inputFormat == AudioFormat(sampleRate: 16_000, channels: 1, samplesPerFrame: 160))
    }
}
