// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyLiveKitProto
import ParleyWebSocket
import SwiftProtobuf

/// A LiveKit agent worker (livekit-protocol.md §8): registers on `/agent`, answers
/// availability, joins each assigned room with the job token and runs `entry` there.
///
/// ```
///   /agent WebSocket ── register ──► RegisterWorkerResponse (worker id)
///        │  every 2.5 s: UpdateWorkerStatus{AVAILABLE|FULL, load, job_count}
///        ◄── AvailabilityRequest{job} ── answer: available unless draining or full
///        ◄── JobAssignment{job, token, url} ──► Room.connect ─► UpdateJobStatus RUNNING ─► entry(JobContext)
///                                                    entry returns/throws ─► SUCCESS/FAILED ─► leave the room
///        ◄── JobTermination{job_id} ──► cancel entry ─► SUCCESS ─► leave
///   socket lost ─► re-register with backoff (jobs keep running); 401 ─► stop (no retry storm)
///   drain() (SIGTERM) ─► FULL, no new jobs, running jobs finish (or are cancelled after drainTimeout)
/// ```
///
/// Many jobs run concurrently in one process, each in its own task with its own room.
public actor AgentWorker {
    public typealias Entry = @Sendable (JobContext) async throws -> Void

    let options: WorkerOptions
    let entry: Entry
    let logger: Logger
    let url: SignalURL
    var connection: WebSocketConnection?
    public private(set) var workerID: String?
    var jobs: [String: Task<Void, Never>] = [:]
    var draining = false
    var stopped = false
    var load = LoadMonitor()
    var lastLoad = 0.0
    var registered = false
    /// Jobs we said yes to and await the assignment of.
    var accepted: Set<String> = []

    public init(options: WorkerOptions, logger: Logger = Logger(label: "parley.livekit.worker"), entry: @escaping Entry)
        throws(LiveKitConnectError)
    {
        self.options = options
        self.entry = entry
        self.logger = logger
        self.url = try SignalURL(options.url)
    }

    /// Ids of the jobs running now.
    public var activeJobs: [String] { Array(jobs.keys) }

    /// Registers and serves jobs until `drain()` completes or registration is refused for good.
    /// Transient losses of the worker socket re-register with backoff.
    public func run() async throws(LiveKitConnectError) {
        var attempt = 0
        while !stopped {
            do {
                try await serveOnce()
                attempt = 0
            } catch {
                if !error.isRetryable || stopped {
                    if stopped { return }
                    throw error
                }
                attempt += 1
                let delay = min(Double(1 << min(attempt, 5)) * 0.25, 10)
                logger.warning("worker connection lost; re-registering", metadata: ["error": "\(error)", "retry_s": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// One worker socket from connect to close.
    func serveOnce() async throws(LiveKitConnectError) {
        var grant = VideoGrant()
        grant.agent = true
        var token = AccessToken(apiKey: options.apiKey, apiSecret: options.apiSecret)
        token.video = grant
        token.ttl = 3600
        let jwt: String
        do { jwt = try token.jwt() } catch { throw .unauthorized(reason: "cannot mint the worker token: \(error)") }
        var request = WebSocketRequest(url: url.agent, headers: [(name: "Authorization", value: "Bearer \(jwt)")])
        request.maxMessageSize = 2 << 20
        let socket: WebSocketConnection
        do {
            socket = try await WebSocketConnection.connect(request)
        } catch {
            throw LiveKitConnectError(connecting: error, step: "worker connection") { status, reason in
                reason.isEmpty ? (status == 401 ? "worker token refused" : "HTTP \(status)") : reason
            }
        }
        connection = socket
        registered = false
        defer {
            connection = nil
            registered = false
        }
        send(.register(registration()))
        let status = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: self?.options.statusInterval ?? .seconds(2))
                await self?.reportStatus()
            }
        }
        defer { status.cancel() }
        let registrationTimeout = Task { [weak self] in
            try? await Task.sleep(for: .seconds(10))
            await self?.registrationTimedOut(socket)
        }
        defer { registrationTimeout.cancel() }
        for await message in socket.messages {
            guard case .binary(let bytes) = message else { continue }
            guard let server = try? Livekit_ServerMessage(serializedBytes: bytes) else {
                logger.warning("dropping an undecodable worker message", metadata: ["bytes": "\(bytes.count)"])
                continue
            }
            handle(server)
            if stopped { socket.close(); return }
        }
        if stopped { return }
        let info = socket.closeInfo
        throw .unreachable("worker socket closed" + (info.map { ": \($0.error ?? "\($0.code.map(String.init) ?? "") \($0.reason)")" } ?? ""))
    }

    func registrationTimedOut(_ socket: WebSocketConnection) {
        guard !registered, connection === socket else { return }
        logger.error("no RegisterWorkerResponse within 10 s")
        socket.close(code: 1000, reason: "registration timeout")
    }

    func registration() -> Livekit_RegisterWorkerRequest {
        var register = Livekit_RegisterWorkerRequest()
        register.type = .jtRoom
        register.agentName = options.agentName
        register.version = options.version
        var permissions = Livekit_ParticipantPermission()
        permissions.canSubscribe = true
        permissions.canPublish = true
        permissions.canPublishData = true
        permissions.canUpdateMetadata = true
        permissions.agent = true
        register.allowedPermissions = permissions
        return register
    }

    func send(_ message: Livekit_WorkerMessage.OneOf_Message) {
        var envelope = Livekit_WorkerMessage()
        envelope.message = message
        guard let connection, let bytes: [UInt8] = try? envelope.serializedBytes() else { return }
        try? connection.send(.binary(bytes))
    }

    func handle(_ message: Livekit_ServerMessage) {
        switch message.message {
        case .register(let response)?:
            registered = true
            workerID = response.workerID
            logger.info("worker registered", metadata: ["worker": "\(response.workerID)", "agent_name": "\(options.agentName)"])
            reportStatus()
        case .availability(let request)?:
            answerAvailability(request)
        case .assignment(let assignment)?:
            startJob(assignment)
        case .termination(let termination)?:
            logger.info("server terminated a job", metadata: ["job": "\(termination.jobID)"])
            jobs[termination.jobID]?.cancel()
        case .pong?:
            break
        default:
            break
        }
    }

    var isFull: Bool {
        draining || jobs.count + accepted.count >= options.maxJobs || lastLoad >= options.loadThreshold
    }

    func answerAvailability(_ request: Livekit_AvailabilityRequest) {
        let job = request.job
        var answer = Livekit_AvailabilityResponse()
        answer.jobID = job.id
        answer.available = !isFull
        answer.participantIdentity = "agent-" + job.id
        answer.participantName = options.agentName.isEmpty ? "agent" : options.agentName
        answer.participantAttributes = ["lk.agent.name": options.agentName]
        if answer.available { accepted.insert(job.id) }
        logger.info("job offered", metadata: ["job": "\(job.id)", "room": "\(job.room.name)", "accepted": "\(answer.available)"])
        send(.availability(answer))
    }

    func reportStatus() {
        guard registered else { return }
        lastLoad = max(load.sample(), Double(jobs.count) / Double(max(1, options.maxJobs)))
        var status = Livekit_UpdateWorkerStatus()
        status.status = isFull ? .wsFull : .wsAvailable
        status.load = Float(lastLoad)
        status.jobCount = UInt32(jobs.count)
        send(.updateWorker(status))
    }

    func updateJob(_ id: String, _ status: Livekit_JobStatus, error: String = "") {
        var update = Livekit_UpdateJobStatus()
        update.jobID = id
        update.status = status
        update.error = error
        send(.updateJob(update))
    }

    func startJob(_ assignment: Livekit_JobAssignment) {
        let job = assignment.job
        accepted.remove(job.id)
        guard jobs[job.id] == nil else { return }
        let info = JobInfo(
            id: job.id, dispatchID: job.dispatchID, roomName: job.room.name, roomSid: job.room.sid,
            metadata: job.metadata, agentName: job.agentName, participantIdentity: "agent-" + job.id,
            targetIdentity: job.hasParticipant ? job.participant.identity : nil)
        let roomURL = assignment.hasURL && !assignment.url.isEmpty ? assignment.url : options.url
        let token = assignment.token
        let roomOptions = options.roomOptions
        let entry = self.entry
        let logger = self.logger
        jobs[job.id] = Task { [weak self] in
            var outcome: (Livekit_JobStatus, String) = (.jsSuccess, "")
            var room: Room?
            do {
                let joined = try await Room.connect(url: roomURL, token: token, options: roomOptions, logger: logger)
                room = joined
                await self?.updateJob(info.id, .jsRunning)
                logger.info("job running", metadata: ["job": "\(info.id)", "room": "\(info.roomName)"])
                try await entry(JobContext(job: info, room: joined))
            } catch is CancellationError {
                outcome = (.jsSuccess, "")
            } catch {
                outcome = (.jsFailed, "\(error)")
                logger.error("job failed", metadata: ["job": "\(info.id)", "error": "\(error)"])
            }
            // The status must reach the server before we leave the room, or the server marks the
            // job failed ("agent worker left the room").
            await self?.updateJob(info.id, outcome.0, error: outcome.1)
            try? await Task.sleep(for: .milliseconds(100))
            await room?.disconnect()
            await self?.jobFinished(info.id)
        }
    }

    func jobFinished(_ id: String) {
        jobs[id] = nil
        logger.info("job ended", metadata: ["job": "\(id)"])
        reportStatus()
    }

    /// Stops taking jobs (reports FULL), lets running ones finish for up to `drainTimeout`,
    /// cancels what is left, then closes the worker socket and ends `run()`.
    public func drain() async {
        guard !draining else { return }
        draining = true
        logger.info("draining", metadata: ["jobs": "\(jobs.count)"])
        reportStatus()
        let deadline = ContinuousClock.now + options.drainTimeout
        while !jobs.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        for task in jobs.values { task.cancel() }
        while !jobs.isEmpty, ContinuousClock.now < deadline + .seconds(5) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        stopped = true
        connection?.close()
    }
}
