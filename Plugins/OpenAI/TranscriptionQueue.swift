// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import ParleyProviderSupport

/// The utterances `OpenAITranscriptionStage` has sent for transcription, one request at a time
/// so their transcripts come out in the order they were spoken.
///
/// ```
///   loop:        submit(utterance₁) submit(utterance₂) ──► waiting ──► running (one request)
///   URLSession:  body … complete ──► stt_final metric, final TranscriptFrame ──► mailbox ──► next
///   timer:       no answer in time ──► StageFailure, request cancelled ──► next
/// ```
///
/// `@unchecked Sendable`: the mutable state is only touched inside `withState`, under `lock`
/// (URLSession's delegate queue, timers and the pipeline loop all call in).
final class TranscriptionQueue: @unchecked Sendable {
    struct Settings: Sendable {
        var stageName: String
        var configuration: OpenAITranscriptionStage.Configuration
        /// `{base_url}/audio/transcriptions`.
        var url: URL
    }

    /// One utterance: its samples (16 kHz mono) and where it sits on the media timeline.
    struct Utterance: Sendable {
        var samples: [Int16]
        var start: Nanos
        var end: Nanos
        /// Pipeline clock when the end of speech was decided (for `stt_final`).
        var decidedAt: Nanos
        var segmentID: String
    }

    private struct Job {
        let id: Int
        let utterance: Utterance
        var task: URLSessionDataTask?
        var status = 0
        var body = Data()
    }

    private struct State {
        var waiting: [Job] = []
        var running: Job?
        var nextID = 0
        var holdsEndOfStream = false
        var cancelling: [URLSessionDataTask] = []
    }

    let settings: Settings
    private let session: StreamingHTTPSession
    private let mailbox: StageMailbox
    private let clock: any PipelineClock
    private let log: SharedLogger
    private let lock = NSLock()
    private var state = State()

    init(settings: Settings, session: StreamingHTTPSession, mailbox: StageMailbox, clock: any PipelineClock,
         log: SharedLogger) {
        self.settings = settings
        self.session = session
        self.mailbox = mailbox
        self.clock = clock
        self.log = log
    }

    // MARK: Loop side

    func submit(_ utterance: Utterance) {
        let start: (Job, URLRequest)? = withState { s in
            s.nextID += 1
            s.waiting.append(Job(id: s.nextID, utterance: utterance))
            return startNext(&s)
        }
        launch(start)
    }

    /// True: end of stream is held until the queued utterances are transcribed (then posted).
    func holdEndOfStream() -> Bool {
        withState { s in
            guard s.running != nil || !s.waiting.isEmpty else { return false }
            s.holdsEndOfStream = true
            return true
        }
    }

    /// The pipeline is cancelled: abandon everything.
    func cancelAll() {
        withState { s in
            if let t = s.running?.task { s.cancelling.append(t) }
            s.running = nil
            s.waiting.removeAll()
        }
    }

    // MARK: Requests

    private func startNext(_ s: inout State) -> (Job, URLRequest)? {
        while s.running == nil, !s.waiting.isEmpty {
            let job = s.waiting.removeFirst()
            s.running = job
            return (job, makeRequest(job.utterance))
        }
        releaseEndOfStream(&s)
        return nil
    }

    private func launch(_ start: (Job, URLRequest)?) {
        guard let (job, request) = start else { return }
        log.logger.debug("transcription request", metadata: [
            "url": "\(settings.url.absoluteString)", "segment": "\(job.utterance.segmentID)",
            "ms": "\(job.utterance.samples.count / 16)"])
        session.start(request, feeding: Receiver(queue: self, id: job.id))
        let deadline = DispatchTime.now() + .milliseconds(settings.configuration.timeoutMS)
        DispatchQueue.global(qos: .userInitiated).asyncAfter(deadline: deadline) { [self] in deadlinePassed(job.id) }
    }

    private func makeRequest(_ u: Utterance) -> URLRequest {
        let c = settings.configuration
        var form = MultipartFormBody()
        form.add(file: "file", filename: "utterance.wav", contentType: "audio/wav",
                 WaveFile.encode(u.samples, sampleRate: OpenAITranscriptionStage.sampleRate))
        form.add(field: "model", c.model)
        if let language = c.language { form.add(field: "language", language) }
        if let prompt = c.prompt { form.add(field: "prompt", prompt) }
        if c.requestsWordTimestamps {
            form.add(field: "response_format", "verbose_json")
            form.add(field: "timestamp_granularities[]", "word")
        } else {
            form.add(field: "response_format", "json")
        }
        var request = URLRequest(url: settings.url)
        request.httpMethod = "POST"
        request.setValue(form.contentType, forHTTPHeaderField: "Content-Type")
        if !c.apiKey.isEmpty { request.setValue("Bearer \(c.apiKey)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = max(30, Double(c.timeoutMS) * 2 / 1000)
        request.httpBody = form.finished()
        return request
    }

    // MARK: URLSession side

    private struct Receiver: StreamingHTTPReceiver {
        let queue: TranscriptionQueue
        let id: Int
        func attach(_ task: URLSessionDataTask) { queue.attach(task, id: id) }
        func received(_ data: Data, status: Int) { queue.received(data, status: status, id: id) }
        func completed(error: (any Error)?, status: Int) { queue.completed(error: error, status: status, id: id) }
    }

    private func attach(_ task: URLSessionDataTask, id: Int) {
        withState { s in
            if s.running?.id == id { s.running?.task = task } else { s.cancelling.append(task) }
        }
    }

    private func received(_ data: Data, status: Int, id: Int) {
        withState { s in
            guard s.running?.id == id else { return }
            s.running?.status = status
            // A transcript is small; anything past 1 MB is not an answer we can use.
            if (s.running?.body.count ?? 0) < 1 << 20 { s.running?.body.append(data) }
        }
    }

    private func completed(error: (any Error)?, status: Int, id: Int) {
        let next: (Job, URLRequest)? = withState { s in
            guard let job = s.running, job.id == id else { return nil }
            s.running = nil
            if let error {
                report("request failed: \(Self.describe(error))")
            } else if !(200..<300).contains(status) {
                let detail = ProviderError.parse(job.body)?.description
                    ?? ProviderMessage.quote(String(decoding: job.body, as: UTF8.self), empty: "empty body")
                report("HTTP \(status): \(detail)")
            } else {
                deliver(job)
            }
            return startNext(&s)
        }
        launch(next)
    }

    private func deadlinePassed(_ id: Int) {
        let next: (Job, URLRequest)? = withState { s in
            guard let job = s.running, job.id == id else { return nil }
            s.running = nil
            if let t = job.task { s.cancelling.append(t) }
            report("no answer within \(settings.configuration.timeoutMS) ms")
            return startNext(&s)
        }
        launch(next)
    }

    /// Posts the transcript of a successful answer (or a failure naming what was wrong with it).
    private func deliver(_ job: Job) {
        let result: TranscriptionResult
        do {
            result = try JSONDecoder().decode(TranscriptionResult.self, from: job.body)
        } catch {
            report("answered with malformed JSON: "
                   + ProviderMessage.quote(String(decoding: job.body, as: UTF8.self), empty: "empty body"))
            return
        }
        let u = job.utterance
        let words = (result.words ?? []).map { w in
            WordTiming(word: w.word, start: u.start + Nanos(w.start * 1e9), end: u.start + Nanos(w.end * 1e9))
        }
        // The metric goes first so it is in the turn report before the reply's audio closes it.
        mailbox.post(.control(.metric(StageMetric(stage: settings.stageName, name: "stt_final",
                                                  nanoseconds: max(0, clock.now() - u.decidedAt)))))
        mailbox.post(.transcript(TranscriptFrame(
            text: result.text.trimmingCharacters(in: .whitespacesAndNewlines), isFinal: true, segmentID: u.segmentID,
            language: settings.configuration.language, words: words, role: .user, start: u.start, end: u.end)))
    }

    // MARK: Helpers (under the lock)

    private func report(_ message: String) {
        let text = "OpenAI transcription: " + ProviderMessage.redacting(message, secret: settings.configuration.apiKey)
        log.logger.warning("stt failure", metadata: ["reason": "\(text)"])
        mailbox.post(.control(.error(StageFailure(stage: settings.stageName, message: text, isFatal: false))))
    }

    private func releaseEndOfStream(_ s: inout State) {
        guard s.holdsEndOfStream, s.running == nil, s.waiting.isEmpty else { return }
        s.holdsEndOfStream = false
        mailbox.post(.control(.endOfStream))
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: return "timed out waiting for data"
            case .cannotConnectToHost: return "could not connect to \(e.failingURL?.host ?? "the server")"
            case .networkConnectionLost: return "the connection was lost before the answer was complete"
            default: break
            }
        }
        return (error as NSError).localizedDescription
    }

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        let result = body(&state)
        let tasks = state.cancelling
        state.cancelling.removeAll()
        lock.unlock()
        for t in tasks { t.cancel() }
        return result
    }
}
