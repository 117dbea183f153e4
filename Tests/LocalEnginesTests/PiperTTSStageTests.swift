// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyProviderConformance
import ParleySherpaEngines
import Testing

@Suite("Piper TTS stage", .serialized, .enabled(if: Installed.available, Installed.skipReason))
struct PiperTTSStageTests {
    static func harness(_ yaml: String = "piper/joe-medium") throws -> LiveStageHarness {
        var env = ProcessInfo.processInfo.environment
        env["PARLEY_LOCAL_ENGINES"] = try #require(Installed.files).root.path
        return try LiveStageHarness(kind: .tts, yaml: yaml, registrations: [PiperTTSStage.registration], environment: env)
    }

    static func samples(_ frames: [AudioFrame]) -> [Float] {
        var out: [Float] = []
        for f in frames { f.withSamples { s in out += s.map { Float($0) / 32768 } } }
        return out
    }

    @Test("speaks agent text: ttfb, started, the text, 22.05 kHz audio, stopped; Moonshine hears the same words")
    func speaks() throws {
        let h = try Self.harness()
        let text = "Turn on the kitchen lights. How far is the moon from the earth?"
        h.push(.text(TextFrame(text: "typed by the user", role: .user)))
        h.push(.text(TextFrame(text: text, role: .agent)))
        #expect(h.run(timeout: .seconds(60)) { $0.contains { if case .control(.agentStoppedSpeaking) = $0 { true } else { false } } })
        let out = h.outputs

        // User text passes straight through; the agent text comes back just before its audio.
        let userAt = try #require(out.firstIndex { if case .text(let t) = $0 { t.role == .user } else { false } })
        let ttfbAt = try #require(out.firstIndex { if case .control(.metric(let m)) = $0 { m.name == "ttfb" } else { false } })
        let startedAt = try #require(out.firstIndex { if case .control(.agentStartedSpeaking) = $0 { true } else { false } })
        let textAt = try #require(out.firstIndex { if case .text(let t) = $0 { t.role == .agent } else { false } })
        let audioAt = try #require(out.firstIndex { if case .audio(let a) = $0 { a.role == .agent } else { false } })
        let stoppedAt = try #require(out.firstIndex { if case .control(.agentStoppedSpeaking) = $0 { true } else { false } })
        #expect(userAt < ttfbAt && ttfbAt < startedAt && startedAt < textAt && textAt + 1 == audioAt)
        #expect(out.lastIndex { if case .audio = $0 { true } else { false } }! < stoppedAt)
        #expect(h.agentText == [text])
        #expect(out.filter { if case .control(.agentStartedSpeaking) = $0 { true } else { false } }.count == 1)

        // 20 ms frames at the voice's rate, consecutive on the media timeline from where the input was (0).
        let audio = h.agentAudio
        #expect(audio.allSatisfy { $0.format.sampleRate == 22_050 && $0.format.channels == 1 && $0.sampleCount <= 441 })
        var expected: Nanos = 0
        for (i, f) in audio.enumerated() {
            #expect(f.timestamp == expected && f.sequence == UInt64(i))
            expected += Nanos(f.sampleCount) * 1_000_000_000 / 22_050
        }
        let speech = Self.samples(audio)
        let seconds = Double(speech.count) / 22_050
        #expect(seconds > 2 && seconds < 8, "\(seconds) s of speech")

        let files = try #require(Installed.files)
        let stt = try MoonshineRecognizer(files: files)
        let heard = try stt.transcribe(padded(resample(speech, from: 22_050, to: 16_000)))
        let wer = wordErrorRate(reference: text, hypothesis: heard)
        let ttfb = try #require(h.metrics.first { $0.name == "ttfb" })
        print("[piper stage] ttfb \(ttfb.nanoseconds / 1_000_000) ms for the first of 2 sentences, "
              + "\(String(format: "%.2f", seconds)) s of audio; Moonshine heard \"\(heard)\" (WER \(wer))")
        // VITS samples noise, so the audio differs run to run: usually 0 %, once in ~20 runs 3 of
        // the 13 words. A lost sentence (7 words), a wrong rate or noise would be far above this.
        #expect(wer <= 0.3, "Moonshine heard \"\(heard)\" for \"\(text)\"")
        #expect(h.failures.isEmpty)
    }

    @Test("an interruption stops the speech; the next text starts at the input's media time; end of stream is held")
    func interruptionAndEndOfStream() throws {
        let h = try Self.harness("{ provider: piper, threads: 1 }")
        let long = "This is the first sentence of a long answer. This is the second sentence. "
            + "This is the third sentence. This is the fourth sentence. This is the fifth and last sentence."
        h.push(.text(TextFrame(text: long, role: .agent)))
        #expect(h.run(timeout: .seconds(60)) { !$0.filter { if case .audio = $0 { true } else { false } }.isEmpty })
        h.pipeline.interrupt(.userSpeech)
        h.pipeline.run()
        let cut = h.outputs.count
        let spokenBefore = h.agentAudio.reduce(0) { $0 + $1.sampleCount }

        // Input audio moves the media clock on; the next reply is placed there.
        let format = AudioFormat.standard
        let pool = AudioBufferPool(bufferCapacity: format.samplesPerFrameAllChannels)
        for i in 0..<50 {
            h.push(.audio(AudioFrame.silence(format: format, pool: pool, timestamp: Nanos(i) * 20_000_000, sequence: UInt64(i))))
        }
        h.push(.text(TextFrame(text: "Okay.", role: .agent)))
        h.push(.control(.endOfStream))
        #expect(h.run(timeout: .seconds(60)) { $0.contains { if case .control(.endOfStream) = $0 { true } else { false } } })
        let after = Array(h.outputs[cut...])
        let texts = after.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } }
        #expect(texts == ["Okay."], "stale text after the interruption: \(texts)")
        let audioAfter = after.compactMap { if case .audio(let a) = $0, a.role == .agent { a } else { nil } }
        let first = try #require(audioAfter.first)
        #expect(first.timestamp == 1_000_000_000, "the reply after the interruption starts at \(first.timestamp)")
        // "Okay." is well under a second; the rest of the long text (~10 s) never came out.
        #expect(audioAfter.reduce(0) { $0 + $1.sampleCount } < 22_050)
        #expect(spokenBefore < 22_050 * 8)
        let stoppedAt = try #require(after.lastIndex { if case .control(.agentStoppedSpeaking) = $0 { true } else { false } })
        let eosAt = try #require(after.firstIndex { if case .control(.endOfStream) = $0 { true } else { false } })
        #expect(stoppedAt < eosAt)
    }

    @Test("an unknown voice is a config error listing the installed ones")
    func unknownVoice() throws {
        let error = #expect(throws: (any Error).self) { try Self.harness("piper/nobody") }
        #expect(String(describing: error).contains("joe-medium"))
    }
}
