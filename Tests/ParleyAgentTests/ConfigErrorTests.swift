// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
import ParleyAgent
import ParleyBuiltinPlugins
import ParleyCore

/// Malformed operator configs: each must fail with one exact `file:line:column: key: …` line.
@Suite("Malformed configs give exact file:line:key errors")
struct ConfigErrorTests {
    static let registry: StageRegistry = {
        let r = StageRegistry()
        for reg in BuiltinPlugins.registrations { r.register(reg) }
        return r
    }()

    /// Parses and assembles `yaml` (as `bad.yaml`), returning the error line.
    func errorLine(_ yaml: String, env: [String: String] = [:]) -> String? {
        do {
            let config = try AgentConfig.parse(yaml: yaml, file: "bad.yaml", environment: env)
            _ = try PipelineAssembler(registry: Self.registry, environment: env)
                .build(config, input: .standard, outputCaps: .any)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let cases: [(String, String, String)] = [
        ("unknown top-level key",
         "pipeline: { vad: energy }\nturns: { endpointing_min_ms: 3 }\n",
         "bad.yaml:2:1: \"turns\" is not a known key; did you mean \"turn\"? (allowed: livekit, agent, pipeline, turn, audio)"),
        ("missing pipeline",
         "agent: { name: a }\n",
         "bad.yaml:1:1: pipeline: missing required key"),
        ("unknown provider lists registered ones",
         "pipeline:\n  vad: silero-nope\n",
         "bad.yaml:2:8: pipeline.vad: \"silero-nope\" is not a registered vad provider (allowed: energy)"),
        ("option of the wrong type",
         "pipeline:\n  vad: { provider: energy, min_silence_ms: soon }\n",
         "bad.yaml:2:44: pipeline.vad.min_silence_ms: \"soon\" is not an integer (allowed: integer in 0...5000)"),
        ("option out of range",
         "pipeline:\n  vad:\n    provider: energy\n    threshold_db: 12\n",
         "bad.yaml:4:19: pipeline.vad.threshold_db: \"12\" is out of range (allowed: number in -90.0...0.0)"),
        ("misspelled option",
         "pipeline:\n  vad: { provider: energy, min_silense_ms: 300 }\n",
         "bad.yaml:2:28: pipeline.vad: \"min_silense_ms\" is not a known key; did you mean \"min_silence_ms\"? (allowed: provider, threshold_db, floor_margin_db, min_speech_ms, min_silence_ms, prefix_padding_ms)"),
        ("bad boolean in turn settings",
         "pipeline: { vad: energy }\nturn:\n  resume_false_interruption: maybe\n",
         "bad.yaml:3:30: turn.resume_false_interruption: \"maybe\" is not a boolean (allowed: true, false, yes, no, on, off)"),
        ("endpointing max below min",
         "pipeline: { vad: energy }\nturn: { endpointing_min_ms: 800, endpointing_max_ms: 400 }\n",
         "bad.yaml:2:54: turn.endpointing_max_ms: \"400\" is below endpointing_min_ms (800) (allowed: endpointing_max_ms ≥ endpointing_min_ms)"),
        ("unsupported sample rate",
         "pipeline: { vad: energy }\naudio: { sample_rate: 44000 }\n",
         "bad.yaml:2:23: audio.sample_rate: \"44000\" is not a supported sample rate (allowed: 8000, 16000, 22050, 24000, 32000, 44100, 48000)"),
        ("undefined environment variable",
         "pipeline:\n  vad: { provider: energy, min_silence_ms: ${SILENCE} }\n",
         "bad.yaml:2:44: pipeline.vad.min_silence_ms: \"${SILENCE}\" uses environment variable SILENCE, which is not set (allowed: set SILENCE, or give a default with ${SILENCE:-default})"),
        ("realtime together with stt",
         "pipeline:\n  realtime: openai/gpt-realtime\n  stt: deepgram/nova-3\n",
         "bad.yaml:3:8: pipeline.stt: \"deepgram/nova-3\" cannot be set together with realtime (a realtime model replaces stt, llm and tts) (allowed: remove stt or remove realtime)"),
        ("bad descriptor shape",
         "pipeline:\n  vad: /energy\n",
         "bad.yaml:2:8: pipeline.vad: \"/energy\" has no provider before '/' (allowed: provider[/model][:variant], e.g. deepgram/nova-3:en)"),
        ("YAML syntax error",
         "pipeline:\n  vad: { provider: energy\n",
         nil ?? "SYNTAX"),
        ("bad LiveKit URL",
         "livekit: { url: localhost:7880, api_key: k, api_secret: s }\npipeline: { vad: energy }\n",
         "bad.yaml:1:17: livekit.url: \"localhost:7880\" is not a LiveKit URL (allowed: ws://, wss://, http:// or https:// URL)"),
        ("stages mixed with slots",
         "pipeline:\n  vad: energy\n  stages: [loopback]\n",
         "bad.yaml:3:11: pipeline.stages: <sequence> cannot be combined with slot keys (vad) (allowed: either stages: [ … ] or the slots, not both)"),
        ("agent name with spaces",
         "agent: { name: my agent }\npipeline: { vad: energy }\n",
         "bad.yaml:1:16: agent.name: \"my agent\" is not a valid agent name (allowed: letters, digits, '-' and '_')"),
    ]

    @Test("malformed config", arguments: cases)
    func malformed(name: String, yaml: String, expected: String) {
        let line = errorLine(yaml)
        if expected == "SYNTAX" {
            #expect(line?.hasPrefix("bad.yaml:") == true, "\(name): \(line ?? "no error")")
            #expect(line?.contains("\n") == false)
        } else {
            #expect(line == expected, "\(name)")
        }
    }

    @Test("the shipped example configs are valid")
    func examplesValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let dir = root.appendingPathComponent("Examples")
        // server.yaml configures `parley serve` (ServerConfig, checked in ParleyServerTests).
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".yaml") && $0 != "server.yaml" }
        #expect(!files.isEmpty)
        for f in files {
            // Every example parses and validates; the ones whose providers this test target
            // links (the built-ins) are assembled too. The speech examples are assembled by
            // LocalEnginesTests, which links the engines.
            let config = try AgentConfig.load(path: dir.appendingPathComponent(f).path, environment: [:])
            if f == "local.yaml" {
                _ = try PipelineAssembler(registry: Self.registry, environment: [:])
                    .build(config, input: .standard, outputCaps: .any)
            }
        }
    }
}
