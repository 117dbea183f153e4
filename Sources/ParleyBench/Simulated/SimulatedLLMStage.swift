// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import Synchronization

/// A streaming chat model whose replies are the scenario's: for each user turn it streams the
/// matching turn's `reply` as word tokens, the first `llm_ttft_ms` after the request and the
/// rest at `llm_tokens_per_s`, through the simulated network. It emits exactly what the real
/// LLM stages emit (the TTFT metric, `responseStarted`, a `textDelta` per token, the sentences
/// cut by `SentenceChunker` as agent `TextFrame`s, `responseEnded`) and keeps the session's
/// `Conversation` the way they do, so the turn manager, TTS and playout downstream cannot tell
/// the difference.
public final class SimulatedLLMStage: Stage {
    public let name = "llm:sim"
    public var accepts: FrameKinds { [.transcript, .text] }
    public var produces: FrameKinds { [.llm, .text] }

    let turns: [ResolvedScenario.Turn]
    let conversation: Conversation
    let turnManaged: Bool
    let network: SimulatedNetwork
    let onReply: @Sendable (String, Int) -> Void
    private let inFlight = InFlight()
    /// The reply being streamed.
    private var current: (id: String, text: String, cancelled: Cancellation)?

    /// Set from the loop thread when a reply is cut; the network thread stops posting it.
    final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        /// True for the first caller only: the reply ends once, completed or cut.
        func claim() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
        var isCancelled: Bool { flag.load(ordering: .acquiring) }
    }

    public init(turns: [ResolvedScenario.Turn], conversation: Conversation, turnManaged: Bool,
                network: SimulatedNetwork = .shared, onReply: @escaping @Sendable (String, Int) -> Void = { _, _ in }) {
        self.onReply = onReply
        self.turns = turns
        self.conversation = conversation
        self.turnManaged = turnManaged
        self.network = network
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        guard let trimmed = frame.userTurnText(turnManaged: turnManaged) else { return }
        settle(cut: false, context)
        conversation.appendUser(trimmed)
        reply(to: Self.turn(for: trimmed, in: turns), context)
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        if case .endOfStream = frame, inFlight.holdEndOfStream() { return .consume }
        return .forward
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        settle(cut: true, context)
        if interruption.cause == .superseded { conversation.discardLastUserTurn() }
    }

    public func stop(_ context: StageContext) { settle(cut: true, context) }
    public func cancel(_ context: StageContext) { settle(cut: true, context) }

    /// PROTOCOL.md: the turn whose text equals the user's words; else the one they end with;
    /// else the last turn.
    static func turn(for text: String, in turns: [ResolvedScenario.Turn]) -> ResolvedScenario.Turn {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let exact = turns.first(where: { $0.text == t }) { return exact }
        if let suffix = turns.first(where: { t.hasSuffix($0.text) }) { return suffix }
        return turns[turns.count - 1]
    }

    private func reply(to turn: ResolvedScenario.Turn, _ context: StageContext) {
        let id = conversation.nextReplyID(prefix: name)
        onReply(id, turn.index)
        let epoch = context.epoch
        let mailbox = context.mailbox
        let cancellation = Cancellation()
        current = (id, turn.reply, cancellation)
        // Everything each token will post is decided here, on the loop, so the network thread
        // only delivers: the deltas, and the sentences the chunker completes with each.
        var chunker = SentenceChunker()
        let tokens = turn.replyTokens
        let interval = 1e9 / turn.llmTokensPerSecond
        let start = context.now() + Nanos(turn.llmTTFTMs * 1e6)
        let ttft = Nanos(turn.llmTTFTMs * 1e6)
        let stage = name
        inFlight.begin()
        for (i, token) in tokens.enumerated() {
            var frames: [Frame] = []
            if i == 0 {
                frames.append(.control(.metric(StageMetric(stage: stage, name: "llm_ttft", nanoseconds: ttft))))
                frames.append(.llm(.responseStarted(responseID: id)))
            }
            frames.append(.llm(.textDelta(responseID: id, text: token)))
            for sentence in chunker.add(token) { frames.append(.text(TextFrame(text: sentence, role: .agent, replyID: id))) }
            let last = i == tokens.count - 1
            if last {
                if let rest = chunker.finish() { frames.append(.text(TextFrame(text: rest, role: .agent, replyID: id))) }
                frames.append(.llm(.responseEnded(responseID: id, finishReason: "stop")))
            }
            let (inFlight, due) = (self.inFlight, frames)
            network.at(start + Nanos(Double(i) * interval)) {
                guard !cancellation.isCancelled else { return }
                for f in due { mailbox.post(f, epoch: epoch) }
                if last { inFlight.end(mailbox) }
            }
        }
        let conversation = self.conversation
        // Recorded as complete once the last token is out (the real stages do it when the
        // stream ends); a cut reply is recorded by `settle`.
        network.at(start + Nanos(Double(max(tokens.count - 1, 0)) * interval)) {
            guard cancellation.claim() else { return }
            conversation.recordReply(id, text: turn.reply)
        }
    }

    /// Ends the reply in flight. A cut reply goes into the history only if playout started on
    /// it (the playout then trims it to what was heard), as with the real LLM stages.
    private func settle(cut: Bool, _ context: StageContext) {
        guard let reply = current else { return }
        current = nil
        guard reply.cancelled.claim() else { return }
        if cut { conversation.recordReply(reply.id, text: conversation.speech.replyID == reply.id ? reply.text : "") }
        // Its remaining tokens will not be posted (and the engine drops any of an older epoch).
        inFlight.abandon(context.mailbox)
    }
}
