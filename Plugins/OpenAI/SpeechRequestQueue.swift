// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import ParleyProviderSupport

/// The texts `OpenAISpeechStage` is speaking: one `POST /audio/speech` per text, at most
/// `maxConcurrent` at a time, their streamed PCM handed to a `SpeechOutput` in text order.
///
/// ```
///   loop:        submit(text₁) submit(text₂) submit(text₃) ──► waiting ──► running (≤ 2 requests)
///   URLSession:  bytes of text₂ … bytes of text₁ … complete ──► SpeechOutput ──► mailbox (text₁ first)
///   timer:       no first byte in time ──► StageFailure, request cancelled
/// ```
///
/// Running the next text's request while the current one streams hides its time to first
/// byte behind the current text's playout; `SpeechOutput` holds its audio back until the
/// texts before it are done.
///
/// All state sits behind one lock; URLSession's delegate queue and the pipeline loop both
/// call in, and posting happens under the lock, so once `cancelAll` returns no audio of the
/// cut reply is posted any more.
///
/// `@unchecked Sendable`: `state` (which holds the non-Sendable `SpeechOutput`) is only read or
/// written inside `withState`, under `lock`; everything else is immutable.
final class SpeechRequestQueue: @unchecked Sendable {
    struct Settings: Sendable {
        var stageName: String
        var configuration: OpenAISpeechStage.Configuration
        /// `{base_url}/audio/speech`.
        var url: URL
    }

    static let maxConcurrent = 2

    private struct Job {
        let id: Int
        let request: SpeechRequest
        let item: SpeechOutput.Item
    }

    private struct Running {
        let job: Job
        var task: URLSessionDataTask?
        var status = 0
        var sawFirstByte = false
        var bytes = 0
        /// A 2xx answer whose Content-Type is not audio (JSON, HTML): kept to quote it.
        var notAudio: String?
        var body = Data()
    }

    private struct State {
        var output: SpeechOutput
        var waiting: [Job] = []
        var running: [Int: Running] = [:]
        var nextID = 0
        var holdsEndOfStream = false
        /// Tasks to cancel once the lock is released (URLSession takes its own locks).
        var cancelling: [URLSessionDataTask] = []
    }

    let settings: Settings
    private let mailbox: StageMailbox
    private let session: StreamingHTTPSession
    private let log: SharedLogger
    private let lock = NSLock()
    private var state: State

    init(settings: Settings, session: StreamingHTTPSession, mailbox: StageMailbox, clock: any PipelineClock,
         log: SharedLogger) {
        self.settings = settings
        self.session = session
        self.mailbox = mailbox
        self.log = log
        state = State(output: SpeechOutput(stageName: settings.stageName, sampleRate: OpenAISpeechStage.sampleRate,
                                           mailbox: mailbox, clock: clock))
    }

    // MARK: Loop side

    func submit(_ request: SpeechRequest) {
        let toStart: [(Job, URLRequest)] = withState { s in
            s.nextID += 1
            s.waiting.append(Job(id: s.nextID, request: request, item: s.output.enqueue(request)))
            return startWaiting(&s)
        }
        launch(toStart)
    }

    /// An interruption: every request is cancelled (closing its connection) and nothing more of
    /// the queued texts is posted.
    func cancelAll() {
        withState { s in
            for r in s.running.values { if let t = r.task { s.cancelling.append(t) } }
            s.running.removeAll()
            s.waiting.removeAll()
            s.output.cancelAll()
            releaseEndOfStream(&s)
        }
    }

    /// Called when `endOfStream` reaches the stage: true means "held; posted when the queued
    /// texts have been spoken".
    func holdEndOfStream() -> Bool {
        withState { s in
            guard !s.output.isIdle else { return false }
            s.holdsEndOfStream = true
            return true
        }
    }

    // MARK: Requests

    private func startWaiting(_ s: inout State) -> [(Job, URLRequest)] {
        var started: [(Job, URLRequest)] = []
        while s.running.count < Self.maxConcurrent, !s.waiting.isEmpty {
            let job = s.waiting.removeFirst()
            do {
                let request = try makeRequest(job.request.text.text)
                s.running[job.id] = Running(job: job)
                started.append((job, request))
            } catch {
                report("could not encode the request: \(error)")
                s.output.cancel(job.item)
            }
        }
        releaseEndOfStream(&s)
        return started
    }

    private func launch(_ jobs: [(Job, URLRequest)]) {
        for (job, request) in jobs {
            log.logger.debug("speech request", metadata: ["url": "\(settings.url.absoluteString)",
                                                      "characters": "\(job.request.text.text.count)"])
            session.start(request, feeding: Receiver(queue: self, id: job.id))
            let deadline = DispatchTime.now() + .milliseconds(settings.configuration.firstByteTimeoutMS)
            DispatchQueue.global(qos: .userInitiated).asyncAfter(deadline: deadline) { [self] in
                firstByteDeadline(job.id)
            }
        }
    }

    private func makeRequest(_ text: String) throws -> URLRequest {
        let c = settings.configuration
        var request = URLRequest(url: settings.url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if !c.apiKey.isEmpty { request.setValue("Bearer \(c.apiKey)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = max(30, Double(c.firstByteTimeoutMS) * 3 / 1000)
        request.httpBody = try JSONEncoder().encode(SpeechBody(
            model: c.model, input: text, voice: c.voice, responseFormat: "pcm", speed: c.speed,
            instructions: c.instructions))
        return request
    }

    /// The `POST /audio/speech` body (https://platform.openai.com/docs/api-reference/audio/createSpeech).
    private struct SpeechBody: Encodable {
        var model: String
        var input: String
        var voice: String
        var responseFormat: String
        var speed: Double?
        var instructions: String?

        enum CodingKeys: String, CodingKey {
            case model, input, voice, speed, instructions
            case responseFormat = "response_format"
        }
    }

    // MARK: URLSession side

    /// Routes one request's callbacks to the queue.
    private struct Receiver: StreamingHTTPReceiver {
        let queue: SpeechRequestQueue
        let id: Int
        func attach(_ task: URLSessionDataTask) { queue.attach(task, id: id) }
        func received(_ data: Data, status: Int) { queue.received(data, status: status, id: id) }
        func completed(error: (any Error)?, status: Int) { queue.completed(error: error, status: status, id: id) }
    }

    private func attach(_ task: URLSessionDataTask, id: Int) {
        withState { s in
            if s.running[id] != nil { s.running[id]?.task = task } else { s.cancelling.append(task) }
        }
    }

    private func received(_ data: Data, status: Int, id: Int) {
        withState { s in
            guard var r = s.running[id] else { return }
            r.status = status
            if !r.sawFirstByte {
                r.sawFirstByte = true
                if (200..<300).contains(status), let type = contentType(r.task), !Self.isAudio(type) { r.notAudio = type }
            }
            r.bytes += data.count
            if !(200..<300).contains(status) || r.notAudio != nil {
                // An error body (or whatever came instead of audio): keep enough to quote.
                if r.body.count < 65_536 { r.body.append(data.prefix(65_536 - r.body.count)) }
                s.running[id] = r
                return
            }
            s.running[id] = r
            data.withUnsafeBytes { s.output.append(r.job.item, pcm: $0) }
        }
    }

    private func completed(error: (any Error)?, status: Int, id: Int) {
        let toStart: [(Job, URLRequest)] = withState { s in
            guard let r = s.running.removeValue(forKey: id) else { return [] }
            if let error {
                let what = r.bytes == 0 ? "request failed" : "audio stream dropped after \(r.bytes) bytes"
                fail(r, "\(what): \(Self.describe(error))", &s)
            } else if !(200..<300).contains(status) {
                let detail = ProviderError.parse(r.body)?.description
                    ?? ProviderMessage.quote(String(decoding: r.body, as: UTF8.self), empty: "empty body")
                fail(r, "HTTP \(status): \(detail)", &s)
            } else if let type = r.notAudio {
                fail(r, "malformed answer: \(type) instead of audio: "
                     + ProviderMessage.quote(String(decoding: r.body, as: UTF8.self), empty: "empty body"), &s)
            } else {
                s.output.finish(r.job.item)
            }
            return startWaiting(&s)
        }
        launch(toStart)
    }

    private func firstByteDeadline(_ id: Int) {
        let toStart: [(Job, URLRequest)] = withState { s in
            guard let r = s.running[id], !r.sawFirstByte else { return [] }
            s.running[id] = nil
            if let t = r.task { s.cancelling.append(t) }
            fail(r, "no first byte within \(settings.configuration.firstByteTimeoutMS) ms", &s)
            return startWaiting(&s)
        }
        launch(toStart)
    }

    // MARK: Helpers (under the lock)

    private func fail(_ r: Running, _ message: String, _ s: inout State) {
        report(message)
        s.output.cancel(r.job.item)
    }

    private func report(_ message: String) {
        let text = "OpenAI speech: " + ProviderMessage.redacting(message, secret: settings.configuration.apiKey)
        log.logger.warning("tts failure", metadata: ["reason": "\(text)"])
        mailbox.post(.control(.error(StageFailure(stage: settings.stageName, message: text, isFatal: false))))
    }

    private func releaseEndOfStream(_ s: inout State) {
        guard s.holdsEndOfStream, s.output.isIdle else { return }
        s.holdsEndOfStream = false
        mailbox.post(.control(.endOfStream))
    }

    private func contentType(_ task: URLSessionDataTask?) -> String? {
        (task?.response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type")
    }

    /// OpenAI answers `pcm` as audio/pcm; a proxy may say application/octet-stream. JSON, text
    /// or HTML in a 2xx answer is not audio (a server that ignored response_format, an error page).
    static func isAudio(_ contentType: String) -> Bool {
        let t = contentType.lowercased()
        return !(t.hasPrefix("application/json") || t.hasPrefix("text/"))
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

    /// Runs `body` under the lock, then cancels the tasks it marked (outside the lock).
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
