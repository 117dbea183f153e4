// SPDX-License-Identifier: Apache-2.0

import ParleyAgent
import ParleyCore

/// An LLM on the pipeline clock: answers each user turn (`TextFrame`, as the turn manager sends
/// it) with scripted sentences after `firstTokenDelay`, keeping the `Conversation` the way real
/// LLM stages do (user turn appended on arrival; reply recorded; on interruption the reply is
/// kept only if playout started on it; a superseded preemptive turn is discarded).
final class ScriptedLLM: Stage {
    let name = "llm:scripted"
    var accepts: FrameKinds { .text }
    var produces: FrameKinds { .text }

    let conversation: Conversation
    let firstTokenDelay: Nanos
    let answer: (String) -> [String]
    private(set) var requests: [String] = []
    private var pending: (id: String, sentences: [String])?
    private var inFlight: String?

    init(conversation: Conversation, firstTokenDelay: Nanos = 50_000_000, answer: @escaping (String) -> [String]) {
        self.conversation = conversation
        self.firstTokenDelay = firstTokenDelay
        self.answer = answer
    }

    func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        guard case .text(let t) = frame, t.role == .user else { return }
        requests.append(t.text)
        conversation.appendUser(t.text)
        let id = conversation.nextReplyID(prefix: "scripted")
        pending = (id, answer(t.text))
        inFlight = id
        context.schedule(after: firstTokenDelay, id: 1)
    }

    func timerFired(id: Int, _ context: StageContext) {
        guard let p = pending else { return }
        pending = nil
        conversation.recordReply(p.id, text: p.sentences.joined(separator: " "))
        for s in p.sentences { context.emit(.text(TextFrame(text: s, role: .agent, replyID: p.id))) }
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        context.cancelTimer(id: 1)
        pending = nil
        guard let id = inFlight else { return }
        inFlight = nil
        if interruption.cause == .superseded {
            conversation.discardLastUserTurn()
        } else if conversation.speech.replyID != id {
            conversation.recordReply(id, text: "")
        }
    }
}

/// A TTS on the pipeline clock: each agent text becomes `framesPerWord` 20 ms frames per word
/// (48 kHz mono), produced `firstAudioDelay` after the text arrived and all at once then (as a
/// fast streaming TTS delivers them); the text is emitted right before its audio.
final class ScriptedTTS: Stage {
    let name = "tts:scripted"
    var accepts: FrameKinds { .text }
    var produces: FrameKinds { [.audio, .text, .control] }

    let framesPerWord: Int
    let firstAudioDelay: Nanos
    private var queue: [TextFrame] = []
    private var timestamp: Nanos = 0
    private var sequence: UInt64 = 0
    /// Frames made per text, in order (the tests compare against what played).
    private(set) var framesMade: [Int] = []

    init(framesPerWord: Int = 5, firstAudioDelay: Nanos = 30_000_000) {
        self.framesPerWord = framesPerWord
        self.firstAudioDelay = firstAudioDelay
    }

    func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let t) = frame, t.role == .agent else { return context.emit(frame) }
        queue.append(t)
        context.schedule(after: firstAudioDelay, id: 1)
    }

    func timerFired(id: Int, _ context: StageContext) {
        let texts = queue
        queue.removeAll()
        for t in texts {
            context.emit(.text(t))
            context.emit(.agentStartedSpeaking)
            let frames = framesPerWord * t.text.split(separator: " ").count
            framesMade.append(frames)
            for _ in 0..<frames {
                let buffer = context.acquireBuffer()
                for i in 0..<960 { buffer.storage[i] = 1_000 }
                context.emit(.audio(AudioFrame(buffer: buffer, format: .standard, timestamp: timestamp,
                                               sequence: sequence, role: .agent)))
                timestamp += 20_000_000
                sequence += 1
            }
            context.emit(.agentStoppedSpeaking)
        }
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        queue.removeAll()
        context.cancelTimer(id: 1)
    }
}
