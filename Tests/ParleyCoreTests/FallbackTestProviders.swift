// SPDX-License-Identifier: Apache-2.0

@testable import ParleyCore

/// What a scripted provider does with one request (a user turn, a text, an utterance).
enum Fault: Equatable {
    /// Answers normally.
    case none
    /// A non-fatal `StageFailure` after the delay, before any output.
    case errorBeforeOutput
    /// Never answers (the attempt timeout must move the request on).
    case hang
    /// Some output first, then a non-fatal `StageFailure`.
    case errorAfterOutput
}

/// An LLM provider on the pipeline clock, shaped like `OpenAIChatStage`: passes the user turn
/// on, appends it to the conversation, and after `delay` posts (through its mailbox, with its
/// epoch) `responseStarted`, a delta and a sentence per word group, `responseEnded`. A failure
/// is a non-fatal `StageFailure` then `responseStarted`/`responseEnded("error")`, as the real
/// one posts it. Holds `endOfStream` while a reply is in flight.
final class ScriptedLLMProvider: Stage {
    let name: String
    var accepts: FrameKinds { [.text, .transcript] }
    var produces: FrameKinds { [.llm, .text] }

    let conversation: Conversation?
    let delay: Nanos
    /// The fault for request n (0-based); `.none` after the list.
    var faults: [Fault]
    private(set) var requests: [String] = []
    private(set) var interruptions: [Interruption.Cause] = []
    private(set) var started = false
    private(set) var stopped = false
    private var inFlight: (id: String, text: String, fault: Fault, epoch: UInt64)?
    private var holdingEnd = false
    private var replies = 0

    init(_ name: String, conversation: Conversation? = nil, delay: Nanos = .ms(40), faults: [Fault] = []) {
        self.name = name
        self.conversation = conversation
        self.delay = delay
        self.faults = faults
    }

    func start(_ context: StageContext) throws { started = true }
    func stop(_ context: StageContext) { stopped = true }

    func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        guard case .text(let t) = frame, t.role == .user else { return }
        let fault = requests.count < faults.count ? faults[requests.count] : .none
        requests.append(t.text)
        conversation?.appendUser(t.text)
        replies += 1
        inFlight = ("\(name)-\(replies)", t.text, fault, context.epoch)
        if fault != .hang { context.schedule(after: delay, id: 1) }
    }

    func timerFired(id: Int, _ context: StageContext) {
        guard let r = inFlight else { return }
        let mailbox = context.mailbox
        func post(_ f: Frame) { mailbox.post(f, epoch: r.epoch) }
        switch (id, r.fault) {
        case (1, .errorBeforeOutput):
            post(.control(.error(StageFailure(stage: name, message: "HTTP 500: overloaded", isFatal: false))))
            post(.llm(.responseStarted(responseID: r.id)))
            post(.llm(.responseEnded(responseID: r.id, finishReason: "error")))
            finish(context)
        case (1, .errorAfterOutput):
            post(.llm(.responseStarted(responseID: r.id)))
            post(.llm(.textDelta(responseID: r.id, text: "Partly")))
            context.schedule(after: delay, id: 2)
        case (2, .errorAfterOutput):
            post(.control(.error(StageFailure(stage: name, message: "stream dropped after 2 events", isFatal: false))))
            post(.llm(.responseEnded(responseID: r.id, finishReason: "error")))
            finish(context)
        case (1, _):
            let reply = "\(name) answers: \(r.text)"
            post(.control(.metric(StageMetric(stage: name, name: "llm_ttft", nanoseconds: delay))))
            post(.llm(.responseStarted(responseID: r.id)))
            post(.llm(.textDelta(responseID: r.id, text: reply)))
            post(.text(TextFrame(text: reply, role: .agent, replyID: r.id)))
            post(.llm(.responseEnded(responseID: r.id, finishReason: "stop")))
            conversation?.recordReply(r.id, text: reply)
            finish(context)
        default:
            break
        }
    }

    private func finish(_ context: StageContext) {
        inFlight = nil
        if holdingEnd {
            holdingEnd = false
            context.mailbox.post(.control(.endOfStream))
        }
    }

    func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame, inFlight != nil else { return .forward }
        holdingEnd = true
        return .consume
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        interruptions.append(interruption.cause)
        context.cancelTimer(id: 1)
        context.cancelTimer(id: 2)
        inFlight = nil
        if holdingEnd {
            holdingEnd = false
            context.emit(.endOfStream)
        }
    }
}

/// A TTS provider on the pipeline clock: each agent text becomes the text marker,
/// `agentStartedSpeaking`, `framesPerText` 20 ms frames whose samples carry `voice`, and
/// `agentStoppedSpeaking`, posted through the mailbox with the epoch `delay` after the text
/// came (texts queue: one is spoken after the other, `delay` apart).
final class ScriptedTTSProvider: Stage {
    let name: String
    var accepts: FrameKinds { .text }
    var produces: FrameKinds { [.audio, .control] }

    let voice: Int16
    let delay: Nanos
    let framesPerText: Int
    /// The fault for text n (0-based, over this provider's life).
    var faults: [Fault]
    private(set) var texts: [String] = []
    private(set) var interruptions: [Interruption.Cause] = []
    private var queue: [(text: TextFrame, fault: Fault, epoch: UInt64)] = []
    private var sequence: UInt64 = 0

    init(_ name: String, voice: Int16, delay: Nanos = .ms(30), framesPerText: Int = 5, faults: [Fault] = []) {
        self.name = name
        self.voice = voice
        self.delay = delay
        self.framesPerText = framesPerText
        self.faults = faults
    }

    func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let t) = frame, t.role == .agent else { return context.emit(frame) }
        let fault = texts.count < faults.count ? faults[texts.count] : .none
        texts.append(t.text)
        queue.append((t, fault, context.epoch))
        if queue.count == 1 { context.schedule(after: delay, id: 1) }
    }

    func timerFired(id: Int, _ context: StageContext) {
        guard !queue.isEmpty else { return }
        let (t, fault, epoch) = queue.removeFirst()
        let mailbox = context.mailbox
        func post(_ f: Frame) { mailbox.post(f, epoch: epoch) }
        switch fault {
        case .hang:
            return // and everything behind it waits too
        case .errorBeforeOutput:
            post(.control(.error(StageFailure(stage: name, message: "synthesis failed", isFatal: false))))
        case .none, .errorAfterOutput:
            post(.text(t))
            post(.control(.agentStartedSpeaking))
            let frames = fault == .none ? framesPerText : 2
            for _ in 0..<frames {
                let buffer = context.acquireBuffer()
                for i in 0..<960 { buffer.storage[i] = voice }
                post(.audio(AudioFrame(buffer: buffer, format: .standard, timestamp: Nanos(sequence) * .ms(20),
                                       sequence: sequence, role: .agent)))
                sequence += 1
            }
            if fault == .none {
                post(.control(.agentStoppedSpeaking))
            } else {
                post(.control(.error(StageFailure(stage: name, message: "socket closed mid-sentence", isFatal: false))))
            }
        }
        if !queue.isEmpty { context.schedule(after: delay, id: 1) }
    }

    func interrupted(_ interruption: Interruption, _ context: StageContext) {
        interruptions.append(interruption.cause)
        queue.removeAll()
        context.cancelTimer(id: 1)
    }
}

/// An STT provider on the pipeline clock that "recognises" the codes user audio frames carry
/// (sample value n ≠ 0 is word n of `words`), like an offline recogniser: it keeps a pre-roll,
/// captures from the VAD's onset stamp to its stop, and `delay` after the stop posts one final
/// transcript of the distinct consecutive words it heard.
final class ScriptedSTTProvider: Stage {
    static let words = ["", "one", "two", "three", "four", "five", "six"]

    let name: String
    var accepts: FrameKinds { .audio }
    var produces: FrameKinds { .transcript }

    let delay: Nanos
    /// The fault for utterance n (0-based).
    var faults: [Fault]
    private(set) var utterances = 0
    private(set) var framesHeard = 0
    private var preRoll: [AudioFrame] = []
    private var captured: [AudioFrame]?
    private var pending: [(text: String, fault: Fault)] = []
    private var holdingEnd = false
    private var segment = 0

    init(_ name: String, delay: Nanos = .ms(60), faults: [Fault] = []) {
        self.name = name
        self.delay = delay
        self.faults = faults
    }

    func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return }
        framesHeard += 1
        if captured != nil {
            captured!.append(a)
        } else {
            preRoll.append(a)
            if preRoll.count > 25 { preRoll.removeFirst() }
        }
    }

    func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking(let at):
            captured = preRoll.filter { $0.endTimestamp > at }
            preRoll.removeAll()
        case .userStoppedSpeaking:
            guard let audio = captured else { break }
            captured = nil
            let fault = utterances < faults.count ? faults[utterances] : .none
            utterances += 1
            pending.append((Self.recognise(audio), fault))
            if fault == .errorAfterOutput {
                segment += 1
                context.emit(.transcript(TranscriptFrame(text: "…", isFinal: false, segmentID: "\(name)-\(segment)")))
            }
            if fault != .hang { context.schedule(after: delay, id: pending.count) }
        case .endOfStream where !pending.isEmpty:
            holdingEnd = true
            return .consume
        default:
            break
        }
        return .forward
    }

    func timerFired(id: Int, _ context: StageContext) {
        guard !pending.isEmpty else { return }
        let (text, fault) = pending.removeFirst()
        switch fault {
        case .none:
            segment += 1
            context.mailbox.post(.transcript(TranscriptFrame(text: text, isFinal: true, segmentID: "\(name)-\(segment)")))
        case .errorBeforeOutput, .errorAfterOutput:
            context.mailbox.post(.control(.error(StageFailure(stage: name, message: "recogniser crashed", isFatal: false))))
        case .hang:
            return
        }
        if pending.isEmpty && holdingEnd {
            holdingEnd = false
            context.mailbox.post(.control(.endOfStream))
        }
    }

    static func recognise(_ audio: [AudioFrame]) -> String {
        var out: [String] = []
        for a in audio {
            let code = a.withSamples { Int($0[0]) }
            guard code > 0 && code < words.count else { continue }
            if out.last != words[code] { out.append(words[code]) }
        }
        return out.joined(separator: " ")
    }
}

/// Pushes coded user audio (20 ms frames at 48 kHz) and VAD events into a pipeline, moving
/// media time and the virtual clock together as live input does.
struct CodedSpeaker {
    let pipeline: EmbeddedPipeline
    private(set) var media: Nanos = 0
    private var sequence: UInt64 = 0

    init(_ pipeline: EmbeddedPipeline) { self.pipeline = pipeline }

    /// `frames` frames carrying word `code` (0: silence).
    mutating func audio(_ code: Int16, frames: Int) {
        for _ in 0..<frames {
            let buffer = pipeline.pools.pool(forAtLeast: 960).acquire()
            for i in 0..<960 { buffer.storage[i] = code }
            pipeline.push(.audio(AudioFrame(buffer: buffer, format: .standard, timestamp: media, sequence: sequence)))
            sequence += 1
            media += .ms(20)
            pipeline.advance(by: .ms(20))
        }
    }

    func control(_ c: ControlFrame) {
        pipeline.push(.control(c))
        pipeline.run()
    }
}

extension EmbeddedPipeline {
    var failures: [StageFailure] { outputs.compactMap { if case .control(.error(let f)) = $0 { f } else { nil } } }
    var metrics: [StageMetric] { outputs.compactMap { if case .control(.metric(let m)) = $0 { m } else { nil } } }
    var llmFrames: [LLMFrame] { outputs.compactMap { if case .llm(let l) = $0 { l } else { nil } } }
    var agentTexts: [String] { outputs.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } } }
    var userTexts: [String] { outputs.compactMap { if case .text(let t) = $0, t.role == .user { t.text } else { nil } } }
    var agentAudio: [AudioFrame] { outputs.compactMap { if case .audio(let a) = $0, a.role == .agent { a } else { nil } } }
    var transcripts: [TranscriptFrame] { outputs.compactMap { if case .transcript(let t) = $0 { t } else { nil } } }
    func controls(_ match: (ControlFrame) -> Bool) -> Int {
        outputs.filter { if case .control(let c) = $0 { match(c) } else { false } }.count
    }
}
