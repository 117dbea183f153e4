// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A scenario with everything decided: the user's audio as one WAV timeline and the provider
/// latencies drawn for one round. Every framework runs the same file, so every framework sees
/// the same provider behaviour (Benchmarks/Compare/PROTOCOL.md, "Resolved scenario").
public struct ResolvedScenario: Codable, Sendable, Hashable {
    public var name: String
    public var round: Int
    public var seed: UInt64
    public var input: Input
    public var pacing: Pacing
    /// The silence after speech before a turn ends, as the scenario configures it (Parley's
    /// `endpointing_min_ms`; the frameworks' tuned variants use it too).
    public var endpointingMs: Double
    public var interruptionMinMs: Double
    public var tts: Speech
    public var turns: [Turn]

    public enum Pacing: String, Codable, Sendable, Hashable { case realtime, fast }

    public struct Input: Codable, Sendable, Hashable {
        /// Absolute path of the user-side WAV (mono, 16-bit PCM).
        public var wav: String
        public var sampleRate: Int
        public var frameMs: Int
        public init(wav: String, sampleRate: Int, frameMs: Int) {
            self.wav = wav; self.sampleRate = sampleRate; self.frameMs = frameMs
        }
        enum CodingKeys: String, CodingKey { case wav, sampleRate = "sample_rate", frameMs = "frame_ms" }
    }

    /// How the simulated TTS sounds: a tone, `msPerChar` of audio per character of text.
    public struct Speech: Codable, Sendable, Hashable {
        public var sampleRate: Int
        public var msPerChar: Double
        public var chunkMs: Int
        public var toneHz: Double
        public init(sampleRate: Int = 24_000, msPerChar: Double = 70, chunkMs: Int = 20, toneHz: Double = 220) {
            self.sampleRate = sampleRate; self.msPerChar = msPerChar; self.chunkMs = chunkMs; self.toneHz = toneHz
        }
        enum CodingKeys: String, CodingKey {
            case sampleRate = "sample_rate", msPerChar = "ms_per_char", chunkMs = "chunk_ms", toneHz = "tone_hz"
        }
    }

    public struct Turn: Codable, Sendable, Hashable {
        public var index: Int
        public var text: String
        public var speechStartMs: Double
        public var speechEndMs: Double
        public var reply: String
        public var sttFinalAfterMs: Double
        public var llmTTFTMs: Double
        public var llmTokensPerSecond: Double
        public var ttsTTFBMs: Double
        public var ttsSpeed: Double
        /// The utterance starts while the previous reply plays: it measures interruption.
        public var bargeIn: Bool

        public init(index: Int, text: String, speechStartMs: Double, speechEndMs: Double, reply: String,
                    sttFinalAfterMs: Double, llmTTFTMs: Double, llmTokensPerSecond: Double,
                    ttsTTFBMs: Double, ttsSpeed: Double, bargeIn: Bool) {
            self.index = index; self.text = text; self.speechStartMs = speechStartMs; self.speechEndMs = speechEndMs
            self.reply = reply; self.sttFinalAfterMs = sttFinalAfterMs; self.llmTTFTMs = llmTTFTMs
            self.llmTokensPerSecond = llmTokensPerSecond; self.ttsTTFBMs = ttsTTFBMs; self.ttsSpeed = ttsSpeed
            self.bargeIn = bargeIn
        }

        enum CodingKeys: String, CodingKey {
            case index, text, reply
            case speechStartMs = "speech_start_ms", speechEndMs = "speech_end_ms"
            case sttFinalAfterMs = "stt_final_after_ms", llmTTFTMs = "llm_ttft_ms"
            case llmTokensPerSecond = "llm_tokens_per_s", ttsTTFBMs = "tts_ttfb_ms", ttsSpeed = "tts_speed"
            case bargeIn = "barge_in"
        }

        /// The reply as the simulated LLM streams it: each word with its leading space.
        public var replyTokens: [String] { Self.tokens(of: reply) }

        /// How many tokens the LLM must produce before the reply's first sentence is complete
        /// (the whole reply if no token ends with `.`, `!` or `?`).
        public var tokensInFirstSentence: Int {
            let tokens = replyTokens
            if let i = tokens.firstIndex(where: { t in t.last.map { ".!?".contains($0) } ?? false }) { return i + 1 }
            return tokens.count
        }

        /// What the simulated providers and the configured endpointing alone account for
        /// (PROTOCOL.md, "Metrics").
        public func expectedMs(endpointingMs: Double) -> Double {
            // Tokens after the first: through the one ending the first sentence, plus the next
            // one whose leading space confirms the sentence ended (none after the last token).
            let intervals = min(tokensInFirstSentence, max(replyTokens.count - 1, 0))
            let firstSentence = Double(intervals) * 1000 / max(llmTokensPerSecond, 1e-9)
            return max(endpointingMs, sttFinalAfterMs) + llmTTFTMs + firstSentence + ttsTTFBMs
        }

        static func tokens(of text: String) -> [String] {
            var out: [String] = []
            var current = ""
            for ch in text {
                if ch == " " && !current.isEmpty && current != " " { out.append(current); current = "" }
                current.append(ch)
            }
            if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current) }
            return out
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, round, seed, input, pacing, tts, turns
        case endpointingMs = "endpointing_ms", interruptionMinMs = "interruption_min_ms"
    }

    public init(name: String, round: Int, seed: UInt64, input: Input, pacing: Pacing, endpointingMs: Double,
                interruptionMinMs: Double, tts: Speech, turns: [Turn]) {
        self.name = name; self.round = round; self.seed = seed; self.input = input; self.pacing = pacing
        self.endpointingMs = endpointingMs; self.interruptionMinMs = interruptionMinMs; self.tts = tts; self.turns = turns
    }
}
