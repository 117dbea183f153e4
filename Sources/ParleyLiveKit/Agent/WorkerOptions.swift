// SPDX-License-Identifier: Apache-2.0

/// How an `AgentWorker` registers and how much work it takes.
public struct WorkerOptions: Sendable {
    /// The LiveKit server: `ws://127.0.0.1:7880` in dev mode, `wss://<project>.livekit.cloud` on Cloud.
    public var url: String
    public var apiKey: String
    public var apiSecret: String
    /// Jobs are dispatched by name (§8 "Dispatch rules"). Empty receives automatic dispatch for every new room.
    public var agentName: String = ""
    /// Reported to the server in RegisterWorkerRequest.
    public var version: String = "parley"
    /// Jobs this process runs at once; `load` reports jobs / maxJobs (or CPU, if higher).
    public var maxJobs = 8
    /// At or above this load the worker says WS_FULL and declines new jobs.
    public var loadThreshold = 0.9
    /// UpdateWorkerStatus period (the Python worker's 2.5 s).
    public var statusInterval: Duration = .milliseconds(2500)
    /// On drain (SIGTERM), how long running jobs may take to finish before they are cancelled.
    public var drainTimeout: Duration = .seconds(60)
    /// How each job joins its room.
    public var roomOptions = RoomOptions()

    public init(url: String, apiKey: String, apiSecret: String) {
        self.url = url
        self.apiKey = apiKey
        self.apiSecret = apiSecret
    }
}

/// A dispatched job, as the session factory sees it.
public struct JobInfo: Sendable, Hashable {
    public var id: String
    public var dispatchID: String
    public var roomName: String
    public var roomSid: String
    /// The dispatch metadata: for Parley's session backend, the per-session agentConfig JSON.
    public var metadata: String
    public var agentName: String
    /// Our identity in the room.
    public var participantIdentity: String
    /// For publisher/participant jobs: the participant the job is about.
    public var targetIdentity: String?
}

/// What a job's entry point gets: the job and its joined room.
public struct JobContext: Sendable {
    public let job: JobInfo
    public let room: Room
}
