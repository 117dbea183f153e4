// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// A streaming STT whose "provider" is the scenario: it counts the user audio it receives,
/// and once the audio of a turn's utterance is in (its `speech_end_ms` on the input timeline),
/// the turn's text comes back as a final transcript `stt_final_after_ms` later, through the
/// simulated network. Like a real streaming STT it consumes the audio and emits transcripts;
/// it does not look at the VAD (PROTOCOL.md: the provider's timing is the scenario's).
public final class SimulatedSTTStage: Stage {
    public let name = "stt:sim"
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .transcript }

    let turns: [ResolvedScenario.Turn]
    let network: SimulatedNetwork
    /// User audio received so far, in ns of input time.
    private var received: Nanos = 0
    private var nextTurn = 0
    private var finalizeReplies = 0
    private let inFlight = InFlight()

    public init(turns: [ResolvedScenario.Turn], network: SimulatedNetwork = .shared) {
        self.turns = turns
        self.network = network
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let audio) = frame, audio.role == .user else { return context.emit(frame) }
        received += audio.duration
        while nextTurn < turns.count, received >= Nanos(turns[nextTurn].speechEndMs * 1e6) {
            let turn = turns[nextTurn]
            nextTurn += 1
            let transcript = TranscriptFrame(
                text: turn.text, isFinal: true, segmentID: "sim-\(turn.index)", role: .user,
                start: context.mediaNow - Nanos((turn.speechEndMs - turn.speechStartMs) * 1e6), end: context.mediaNow,
                endsUtterance: true)
            let (mailbox, inFlight) = (context.mailbox, inFlight)
            inFlight.begin()
            network.after(Nanos(turn.sttFinalAfterMs * 1e6)) {
                mailbox.post(.transcript(transcript))
                inFlight.end(mailbox)
            }
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .endOfStream where inFlight.holdEndOfStream():
            return .consume
        case .userStoppedSpeaking where !inFlight.isBusy:
            // The real streaming STT stages send Finalize here, and the provider answers with
            // what it still holds: nothing, when the final is already out (Deepgram replies with
            // an empty result). The turn manager waits for that answer, so it comes back too.
            context.emit(frame)
            let mailbox = context.mailbox
            finalizeReplies += 1
            let empty = TranscriptFrame(text: "", isFinal: true, segmentID: "sim-finalize-\(finalizeReplies)", role: .user,
                                        start: context.mediaNow, end: context.mediaNow)
            network.after(0) { mailbox.post(.transcript(empty)) }
            return .consume
        default:
            return .forward
        }
    }
}
