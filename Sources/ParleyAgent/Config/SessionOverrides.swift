// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore

/// Per-session settings that arrive as JSON in a dispatch's metadata, using the field names
/// of the seed backends' `agentConfig` contract:
///
/// ```json
/// { "stt": "assemblyai/universal-streaming:en", "tts": "cartesia/sonic-3:VOICE", "llm": "openai/gpt-4o-mini",
///   "prompt": "…", "greeting": "…", "realtime": false, "realtime_model": "gpt-4o-realtime-preview",
///   "realtime_voice": "sage", "vad_enabled": true, "turn_detection_enabled": true,
///   "noise_cancellation_enabled": true, "noise_cancellation_type": "auto" }
/// ```
///
/// Unknown keys are ignored with a warning (the worker must not fail a call because a newer
/// backend sent a field it doesn't know); a known key with a bad value is an error that names it.
public struct SessionOverrides: Sendable {
    public static let knownKeys = ["stt", "tts", "llm", "prompt", "greeting", "realtime", "realtime_model",
                                   "realtime_voice", "vad_enabled", "turn_detection_enabled",
                                   "noise_cancellation_enabled", "noise_cancellation_type"]

    public var stt: ConfigNode?
    public var tts: ConfigNode?
    public var llm: ConfigNode?
    public var prompt: String?
    public var greeting: String?
    public var realtime: Bool?
    public var realtimeModel: String?
    public var realtimeVoice: String?
    public var vadEnabled: Bool?
    public var turnDetectionEnabled: Bool?
    public var noiseCancellationEnabled: Bool?
    public var noiseCancellationType: String?
    /// Keys that were present but not understood (already logged as warnings).
    public var ignoredKeys: [String] = []

    public init() {}

    /// Parses dispatch metadata. Empty metadata means no overrides.
    public init(json: Data, label: String = "dispatch metadata", logger: Logger? = nil) throws {
        if json.isEmpty || String(decoding: json, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return
        }
        let root = try ConfigNode.fromJSON(json, label: label)
        // Backends wrap it either directly or as {"agentConfig": {...}}.
        let node = root["agentConfig"] ?? root["agent_config"] ?? root
        for entry in try node.mapping() where !Self.knownKeys.contains(entry.key) {
            ignoredKeys.append(entry.key)
            logger?.warning("ignoring unknown session override", metadata: ["key": "\(entry.key)", "source": "\(label)"])
        }
        func present(_ k: String) -> ConfigNode? { node[k].flatMap { $0.isNull ? nil : $0 } }
        if let n = present("stt") { _ = try n.string(); stt = n }
        if let n = present("tts") { _ = try n.string(); tts = n }
        if let n = present("llm") { _ = try n.string(); llm = n }
        prompt = try present("prompt")?.string()
        greeting = try present("greeting")?.string()
        realtime = try present("realtime")?.bool()
        realtimeModel = try present("realtime_model")?.string()
        realtimeVoice = try present("realtime_voice")?.string()
        vadEnabled = try present("vad_enabled")?.bool()
        turnDetectionEnabled = try present("turn_detection_enabled")?.bool()
        noiseCancellationEnabled = try present("noise_cancellation_enabled")?.bool()
        noiseCancellationType = try present("noise_cancellation_type")?.string()
    }

    /// The config with these overrides applied.
    public func applied(to base: AgentConfig, registry: StageRegistry) throws -> AgentConfig {
        var c = base
        if let prompt { c.agent.instructions = prompt }
        if let greeting { c.agent.greeting = greeting.isEmpty ? nil : greeting }
        if let stt { c.pipeline.stt = stt }
        if let llm { c.pipeline.llm = llm }
        if let tts { c.pipeline.tts = tts }
        if realtime == true {
            let model = realtimeModel ?? "gpt-realtime"
            let descriptor = realtimeVoice.map { "openai/\(model):\($0)" } ?? "openai/\(model)"
            c.pipeline.realtime = ConfigNode.scalar(descriptor, label: "dispatch metadata (realtime_model/realtime_voice)")
        } else if realtime == false {
            c.pipeline.realtime = nil
        }
        if vadEnabled == false { c.pipeline.vad = nil }
        if let turnDetectionEnabled { c.turn.turnDetectionEnabled = turnDetectionEnabled }
        if noiseCancellationEnabled == false {
            c.pipeline.noiseSuppression = nil
        } else if let type = noiseCancellationType, type.lowercased() != "auto" {
            // A named provider: use it when this build has it; "auto" keeps the configured one.
            if registry.registration(for: type)?.kinds.contains(.noiseSuppression) == true {
                c.pipeline.noiseSuppression = ConfigNode.scalar(type, label: "dispatch metadata (noise_cancellation_type)")
            }
        }
        return c
    }
}
