// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAgent
import ParleyCore

/// A benchmark scenario (`Benchmarks/Scenarios/*.yaml`): what the user says and when, how the
/// simulated providers behave, and how Parley is set up around them. Loading checks every key;
/// a mistake is reported as `file:line:column: key.path: problem (allowed: …)`.
///
/// ```yaml
/// name: two-turns
/// seed: 7                    # same seed, same draws
/// rounds: 5                  # repetitions; `compare` interleaves the frameworks per round
/// sessions: 1                # concurrent sessions of `run`
/// endpointing_ms: 300        # silence that ends a turn (Parley; the frameworks' tuned variants)
/// interruption_min_ms: 200   # user speech over the agent that counts as a barge-in
/// lead_in_ms: 500
/// voice: { name: en-us, words_per_minute: 175 }     # espeak-ng, for the user's utterances
/// turns:
///   - say: What is the weather like today?
///     reply: It is sunny. Expect twenty degrees and a light breeze.
///     pause_ms: 3000         # silence after the utterance
///   - say: Stop, thank you.
///     barge_in: true         # spoken while the previous reply plays
/// providers:
///   stt: { final_after_ms: { lognormal: { median: 180, p95: 320 } } }
///   llm: { ttft_ms: { normal: { mean: 300, sd: 40 } }, tokens_per_s: 80 }
///   tts: { ttfb_ms: 150, speed: 1.0, ms_per_char: 70 }
/// parley:                    # optional: Parley's side (VAD, audio, the media path)
///   vad: { provider: webrtc, min_silence_ms: 300 }
///   opus: true               # subscribe + publish through Opus (encode, jitter buffer, decode)
///   network: jitter-20ms     # a named network trace applied in front of the jitter buffer
/// ```
public struct Scenario: Sendable {
    public var file: String
    public var name: String
    public var seed: UInt64
    public var rounds: Int
    public var sessions: Int
    public var pacing: ResolvedScenario.Pacing
    public var endpointingMs: Int
    public var interruptionMinMs: Int
    public var leadInMs: Int
    public var voice: Voice
    public var turns: [Turn]
    public var providers: Providers
    public var parley: ParleySide

    public struct Voice: Sendable, Hashable {
        public var name = "en-us"
        public var wordsPerMinute = 175
    }

    public struct Turn: Sendable, Hashable {
        public var say: String
        public var reply: String
        public var pauseMs: Int
        public var bargeIn: Bool
    }

    public struct Providers: Sendable, Hashable {
        public var sttFinalAfter: LatencyDistribution = .constant(150)
        public var llmTTFT: LatencyDistribution = .constant(300)
        public var llmTokensPerSecond: Double = 80
        public var ttsTTFB: LatencyDistribution = .constant(150)
        public var ttsSpeed: Double = 1
        public var speech = ResolvedScenario.Speech()
    }

    /// Parley's pipeline around the simulated providers.
    public struct ParleySide: Sendable {
        /// The VAD slot as written (default: webrtc with min_silence_ms = endpointing_ms).
        public var vad: ConfigNode?
        public var audio: ConfigNode?
        /// Subscribe and publish through Opus, as a LiveKit session does.
        public var opus = false
        /// A named network trace (`parley bench jitter` lists them) in front of the jitter buffer.
        public var network: String?
    }

    public static let topKeys = ["name", "seed", "rounds", "sessions", "pacing", "endpointing_ms", "interruption_min_ms",
                                 "lead_in_ms", "voice", "turns", "providers", "parley"]

    /// Loads and checks a scenario file.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Scenario {
        try Scenario(root: ConfigLoader.load(path: path, environment: environment), file: path)
    }

    public static func parse(yaml: String, file: String) throws -> Scenario {
        try Scenario(root: ConfigLoader.parse(yaml: yaml, file: file, environment: [:]), file: file)
    }

    public init(root: ConfigNode, file: String) throws {
        self.file = file
        _ = try root.mapping()
        try root.rejectUnknownKeys(allowed: Self.topKeys)
        let base = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        name = try root.string("name", default: base) ?? base
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw (root["name"] ?? root).error("is not a valid scenario name", allowed: "letters, digits, '-' and '_'")
        }
        seed = UInt64(try root.int("seed", default: 1, in: 0...Int(Int32.max)))
        rounds = try root.int("rounds", default: 3, in: 1...1000)
        sessions = try root.int("sessions", default: 1, in: 1...10_000)
        pacing = try root["pacing"].map { try ResolvedScenario.Pacing(rawValue: $0.oneOf(["realtime", "fast"]))! } ?? .realtime
        endpointingMs = try root.int("endpointing_ms", default: 300, in: 0...5000)
        interruptionMinMs = try root.int("interruption_min_ms", default: 200, in: 0...5000)
        leadInMs = try root.int("lead_in_ms", default: 500, in: 0...60_000)

        voice = Voice()
        if let v = root["voice"], !v.isNull {
            try v.rejectUnknownKeys(allowed: ["name", "words_per_minute"])
            voice.name = try v.string("name", default: voice.name) ?? voice.name
            guard voice.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_+".contains($0) }) else {
                throw (v["name"] ?? v).error("is not an espeak-ng voice name", allowed: "e.g. en-us, en-gb")
            }
            voice.wordsPerMinute = try v.int("words_per_minute", default: voice.wordsPerMinute, in: 80...450)
        }

        let turnsNode = try root.require("turns", allowed: "a list of { say, reply, pause_ms, barge_in }")
        var turns: [Turn] = []
        for (i, t) in try turnsNode.sequence().enumerated() {
            _ = try t.mapping()
            try t.rejectUnknownKeys(allowed: ["say", "reply", "pause_ms", "barge_in"])
            let sayNode = try t.require("say")
            let say = try sayNode.string().trimmingCharacters(in: .whitespacesAndNewlines)
            guard !say.isEmpty else { throw sayNode.error("is empty", allowed: "the words the user says") }
            let replyNode = t["reply"]
            let reply = try replyNode.map { try $0.string() }?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "Sure. Here is what I found."
            if let replyNode, reply.isEmpty { throw replyNode.error("is empty", allowed: "the agent's answer") }
            let bargeIn = try t.bool("barge_in", default: false)
            if bargeIn && i == 0 {
                throw (t["barge_in"] ?? t).error("is set on the first turn", allowed: "barge_in on a turn spoken while a reply plays")
            }
            turns.append(Turn(say: say, reply: reply, pauseMs: try t.int("pause_ms", default: 3000, in: 0...120_000),
                              bargeIn: bargeIn))
        }
        guard !turns.isEmpty else { throw turnsNode.error("is empty", allowed: "at least one turn") }
        self.turns = turns

        providers = Providers()
        if let p = root["providers"], !p.isNull {
            try p.rejectUnknownKeys(allowed: ["stt", "llm", "tts"])
            if let stt = p["stt"], !stt.isNull {
                try stt.rejectUnknownKeys(allowed: ["final_after_ms"])
                if let d = stt["final_after_ms"] { providers.sttFinalAfter = try LatencyDistribution(node: d) }
            }
            if let llm = p["llm"], !llm.isNull {
                try llm.rejectUnknownKeys(allowed: ["ttft_ms", "tokens_per_s"])
                if let d = llm["ttft_ms"] { providers.llmTTFT = try LatencyDistribution(node: d) }
                providers.llmTokensPerSecond = try llm.double("tokens_per_s", default: providers.llmTokensPerSecond,
                                                              in: 1...10_000)
            }
            if let tts = p["tts"], !tts.isNull {
                try tts.rejectUnknownKeys(allowed: ["ttfb_ms", "speed", "ms_per_char", "sample_rate", "chunk_ms", "tone_hz"])
                if let d = tts["ttfb_ms"] { providers.ttsTTFB = try LatencyDistribution(node: d) }
                providers.ttsSpeed = try tts.double("speed", default: providers.ttsSpeed, in: 0.25...100)
                providers.speech.msPerChar = try tts.double("ms_per_char", default: providers.speech.msPerChar, in: 1...1000)
                if let r = tts["sample_rate"] { providers.speech.sampleRate = try r.oneOf(["16000", "24000", "48000"]).int() }
                providers.speech.chunkMs = try tts.int("chunk_ms", default: providers.speech.chunkMs, in: 10...200)
                guard providers.speech.chunkMs % 10 == 0 else {
                    throw tts["chunk_ms"]!.error("is not a multiple of 10 ms", allowed: "10, 20, 40, …")
                }
                providers.speech.toneHz = try tts.double("tone_hz", default: providers.speech.toneHz, in: 50...4000)
            }
        }

        parley = ParleySide()
        if let p = root["parley"], !p.isNull {
            try p.rejectUnknownKeys(allowed: ["vad", "audio", "opus", "network"])
            parley.vad = p["vad"]
            parley.audio = p["audio"]
            parley.opus = try p.bool("opus", default: false)
            if let n = p["network"], !n.isNull {
                let name = try n.string()
                guard NetworkConditions.isKnown(name) else {
                    throw n.error("is not a known network trace", allowed: NetworkConditions.names.joined(separator: ", "))
                }
                parley.network = name
                parley.opus = true
            }
        }
    }
}

extension String {
    fileprivate func int() -> Int { Int(self)! }
}
