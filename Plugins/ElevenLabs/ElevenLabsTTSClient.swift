// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyProviderSupport
import ParleyWebSocket
import Synchronization

/// The provider side of `ElevenLabsTTSStage`: one input-streaming WebSocket per reply, with the
/// next one connected ahead of time.
///
/// ```
///   loop ─ send(.speak/.endReply/.interrupt/.endOfStream) ─► commands (in order) ─► actor
///   actor, per reply:  socket (connected ahead) ─► {"text": " ", voice_settings}
///                      ─► {"text": "Hello there. ", "flush": true} ─► … ─► {"text": ""}
///   socket:            {"audio", "alignment"} … {"isFinal": true}, close ─► SpeechOutput ─► mailbox
/// ```
///
/// - **One stream per reply** (stream-input: the socket is the utterance): the sentences of one
///   LLM reply go into one stream, so the voice keeps its prosody across them; the reply's end
///   sends `{"text": ""}`. A text outside any reply is a stream of its own. Each sentence is sent
///   with `flush: true`, so it is voiced as soon as it arrives rather than when the provider's
///   buffer fills (its chunk schedule starts at 120 characters); `auto_mode` does the same.
/// - **Which audio is which text**: from each chunk's character `alignment` (see
///   `AlignmentCursor`), so every text gets its own agentStarted/StoppedSpeaking and its
///   `TextFrame` right before its audio (see `SpeechOutput`).
/// - **Connecting ahead**: a new socket costs a TCP, TLS and upgrade round trip per reply, so
///   the socket for the next reply is opened as soon as the current one is taken (kept open by
///   `inactivity_timeout`); a socket that died waiting is replaced silently.
/// - **Interruption**: the reply's socket is closed at once; what was still on its way is
///   never read (and the engine drops it by epoch anyway).
/// - **Failures** (upgrade refused, an error message, malformed JSON, the socket ending before
///   `isFinal`, no audio within the first-byte timeout) are one non-fatal `StageFailure` per
///   reply; the next reply uses a new socket.
actor ElevenLabsTTSClient {
    struct Settings: Sendable {
        var stageName: String
        var configuration: ElevenLabsTTSStage.Configuration
        /// `{base_url}/v1/text-to-speech/{voice}/stream-input?…`
        var url: String
    }

    enum Command: Sendable {
        case speak(SpeechRequest, continuesReply: Bool)
        case endReply
        case interrupt
        case endOfStream
        case shutDown
    }

    /// One reply's stream.
    private struct Reply {
        let serial: Int
        let socket: WebSocketConnection
        var items: [SpeechOutput.Item] = []
        var cursor = AlignmentCursor()
        /// `items[..<completed]` have all their audio.
        var completed = 0
        /// Milliseconds of audio received so far (for alignment times counted from the start).
        var audioMs: Double = 0
        var inputEnded = false
        var finalReceived = false

        var isSpeaking: Bool { completed < items.count }
    }

    private struct Prepared {
        var attempt: Task<Result<WebSocketConnection, WebSocketError>, Never>
        var startedAt: ContinuousClock.Instant
    }

    /// A connect made ahead that failed longer ago than this is retried rather than reported.
    static let staleFailure: Duration = .seconds(5)

    nonisolated let settings: Settings
    private nonisolated let commands: AsyncStream<Command>
    private nonisolated let commandInput: AsyncStream<Command>.Continuation
    private nonisolated let currentEpoch = Atomic<UInt64>(0)
    private let mailbox: StageMailbox
    private let log: SharedLogger
    private let output: SpeechOutput
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    private var prepared: Prepared?
    private var replies: [Int: Reply] = [:]
    private var replySerial = 0
    private var openReply: Int?
    private var openReplyFailed = false
    private var endOfStreamPending = false

    init(settings: Settings, mailbox: StageMailbox, clock: any PipelineClock, log: SharedLogger) {
        self.settings = settings
        self.mailbox = mailbox
        self.log = log
        output = SpeechOutput(stageName: settings.stageName, sampleRate: settings.configuration.sampleRate,
                              mailbox: mailbox, clock: clock)
        (commands, commandInput) = AsyncStream.makeStream(of: Command.self)
    }

    // MARK: Loop side (nonisolated, never blocks)

    /// Starts handling commands (on the provider thread) and connects ahead of the first reply.
    nonisolated func start() {
        Task(executorPreference: ProviderTaskExecutor.shared) { await self.run() }
    }

    nonisolated func send(_ command: Command) { commandInput.yield(command) }

    nonisolated func interrupt(epoch: UInt64) {
        currentEpoch.store(epoch, ordering: .relaxed)
        commandInput.yield(.interrupt)
    }

    // MARK: Commands

    private func run() async {
        if settings.configuration.connectAhead { prepareConnection() }
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
        let serial: Int
        if continuesReply, let open = openReply, replies[open] != nil {
            serial = open
        } else {
            if let open = openReply { endReply(open) }
            switch await newStream() {
            case .success(let s): serial = s
            case .failure(let failure):
                guard !isStale(request) else { return }
                report(failure.message)
                if continuesReply { openReplyFailed = true }
                return
            }
            if continuesReply { openReply = serial }
        }
        guard !isStale(request), var reply = replies[serial] else { return }
        let item = output.enqueue(request)
        reply.items.append(item)
        reply.cursor.add(request.text.text)
        replies[serial] = reply
        // "The text should always end with a single space"; flush: voice it now.
        send(ElevenLabsTextMessage(text: request.text.text + " ", flush: true), on: serial)
        log.logger.debug("tts text sent", metadata: ["stream": "\(serial)", "characters": "\(request.text.text.count)",
                                                    "continues": "\(continuesReply)"])
        if !continuesReply { endReply(serial) }
        armFirstByteDeadline(serial)
    }

    private func endReply() {
        if let open = openReply { endReply(open) }
        openReply = nil
        openReplyFailed = false
    }

    /// Ends the input of stream `serial`: the server sends the rest of the audio, then isFinal.
    private func endReply(_ serial: Int) {
        if openReply == serial { openReply = nil }
        guard var reply = replies[serial], !reply.inputEnded else { return }
        reply.inputEnded = true
        replies[serial] = reply
        send(ElevenLabsTextMessage(text: ""), on: serial)
    }

    private func interrupt() {
        for reply in replies.values { reply.socket.close() }
        replies.removeAll()
        openReply = nil
        openReplyFailed = false
        output.cancelAll()
        checkEndOfStream()
    }

    private func shutDown() {
        for reply in replies.values { reply.socket.close() }
        replies.removeAll()
        prepared?.attempt.cancel()
        prepared = nil
        output.cancelAll()
        commandInput.finish()
    }

    private func send(_ message: some Encodable, on serial: Int) {
        guard let reply = replies[serial] else { return }
        do {
            try reply.socket.send(.text(String(decoding: try encoder.encode(message), as: UTF8.self)))
        } catch {
            fail(serial, "could not send: \(error)")
        }
    }

    // MARK: Streams

    private var request: WebSocketRequest {
        var r = WebSocketRequest(url: settings.url, headers: [("xi-api-key", settings.configuration.apiKey)])
        r.connectTimeout = .seconds(10)
        return r
    }

    private static func connect(_ request: WebSocketRequest) async -> Result<WebSocketConnection, WebSocketError> {
        do throws(WebSocketError) {
            return .success(try await WebSocketConnection.connect(request))
        } catch {
            return .failure(error)
        }
    }

    private func prepareConnection() {
        guard prepared == nil else { return }
        let request = request
        prepared = Prepared(attempt: Task(executorPreference: ProviderTaskExecutor.shared) { await Self.connect(request) },
                            startedAt: .now)
    }

    private struct ConnectFailure: Error {
        var message: String
    }

    /// Opens the stream for a new reply (on the socket connected ahead, if it is still good)
    /// and sends its first message.
    private func newStream() async -> Result<Int, ConnectFailure> {
        var outcome: Result<WebSocketConnection, WebSocketError>?
        if let ahead = prepared {
            prepared = nil
            let result = await ahead.attempt.value
            switch result {
            case .success(let socket) where socket.closeInfo != nil:
                // Closed while waiting (the provider's inactivity timeout): not an error.
                outcome = nil
            case .failure where ContinuousClock.now - ahead.startedAt > Self.staleFailure:
                outcome = nil
            default:
                outcome = result
            }
        }
        if outcome == nil { outcome = await Self.connect(request) }
        if settings.configuration.connectAhead { prepareConnection() }
        let socket: WebSocketConnection
        switch outcome! {
        case .success(let s): socket = s
        case .failure(let error):
            return .failure(ConnectFailure(message: "could not connect to \(Self.redactedURL(settings.url)): \(error)"))
        }
        let c = settings.configuration
        let voice = ElevenLabsInitialMessage.VoiceSettings(stability: c.stability, similarityBoost: c.similarityBoost,
                                                           style: c.style, speed: c.speed)
        do {
            let first = try encoder.encode(ElevenLabsInitialMessage(voiceSettings: voice.isEmpty ? nil : voice))
            try socket.send(.text(String(decoding: first, as: UTF8.self)))
        } catch {
            socket.close()
            return .failure(ConnectFailure(message: "could not start the stream: \(error)"))
        }
        replySerial += 1
        let serial = replySerial
        replies[serial] = Reply(serial: serial, socket: socket)
        log.logger.debug("tts stream opened", metadata: ["url": "\(Self.redactedURL(settings.url))", "stream": "\(serial)"])
        Task(executorPreference: ProviderTaskExecutor.shared) {
            for await message in socket.messages { await self.received(message, stream: serial) }
            await self.closed(socket.closeInfo, stream: serial)
        }
        return .success(serial)
    }

    /// The endpoint without its query (no key is in it, but keep messages short).
    private static func redactedURL(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    // MARK: Socket messages

    private func received(_ message: WebSocketMessage, stream serial: Int) {
        guard replies[serial] != nil else { return }
        guard case .text(let text) = message else { return }
        let response: ElevenLabsResponse
        do {
            response = try decoder.decode(ElevenLabsResponse.self, from: Data(text.utf8))
        } catch {
            fail(serial, "sent malformed JSON: \(ProviderMessage.quote(text))")
            return
        }
        if let audio = response.audio, !audio.isEmpty {
            guard let pcm = Data(base64Encoded: audio) else {
                fail(serial, "sent audio that is not base64: \(ProviderMessage.quote(audio))")
                return
            }
            voice(pcm, alignment: response.alignment, stream: serial)
        } else if response.error != nil || (response.message != nil && response.isFinal != true) {
            let detail = [response.error, response.message].compactMap { $0 }.joined(separator: ": ")
            fail(serial, "error: \(ProviderMessage.redacting(detail, secret: settings.configuration.apiKey))"
                 + (response.code.map { " (code \($0))" } ?? ""))
            return
        }
        if response.isFinal == true, var reply = replies[serial] {
            reply.finalReceived = true
            replies[serial] = reply
            complete(serial, through: reply.items.count - 1)
        }
        checkEndOfStream()
    }

    /// Hands a chunk's audio to the texts it belongs to.
    private func voice(_ pcm: Data, alignment: ElevenLabsResponse.Alignment?, stream serial: Int) {
        guard var reply = replies[serial], reply.isSpeaking else { return }
        let rate = settings.configuration.sampleRate
        let samples = pcm.count / 2
        var pieces = [(index: reply.completed, from: 0)]
        if let a = alignment, !a.chars.isEmpty {
            pieces = reply.cursor.split(chars: a.chars, startsMs: a.charStartTimesMs, samples: samples,
                                        sampleRate: rate, chunkStartMs: reply.audioMs)
        }
        reply.audioMs += Double(samples) * 1000 / Double(rate)
        replies[serial] = reply
        for (n, piece) in pieces.enumerated() {
            let index = min(max(piece.index, reply.completed), reply.items.count - 1)
            if index > reply.completed { complete(serial, through: index - 1) }
            guard let current = replies[serial] else { return }
            reply = current
            let end = n + 1 < pieces.count ? pieces[n + 1].from : samples
            guard end > piece.from else { continue }
            pcm.withUnsafeBytes { bytes in
                output.append(reply.items[index], pcm: UnsafeRawBufferPointer(rebasing: bytes[(piece.from * 2)..<(end * 2)]))
            }
        }
    }

    private func complete(_ serial: Int, through last: Int) {
        guard var reply = replies[serial], last >= reply.completed else { return }
        let end = min(last, reply.items.count - 1)
        guard end >= reply.completed else { return }
        for i in reply.completed ... end { output.finish(reply.items[i]) }
        reply.completed = end + 1
        replies[serial] = reply
        armFirstByteDeadline(serial)
    }

    private func closed(_ info: WebSocketCloseInfo?, stream serial: Int) {
        guard let reply = replies[serial] else { return }
        if reply.isSpeaking {
            let unspoken = reply.items.count - reply.completed
            // No close code: the connection went away without a close handshake.
            let how = info?.code == nil ? "dropped" : "closed"
            fail(serial, "connection \(how) (\(info.map { "\($0)" } ?? "no close information")) "
                 + "with \(unspoken) text\(unspoken == 1 ? "" : "s") not spoken")
        } else if reply.inputEnded {
            replies[serial] = nil
        } else {
            // Spoken so far, but the reply's next text has nowhere to go: start a new stream then.
            replies[serial] = nil
            if openReply == serial { openReply = nil }
        }
        checkEndOfStream()
    }

    // MARK: Deadlines, failures, end of stream

    private func armFirstByteDeadline(_ serial: Int) {
        guard let reply = replies[serial], reply.isSpeaking else { return }
        let item = reply.items[reply.completed]
        guard !output.hasAudio(item) else { return }
        let timeout = settings.configuration.firstByteTimeoutMS
        Task(executorPreference: ProviderTaskExecutor.shared) {
            try? await Task.sleep(for: .milliseconds(timeout))
            await self.firstByteDeadline(item, stream: serial)
        }
    }

    private func firstByteDeadline(_ item: SpeechOutput.Item, stream serial: Int) {
        guard let reply = replies[serial], reply.isSpeaking, reply.items[reply.completed] == item,
              !output.hasAudio(item) else { return }
        fail(serial, "no audio within \(settings.configuration.firstByteTimeoutMS) ms of the text")
        checkEndOfStream()
    }

    /// Reports one failure for stream `serial`, drops its unspoken texts and closes it.
    private func fail(_ serial: Int, _ message: String) {
        guard let reply = replies[serial] else { return }
        report(message)
        for item in reply.items[reply.completed...] { output.cancel(item) }
        reply.socket.close()
        replies[serial] = nil
        if openReply == serial {
            openReply = nil
            openReplyFailed = true
        }
    }

    private func report(_ message: String) {
        let text = "ElevenLabs: " + ProviderMessage.redacting(message, secret: settings.configuration.apiKey)
        log.logger.warning("tts failure", metadata: ["reason": "\(text)"])
        mailbox.post(.control(.error(StageFailure(stage: settings.stageName, message: text, isFatal: false))))
    }

    private func checkEndOfStream() {
        guard endOfStreamPending, output.isIdle else { return }
        endOfStreamPending = false
        mailbox.post(.control(.endOfStream))
    }
}
