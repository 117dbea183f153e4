// SPDX-License-Identifier: Apache-2.0

import Logging
import ParleyCore
import ParleyWebSocket
import Synchronization

/// One WebSocket connection to a streaming STT provider, from the upgrade to the close.
///
/// ```
///   loop (StreamingSTTStage):  uplink.write(frame)  finalize()  keepAlive()  finishStream()  abandon()
///                                    │                  │            │             │
///   session task:  connect ──► sender task:  uplink.next() ──► socket.send   (audio, Finalize, KeepAlive, CloseStream)
///                         └──► receive loop: socket.messages ─► decoder ─► assembler ─► mailbox.post(metric, transcript)
///                              socket ended ─► clean end, or one StageFailure ─► release the held endOfStream
/// ```
///
/// All state sits behind one mutex, and results are posted while holding it: once `abandon`
/// returns on the loop nothing more is posted, and a held `endOfStream` is posted exactly once,
/// after every result (by the receive loop at the close, or by `abandon`). User transcripts are
/// posted without an interruption epoch: an interruption never drops what the user said.
///
/// Lock order: this session's state, then the uplink's (never the reverse).
final class StreamingSTTSession: Sendable {
    struct Setup: Sendable {
        var stageName: String
        /// Counts the stage's connections; part of the segment ids.
        var number: Int
        var provider: any StreamingSTTProvider
        var connectTimeoutMS: Int
        var mailbox: StageMailbox
        var clock: any PipelineClock
        var logger: Logger
    }

    private enum Phase {
        case connecting
        case streaming
        case ended
    }

    private struct State {
        var phase = Phase.connecting
        var socket: WebSocketConnection?
        var task: Task<Void, Never>?
        var decoder: any StreamingSTTDecoder
        var assembler: TranscriptAssembler
        var failed = false
        var endOfStreamRequested = false
        var holdsEndOfStream = false
        /// The provider sent its last message (Metadata, Termination).
        var providerFinished = false
        /// Pipeline clock time of the `userStoppedSpeaking` the next final answers (stt_final).
        var stoppedAt: Nanos?
        /// A finalize request waits for its final (any final answers it).
        var finalizePending = false
        var transcripts = 0
    }

    let setup: Setup
    let uplink: AudioUplink
    private let state: Mutex<State>
    private var provider: any StreamingSTTProvider { setup.provider }

    init(setup: Setup, sampleRate: Int) {
        self.setup = setup
        uplink = AudioUplink(chunking: setup.provider.chunking, sampleRate: sampleRate, clock: setup.clock)
        state = Mutex(State(decoder: setup.provider.makeDecoder(),
                            assembler: TranscriptAssembler(stageName: setup.stageName, connection: setup.number,
                                                           language: setup.provider.language)))
    }

    /// Opens the connection (off the loop, on the `ProviderIOExecutor`; returns at once). The
    /// stage's loop timer enforces the connect timeout (`connectTimedOut`); the socket's own is
    /// only a backstop.
    func start() {
        var request = provider.makeRequest()
        request.connectTimeout = .milliseconds(setup.connectTimeoutMS + 5_000)
        let task = Task(executorPreference: ProviderIOExecutor.shared) { [self] in await run(request) }
        state.withLock { $0.task = task }
    }

    // MARK: Loop side

    var isEnded: Bool { state.withLock { $0.phase == .ended } }
    var isConnecting: Bool { state.withLock { $0.phase == .connecting } }
    /// Ended with a failure (connect, drop, malformed message, provider error).
    var failed: Bool { state.withLock { $0.failed } }
    var transcriptCount: Int { state.withLock { $0.transcripts } }

    /// A new utterance began: a pending `stt_final` measurement belongs to the one before.
    func speechStarted() {
        state.withLock { $0.stoppedAt = nil }
    }

    /// Asks the provider to transcribe what it has now; a final answers it (`finalizeTimedOut`
    /// makes sure of that). `stoppedAt`: the pipeline clock time of the `userStoppedSpeaking`
    /// this answers, for the `stt_final` metric.
    func finalize(stoppedAt: Nanos?) {
        let open = state.withLock { s -> Bool in
            guard s.phase != .ended else { return false }
            if let stoppedAt { s.stoppedAt = stoppedAt }
            s.finalizePending = true
            return true
        }
        if open { uplink.send(provider.finalizeMessage, flushingAudio: true) }
    }

    /// The finalize timeout passed (the stage's timer) without a final: the provider had
    /// nothing left (AssemblyAI sends nothing when no turn is open), so an empty final answers.
    func finalizeTimedOut() {
        state.withLock { s in
            guard s.phase != .ended, s.finalizePending else { return }
            emitFinal(s.assembler.acknowledgement(clock: timeClock), audioEnd: nil, &s)
        }
    }

    func keepAlive() {
        if let message = provider.keepAliveMessage { uplink.send(message, flushingAudio: false) }
    }

    /// Sends the end-of-stream message after the last audio and takes over the `endOfStream`
    /// frame: it is posted once the provider delivered its last results and closed (or the
    /// connection failed, or `abandon` gave up). False when the connection already ended: the
    /// caller forwards `endOfStream` itself.
    func finishStream() -> Bool {
        let open = state.withLock { s -> Bool in
            guard s.phase != .ended else { return false }
            s.endOfStreamRequested = true
            s.holdsEndOfStream = true
            return true
        }
        guard open else { return false }
        // If the socket ended meanwhile, its end already released the held endOfStream.
        uplink.close(with: provider.endOfStreamMessage)
        return true
    }

    /// Whether `endOfStream` is still held (the close timeout checks it).
    var holdsEndOfStream: Bool { state.withLock { $0.holdsEndOfStream } }

    /// The connect timeout passed (the stage's timer): gives up on a connection not yet upgraded.
    func connectTimedOut() {
        guard isConnecting else { return }
        abandon(failure: STTFailureText.connectFailed(provider.displayName, .timeout, timeoutMS: setup.connectTimeoutMS))
    }

    /// Ends the connection now: closes the socket (or abandons the connect), posts nothing more
    /// except `failure` (if given) and a held `endOfStream`.
    func abandon(failure: String? = nil) {
        let (socket, task) = state.withLock { s -> (WebSocketConnection?, Task<Void, Never>?) in
            guard s.phase != .ended else { return (nil, nil) }
            if let failure { fail(failure, &s) }
            end(&s)
            return (s.socket, s.task)
        }
        uplink.finish()
        socket?.close(code: 1000, reason: "")
        task?.cancel()
    }

    // MARK: Connection task

    private func run(_ request: WebSocketRequest) async {
        let socket: WebSocketConnection
        do {
            socket = try await WebSocketConnection.connect(request)
        } catch {
            state.withLock { s in
                guard s.phase != .ended else { return }
                fail(STTFailureText.connectFailed(provider.displayName, error, timeoutMS: setup.connectTimeoutMS), &s)
                end(&s)
            }
            uplink.finish()
            return
        }
        let proceed = state.withLock { s -> Bool in
            guard s.phase == .connecting else { return false }
            s.socket = socket
            s.phase = .streaming
            return true
        }
        guard proceed else {
            socket.close(code: 1000, reason: "")
            return
        }
        setup.logger.debug("stt connected", metadata: ["provider": "\(provider.displayName)",
                                                       "connection": "\(setup.number)",
                                                       "endpoint": "\(Self.endpoint(request.url))"])
        let uplink = uplink
        let sender = Task(executorPreference: ProviderIOExecutor.shared) { await Self.send(from: uplink, to: socket) }
        for await message in socket.messages {
            switch message {
            case .text(let text):
                if receive(text) { socket.close(code: 1002, reason: "malformed message") }
            case .binary(let bytes):
                setup.logger.debug("stt provider sent a binary message; ignored", metadata: ["bytes": "\(bytes.count)"])
            }
        }
        uplink.finish()
        await sender.value
        ended(socket.closeInfo)
    }

    private static func send(from uplink: AudioUplink, to socket: WebSocketConnection) async {
        while let item = await uplink.next() {
            do {
                switch item {
                case .audio(let bytes): try socket.send(.binary(bytes))
                case .text(let text): try socket.send(.text(text))
                }
            } catch {
                return  // the socket ended; the receive loop reports why
            }
        }
    }

    /// One text message from the provider. True: it was bad, close the socket.
    private func receive(_ text: String) -> Bool {
        state.withLock { s in
            guard s.phase == .streaming, !s.failed else { return false }
            let events: [STTEvent]
            do throws(STTProtocolError) {
                events = try s.decoder.decode(text)
            } catch {
                fail(STTFailureText.malformed(provider.displayName, error, message: text), &s)
                return true
            }
            for event in events {
                apply(event, &s)
                if s.failed { return true }
            }
            return false
        }
    }

    private var timeClock: TranscriptAssembler.Clock {
        TranscriptAssembler.Clock(media: { [uplink] in uplink.media(atProviderSeconds: $0) },
                                  sentEnd: { [uplink] in uplink.sentMediaEnd })
    }

    private func apply(_ event: STTEvent, _ s: inout State) {
        switch event {
        case .transcript(let t):
            if let frame = s.assembler.frame(for: t, clock: timeClock) {
                if frame.isFinal {
                    emitFinal(frame, audioEnd: t.words.last?.end ?? t.windowEnd, &s)
                } else {
                    post(.transcript(frame), &s)
                }
            } else if t.isFinal && s.finalizePending {
                // The provider's (empty) answer to a finalize: the waiting turn gets its final.
                emitFinal(s.assembler.acknowledgement(clock: timeClock), audioEnd: nil, &s)
            }
        case .utteranceEnded:
            guard let frame = s.assembler.utteranceEnded(clock: timeClock) else { return }
            emitFinal(frame, audioEnd: nil, &s)
        case .streamFinished:
            s.providerFinished = true
        case .providerError(let text):
            fail(STTFailureText.providerError(provider.displayName, text), &s)
        case .info(let text):
            setup.logger.debug("stt provider event", metadata: ["provider": "\(provider.displayName)", "event": "\(text)"])
        }
    }

    /// Posts a final (after its `stt_final` metric); it answers any pending finalize request.
    private func emitFinal(_ frame: TranscriptFrame, audioEnd: Double?, _ s: inout State) {
        s.finalizePending = false
        reportLatency(endsUtterance: frame.endsUtterance, audioEnd: audioEnd, &s)
        post(.transcript(frame), &s)
    }

    /// `stt_final`: from the `userStoppedSpeaking` this final answers, or — when the provider
    /// endpointed on its own — from when the audio at the end of the utterance was handed to
    /// the socket. Posted before the transcript, so it is in the turn report the transcript closes.
    private func reportLatency(endsUtterance: Bool, audioEnd: Double?, _ s: inout State) {
        var since: Nanos?
        if let stopped = s.stoppedAt {
            since = stopped
            s.stoppedAt = nil
        } else if endsUtterance, let audioEnd {
            since = uplink.sentAt(providerSeconds: audioEnd)
        }
        guard let since else { return }
        setup.mailbox.post(.control(.metric(StageMetric(stage: setup.stageName, name: "stt_final",
                                                        nanoseconds: max(0, setup.clock.now() - since)))))
    }

    private func ended(_ info: WebSocketCloseInfo?) {
        state.withLock { s in
            guard s.phase != .ended else { return }
            if !s.failed {
                let clean = s.endOfStreamRequested && (s.providerFinished || info?.code == 1000)
                if !clean {
                    fail(STTFailureText.unexpectedEnd(provider.displayName, info,
                                                      afterEndOfStream: s.endOfStreamRequested), &s)
                }
            }
            end(&s)
        }
        setup.logger.debug("stt connection ended", metadata: [
            "provider": "\(provider.displayName)", "connection": "\(setup.number)",
            "close": "\(info.map { "\($0)" } ?? "none")", "dropped_samples": "\(uplink.droppedSamples)"])
    }

    // MARK: Under the lock

    private func post(_ frame: Frame, _ s: inout State) {
        if case .transcript = frame { s.transcripts += 1 }
        setup.mailbox.post(frame)
    }

    /// Reports the connection's one failure (later causes are consequences of the first).
    private func fail(_ message: String, _ s: inout State) {
        guard !s.failed else { return }
        s.failed = true
        setup.logger.warning("stt connection failed", metadata: ["stage": "\(setup.stageName)", "reason": "\(message)"])
        setup.mailbox.post(.control(.error(StageFailure(stage: setup.stageName, message: message, isFatal: false))))
    }

    private func end(_ s: inout State) {
        s.phase = .ended
        // The provider will not answer a finalize any more: the waiting turn gets its final now.
        if s.finalizePending { emitFinal(s.assembler.acknowledgement(clock: timeClock), audioEnd: nil, &s) }
        if s.holdsEndOfStream {
            s.holdsEndOfStream = false
            setup.mailbox.post(.control(.endOfStream))
        }
    }

    /// Scheme, host and path only: queries are not logged.
    private static func endpoint(_ url: String) -> Substring {
        url.split(separator: "?", maxSplits: 1).first ?? ""
    }
}
