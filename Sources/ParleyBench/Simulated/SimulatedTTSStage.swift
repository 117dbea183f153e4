// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyProviderSupport
import Synchronization

/// A streaming TTS whose "provider" is a tone: for each agent text, the first audio arrives
/// `tts_ttfb_ms` after the request and the rest in `chunk_ms` chunks at `tts_speed` × real
/// time, `ms_per_char` of audio per character, through the simulated network. The audio goes
/// through `SpeechOutput`, the same framing the cloud TTS stages use (order, text before its
/// audio, started/stopped speaking, epochs), so downstream sees what a real provider causes.
public final class SimulatedTTSStage: Stage {
    public let name = "tts:sim"
    public var accepts: FrameKinds { [.text, .llm] }
    public var produces: FrameKinds { [.audio, .text, .control] }

    let ttsTTFBMs: @Sendable (String) -> Double
    let speech: ResolvedScenario.Speech
    let speed: Double
    let network: SimulatedNetwork
    private let inFlight = InFlight()
    private var speaker: Speaker?
    private var brackets = ReplyBrackets()

    /// - Parameter ttfb: the first-byte latency of the turn a text belongs to (by reply id).
    public init(speech: ResolvedScenario.Speech, speed: Double, network: SimulatedNetwork = .shared,
                ttfb: @escaping @Sendable (String) -> Double) {
        self.speech = speech
        self.speed = speed
        self.network = network
        self.ttsTTFBMs = ttfb
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: speech.sampleRate, channels: 1, frameDurationMs: 20)
    }

    public func start(_ context: StageContext) throws {
        speaker = Speaker(output: SpeechOutput(stageName: name, sampleRate: speech.sampleRate, mailbox: context.mailbox,
                                               clock: context.clock),
                          tone: Self.tone(speech), chunkSamples: speech.sampleRate * speech.chunkMs / 1000)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        switch frame {
        case .llm(let llm):
            context.emit(frame)
            _ = brackets.observe(llm)
        case .text(let text) where text.role == .agent:
            guard let speaker, !text.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
            _ = brackets.observe(text)
            let request = SpeechRequest(text, context)
            let ttfb = Nanos(ttsTTFBMs(text.replyID ?? "") * 1e6)
            let totalChunks = max(1, Int((Double(text.text.count) * speech.msPerChar / Double(speech.chunkMs)).rounded()))
            let chunkInterval = Nanos(Double(speech.chunkMs) * 1e6 / speed)
            let (mailbox, inFlight, network, clock) = (context.mailbox, inFlight, network, context.clock)
            let generation = speaker.generation
            inFlight.begin()
            network.after(0) {
                guard speaker.generation == generation else { return inFlight.end(mailbox) }
                let item = speaker.output.enqueue(request)
                let first = clock.now() + ttfb
                for n in 0..<totalChunks {
                    network.at(first + Nanos(n) * chunkInterval) {
                        guard speaker.generation == generation else {
                            if n == totalChunks - 1 { inFlight.end(mailbox) }
                            return
                        }
                        speaker.speak(item, chunk: n)
                        if n == totalChunks - 1 {
                            speaker.output.finish(item)
                            inFlight.end(mailbox)
                        }
                    }
                }
            }
        default:
            context.emit(frame)
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        if case .endOfStream = frame, inFlight.holdEndOfStream() { return .consume }
        return .forward
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        brackets.interrupted()
        guard let speaker else { return }
        speaker.nextGeneration()
        network.after(0) { speaker.output.cancelAll() }
    }

    /// One second of the tone (a whole number of cycles, so chunks loop without a click),
    /// 16-bit little-endian at −12 dBFS.
    static func tone(_ speech: ResolvedScenario.Speech) -> [UInt8] {
        let n = speech.sampleRate
        let hz = (speech.toneHz).rounded()
        var bytes = [UInt8](repeating: 0, count: n * 2)
        for i in 0..<n {
            let v = Int16(0.25 * 32767 * sin(2 * .pi * hz * Double(i) / Double(n)))
            bytes[2 * i] = UInt8(truncatingIfNeeded: v)
            bytes[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
        }
        return bytes
    }
}

/// The TTS stage's provider side. `@unchecked Sendable`: `output` (a `SpeechOutput`, not
/// thread-safe) is touched only on the simulated network's single thread; `generation` is an
/// atomic the loop thread bumps on interruption.
final class Speaker: @unchecked Sendable {
    let output: SpeechOutput
    private let tone: [UInt8]
    private let chunkBytes: Int
    private let counter = Atomic<UInt64>(0)

    init(output: SpeechOutput, tone: [UInt8], chunkSamples: Int) {
        self.output = output
        self.tone = tone
        chunkBytes = chunkSamples * 2
    }

    var generation: UInt64 { counter.load(ordering: .acquiring) }
    func nextGeneration() { counter.add(1, ordering: .acquiringAndReleasing) }

    /// Appends chunk `n` of the tone.
    func speak(_ item: SpeechOutput.Item, chunk n: Int) {
        let offset = (n * chunkBytes) % tone.count
        tone.withUnsafeBytes { all in
            let end = min(offset + chunkBytes, tone.count)
            output.append(item, pcm: UnsafeRawBufferPointer(rebasing: all[offset..<end]))
        }
    }
}
