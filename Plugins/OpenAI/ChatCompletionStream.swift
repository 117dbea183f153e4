// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import Synchronization

/// One streamed chat completion in flight: turns the bytes URLSession delivers into
/// `LLMFrame`s posted through the stage's mailbox, and reports how it ended.
///
/// ```
///   URLSession delegate queue:  bytes ─► SSE events ─► chunk JSON ─► mailbox.post(frame, epoch:) ─► loop
///   pipeline loop:              cancel(…) ─────────────────────────► nothing more is posted
///   timer (global queue):       no first byte in time ─► StageFailure + responseEnded("error")
/// ```
///
/// Every response the stage starts is bracketed for downstream: `responseStarted` …
/// `responseEnded(finishReason:)`, with `"error"` after a failure (posted after its
/// `StageFailure`), so whatever closes the turn on `responseEnded` never waits forever.
///
/// All state sits behind one mutex, and posting happens while holding it: once `cancel`
/// returns on the loop, no later delta of this response can reach the mailbox (the engine's
/// epoch check drops any that were already posted before an interruption).
final class ChatCompletionStream: StreamingHTTPReceiver {
    /// How the response ended, for the stage's history.
    enum Outcome: Sendable, Equatable {
        case inFlight
        /// Finished normally (`finish_reason` or `[DONE]`).
        case completed
        /// Failed (HTTP error, bad data, timeout, dropped connection).
        case failed
        /// Cancelled by the stage (interruption, a newer user turn, the pipeline ending).
        case cancelled
    }

    struct Settings: Sendable {
        var stageName: String
        var responseID: String
        var epoch: UInt64
        var firstByteTimeoutMS: Int
        /// Also post each complete sentence as agent `TextFrame` (for TTS stages).
        var emitsSentences: Bool
        /// False for the later requests of a tool chain: downstream saw `responseStarted` once.
        var postsStart = true
    }

    /// How a response ended, for its `ChatReply`, which may go on with tool results.
    enum Ending: Sendable {
        case completed(text: String, toolCalls: [ToolCall])
        case failed
    }

    private struct State {
        var outcome = Outcome.inFlight
        var task: URLSessionDataTask?
        /// Set under the lock; `withState` cancels `task` after unlocking (URLSession may take
        /// its own locks in `cancel()`, so it is never called while holding ours).
        var cancelsTask = false
        var parser = ServerSentEventParser()
        var sawFirstByte = false
        var started = false
        var reportedTTFT = false
        var status = 0
        var errorBody = Data()
        /// The start of a 2xx body, quoted when it turns out not to be an event stream.
        var bodyStart = Data()
        var events = 0
        var text = ""
        var tools = ToolCallAccumulator()
        let decoder = JSONDecoder()
        var sentences = SentenceChunker()
        var finishReason: String?
        /// The stage consumed `endOfStream` until this response is over.
        var holdsEndOfStream = false
    }

    let settings: Settings
    private let mailbox: StageMailbox
    private let clock: any PipelineClock
    private let requestedAt: Nanos
    private let logger: Logger
    private let state = Mutex(State())
    /// Told how the response ended, and whether this stream was holding `endOfStream` (called
    /// under this stream's lock: it must not call back into the stream). Returning true means
    /// the reply goes on (tool calls are being run): this stream then posts no `responseEnded`
    /// and hands its held end of stream over to the caller.
    private let onFinished: (@Sendable (Ending, _ heldEndOfStream: Bool) -> Bool)?

    init(settings: Settings, mailbox: StageMailbox, clock: any PipelineClock, logger: Logger,
         onFinished: (@Sendable (Ending, _ heldEndOfStream: Bool) -> Bool)? = nil) {
        self.settings = settings
        self.mailbox = mailbox
        self.clock = clock
        requestedAt = clock.now()
        self.logger = logger
        self.onFinished = onFinished
        if !settings.postsStart { state.withLock { $0.started = true } }
    }

    // MARK: Loop side

    func attach(_ task: URLSessionDataTask) {
        withState { $0.task = task }
        let deadline = DispatchTime.now() + .milliseconds(settings.firstByteTimeoutMS)
        DispatchQueue.global(qos: .userInitiated).asyncAfter(deadline: deadline) { [self] in firstByteDeadline() }
    }

    var outcome: Outcome { withState { $0.outcome } }

    /// Stops the response: cancels the HTTP request (closing the connection) and posts nothing
    /// more except, if downstream already saw it start, `responseEnded(finishReason: reason)`
    /// (dropped by the engine anyway when the cause is an interruption). Returns the text
    /// produced so far and how the response had ended (`.inFlight` if it was still running).
    @discardableResult
    func cancel(reason: String) -> (text: String, outcome: Outcome) {
        withState { s in
            let before = s.outcome
            if s.outcome == .inFlight {
                s.outcome = .cancelled
                s.cancelsTask = true
                if s.started { post(.llm(.responseEnded(responseID: settings.responseID, finishReason: reason))) }
                releaseEndOfStream(&s)
            }
            return (s.text, before)
        }
    }

    /// Called when `endOfStream` reaches the stage: true means "held; posted when this
    /// response is over", false means the response is already over (forward it now).
    func holdEndOfStream() -> Bool {
        withState { s in
            guard s.outcome == .inFlight else { return false }
            s.holdsEndOfStream = true
            return true
        }
    }

    // MARK: URLSession delegate side

    func received(_ data: Data, status: Int) {
        withState { s in
            guard s.outcome == .inFlight else { return }
            s.sawFirstByte = true
            s.status = status
            guard (200..<300).contains(status) else {
                // Keep enough of an error body to quote it; a provider's JSON error is small.
                if s.errorBody.count < 65_536 { s.errorBody.append(data.prefix(65_536 - s.errorBody.count)) }
                return
            }
            if s.bodyStart.count < 200 { s.bodyStart.append(data.prefix(200 - s.bodyStart.count)) }
            for event in s.parser.feed(data) {
                handle(event, &s)
                if s.outcome != .inFlight { return }
            }
        }
    }

    func completed(error: (any Error)?, status: Int) {
        withState { s in
            s.task = nil
            guard s.outcome == .inFlight else { return }
            if let error {
                let what = s.events == 0 && !s.sawFirstByte ? "request failed" : "stream dropped after \(s.events) events"
                return fail("\(what): \(Self.describe(error))", &s)
            }
            s.status = status
            guard (200..<300).contains(status) else {
                let detail = ProviderError.parse(s.errorBody)?.description
                    ?? Self.quote(String(decoding: s.errorBody, as: UTF8.self), empty: "empty body")
                return fail("HTTP \(status): \(detail)", &s)
            }
            if let event = s.parser.finish() {
                handle(event, &s)
                if s.outcome != .inFlight { return }
            }
            // Some compatible servers end with a finish_reason but no [DONE]; that is a complete reply.
            if let reason = s.finishReason { return finish(reason, &s) }
            var message = "stream ended after \(s.events) events without a finish_reason or [DONE]"
            if s.events == 0 {
                message += "; the body was not an event stream: "
                    + Self.quote(String(decoding: s.bodyStart, as: UTF8.self), empty: "empty body")
            }
            fail(message, &s)
        }
    }

    private func firstByteDeadline() {
        withState { s in
            guard s.outcome == .inFlight, !s.sawFirstByte else { return }
            fail("no first byte within \(settings.firstByteTimeoutMS) ms", &s)
        }
    }

    // MARK: Events (all under the lock)

    private func handle(_ event: String, _ s: inout State) {
        s.events += 1
        if event == "[DONE]" { return finish(s.finishReason ?? "stop", &s) }
        let chunk: ChatCompletionChunk
        do {
            chunk = try s.decoder.decode(ChatCompletionChunk.self, from: Data(event.utf8))
        } catch {
            return fail("malformed JSON in stream event \(s.events): \(Self.quote(event, empty: "empty event"))", &s)
        }
        if let error = chunk.error { return fail("provider error mid-stream: \(error.description)", &s) }
        // `n` is never set, so only choice 0 exists; a usage-only chunk has none.
        guard let choice = chunk.choices?.first(where: { ($0.index ?? 0) == 0 }) else { return }
        if let content = choice.delta?.content, !content.isEmpty {
            firstOutput(&s)
            s.text += content
            post(.llm(.textDelta(responseID: settings.responseID, text: content)))
            if settings.emitsSentences {
                for sentence in s.sentences.add(content) { post(.text(TextFrame(text: sentence, role: .agent, replyID: settings.responseID))) }
            }
        }
        if let calls = choice.delta?.toolCalls, !calls.isEmpty {
            firstOutput(&s)
            for call in calls { s.tools.add(call) }
        }
        if let reason = choice.finishReason { s.finishReason = reason }
    }

    /// The first token (text or tool call): the TTFT metric goes first so it is in the turn
    /// report before anything the reply causes downstream closes the turn.
    private func firstOutput(_ s: inout State) {
        if !s.reportedTTFT {
            s.reportedTTFT = true
            post(.control(.metric(StageMetric(stage: settings.stageName, name: "llm_ttft",
                                              nanoseconds: clock.now() - requestedAt))))
        }
        start(&s)
    }

    private func start(_ s: inout State) {
        guard !s.started else { return }
        s.started = true
        post(.llm(.responseStarted(responseID: settings.responseID)))
    }

    private func finish(_ reason: String, _ s: inout State) {
        start(&s)
        if settings.emitsSentences, let rest = s.sentences.finish() { post(.text(TextFrame(text: rest, role: .agent, replyID: settings.responseID))) }
        let calls = s.tools.finish()
        for call in calls { post(.llm(.toolCall(responseID: settings.responseID, call))) }
        s.outcome = .completed
        // Stop reading: anything after [DONE] is not ours (and a keep-alive connection stays usable).
        s.task = nil
        if let onFinished, onFinished(.completed(text: s.text, toolCalls: calls), s.holdsEndOfStream) {
            s.holdsEndOfStream = false
            return
        }
        post(.llm(.responseEnded(responseID: settings.responseID, finishReason: reason)))
        releaseEndOfStream(&s)
        logger.debug("llm response complete", metadata: ["response": "\(settings.responseID)", "finish": "\(reason)",
                                                          "chars": "\(s.text.count)"])
    }

    /// Reports the failure and closes the response, so downstream never waits on it.
    private func fail(_ message: String, _ s: inout State) {
        logger.warning("llm request failed", metadata: ["response": "\(settings.responseID)", "reason": "\(message)"])
        post(.control(.error(StageFailure(stage: settings.stageName, message: message, isFatal: false))))
        start(&s)
        post(.llm(.responseEnded(responseID: settings.responseID, finishReason: "error")))
        s.outcome = .failed
        s.cancelsTask = true
        releaseEndOfStream(&s)
        _ = onFinished?(.failed, false)
    }

    private func releaseEndOfStream(_ s: inout State) {
        if s.holdsEndOfStream {
            s.holdsEndOfStream = false
            post(.control(.endOfStream))
        }
    }

    /// Runs `body` under the lock, then cancels the task if `body` asked for it.
    private func withState<R>(_ body: (inout State) -> R) -> R {
        var result: R?
        let task: URLSessionDataTask? = state.withLock { s in
            result = body(&s)
            guard s.cancelsTask else { return nil }
            s.cancelsTask = false
            defer { s.task = nil }
            return s.task
        }
        task?.cancel()
        return result!
    }

    private func post(_ frame: Frame) { mailbox.post(frame, epoch: settings.epoch) }

    // MARK: Messages

    /// A provider line or body for a message: one line, at most 200 characters.
    static func quote(_ text: String, empty: String) -> String {
        let line = text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "⏎")
        guard !line.isEmpty else { return "(\(empty))" }
        return line.count > 200 ? "\"\(line.prefix(200))…\"" : "\"\(line)\""
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: return "timed out waiting for data"
            case .cannotConnectToHost: return "could not connect to \(e.failingURL?.host ?? "the server")"
            default: break
            }
        }
        return (error as NSError).localizedDescription
    }
}
