// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyProviderSupport
import ParleyWebSocket
import Synchronization

/// The provider side of `CartesiaTTSStage`: one WebSocket to Cartesia's `/tts/websocket`, kept
/// open across replies, with one speech context per reply.
///
/// ```
///   loop ─ send(.speak/.endReply/.interrupt/.endOfStream) ─► commands (in order) ─► actor
///   actor:   connect (prepared at start) ─► context per reply:
///              text₁+" " {continue: true} ─► {flush: true} ─► text₂+" " … ─► {"transcript": "", continue: false}
///   socket:  chunk(flush_id 1) … flush_done(1) chunk(flush_id 2) … done ─► SpeechOutput ─► mailbox
/// ```
///
/// - **Contexts** (https://docs.cartesia.ai/2024-11-13/api-reference/tts/working-with-web-sockets/contexts):
///   the sentences of one LLM reply go into one context with `continue: true`, so Sonic keeps
///   its prosody across them; the reply's end sends an empty transcript with `continue: false`.
///   A text outside any reply is a context of its own (`continue: false` at once).
/// - **Which audio is which text**: a manual flush after each text makes the audio of text *k*
///   carry `flush_id` *k* and be followed by `flush_done` *k* ("Context Flushing and Flush IDs"),
///   so every text gets its own agentStarted/StoppedSpeaking and its `TextFrame` right before
///   its audio (see `SpeechOutput`).
/// - **Interruption**: `{"context_id", "cancel": true}` for every context in flight; whatever
///   of theirs still arrives is ignored (and the engine drops it by epoch anyway).
/// - **Failures** (connect refused, an `error` message, malformed JSON, the socket ending with
///   texts unspoken, no audio within `firstByteTimeout`) are one non-fatal `StageFailure` per
///   reply; the next reply reconnects if needed.
///
/// Commands arrive through an `AsyncStream` and are handled one at a time in order, so a text
/// is never sent before the texts queued ahead of it, even while a connect is under way.
/// Socket messages are handled on the same actor as they arrive.
actor CartesiaTTSClient {
    struct Settings: Sendable {
        var stageName: String
        var configuration: CartesiaTTSStage.Configuration
        /// `{base_url}/tts/websocket`.
        var url: String
    }

    enum Command: Sendable {
        /// Speak a text; `continuesReply`: it belongs to an LLM reply still being written.
        case speak(SpeechRequest, continuesReply: Bool)
        /// The LLM reply whose texts were being continued is over.
        case endReply
        /// An interruption reached the stage: cancel every context in flight.
        case interrupt
        /// Post `endOfStream` once every queued text has been spoken.
        case endOfStream
        case shutDown
    }

    /// One speech context (one reply).
    private struct SpeechContext {
        let id: String
        /// The texts sent on it, in order; `items[..<completed]` have all their audio.
        var items: [SpeechOutput.Item] = []
        var completed = 0
        /// The flush id of the first text (documented as 1; a server counting from 0 is accepted).
        var flushBase: Int?
        /// `continue: false` was sent: no more inputs.
        var inputClosed = false
        var lastAudio: ContinuousClock.Instant?

        var isSpeaking: Bool { completed < items.count }
    }

    /// A connection made ahead of time, and when the attempt started.
    private struct Prepared {
        var attempt: Task<Result<WebSocketConnection, WebSocketError>, Never>
        var startedAt: ContinuousClock.Instant
    }

    /// A context whose audio is all spoken may expire on Cartesia's side 1 s after its last
    /// audio (contexts guide); a text arriving later than this starts a new context instead.
    static let contextReuseWindow: Duration = .milliseconds(600)
    /// A connect attempt made ahead of time that failed longer ago than this is retried rather
    /// than reported: the provider may have recovered since.
    static let staleFailure: Duration = .seconds(5)

    nonisolated let settings: Settings
    private nonisolated let commands: AsyncStream<Command>
    private nonisolated let commandInput: AsyncStream<Command>.Continuation
    /// Requests with an older epoch were cut by an interruption the loop has already seen.
    private nonisolated let currentEpoch = Atomic<UInt64>(0)
    private let mailbox: StageMailbox
    private let clock: any PipelineClock
    private let log: SharedLogger
    private let output: SpeechOutput
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    private var connection: WebSocketConnection?
    /// Bumped per connection, so messages and the close of an older socket are ignored.
    private var connectionSerial = 0
    private var prepared: Prepared?
    private var contexts: [String: SpeechContext] = [:]
    /// The context of the LLM reply still receiving texts.
    private var openContext: String?
    /// The open reply already failed (reported once): its remaining texts are dropped.
    private var openReplyFailed = false
    private var contextSerial = 0
    private let contextPrefix = "parley-" + String(UInt64.random(in: 0 ... UInt64.max), radix: 36)
    private var endOfStreamPending = false
    private var shuttingDown = false

    init(settings: Settings, mailbox: StageMailbox, clock: any PipelineClock, log: SharedLogger) {
        self.settings = settings
        self.mailbox = mailbox
        self.clock = clock
        self.log = log
        output = SpeechOutput(stageName: settings.stageName, sampleRate: settings.configuration.sampleRate,
                              mailbox: mailbox, clock: clock)
        (commands, commandInput) = AsyncStream.makeStream(of: Command.self)
    }

    // MARK: Loop side (nonisolated, never blocks)

    /// Starts handling commands (on the provider thread) and connects ahead of the first text.
    nonisolated func start() {
        Task(executorPreference: ProviderTaskExecutor.shared) { await self.run() }
    }

    nonisolated func send(_ command: Command) { commandInput.yield(command) }

    /// The loop saw an interruption (`epoch` is the stage's new epoch): texts from before it
    /// that are still queued are dropped at once, then every context in flight is cancelled.
    nonisolated func interrupt(epoch: UInt64) {
        currentEpoch.store(epoch, ordering: .relaxed)
        commandInput.yield(.interrupt)
    }

    // MARK: Commands

    private func run() async {
        prepareConnection()
        for await command in commands {
            switch command {
            case .speak(let request, let continues): await speak(request, continuesReply: continues)
            case .endReply: endReply()
            case .interrupt: interrupt()
            case .endOfStream:
                endOfStreamPending = true
                checkEndOfStream()
            case .shutDown:
                shutDown()
                return
            }
        }
    }

    private func isStale(_ request: SpeechRequest) -> Bool {
        request.epoch < currentEpoch.load(ordering: .relaxed)
    }

    private func speak(_ request: SpeechRequest, continuesReply: Bool) async {
        guard !isStale(request) else { return }
        if continuesReply && openReplyFailed { return }
        let socket: WebSocketConnection
        switch await connected() {
        case .success(let s): socket = s
        case .failure(let failure):
            guard !isStale(request) else { return }
            report(failure.message)
            if continuesReply { openReplyFailed = true }
            return
        }
        // An interruption may have been seen while connecting.
        guard !isStale(request) else { return }

        let id: String
        if continuesReply, let open = openContext, let context = contexts[open], isReusable(context) {
            id = open
        } else {
            contextSerial += 1
            id = "\(contextPrefix)-\(contextSerial)"
            contexts[id] = SpeechContext(id: id)
            if continuesReply {
                if let open = openContext { abandon(open) }
                openContext = id
            }
        }
        let item = output.enqueue(request)
        contexts[id]?.items.append(item)
        let text = request.text.text
        var messages: [CartesiaGenerationRequest] = []
        if continuesReply {
            // Inputs are concatenated verbatim, so the space between sentences is ours to send.
            messages.append(generation(id, transcript: text + " ", continues: true))
            messages.append(generation(id, transcript: "", continues: true, flush: true))
        } else {
            messages.append(generation(id, transcript: text, continues: false))
            contexts[id]?.inputClosed = true
        }
        do {
            for m in messages { try socket.send(.text(String(decoding: try encoder.encode(m), as: UTF8.self))) }
        } catch {
            fail(context: id, "could not send the text: \(error)", cancelOnServer: false)
            return
        }
        log.logger.debug("tts text sent", metadata: ["context": "\(id)", "characters": "\(text.count)",
                                                    "continues": "\(continuesReply)"])
        armFirstByteDeadline(context: id)
    }

    /// Whether a context can take another text: Cartesia expires a context 1 s after its last
    /// audio, so one that has been quiet for a while gets no new input.
    private func isReusable(_ context: SpeechContext) -> Bool {
        guard !context.inputClosed else { return false }
        if context.isSpeaking { return true }
        guard let last = context.lastAudio else { return true }
        return ContinuousClock.now - last < Self.contextReuseWindow
    }

    /// Forgets a context whose texts are all spoken without closing it (it may have expired
    /// on the server already, where a late input would be an error); its messages are ignored.
    private func abandon(_ id: String) {
        guard let context = contexts[id], !context.isSpeaking else { return }
        contexts[id] = nil
    }

    private func endReply() {
        defer {
            openContext = nil
            openReplyFailed = false
        }
        guard let id = openContext, var context = contexts[id], let socket = connection else { return }
        context.inputClosed = true
        contexts[id] = context
        let last = generation(id, transcript: "", continues: false)
        do {
            try socket.send(.text(String(decoding: try encoder.encode(last), as: UTF8.self)))
        } catch {
            if context.isSpeaking { fail(context: id, "could not end the reply: \(error)", cancelOnServer: false) }
        }
        if !context.isSpeaking { contexts[id] = nil }
    }

    private func interrupt() {
        for (id, context) in contexts where context.isSpeaking || !context.inputClosed {
            sendCancel(id)
        }
        contexts.removeAll()
        openContext = nil
        openReplyFailed = false
        output.cancelAll()
        checkEndOfStream()
    }

    private func shutDown() {
        shuttingDown = true
        connection?.close()
        connection = nil
        prepared?.attempt.cancel()
        prepared = nil
        contexts.removeAll()
        output.cancelAll()
        commandInput.finish()
    }

    // MARK: Connection

    private var request: WebSocketRequest {
        var r = WebSocketRequest(url: settings.url, headers: [
            ("X-API-Key", settings.configuration.apiKey),
            ("Cartesia-Version", settings.configuration.apiVersion),
        ])
        r.connectTimeout = .seconds(10)
        return r
    }

    /// Starts connecting now, so the first text doesn't wait for TCP, TLS and the upgrade.
    private func prepareConnection() {
        guard connection == nil, prepared == nil else { return }
        let request = request
        prepared = Prepared(attempt: Task(executorPreference: ProviderTaskExecutor.shared) { await Self.connect(request) },
                            startedAt: .now)
    }

    /// The open connection, connecting if there is none; the failure text otherwise.
    private func connected() async -> Result<WebSocketConnection, ConnectFailure> {
        if let socket = connection, socket.closeInfo == nil { return .success(socket) }
        connection = nil
        var outcome: Result<WebSocketConnection, WebSocketError>?
        if let ahead = prepared {
            prepared = nil
            let result = await ahead.attempt.value
            if case .failure = result, ContinuousClock.now - ahead.startedAt > Self.staleFailure {
                outcome = nil
            } else {
                outcome = result
            }
        }
        if outcome == nil {
            outcome = await Self.connect(request)
        }
        switch outcome! {
        case .success(let socket):
            if let current = connection, current.closeInfo == nil {
                // Another command connected meanwhile; keep one socket.
                socket.close()
                return .success(current)
            }
            adopt(socket)
            return .success(socket)
        case .failure(let error):
            return .failure(ConnectFailure(message: "could not connect to \(Self.withoutQuery(settings.url)): \(error)"))
        }
    }

    private static func connect(_ request: WebSocketRequest) async -> Result<WebSocketConnection, WebSocketError> {
        do throws(WebSocketError) {
            return .success(try await WebSocketConnection.connect(request))
        } catch {
            return .failure(error)
        }
    }

    /// The endpoint without its query: a proxy's query may carry a credential, and the
    /// path says enough about where the connection went.
    static func withoutQuery(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    private struct ConnectFailure: Error {
        var message: String
    }

    private func adopt(_ socket: WebSocketConnection) {
        connectionSerial += 1
        let serial = connectionSerial
        connection = socket
        log.logger.debug("tts connected", metadata: ["url": "\(Self.withoutQuery(settings.url))"])
        Task(executorPreference: ProviderTaskExecutor.shared) {
            for await message in socket.messages { await self.received(message, serial: serial) }
            await self.closed(socket.closeInfo, serial: serial)
        }
    }

    // MARK: Socket messages

    private func received(_ message: WebSocketMessage, serial: Int) {
        guard serial == connectionSerial else { return }
        guard case .text(let text) = message else {
            log.logger.debug("tts provider sent a binary message; ignored")
            return
        }
        let response: CartesiaResponse
        do {
            response = try decoder.decode(CartesiaResponse.self, from: Data(text.utf8))
        } catch {
            failEverything("sent malformed JSON: \(ProviderMessage.quote(text))")
            connection?.close(code: 1002, reason: "malformed message")
            connection = nil
            return
        }
        guard let id = response.contextID, contexts[id] != nil else {
            if response.type == "error" || (response.type == nil && response.error != nil), response.contextID == nil {
                failEverything("error: \(errorText(response))")
            }
            return
        }
        switch response.type {
        case "chunk": chunk(response, context: id)
        case "flush_done":
            if let flush = response.flushID { complete(context: id, through: index(of: flush, in: id)) }
        case "done":
            complete(context: id, through: (contexts[id]?.items.count ?? 0) - 1)
            contexts[id] = nil
            if openContext == id { openContext = nil }
        case "error":
            fail(context: id, "error for a text: \(errorText(response))", cancelOnServer: false)
        default:
            // timestamps, phoneme_timestamps, and whatever later versions add.
            if response.error != nil && response.done == true {
                fail(context: id, "error for a text: \(errorText(response))", cancelOnServer: false)
            }
        }
        checkEndOfStream()
    }

    private func errorText(_ r: CartesiaResponse) -> String {
        let detail = ProviderMessage.redacting(r.error ?? "(no message)", secret: settings.configuration.apiKey)
        return r.statusCode.map { "status \($0): \(detail)" } ?? detail
    }

    /// The position of the text whose audio carries `flushID` in context `id`.
    private func index(of flushID: Int, in id: String) -> Int {
        if contexts[id]?.flushBase == nil { contexts[id]?.flushBase = min(flushID, 1) }
        return flushID - (contexts[id]?.flushBase ?? 1)
    }

    private func chunk(_ response: CartesiaResponse, context id: String) {
        guard let base64 = response.data, let pcm = Data(base64Encoded: base64) else {
            fail(context: id, "sent an audio chunk that is not base64: \(ProviderMessage.quote(response.data ?? ""))",
                 cancelOnServer: true)
            return
        }
        guard var context = contexts[id] else { return }
        let position = response.flushID.map { index(of: $0, in: id) } ?? context.completed
        guard position >= context.completed, position < context.items.count else {
            log.logger.debug("tts audio for no known text", metadata: ["flush_id": "\(response.flushID ?? -1)"])
            return
        }
        if position > context.completed { complete(context: id, through: position - 1) }
        context = contexts[id] ?? context
        context.lastAudio = .now
        contexts[id] = context
        pcm.withUnsafeBytes { output.append(context.items[position], pcm: $0) }
    }

    /// Texts up to `last` of context `id` have all their audio.
    private func complete(context id: String, through last: Int) {
        guard var context = contexts[id], last >= context.completed else { return }
        let end = min(last, context.items.count - 1)
        guard end >= context.completed else { return }
        for i in context.completed ... end { output.finish(context.items[i]) }
        context.completed = end + 1
        context.lastAudio = .now
        contexts[id] = context
        armFirstByteDeadline(context: id)
    }

    private func closed(_ info: WebSocketCloseInfo?, serial: Int) {
        guard serial == connectionSerial else { return }
        connection = nil
        let unspoken = contexts.values.reduce(0) { $0 + ($1.items.count - $1.completed) }
        if unspoken > 0 {
            // No close code: the connection went away without a close handshake.
            let how = info?.code == nil ? "dropped" : "closed"
            failEverything("connection \(how) (\(info.map { "\($0)" } ?? "no close information")) "
                           + "with \(unspoken) text\(unspoken == 1 ? "" : "s") not spoken")
        } else {
            contexts.removeAll()
            if openContext != nil { openContext = nil }
        }
        // Cartesia closes idle sockets after a while; have the next one ready before it is needed.
        if !shuttingDown { prepareConnection() }
        checkEndOfStream()
    }

    // MARK: Deadlines

    /// Each context's oldest unspoken text must get audio within the first-byte timeout (later
    /// texts of a context can't get audio before the ones ahead of them are done).
    private func armFirstByteDeadline(context id: String) {
        guard let context = contexts[id], context.completed < context.items.count else { return }
        let item = context.items[context.completed]
        guard !output.hasAudio(item) else { return }
        let timeout = settings.configuration.firstByteTimeoutMS
        Task(executorPreference: ProviderTaskExecutor.shared) {
            try? await Task.sleep(for: .milliseconds(timeout))
            await self.firstByteDeadline(item, context: id)
        }
    }

    private func firstByteDeadline(_ item: SpeechOutput.Item, context id: String) {
        guard let context = contexts[id], context.completed < context.items.count,
              context.items[context.completed] == item, output.contains(item), !output.hasAudio(item) else { return }
        fail(context: id, "no audio within \(settings.configuration.firstByteTimeoutMS) ms of the text",
             cancelOnServer: true)
        checkEndOfStream()
    }

    // MARK: Failures and end of stream

    /// Reports one failure for context `id` and drops its unspoken texts.
    private func fail(context id: String, _ message: String, cancelOnServer: Bool) {
        guard let context = contexts[id] else { return }
        report(message)
        if cancelOnServer { sendCancel(id) }
        for item in context.items[context.completed...] { output.cancel(item) }
        contexts[id] = nil
        if openContext == id {
            openContext = nil
            openReplyFailed = true
        }
    }

    /// One failure for everything in flight (the socket is unusable).
    private func failEverything(_ message: String) {
        let speaking = contexts.values.contains { $0.isSpeaking }
        if speaking || !contexts.isEmpty { report(message) }
        for context in contexts.values {
            for item in context.items[context.completed...] { output.cancel(item) }
        }
        contexts.removeAll()
        if openContext != nil {
            openContext = nil
            openReplyFailed = true
        }
    }

    private func report(_ message: String) {
        let text = "Cartesia: " + ProviderMessage.redacting(message, secret: settings.configuration.apiKey)
        log.logger.warning("tts failure", metadata: ["reason": "\(text)"])
        mailbox.post(.control(.error(StageFailure(stage: settings.stageName, message: text, isFatal: false))))
    }

    private func sendCancel(_ id: String) {
        guard let socket = connection else { return }
        if let body = try? encoder.encode(CartesiaCancelRequest(contextID: id)) {
            try? socket.send(.text(String(decoding: body, as: UTF8.self)))
        }
    }

    private func checkEndOfStream() {
        guard endOfStreamPending, output.isIdle else { return }
        endOfStreamPending = false
        mailbox.post(.control(.endOfStream))
    }

    private func generation(_ id: String, transcript: String, continues: Bool, flush: Bool? = nil)
        -> CartesiaGenerationRequest {
        let c = settings.configuration
        return CartesiaGenerationRequest(
            modelID: c.model, transcript: transcript, voice: .init(id: c.voiceID), language: c.language,
            contextID: id, outputFormat: .init(sampleRate: c.sampleRate), continues: continues, flush: flush)
    }
}
