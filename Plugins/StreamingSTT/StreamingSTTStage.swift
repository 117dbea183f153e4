// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore

/// Speech-to-text through a cloud provider's streaming WebSocket API (`deepgram/nova-3:en`,
/// `assemblyai/universal-streaming:en`): user audio streams up as it arrives, interim and final
/// transcripts come back while the user speaks.
///
/// ```
///   user audio (16 kHz mono) ──► AudioUplink ──► [provider socket] ──► results ──► TranscriptFrame (.user)
///   userStartedSpeaking     ──► (re)connect now if idle or failed
///   userStoppedSpeaking     ──► finalize message (Deepgram Finalize, AssemblyAI ForceEndpoint) ─► a final
///                               (empty if nothing was left; at the latest after finalize_timeout_ms); stt_final metric
///   endOfStream             ──► held; end-of-stream message (CloseStream, Terminate); released after the last results
///   no audio for a while    ──► keep-alive message (Deepgram KeepAlive)
/// ```
///
/// One connection (`StreamingSTTSession`) carries the whole stream while it works; everything
/// on it happens on its own tasks and comes back through the stage's mailbox, so the loop only
/// copies samples into a preallocated ring per frame. Transcripts follow `TranscriptAssembler`'s
/// rules (segment ids, media times, word timings, `endsUtterance`).
///
/// Failures (upgrade refused, connect timeout, dropped socket, provider error close, malformed
/// JSON) are one non-fatal `StageFailure` each, naming the provider and the cause. The stage
/// stays usable: the next utterance (`userStartedSpeaking`) or, without a VAD, the next audio
/// after a growing retry delay opens a new connection. A stop that no connection can answer is
/// answered at once by an empty final, so the turn manager never waits for a provider that is gone.
public final class StreamingSTTStage: Stage {
    public let name: String
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .transcript }
    public var inputCaps: AudioCaps { AudioCaps(sampleRates: [settings.sampleRate], channels: [1]) }

    public let provider: any StreamingSTTProvider
    public let settings: StreamingSTTSettings
    /// Where the stage and its connections log (the pipeline's logger once started). Never
    /// given the key: requests are logged by endpoint only.
    public var logger: Logger

    private var session: StreamingSTTSession?
    private var connections = 0
    /// No new connection before this pipeline clock time (after a failure), unless speech starts.
    private var retryAt: Nanos = .min
    private var retryDelay: Nanos
    private var lastAudioAt: Nanos = 0
    private var droppedFrames = 0
    /// Stops answered without a connection (their finals' segment ids).
    private var unanswered = 0
    private var mailbox: StageMailbox?

    static let keepAliveTimer = 1
    static let closeTimer = 2
    static let connectTimer = 3
    static let finalizeTimer = 4

    public init(name: String, provider: any StreamingSTTProvider, settings: StreamingSTTSettings) {
        self.name = name
        self.provider = provider
        self.settings = settings
        retryDelay = Nanos(settings.retryDelayMS) * 1_000_000
        logger = Logger(label: "parley.\(name.replacingOccurrences(of: ":", with: "."))")
    }

    /// The connections opened so far (tests, probes).
    public var connectionCount: Int { connections }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        mailbox = context.mailbox
        lastAudioAt = context.now()
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let audio) = frame, audio.role == .user else { return context.emit(frame) }
        lastAudioAt = context.now()
        if let session, session.uplink.write(audio) { return }
        retire(context)
        guard let session = connect(context) else {
            droppedFrames += 1
            return
        }
        _ = session.uplink.write(audio)
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking:
            if let session, !session.isEnded {
                session.speechStarted()
            } else {
                retire(context)
                // A new utterance is worth a new attempt at once, whatever the retry delay says;
                // connecting now overlaps the handshake with the first words.
                retryAt = .min
                _ = connect(context)
            }
        case .userStoppedSpeaking:
            if finalize(stoppedAt: context.now(), context) { break }
            // No connection to ask (it failed, or waits to retry): answer with an empty final
            // right away, after the stop itself, so the turn does not wait for one.
            context.emit(frame)
            unanswered += 1
            context.emit(.transcript(TranscriptFrame(text: "", isFinal: true, segmentID: "\(name)-unanswered-\(unanswered)",
                                                     language: provider.language, role: .user,
                                                     start: context.mediaNow, end: context.mediaNow)))
            return .consume
        case .flush:
            finalize(stoppedAt: nil, context)
        case .endOfStream:
            guard let session, session.finishStream() else { return .forward }
            context.schedule(after: Nanos(settings.closeTimeoutMS) * 1_000_000, id: Self.closeTimer)
            return .consume
        default:
            break
        }
        return .forward
    }

    public func timerFired(id: Int, _ context: StageContext) {
        switch id {
        case Self.keepAliveTimer:
            guard let session, !session.isEnded else { return }
            let interval = Nanos(settings.keepAliveMS) * 1_000_000
            if context.now() - lastAudioAt >= interval { session.keepAlive() }
            context.schedule(after: interval, id: Self.keepAliveTimer)
        case Self.connectTimer:
            session?.connectTimedOut()
        case Self.finalizeTimer:
            session?.finalizeTimedOut()
        case Self.closeTimer:
            guard let session, session.holdsEndOfStream else { return }
            session.abandon(failure: STTFailureText.noFinalResults(
                provider.displayName, endOfStreamMessage: provider.endOfStreamMessage, timeoutMS: settings.closeTimeoutMS))
        default:
            break
        }
    }

    public func stop(_ context: StageContext) {
        session?.abandon()
        session = nil
    }

    public func cancel(_ context: StageContext) {
        session?.abandon()
        session = nil
    }

    /// Asks the provider for its final now; if none comes within `finalizeTimeoutMS`, the
    /// session answers with an empty final (the turn manager waits for one after every stop).
    /// False when there is no live connection to ask.
    @discardableResult
    private func finalize(stoppedAt: Nanos?, _ context: StageContext) -> Bool {
        guard let session, !session.isEnded else { return false }
        session.finalize(stoppedAt: stoppedAt)
        context.schedule(after: Nanos(settings.finalizeTimeoutMS) * 1_000_000, id: Self.finalizeTimer)
        return true
    }

    // MARK: Connections

    /// Forgets an ended connection; a failed one delays the next (doubling), a working one resets the delay.
    private func retire(_ context: StageContext) {
        guard let old = session, old.isEnded else { return }
        session = nil
        if old.failed && old.transcriptCount == 0 {
            retryAt = context.now() + retryDelay
            retryDelay = min(retryDelay * 2, Nanos(settings.maximumRetryDelayMS) * 1_000_000)
        } else {
            retryDelay = Nanos(settings.retryDelayMS) * 1_000_000
        }
    }

    private func connect(_ context: StageContext) -> StreamingSTTSession? {
        if let session { return session }
        guard context.now() >= retryAt, let mailbox else { return nil }
        connections += 1
        if droppedFrames > 0 {
            logger.info("stt reconnecting", metadata: ["stage": "\(name)", "dropped_frames": "\(droppedFrames)"])
            droppedFrames = 0
        }
        let session = StreamingSTTSession(
            setup: .init(stageName: name, number: connections, provider: provider,
                         connectTimeoutMS: settings.connectTimeoutMS, mailbox: mailbox, clock: context.clock,
                         logger: logger),
            sampleRate: settings.sampleRate)
        self.session = session
        session.start()
        context.schedule(after: Nanos(settings.connectTimeoutMS) * 1_000_000, id: Self.connectTimer)
        if provider.keepAliveMessage != nil, settings.keepAliveMS > 0 {
            context.schedule(after: Nanos(settings.keepAliveMS) * 1_000_000, id: Self.keepAliveTimer)
        }
        return session
    }
}
