// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import Synchronization

/// The reply to one user turn: one streamed chat completion — or, when the model calls tools
/// the session has, a chain of them, at most `Toolbox.maxSteps` tool rounds:
///
/// ```
///   completion ─(tool_calls)─► run tools (own task) ─► results into the Conversation ─► completion ─► … ─► responseEnded
///        │                                                                                    (same responseID, epoch)
///        └─(text, or no tools)────────────────────────────────────────────────────────────────► responseEnded
/// ```
///
/// Downstream sees one `responseStarted` … `responseEnded` bracket per reply, with the
/// `toolCall` frames and the text of every round inside it. Each finished tool round goes into
/// the conversation (assistant message with the calls, one `tool` message per result); the
/// final text is recorded by the stage when the reply settles.
///
/// Thread safety: one mutex for the chain's state. A stream calls back (`streamFinished`) under
/// its own lock and this takes ours inside it; `cancel` never holds ours while calling into a
/// stream, so the two locks are never taken in the other order.
final class ChatReply: Sendable {
    struct Context: Sendable {
        var settings: ChatCompletionStream.Settings
        var mailbox: StageMailbox
        var clock: any PipelineClock
        var logger: Logger
        var client: StreamingHTTPSession
        var conversation: Conversation
        var toolbox: Toolbox
        /// The request for the conversation as it is now (each round re-reads it).
        var makeRequest: @Sendable () throws -> URLRequest
    }

    private struct State {
        var stream: ChatCompletionStream?
        var ended = false
        /// Tools are running: no stream is in flight, downstream saw the reply start.
        var betweenStreams = false
        var holdsEndOfStream = false
        var rounds = 0
        var toolTask: Task<Void, Never>?
    }

    let context: Context
    private let state = Mutex(State())

    var responseID: String { context.settings.responseID }

    init(context: Context) { self.context = context }

    /// Sends the first request (`makeRequest` failing is the caller's to report).
    func start() throws { try startStream(first: true) }

    /// Ends the reply now. Returns the text of the current round and how that round had ended.
    func cancel(reason: String) -> (text: String, outcome: ChatCompletionStream.Outcome) {
        let (stream, task, between, held) = state.withLock { s in
            let already = s.ended
            s.ended = true
            defer { s.holdsEndOfStream = false }
            return (s.stream, s.toolTask, s.betweenStreams && !already, s.holdsEndOfStream)
        }
        task?.cancel()
        if between {
            post(.llm(.responseEnded(responseID: responseID, finishReason: reason)))
            if held { context.mailbox.post(.control(.endOfStream)) }
            return ("", .cancelled)
        }
        if held { context.mailbox.post(.control(.endOfStream)) }
        return stream?.cancel(reason: reason) ?? ("", .cancelled)
    }

    /// `endOfStream` reached the stage: true means held until the reply is over.
    func holdEndOfStream() -> Bool {
        let stream: ChatCompletionStream? = state.withLock { s in
            guard !s.ended else { return nil }
            if s.betweenStreams {
                s.holdsEndOfStream = true
                return nil
            }
            return s.stream
        }
        if let stream { return stream.holdEndOfStream() }
        return state.withLock { $0.holdsEndOfStream }
    }

    // MARK: Rounds

    private func startStream(first: Bool) throws {
        var settings = context.settings
        settings.postsStart = first
        let stream = ChatCompletionStream(settings: settings, mailbox: context.mailbox, clock: context.clock,
                                          logger: context.logger) { [self] ending, held in
            streamFinished(ending, heldEndOfStream: held)
        }
        let request = try context.makeRequest()
        let (go, held) = state.withLock { s -> (Bool, Bool) in
            guard !s.ended else { return (false, false) }
            s.stream = stream
            s.betweenStreams = false
            defer { s.holdsEndOfStream = false }
            return (true, s.holdsEndOfStream)
        }
        guard go else { return }
        context.client.start(request, feeding: stream)
        if held && !stream.holdEndOfStream() { context.mailbox.post(.control(.endOfStream)) }
    }

    /// Under the finished stream's lock.
    private func streamFinished(_ ending: ChatCompletionStream.Ending, heldEndOfStream: Bool) -> Bool {
        guard case .completed(let text, let calls) = ending, !calls.isEmpty, !context.toolbox.isEmpty else {
            state.withLock { $0.ended = true }
            return false
        }
        let maxSteps = context.toolbox.maxSteps
        let round: Int? = state.withLock { s in
            guard !s.ended else { return nil }
            guard s.rounds < maxSteps else {
                s.ended = true
                return nil
            }
            s.rounds += 1
            s.betweenStreams = true
            s.holdsEndOfStream = s.holdsEndOfStream || heldEndOfStream
            return s.rounds
        }
        guard let round else {
            if state.withLock({ $0.rounds }) >= maxSteps {
                let names = calls.map(\.name).joined(separator: ", ")
                post(.control(.error(StageFailure(
                    stage: context.settings.stageName,
                    message: "the model asked for tools (\(names)) after \(maxSteps) tool rounds; max_tool_steps stops it here",
                    isFatal: false))))
            }
            return false
        }
        context.logger.debug("llm tool round", metadata: ["response": "\(responseID)", "round": "\(round)",
                                                          "tools": "\(calls.map(\.name).joined(separator: ","))"])
        let task = Task { [self] in
            var results: [(id: String, content: String)] = []
            for call in calls { results.append((call.id, await context.toolbox.run(call))) }
            // The round goes into the context whole or not at all: OpenAI refuses tool calls
            // without their results (an interrupted round is dropped).
            guard !state.withLock({ $0.ended }) else { return }
            context.conversation.appendToolCalls(text: text, calls: calls)
            for r in results { context.conversation.appendToolResult(callID: r.id, content: r.content) }
            do {
                try startStream(first: false)
            } catch {
                post(.control(.error(StageFailure(stage: context.settings.stageName,
                                                  message: "could not encode the request: \(error)", isFatal: false))))
                _ = cancel(reason: "error")
            }
        }
        state.withLock { $0.toolTask = task }
        return true
    }

    private func post(_ frame: Frame) { context.mailbox.post(frame, epoch: context.settings.epoch) }
}
