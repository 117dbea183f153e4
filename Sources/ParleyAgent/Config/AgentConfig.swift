// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Everything an operator's YAML file configures, validated and typed.
///
/// ```yaml
/// livekit: { url: ${LIVEKIT_URL}, api_key: ${LIVEKIT_API_KEY}, api_secret: ${LIVEKIT_API_SECRET} }
/// agent:   { name: support-agent, instructions: "…", greeting: "Hi, how can I help?" }
/// pipeline:
///   noise_suppression: speex
///   vad: { provider: webrtc, min_silence_ms: 300 }
///   stt: deepgram/nova-3:en
///   llm: { provider: openai/gpt-4o-mini, temperature: 0.6 }
///   tts: cartesia/sonic-3:VOICE_ID
///   # realtime: openai/gpt-realtime:alloy     (replaces stt + llm + tts)
///   # avatar: bey/AVATAR_ID
///   # stages: [ … ]                           (an explicit chain instead of the slots above)
/// turn: { endpointing_min_ms: 400, endpointing_max_ms: 2500, interruption_min_ms: 500, resume_false_interruption: true }
/// audio: { sample_rate: 48000, frame_ms: 20 }
/// ```
///
/// Pipeline slots stay as `ConfigNode`s until the registry builds them, so a bad provider or
/// option is reported at its own file:line. The README's config reference lists every key.
public struct AgentConfig: Sendable {
    public var file: String
    public var livekit: LiveKitSettings?
    public var agent: AgentProfile
    public var pipeline: PipelineSlots
    public var turn: TurnSettings
    public var audio: AudioSettings

    public static let topLevelKeys = ["livekit", "agent", "pipeline", "turn", "audio"]

    /// Loads and validates a YAML file (with `${ENV}` / `${ENV:-default}` interpolation).
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> AgentConfig {
        let root = try ConfigLoader.load(path: path, environment: environment)
        return try AgentConfig(root: root, file: path)
    }

    public static func parse(yaml: String, file: String, environment: [String: String]) throws -> AgentConfig {
        try AgentConfig(root: ConfigLoader.parse(yaml: yaml, file: file, environment: environment), file: file)
    }

    public init(root: ConfigNode, file: String) throws {
        self.file = file
        if root.isNull { throw root.error("the file is empty", allowed: "a mapping with keys " + Self.topLevelKeys.joined(separator: ", ")) }
        _ = try root.mapping()
        try root.rejectUnknownKeys(allowed: Self.topLevelKeys)
        livekit = try root["livekit"].map(LiveKitSettings.init(node:))
        agent = try root["agent"].map(AgentProfile.init(node:)) ?? AgentProfile()
        pipeline = try PipelineSlots(node: root.require("pipeline"))
        turn = try root["turn"].map(TurnSettings.init(node:)) ?? TurnSettings()
        audio = try root["audio"].map(AudioSettings.init(node:)) ?? AudioSettings()
    }
}

/// Where the LiveKit server is and how to authenticate to it.
public struct LiveKitSettings: Sendable {
    public var url: String
    public var apiKey: String
    public var apiSecret: String

    init(node: ConfigNode) throws {
        try node.rejectUnknownKeys(allowed: ["url", "api_key", "api_secret"])
        let urlNode = try node.require("url")
        url = try urlNode.string()
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://") || url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw urlNode.error("is not a LiveKit URL", allowed: "ws://, wss://, http:// or https:// URL")
        }
        apiKey = try node.require("api_key").string()
        apiSecret = try node.require("api_secret").string()
    }
}

/// Who the agent is: the seed backends' "agent type"/"counselor category" content.
public struct AgentProfile: Sendable, Hashable {
    public var name: String = "parley-agent"
    public var instructions: String = "You are a helpful voice assistant. Answer briefly."
    public var greeting: String?
    /// Whether the user may interrupt the greeting (livekit's `say(…, allow_interruptions=)`).
    public var greetingAllowInterruptions = true
    /// HTTP tools the LLM may call (`WebhookTool`), and how many model → tools → model rounds
    /// one user turn may take.
    public var tools: [WebhookTool.Spec] = []
    public var maxToolSteps = 3

    public init() {}

    /// The session's toolbox: the configured webhook tools plus `extra` (the application's own).
    public func toolbox(adding extra: [any AgentTool] = []) -> Toolbox {
        var box = Toolbox(tools: tools.map(WebhookTool.init(spec:)), maxSteps: maxToolSteps)
        for tool in extra { box.add(tool) }
        return box
    }

    init(node: ConfigNode) throws {
        try node.rejectUnknownKeys(allowed: ["name", "instructions", "greeting", "greeting_allow_interruptions", "tools",
                                             "max_tool_steps"])
        name = try node.string("name", default: name) ?? name
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw (node["name"] ?? node).error("is not a valid agent name", allowed: "letters, digits, '-' and '_'")
        }
        instructions = try node.string("instructions", default: instructions) ?? instructions
        greeting = try node.string("greeting", default: nil)
        greetingAllowInterruptions = try node.bool("greeting_allow_interruptions", default: greetingAllowInterruptions)
        maxToolSteps = try node.int("max_tool_steps", default: maxToolSteps, in: 1...20)
        if let list = node["tools"], !list.isNull {
            var seen: Set<String> = []
            for item in try list.sequence() {
                let spec = try WebhookTool.spec(from: item)
                guard seen.insert(spec.name).inserted else {
                    throw (item["name"] ?? item).error("is declared twice", allowed: "one tool per name")
                }
                tools.append(spec)
            }
        }
    }
}

/// The stage slots of a voice pipeline, kept as config nodes for the registry.
public struct PipelineSlots: Sendable {
    public var noiseSuppression: ConfigNode?
    public var vad: ConfigNode?
    public var stt: ConfigNode?
    public var turnDetection: ConfigNode?
    public var llm: ConfigNode?
    public var tts: ConfigNode?
    public var realtime: ConfigNode?
    public var avatar: ConfigNode?
    /// An explicit chain (`stages:`), used instead of the slots.
    public var stages: ConfigNode?
    public var location: SourceLocation

    public static let slotKeys: [(String, StageKind)] = [
        ("noise_suppression", .noiseSuppression), ("vad", .vad), ("stt", .stt), ("turn_detection", .turnDetection),
        ("llm", .llm), ("tts", .tts), ("realtime", .realtime), ("avatar", .avatar),
    ]

    init(node: ConfigNode) throws {
        location = node.location
        _ = try node.mapping()
        try node.rejectUnknownKeys(allowed: Self.slotKeys.map(\.0) + ["stages"])
        func slot(_ key: String) -> ConfigNode? {
            guard let n = node[key], !n.isNull else { return nil }
            if case .scalar(let s) = n.kind, ["none", "off", "false", "disabled"].contains(s.lowercased()) { return nil }
            return n
        }
        noiseSuppression = slot("noise_suppression")
        vad = slot("vad")
        stt = slot("stt")
        turnDetection = slot("turn_detection")
        llm = slot("llm")
        tts = slot("tts")
        realtime = slot("realtime")
        avatar = slot("avatar")
        stages = slot("stages")
        // An stt, llm or tts slot may list providers in order ({ fallback: [a, b], … }): checked
        // here, so a malformed list fails at load; the assembler builds it.
        for (key, kind) in Self.slotKeys {
            if let n = slot(key), FallbackSlotConfig.isFallback(n) { _ = try FallbackSlotConfig(node: n, kind: kind) }
        }
        if let stages {
            _ = try stages.sequence()
            let used = Self.slotKeys.map(\.0).filter { slot($0) != nil }
            if !used.isEmpty {
                throw stages.error("cannot be combined with slot keys (\(used.joined(separator: ", ")))",
                                   allowed: "either stages: [ … ] or the slots, not both")
            }
        } else if realtime != nil {
            let clash = ["stt", "llm", "tts"].filter { slot($0) != nil }
            if let first = clash.first, let n = node[first] {
                throw n.error("cannot be set together with realtime (a realtime model replaces stt, llm and tts)",
                              allowed: "remove \(clash.joined(separator: ", ")) or remove realtime")
            }
        } else if vad == nil && stt == nil && llm == nil && tts == nil {
            throw node.error("configures no stage", allowed: "at least one of vad, stt, llm, tts, realtime, or stages")
        }
    }

    /// The slots in pipeline order with their kinds (only the configured ones).
    public var orderedSlots: [(StageKind, ConfigNode)] {
        var out: [(StageKind, ConfigNode)] = []
        if let n = noiseSuppression { out.append((.noiseSuppression, n)) }
        if let n = vad { out.append((.vad, n)) }
        if let n = realtime {
            out.append((.realtime, n))
        } else {
            if let n = stt { out.append((.stt, n)) }
            if let n = turnDetection { out.append((.turnDetection, n)) }
            if let n = llm { out.append((.llm, n)) }
            if let n = tts { out.append((.tts, n)) }
        }
        if let n = avatar { out.append((.avatar, n)) }
        return out
    }
}

/// Turn-taking settings (livekit-agents' names where they exist).
public struct TurnSettings: Sendable, Hashable {
    public var endpointingMinMs = 400
    public var endpointingMaxMs = 2500
    public var interruptionMinMs = 500
    public var interruptionMinWords = 0
    public var allowInterruptions = true
    public var resumeFalseInterruption = true
    public var falseInterruptionTimeoutMs = 2000
    public var preemptiveGeneration = false
    public var turnDetectionEnabled = true

    public init() {}

    static let keys = ["endpointing_min_ms", "endpointing_max_ms", "interruption_min_ms", "interruption_min_words",
                       "allow_interruptions", "resume_false_interruption", "false_interruption_timeout_ms",
                       "preemptive_generation", "turn_detection_enabled"]

    init(node: ConfigNode) throws {
        try node.rejectUnknownKeys(allowed: Self.keys)
        endpointingMinMs = try node.int("endpointing_min_ms", default: endpointingMinMs, in: 0...10_000)
        endpointingMaxMs = try node.int("endpointing_max_ms", default: endpointingMaxMs, in: 0...60_000)
        if endpointingMaxMs < endpointingMinMs, let n = node["endpointing_max_ms"] ?? node["endpointing_min_ms"] {
            throw n.error("is below endpointing_min_ms (\(endpointingMinMs))",
                          allowed: "endpointing_max_ms ≥ endpointing_min_ms")
        }
        interruptionMinMs = try node.int("interruption_min_ms", default: interruptionMinMs, in: 0...10_000)
        interruptionMinWords = try node.int("interruption_min_words", default: interruptionMinWords, in: 0...100)
        allowInterruptions = try node.bool("allow_interruptions", default: allowInterruptions)
        resumeFalseInterruption = try node.bool("resume_false_interruption", default: resumeFalseInterruption)
        falseInterruptionTimeoutMs = try node.int("false_interruption_timeout_ms", default: falseInterruptionTimeoutMs,
                                                  in: 0...60_000)
        preemptiveGeneration = try node.bool("preemptive_generation", default: preemptiveGeneration)
        turnDetectionEnabled = try node.bool("turn_detection_enabled", default: turnDetectionEnabled)
    }
}

/// The pipeline's internal audio format (what the input is converted to, if it differs).
public struct AudioSettings: Sendable, Hashable {
    public var sampleRate = 48_000
    public var frameMs = 20
    /// `high` matches sox's `rate -v` within 60 dB (~9 ms of filter delay at 16 kHz);
    /// `low_latency` trades some of the band edge for ~2 ms.
    public var resampler = "high"

    public init() {}

    public var resamplerQuality: ResamplerQuality { resampler == "low_latency" ? .medium : .high }

    static let rates = [8000, 16000, 22050, 24000, 32000, 44100, 48000]

    init(node: ConfigNode) throws {
        try node.rejectUnknownKeys(allowed: ["sample_rate", "frame_ms", "resampler"])
        if let r = node["resampler"] { resampler = try r.oneOf(["high", "low_latency"]) }
        if let r = node["sample_rate"] {
            let v = try r.int()
            guard Self.rates.contains(v) else {
                throw r.error("is not a supported sample rate", allowed: Self.rates.map(String.init).joined(separator: ", "))
            }
            sampleRate = v
        }
        frameMs = try node.int("frame_ms", default: frameMs, in: 10...60)
        if frameMs % 10 != 0, let n = node["frame_ms"] {
            throw n.error("is not a multiple of 10 ms", allowed: "10, 20, 30, 40, 50 or 60")
        }
    }

    public var format: AudioFormat { AudioFormat(sampleRate: sampleRate, channels: 1, frameDurationMs: frameMs) }
}
