// SPDX-License-Identifier: Apache-2.0

import CSherpaOnnx
import Foundation
import ParleyEspeakEngine
import ParleySherpaEngines
import Testing

/// The installed engines, or nil (tests then skip, saying why).
/// The files are found through `$PARLEY_LOCAL_ENGINES` or by walking up from this source file.
enum Installed {
    static let files: LocalEngineFiles? = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return try? LocalEngineFiles.locate(from: here)
    }()
    static var available: Bool { files != nil }
    static let skipReason: Comment = "local engines not installed: run scripts/install-local-engines (creates .local-engines/)"
}

/// Lower-case, punctuation removed, single spaces: how the engine survey scored WER.
func normalised(_ text: String) -> [String] {
    let kept = text.lowercased().unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "'" ? Character($0) : " " }
    return String(kept).split(separator: " ").map(String.init)
}

/// Word error rate of `hypothesis` against `reference` (Levenshtein over words).
func wordErrorRate(reference: String, hypothesis: String) -> Double {
    let r = normalised(reference), h = normalised(hypothesis)
    guard !r.isEmpty else { return h.isEmpty ? 0 : 1 }
    return Double(editDistance(r, h)) / Double(r.count)
}

/// Character error rate over the normalised text without spaces: tolerant of a recogniser that
/// splits words differently ("France is Paris" heard as "Francis Parris" is 2 characters off,
/// but 3 words), still far from a wrong sentence.
func characterErrorRate(reference: String, hypothesis: String) -> Double {
    let r = Array(normalised(reference).joined()), h = Array(normalised(hypothesis).joined())
    guard !r.isEmpty else { return h.isEmpty ? 0 : 1 }
    return Double(editDistance(r, h)) / Double(r.count)
}

/// Levenshtein distance between two sequences.
func editDistance<T: Equatable>(_ r: [T], _ h: [T]) -> Int {
    guard !r.isEmpty else { return h.count }
    var previous = Array(0...h.count)
    for i in 1...r.count {
        var current = [i] + Array(repeating: 0, count: h.count)
        for j in stride(from: 1, through: h.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[h.count]
}

/// Resamples with sherpa-onnx's windowed-sinc resampler (test helper: in the pipeline the engine
/// inserts conversions, stages never resample).
func resample(_ samples: [Float], from inRate: Int, to outRate: Int) -> [Float] {
    guard inRate != outRate else { return samples }
    let cutoff = Float(min(inRate, outRate)) * 0.45
    let r = SherpaOnnxCreateLinearResampler(Int32(inRate), Int32(outRate), cutoff, 6)!
    defer { SherpaOnnxDestroyLinearResampler(r) }
    let out = samples.withUnsafeBufferPointer { SherpaOnnxLinearResamplerResample(r, $0.baseAddress, Int32($0.count), 1)! }
    defer { SherpaOnnxLinearResamplerResampleFree(out) }
    return Array(UnsafeBufferPointer(start: out.pointee.samples, count: Int(out.pointee.n)))
}

func milliseconds(_ d: Duration) -> String {
    String(format: "%.0f ms", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
}

func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, .now - start)
}

/// CPU time of the calling thread. The shared 2-core machine is often loaded, so wall-clock
/// figures swing; with one ONNX Runtime thread (Moonshine) this is the engine's own cost.
func threadCPUTime() -> Duration {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
}

/// Wall-clock and calling-thread CPU time of `body`.
func timedCPU<T>(_ body: () throws -> T) rethrows -> (T, wall: Duration, cpu: Duration) {
    let cpu0 = threadCPUTime()
    let (value, wall) = try timed(body)
    return (value, wall, threadCPUTime() - cpu0)
}

/// Speech padded with silence as the VAD would hand it over (Moonshine wants the tail).
func padded(_ speech: [Float], leading: Double = 0.3, trailing: Double = 0.4) -> [Float] {
    [Float](repeating: 0, count: Int(leading * 16_000)) + speech + [Float](repeating: 0, count: Int(trailing * 16_000))
}

@Suite("Local engines (sherpa-onnx + espeak-ng)", .serialized)
struct LocalEnginesTests {
    @Test("a missing model file is an error naming the path and the install script")
    func missingModel() throws {
        let files = LocalEngineFiles(root: URL(fileURLWithPath: "/nonexistent/.local-engines"))
        let error = #expect(throws: LocalEngineError.self) { try SileroVADModel(files: files) }
        let message = error.map { String(describing: $0) } ?? ""
        #expect(message.contains("/nonexistent/.local-engines/models/silero-vad/silero_vad.onnx"))
        #expect(message.contains("scripts/install-local-engines"))
        #expect(throws: LocalEngineError.self) { try MoonshineRecognizer(files: files) }
        #expect(throws: LocalEngineError.self) { try PiperSynthesizer(files: files) }
    }

    @Test("espeak-ng gives IPA for Piper", .enabled(if: Installed.available, Installed.skipReason))
    func phonemes() throws {
        let p = try EspeakPhonemizer()
        let ipa = try p.phonemize("Hello world. How are you?")
        #expect(ipa.count == 2)
        #expect(ipa.first?.hasSuffix(".") == true)
        #expect(ipa.last?.hasSuffix("?") == true)
        #expect(ipa.joined().contains("ə") || ipa.joined().contains("ɛ"))
    }

    @Test("espeak-ng → WAV → Moonshine transcribes the question", .enabled(if: Installed.available, Installed.skipReason))
    func espeakToMoonshine() throws {
        let files = try #require(Installed.files)
        let sentence = "What is the capital of France?"

        let espeak = try EspeakSynthesizer(voice: "en-us")
        var firstChunk: Duration?
        var pcm: [Int16] = []
        let start = ContinuousClock.now
        try espeak.synthesize(sentence) { chunk in
            if firstChunk == nil { firstChunk = .now - start }
            pcm.append(contentsOf: chunk)
            return true
        }
        let espeakTotal = ContinuousClock.now - start
        #expect(pcm.count > espeak.sampleRate / 2, "espeak-ng produced \(pcm.count) samples")

        // Through a real WAV file, as an operator's recording would arrive.
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("parley-espeak-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: wav) }
        let floats = pcm.map { Float($0) / 32768 }
        #expect(SherpaOnnxWriteWave(floats, Int32(floats.count), Int32(espeak.sampleRate), wav.path) == 1)
        let wave = try #require(SherpaOnnxReadWave(wav.path))
        defer { SherpaOnnxFreeWave(wave) }
        let read = Array(UnsafeBufferPointer(start: wave.pointee.samples, count: Int(wave.pointee.num_samples)))
        let audio = padded(resample(read, from: Int(wave.pointee.sample_rate), to: 16_000))

        let (stt, load) = try timed { try MoonshineRecognizer(files: files) }
        let (text, latency, cpu) = try timedCPU { try stt.transcribe(audio, sampleRate: 16_000) }
        let wer = wordErrorRate(reference: sentence, hypothesis: text)
        print("[local-engines] espeak-ng: first chunk \(milliseconds(firstChunk ?? .zero)), whole sentence \(milliseconds(espeakTotal)); "
              + "Moonshine: load \(milliseconds(load)) (of which warm-up \(milliseconds(stt.warmUpDuration ?? .zero))), "
              + "first utterance STT \(milliseconds(latency)) (thread CPU \(milliseconds(cpu))) for \(String(format: "%.2f", Double(audio.count) / 16_000)) s; WER \(wer)")
        #expect(normalised(text) == normalised(sentence), "Moonshine heard \"\(text)\"")
    }

    @Test("Piper → Moonshine round trip, and Silero VAD separates speech from silence",
          .enabled(if: Installed.available, Installed.skipReason))
    func piperRoundTripAndVAD() throws {
        let files = try #require(Installed.files)
        let sentences = ["Turn on the kitchen lights.", "How far is the moon from the earth?"]

        let (piper, piperLoad) = try timed { try PiperSynthesizer(files: files) }
        let (stt, sttLoad) = try timed { try MoonshineRecognizer(files: files) }
        // Warm the decoder with real speech as a stage would at startup (espeak-ng makes it in ~1 ms).
        let warmClip = try EspeakSynthesizer().synthesize("Hello, how can I help you today?").map { Float($0) / 32768 }
        let (_, speechWarmUp) = try timed { try stt.warmUp(with: resample(warmClip, from: 22_050, to: 16_000)) }
        print("[local-engines] load: Piper \(milliseconds(piperLoad)), Moonshine \(milliseconds(sttLoad)) "
              + "(buzz warm-up in init), speech warm-up \(milliseconds(speechWarmUp))")

        var speechForVAD: [Float] = []
        for (i, sentence) in sentences.enumerated() {
            let (audio, ttsTime) = try timed { try piper.synthesize(sentence) }
            #expect(audio.sampleRate == 22_050)
            #expect(audio.duration > 0.5 && audio.duration < 6, "Piper made \(audio.duration) s")
            let speech16k = resample(audio.samples, from: audio.sampleRate, to: 16_000)
            let (text, sttTime, sttCPU) = try timedCPU { try stt.transcribe(padded(speech16k)) }
            let wer = wordErrorRate(reference: sentence, hypothesis: text)
            print("[local-engines] Piper time-to-audio \(milliseconds(ttsTime)) for \(String(format: "%.2f", audio.duration)) s "
                  + "(\(i == 0 ? "first call" : "warm")); Moonshine STT \(milliseconds(sttTime)) (thread CPU \(milliseconds(sttCPU))); round-trip WER \(wer)")
            // VITS samples noise, so the audio differs run to run; the survey measured 0 % here.
            #expect(wer <= 0.2, "Moonshine heard \"\(text)\" for \"\(sentence)\"")
            if i == 0 { speechForVAD = speech16k }
        }

        // VAD: 1 s silence, the first sentence, 1 s silence; then 2 s of faint noise only.
        let vad = try SileroVADModel(files: files)
        let silence = [Float](repeating: 0, count: 16_000)
        let input = silence + speechForVAD + silence
        var speechWindows = 0, silentWindowsInSilence = 0, windows = 0
        let (_, vadTime) = timed {
            var i = 0
            while i + SileroVADModel.windowSize <= input.count {
                let inSpeech = vad.accept(Array(input[i ..< i + SileroVADModel.windowSize]))
                windows += 1
                if inSpeech { speechWindows += 1 }
                if !inSpeech && i + SileroVADModel.windowSize <= silence.count { silentWindowsInSilence += 1 }
                i += SileroVADModel.windowSize
            }
            vad.flush()
        }
        let segments = vad.popSegments()
        print("[local-engines] Silero VAD: \(windows) windows in \(milliseconds(vadTime)); "
              + "segments \(segments.map { "\($0.start)..<\($0.end)" }); speech windows \(speechWindows)")
        #expect(silentWindowsInSilence == silence.count / SileroVADModel.windowSize, "VAD fired in the leading silence")
        #expect(segments.count == 1)
        if let seg = segments.first {
            // The segment covers the speech (within the VAD's padding/hangover).
            #expect(seg.start >= silence.count - 8_000 && seg.start <= silence.count + 8_000)
            #expect(seg.end >= silence.count + speechForVAD.count - 8_000)
        }

        vad.reset()
        var rng = SystemRandomNumberGenerator()
        let noise = (0 ..< 32_000).map { _ in Float.random(in: -0.003 ... 0.003, using: &rng) }
        var noiseSpeech = false
        for start in stride(from: 0, to: noise.count - SileroVADModel.windowSize, by: SileroVADModel.windowSize) {
            noiseSpeech = vad.accept(Array(noise[start ..< start + SileroVADModel.windowSize])) || noiseSpeech
        }
        vad.flush()
        #expect(!noiseSpeech && vad.popSegments().isEmpty, "VAD called faint noise speech")
    }
}

import ParleyAgent
import ParleyBuiltinPlugins
import ParleyCore
import ParleyWebRTCPlugins

/// The local speech path through the real engine with the lightest engines: WebRTC VAD →
/// Moonshine STT → echo → espeak-ng TTS, on a spoken question. (The shipped embedded default,
/// Examples/local-speech.yaml, with Silero, SmolLM2 and Piper, is in LocalAgentPipelineTests.)
@Suite("Local speech pipeline", .serialized)
struct LocalSpeechPipelineTests {
    @Test("the spoken question is transcribed, answered and spoken back, with a complete turn report")
    func endToEnd() async throws {
        guard let files = try? LocalEngineFiles.locate() else {
            Issue.record("local engines not installed: run scripts/install-local-engines")
            return
        }
        let registry = StageRegistry()
        for r in BuiltinPlugins.registrations { registry.register(r) }
        registry.register(WebRTCVADStage.registration)
        registry.register(EspeakTTSStage.registration)
        registry.register(MoonshineSTTStage.registration)
        var env = ProcessInfo.processInfo.environment
        env["PARLEY_LOCAL_ENGINES"] = files.root.path
        let yaml = """
            pipeline:
              vad: { provider: webrtc, min_silence_ms: 300 }
              stt: moonshine/base-en
              llm: echo
              tts: espeak
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("webrtc-\(UUID().uuidString).yaml")
        try yaml.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let config = try AgentConfig.load(path: path.path, environment: env)
        // The question, spoken by espeak-ng at 22.05 kHz, with silence around it.
        let speech = try EspeakSynthesizer(voice: "en-us", wordsPerMinute: 160).synthesize("What is the capital of France?")
        let silence = [Int16](repeating: 0, count: 22_050 / 2)
        let samples = silence + speech + silence + silence
        let input = AudioFormat(sampleRate: 22_050, channels: 1, frameDurationMs: 20)
        let graph = try PipelineAssembler(registry: registry, environment: env)
            .build(config, input: input, outputCaps: AudioCaps(sampleRates: [48_000], channels: [1]))

        let outputs = Box()
        let pipeline = Pipeline(graph: graph, id: "local-speech", policy: .offline, pacing: .asFastAsPossible,
                                source: SampleArraySource(samples: samples, format: input),
                                output: { outputs.add($0) }, events: { outputs.add($0) })
        try pipeline.start()
        #expect(await pipeline.wait() == .finished)
        _ = pipeline.waitBlocking()

        let transcript = outputs.frames.compactMap { f -> String? in
            if case .transcript(let t) = f, t.isFinal { return t.text }
            return nil
        }
        #expect(transcript.count == 1)
        let words = transcript.first?.lowercased().filter { $0.isLetter || $0 == " " } ?? ""
        #expect(words == "what is the capital of france", "heard: \(transcript)")
        let agentAudio = outputs.frames.reduce(0) { n, f in
            if case .audio(let a) = f, a.role == .agent { return n + a.sampleCount }
            return n
        }
        #expect(agentAudio > 48_000, "agent spoke \(agentAudio) samples")   // "You said: …" is > 1 s
        let turns = outputs.events.compactMap { e -> TurnReport? in if case .turn(let t) = e { return t }; return nil }
        let turn = try #require(turns.first)
        // min_silence_ms is 300; the VAD decides on 10 ms sub-frames of resampled 22.05 kHz input,
        // so the decision lands on the first sub-frame boundary at or after 300 ms.
        #expect(turn.endpointingDelay >= .ms(300) && turn.endpointingDelay <= .ms(320), "\(turn.endpointingDelay)")
        #expect(turn.metrics.contains { $0.name == "stt_final" })
        print("[local speech] heard \"\(transcript.first ?? "")\"; endpointing \(turn.endpointingDelay.milliseconds) ms, "
              + "response \(turn.responseLatency.milliseconds) ms, voice-to-voice \(turn.voiceToVoice.milliseconds) ms; "
              + turn.metrics.map { "\($0.stage) \($0.name) \($0.nanoseconds.milliseconds) ms" }.joined(separator: ", "))
    }

    @Test("Silero VAD in the vad slot: one turn on the spoken question, endpointed after its min_silence_ms")
    func sileroEndToEnd() async throws {
        guard let files = try? LocalEngineFiles.locate() else {
            Issue.record("local engines not installed: run scripts/install-local-engines")
            return
        }
        let registry = StageRegistry()
        for r in BuiltinPlugins.registrations { registry.register(r) }
        registry.register(SileroVADStage.registration)
        registry.register(EspeakTTSStage.registration)
        registry.register(MoonshineSTTStage.registration)
        var env = ProcessInfo.processInfo.environment
        env["PARLEY_LOCAL_ENGINES"] = files.root.path
        let yaml = """
            pipeline:
              vad: { provider: silero, min_silence_ms: 300 }
              stt: moonshine/base-en
              llm: echo
              tts: espeak
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("silero-\(UUID().uuidString).yaml")
        try yaml.write(to: path, atomically: true, encoding: .utf8)
        let config = try AgentConfig.load(path: path.path, environment: env)
        // The question with babble-free silence around it, and a quiet noise floor (Silero must not fire on it).
        let speech = try EspeakSynthesizer(voice: "en-us", wordsPerMinute: 160).synthesize("What is the capital of France?")
        var noise = SystemRandomNumberGenerator()
        let hiss = (0..<22_050).map { _ in Int16.random(in: -60...60, using: &noise) }
        let samples = hiss + speech.map { $0 &+ Int16.random(in: -60...60, using: &noise) } + hiss + hiss
        let input = AudioFormat(sampleRate: 22_050, channels: 1, frameDurationMs: 20)
        let graph = try PipelineAssembler(registry: registry, environment: env)
            .build(config, input: input, outputCaps: AudioCaps(sampleRates: [48_000], channels: [1]))
        let outputs = Box()
        let pipeline = Pipeline(graph: graph, id: "silero", policy: .offline, pacing: .asFastAsPossible,
                                source: SampleArraySource(samples: samples, format: input),
                                output: { outputs.add($0) }, events: { outputs.add($0) })
        try pipeline.start()
        #expect(await pipeline.wait() == .finished)
        _ = pipeline.waitBlocking()
        let starts = outputs.frames.filter { if case .control(.userStartedSpeaking) = $0 { return true }; return false }
        #expect(starts.count == 1, "\(starts.count) turns opened")
        let transcript = outputs.frames.compactMap { f -> String? in
            if case .transcript(let t) = f, t.isFinal { return t.text }
            return nil
        }
        let words = transcript.first?.lowercased().filter { $0.isLetter || $0 == " " } ?? ""
        #expect(words == "what is the capital of france", "heard: \(transcript)")
        let turn = try #require(outputs.events.compactMap { e -> TurnReport? in if case .turn(let t) = e { return t }; return nil }.first)
        // sherpa-onnx decides per 32 ms window: speech end + min_silence_ms, rounded up to a window.
        #expect(turn.endpointingDelay >= .ms(250) && turn.endpointingDelay <= .ms(420), "\(turn.endpointingDelay)")
        print("[local speech, silero] endpointing \(turn.endpointingDelay.milliseconds) ms, voice-to-voice \(turn.voiceToVoice.milliseconds) ms")
    }

    final class Box: @unchecked Sendable {
        // @unchecked: written only from the pipeline's loop thread; read after waitBlocking() joined it.
        var frames: [Frame] = []
        var events: [PipelineEvent] = []
        func add(_ f: Frame) { frames.append(f) }
        func add(_ e: PipelineEvent) { events.append(e) }
    }
}
