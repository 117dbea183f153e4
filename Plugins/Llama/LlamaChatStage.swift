// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore

/// An LLM run in-process by llama.cpp (`llama/smollm2-135m`): no server, no network, the
/// model loaded and warmed up when the pipeline starts.
///
/// ```
///   loop:    user turn (TextFrame; alone also a final transcript) ─► Conversation + DecodeGate ─► worker.run
///   worker:  LlamaChatModel.generate (KV prefix reuse, streamed tokens) ─► LlamaReply.deliver
///            ─► mailbox.post(…, epoch:): llm_ttft · responseStarted · textDelta… · responseEnded
///                                        · each sentence (the first may end at a comma) as agent TextFrame
///   loop:    interruption / newer turn ─► generation.bump() ─► decoding stops at the next token
/// ```
///
/// Inference runs on a `ProviderWorker`, never on the loop. Frames come back through the
/// mailbox tagged with the interruption epoch, so after an interruption the engine drops
/// anything already on its way, and `LlamaReply.cancel` guarantees nothing later is posted.
///
/// The conversation follows the OpenAI stage's rules: a `Conversation` (the session's, shared
/// with the turn manager and the playout, or the stage's own when built alone) whose system
/// message is `instructions`. Each user turn is appended when it arrives, the assistant's reply
/// when it is over — whole if it completed; if it was cut, in a session what the user heard of
/// it (the playout trims it), alone whatever `interruptedReplyText` keeps. A preemptive reply
/// that was superseded is removed with the user turn it answered. The oldest turns go beyond
/// `max_history_turns` (and, if still too long, beyond what fits the context window).
/// In a session (`turnManaged`) the stage answers the turn manager's user `TextFrame`s only;
/// alone it answers each final user transcript too. Tool calling is not supported (the small
/// local models do not do it reliably); configured tools are ignored.
///
/// End of stream is held until the reply in flight is over (it is queued behind it on the worker).
public final class LlamaChatStage: Stage {
    public struct Configuration: Sendable {
        /// Shown in logs and reply ids (`smollm2-135m`).
        public var modelName: String
        public var model: LlamaChatModel.Settings
        public var instructions: String
        /// Longest reply in tokens.
        public var maxTokens: Int
        public var maxHistoryTurns: Int
        /// Also emit each complete sentence as agent text (what TTS stages speak).
        public var emitsSentences: Bool
        /// The first piece of a reply may end at a comma, so TTS starts a clause earlier.
        public var firstClauseAtComma: Bool

        public init(modelName: String, model: LlamaChatModel.Settings,
                    instructions: String = LlamaChatStage.defaultInstructions, maxTokens: Int = 96,
                    maxHistoryTurns: Int = 20, emitsSentences: Bool = true, firstClauseAtComma: Bool = true) {
            self.modelName = modelName
            self.model = model
            self.instructions = instructions
            self.maxTokens = maxTokens
            self.maxHistoryTurns = maxHistoryTurns
            self.emitsSentences = emitsSentences
            self.firstClauseAtComma = firstClauseAtComma
        }
    }

    public static let defaultInstructions = "You are a helpful voice assistant. Answer briefly."

    public let name = "llm:llama"
    public var accepts: FrameKinds { [.transcript, .text] }
    public var produces: FrameKinds { configuration.emitsSentences ? [.llm, .text] : .llm }

    /// Outside a session (no shared `Conversation`): what goes into the history of a reply that
    /// did not complete, given the text produced so far; nil keeps nothing. Default: all of it.
    /// In a session the playout decides instead, from what was actually heard.
    public var interruptedReplyText: (String) -> String? = { $0 }

    /// Called on the worker after each reply with what the engine did (prompt and reused
    /// tokens, tokens generated, prefill time): for tests, probes and benchmarks.
    public var onReplyReport: (@Sendable (LlamaChatModel.Report) -> Void)?

    public let configuration: Configuration
    private let worker: ProviderWorker<LlamaChatModel>
    /// Bumped to stop the generation in flight (interruption, newer turn, shutdown).
    private let generation = GenerationCounter()
    public let conversation: Conversation
    private let inSession: Bool
    private let turnManaged: Bool
    private var current: LlamaReply?
    private var logger = Logger(label: "parley.llm.llama")

    public init(configuration: Configuration, conversation: Conversation? = nil, turnManaged: Bool = false) {
        self.configuration = configuration
        if let conversation {
            conversation.instructions = configuration.instructions
            self.conversation = conversation
        } else {
            self.conversation = Conversation(instructions: configuration.instructions,
                                             maxTurns: configuration.maxHistoryTurns)
        }
        inSession = conversation != nil
        self.turnManaged = turnManaged
        let settings = configuration.model
        let instructions = configuration.instructions
        worker = ProviderWorker(label: "parley.llm.llama") {
            let model = try LlamaChatModel(settings: settings)
            let took = try model.warmUp(instructions: instructions)
            LlamaRuntime.logger.debug("llama.cpp warmed up", metadata: ["model": "\(settings.modelPath)",
                                                                      "took": "\(took)"])
            return model
        }
    }

    /// The conversation as it would be prompted now (without the reply in flight), for tests and probes.
    public var historyMessages: [LlamaChatMessage] { Self.prompt(conversation.promptMessages) }

    /// The chat messages the model's template gets: system, user and assistant text (tool
    /// rounds, which this stage never starts, are left out).
    static func prompt(_ messages: [ChatMessage]) -> [LlamaChatMessage] {
        messages.compactMap { m in
            switch m.role {
            case .system, .user: return LlamaChatMessage(role: m.role.rawValue, content: m.content)
            case .assistant: return m.content.isEmpty ? nil : LlamaChatMessage(role: "assistant", content: m.content)
            case .tool: return nil
            }
        }
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        do {
            try worker.start()
        } catch {
            throw StageFailure(stage: name, message: "\(error)", isFatal: true)
        }
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        // Transcripts and text pass on (transcription outputs want them), before the reply.
        context.emit(frame)
        guard let trimmed = frame.userTurnText(turnManaged: turnManaged) else { return }
        reply(to: trimmed, context)
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame else { return .forward }
        // Hold end of stream until the reply in flight is over: the worker runs jobs in order.
        let mailbox = context.mailbox
        worker.run { _ in mailbox.post(.control(.endOfStream)) }
        return .consume
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        settleReply(reason: "interrupted", cut: true, superseded: interruption.cause == .superseded)
    }

    public func stop(_ context: StageContext) {
        settleReply(reason: "stopped", cut: true)
        worker.stop()
    }

    public func cancel(_ context: StageContext) {
        settleReply(reason: "cancelled", cut: true)
        worker.stop()
    }

    // MARK: Replies

    private func reply(to text: String, _ context: StageContext) {
        // A newer user turn replaces a reply still running.
        settleReply(reason: "superseded", cut: false)
        conversation.appendUser(text)
        let reply = LlamaReply(
            settings: .init(stageName: name, responseID: conversation.nextReplyID(prefix: name), epoch: context.epoch,
                            emitsSentences: configuration.emitsSentences,
                            firstClauseAtComma: configuration.firstClauseAtComma),
            mailbox: context.mailbox, clock: context.clock)
        current = reply
        let gate = DecodeGate(counter: generation, expected: generation.current)
        let messages = Self.prompt(conversation.promptMessages)
        let maxTokens = configuration.maxTokens
        let logger = logger
        let onReport = onReplyReport
        // Only sizes go to the log, never the conversation.
        logger.debug("llm request", metadata: ["response": "\(reply.settings.responseID)",
                                               "model": "\(configuration.modelName)", "messages": "\(messages.count)"])
        worker.run { model in
            guard gate.isOpen else { return }   // superseded before it started
            do {
                let report = try model.generate(messages, maxTokens: maxTokens, gate: gate) { reply.deliver($0) }
                switch report.finish {
                case .stop, .length: reply.finish(report.finish.rawValue)
                case .cancelled: break   // the loop already closed the reply
                }
                onReport?(report)
                logger.debug("llm reply", metadata: [
                    "response": "\(reply.settings.responseID)", "finish": "\(report.finish.rawValue)",
                    "prompt_tokens": "\(report.promptTokens)", "reused_tokens": "\(report.reusedTokens)",
                    "generated_tokens": "\(report.generatedTokens)", "prefill": "\(report.prefill)",
                    "total": "\(report.total)"])
            } catch {
                logger.warning("llm reply failed", metadata: ["response": "\(reply.settings.responseID)",
                                                              "reason": "\(error)"])
                reply.fail("\(error)")
            }
        }
    }

    /// Ends the current reply (if still running) and records it in the conversation: whole when
    /// it completed, else as `Conversation`'s rules say (see the type's documentation). `cut`: an
    /// interruption or the pipeline ending means the listener may not have heard all of even a
    /// completed reply.
    private func settleReply(reason: String, cut: Bool, superseded: Bool = false) {
        guard let reply = current else { return }
        current = nil
        generation.bump()
        let (text, outcome) = reply.cancel(reason: reason)
        let id = reply.settings.responseID
        if superseded {
            conversation.discardLastUserTurn()
        } else if outcome == .completed && !cut {
            conversation.recordReply(id, text: text)
        } else if inSession {
            // Record what was produced if playout started on it (the playout then cuts it to
            // what was heard, right after this); a reply nobody heard any of is not recorded.
            conversation.recordReply(id, text: conversation.speech.replyID == id ? text : "")
        } else if let kept = interruptedReplyText(text) {
            conversation.recordReply(id, text: kept)
        }
    }
}
