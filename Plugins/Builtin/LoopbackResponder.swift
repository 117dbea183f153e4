// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Answers each user utterance by playing it back as the agent's reply — a VAD-segmented
/// echo. It needs no speech engine, so it is the honest end-to-end test of the engine, the
/// turn tracking and the audio path before STT/LLM/TTS are configured.
///
/// Keeps the last `prefix_ms` of audio before speech starts (so the first syllable is in the
/// reply), collects the utterance until `userStoppedSpeaking`, then emits
/// `agentStartedSpeaking`, the utterance as `.agent` audio (re-stamped to start at the
/// moment of the decision), and `agentStoppedSpeaking`. Utterances longer than
/// `max_utterance_ms` are cut there. User audio is consumed, not forwarded.
///
/// Interruption: a reply already emitted is purged from downstream queues by the engine;
/// nothing is held here between turns.
public final class LoopbackResponder: Stage {
    public let name = "responder:loopback"
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { [.audio, .control] }
    public var inputCaps: AudioCaps { AudioCaps(channels: [1]) }

    private let prefixMs: Int
    private let maxUtteranceMs: Int
    private var recent: [AudioFrame] = []
    private var utterance: [AudioFrame] = []
    private var capturing = false
    private var lastInputEnd: Nanos = 0
    private var sequence: UInt64 = 0

    public init(prefixMs: Int = 200, maxUtteranceMs: Int = 30_000) {
        self.prefixMs = prefixMs
        self.maxUtteranceMs = maxUtteranceMs
        recent.reserveCapacity(64)
        utterance.reserveCapacity(512)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return }
        lastInputEnd = a.endTimestamp
        if capturing {
            if Nanos(utterance.count) * a.duration < .ms(maxUtteranceMs) { utterance.append(a) }
        } else {
            recent.append(a)
            while let first = recent.first, a.endTimestamp - first.timestamp > .ms(prefixMs) + first.duration {
                recent.removeFirst()
            }
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking:
            capturing = true
            utterance.removeAll(keepingCapacity: true)
            utterance.append(contentsOf: recent)
            recent.removeAll(keepingCapacity: true)
        case .userStoppedSpeaking:
            context.emit(frame)
            reply(context)
            return .consume
        case .endOfStream:
            if capturing { reply(context) }
        default:
            break
        }
        return .forward
    }

    private func reply(_ context: StageContext) {
        capturing = false
        guard !utterance.isEmpty else { return }
        context.emit(.agentStartedSpeaking)
        var t = lastInputEnd
        for var f in utterance {
            f.role = .agent
            f.timestamp = t
            f.sequence = sequence
            sequence += 1
            t += f.duration
            context.emit(.audio(f))
        }
        utterance.removeAll(keepingCapacity: true)
        context.emit(.agentStoppedSpeaking)
    }

    public static let registration = StageRegistration(
        provider: "loopback", kinds: [.processor],
        summary: "Replies to each utterance by playing it back (VAD-segmented echo; no speech engine needed)",
        options: [
            .int("prefix_ms", 0 ... 2000, default: 200, help: "audio kept from before speech onset"),
            .int("max_utterance_ms", 100 ... 120_000, default: 30_000, help: "longest utterance replayed"),
        ]
    ) { request in
        LoopbackResponder(prefixMs: request.options.int("prefix_ms"),
                          maxUtteranceMs: request.options.int("max_utterance_ms"))
    }
}
