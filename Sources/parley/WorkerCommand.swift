// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Dispatch
import Foundation
import Logging
import ParleyAgent
import ParleyCore
import ParleyLiveKit
import ParleyRTC

/// `parley worker --config agent.yaml`: registers as a LiveKit agent worker and runs the
/// configured pipeline in every room it is dispatched to (user audio in, agent audio and
/// transcripts out). SIGTERM or Ctrl-C drains: no new jobs, running ones finish.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a LiveKit agent worker that serves dispatched jobs with the configured pipeline.",
        discussion: """
        The server comes from --url, else the config's livekit.url, else $LIVEKIT_URL (likewise the \
        key and secret: --api-key/--api-secret, livekit.api_key/api_secret, $LIVEKIT_API_KEY/\
        $LIVEKIT_API_SECRET). A local dev server (livekit-server --dev) is ws://127.0.0.1:7880 with \
        devkey/secret; LiveKit Cloud is wss://<project>.livekit.cloud with the project's key and secret. \
        Jobs are dispatched by agent name (the config's agent.name, or --agent-name); an empty name \
        receives every new room. Each job's dispatch metadata (the session backend's agentConfig JSON) \
        overrides the pipeline for that session.
        """)

    @Option(help: "Agent config (YAML).") var config: String
    @Option(help: "LiveKit URL (ws://, wss://, http://, https://).") var url: String?
    @Option(help: "LiveKit API key.") var apiKey: String?
    @Option(help: "LiveKit API secret.") var apiSecret: String?
    @Option(help: "Agent name jobs are dispatched to (default: the config's agent.name).") var agentName: String?
    @Option(help: "Jobs to run at once.") var maxJobs: Int = 8
    @Option(help: "Gather ICE candidates only on these addresses (comma-separated), e.g. 127.0.0.1 for a same-host server.")
    var hostAddresses: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIFailure(message: "--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical",
                             exitCode: 2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "parley.worker")
        let env = ProcessInfo.processInfo.environment
        let registry = makeRegistry()
        let agentConfig = try AgentConfig.load(path: config, environment: env)
        // Validate the pipeline once up front: a config error should stop the worker, not every job.
        let input = LocalAudioTrackFormat.input
        _ = try PipelineAssembler(registry: registry, environment: env)
            .build(agentConfig, input: input, outputCaps: LocalAudioTrackFormat.outputCaps)

        guard let serverURL = url ?? agentConfig.livekit?.url ?? env["LIVEKIT_URL"] else {
            throw CLIFailure(message: "no LiveKit URL: pass --url, set livekit.url in \(config), or set LIVEKIT_URL", exitCode: 2)
        }
        guard let key = apiKey ?? agentConfig.livekit?.apiKey ?? env["LIVEKIT_API_KEY"],
            let secret = apiSecret ?? agentConfig.livekit?.apiSecret ?? env["LIVEKIT_API_SECRET"]
        else {
            throw CLIFailure(
                message: "no LiveKit API key/secret: pass --api-key/--api-secret, set livekit.api_key/api_secret, "
                    + "or set LIVEKIT_API_KEY/LIVEKIT_API_SECRET", exitCode: 2)
        }
        var options = WorkerOptions(url: serverURL, apiKey: key, apiSecret: secret)
        options.agentName = agentName ?? agentConfig.agent.name
        options.maxJobs = max(1, maxJobs)
        options.version = "parley-worker"
        options.roomOptions.audioTrackName = "agent-voice"
        if let hostAddresses {
            var addresses: [IPAddress] = []
            for text in hostAddresses.split(separator: ",") {
                guard let address = IPAddress(String(text).trimmingCharacters(in: .whitespaces)) else {
                    throw CLIFailure(message: "--host-addresses: '\(text)' is not an IP address", exitCode: 2)
                }
                addresses.append(address)
            }
            options.roomOptions.hostAddresses = addresses
        }

        let worker: AgentWorker
        do {
            worker = try AgentWorker(options: options, logger: logger) { context in
                try await Self.runJob(context, config: agentConfig, registry: registry, environment: env, logger: logger)
            }
        } catch {
            throw CLIFailure(message: "\(error)", exitCode: 2)
        }
        let signals = Self.drainOnSignals(worker)
        defer { signals.forEach { $0.cancel() } }
        logger.info("worker starting", metadata: ["url": "\(serverURL)", "agent_name": "\(options.agentName)"])
        do {
            try await worker.run()
        } catch {
            throw CLIFailure(message: "\(error)")
        }
        logger.info("worker stopped")
    }

    /// One job: the config with the dispatch's overrides, a pipeline on 48 kHz room audio, run until the user leaves.
    static func runJob(
        _ context: JobContext, config: AgentConfig, registry: StageRegistry, environment: [String: String], logger: Logger
    ) async throws {
        var jobConfig = config
        let metadata = context.job.metadata.trimmingCharacters(in: .whitespacesAndNewlines)
        if !metadata.isEmpty {
            jobConfig = try SessionOverrides(json: Data(metadata.utf8), logger: logger).applied(to: config, registry: registry)
        }
        let built = try PipelineAssembler(registry: registry, environment: environment)
            .buildSession(jobConfig, input: LocalAudioTrackFormat.input, outputCaps: LocalAudioTrackFormat.outputCaps,
                          pacedPlayout: true)
        var jobLogger = logger
        jobLogger[metadataKey: "job"] = "\(context.job.id)"
        jobLogger[metadataKey: "room"] = "\(context.job.roomName)"
        let session = try await RoomSession(room: context.room, graph: built.graph,
                                            userIdentity: context.job.targetIdentity, logger: jobLogger)
        let greeting = AgentSpeech.greeting(jobConfig.agent, conversation: built.conversation)
        let outcome = try await session.run(greeting: greeting)
        if case .failed(let failure) = outcome { throw CLIFailure(message: "pipeline failed: \(failure)") }
    }

    /// SIGTERM / SIGINT → drain (the second one exits at once).
    static func drainOnSignals(_ worker: AgentWorker) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let count = Locked(0)
            source.setEventHandler {
                let seen = count.withLock { n -> Int in
                    n += 1
                    return n
                }
                if seen > 1 { Foundation.exit(130) }
                Task { await worker.drain() }
            }
            source.resume()
            return source
        }
    }
}

/// The room side of a job's pipeline: what LiveKit tracks carry.
enum LocalAudioTrackFormat {
    /// Remote tracks arrive as 20 ms of 48 kHz mono.
    static let input = AudioFormat(sampleRate: 48_000, channels: 1, frameDurationMs: 20)
    /// The published track takes 48 kHz mono; the engine converts the pipeline's output.
    static let outputCaps = AudioCaps(sampleRates: [48_000], channels: [1])
}
