// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import Logging
import ParleyAgent
import ParleyAudio
import ParleyCore

/// `parley run`: plays a WAV file through the configured pipeline, writes what the agent says,
/// and prints a per-turn latency table.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the configured pipeline on a WAV file and write the agent's reply.",
        discussion: """
        Without --realtime the file is processed as fast as possible (nothing is dropped) and \
        voice-to-voice latency is endpointing delay (media time) + response time (wall clock). \
        With --realtime input is paced at its real rate and latency is measured directly.
        """)

    @Option(help: "Agent config (YAML).") var config: String
    @Option(help: "Input WAV (any rate, channels, 8/16/24/32-bit PCM or float).") var input: String
    @Option(help: "Where to write the agent's audio (WAV, on the input's timeline).") var output: String
    @Flag(help: "Pace the input in real time instead of as fast as possible.") var realtime = false
    @Option(help: "Per-session overrides as dispatch-metadata JSON (seed agentConfig fields), or @FILE.")
    var metadata: String?
    @Option(help: "Write structured events (turn reports, interruptions, failures) as JSON lines.")
    var events: String?
    @Flag(help: "Print the negotiated pipeline graph.") var verbose = false

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "parley.run")
        logger.logLevel = verbose ? .info : .warning
        let env = ProcessInfo.processInfo.environment
        let registry = makeRegistry()

        var agentConfig = try AgentConfig.load(path: config, environment: env)
        if let metadata {
            let data: Data
            if metadata.hasPrefix("@") {
                let path = String(metadata.dropFirst())
                guard let d = FileManager.default.contents(atPath: path) else {
                    throw CLIFailure(message: "\(path): cannot read metadata file")
                }
                data = d
            } else {
                data = Data(metadata.utf8)
            }
            agentConfig = try SessionOverrides(json: data, logger: logger).applied(to: agentConfig, registry: registry)
        }

        let wav: WAVFile
        do { wav = try WAVReader.read(path: input) } catch { throw CLIFailure(message: "\(error)") }
        guard wav.frameCount > 0 else { throw CLIFailure(message: "\(input): the WAV file has no samples") }
        let inputFormat = AudioFormat(sampleRate: wav.format.sampleRate, channels: wav.format.channels,
                                      frameDurationMs: agentConfig.audio.frameMs)
        let outputCaps = AudioCaps(sampleRates: [agentConfig.audio.sampleRate], channels: [1])
        // Paced playout only in real time: as fast as possible, a reply is "heard" as it is made.
        let session = try PipelineAssembler(registry: registry, environment: env)
            .buildSession(agentConfig, input: inputFormat, outputCaps: outputCaps, pacedPlayout: realtime)
        let graph = session.graph
        if verbose { print(graph.summary) }

        let recorder: ReplyRecorder
        do { recorder = try ReplyRecorder(path: output, format: graph.outputFormat) } catch {
            throw CLIFailure(message: "\(error)")
        }
        let eventLog = try events.map { try EventLog(path: $0) }
        let collector = TurnCollector()
        let pipeline = Pipeline(
            graph: graph, id: "run", clock: SystemClock(),
            policy: realtime ? .realtime : .offline, pacing: realtime ? .realtime : .asFastAsPossible,
            source: SampleArraySource(samples: wav.samples, format: inputFormat), logger: logger,
            output: { frame in
                recorder.handle(frame)
                collector.record(frame)
                // Both sides of the conversation go into the events file too (agent text as played).
                switch frame {
                case .transcript(let t) where t.isFinal && !t.text.isEmpty: eventLog?.write(line: t.jsonLine)
                case .text(let t) where t.role == .agent: eventLog?.write(line: t.jsonLine)
                default: break
                }
            },
            events: { event in
                collector.record(event)
                eventLog?.write(event)
            })
        try pipeline.start()
        if let greeting = AgentSpeech.greeting(agentConfig.agent, conversation: session.conversation) {
            pipeline.push(greeting)
        }
        let outcome = pipeline.waitBlocking()
        eventLog?.close()
        do { try recorder.finish(padTo: Nanos(wav.duration * 1e9)) } catch { throw CLIFailure(message: "\(error)") }

        let stats = pipeline.stats()
        if !collector.conversation.isEmpty {
            print("Conversation")
            for line in collector.conversation { print("  " + line) }
            print("")
        }
        print(LatencyTable.render(turns: collector.turns, stats: stats, realtime: realtime))
        print("reply: \(output) (\(String(format: "%.2f", Double(recorder.agentSamples) / Double(graph.outputFormat.sampleRate))) s of agent audio in \(collector.turns.count) turn(s))")
        switch outcome {
        case .finished: break
        case .failed(let f): throw CLIFailure(message: "pipeline failed: \(f)")
        case .cancelled: throw CLIFailure(message: "pipeline was cancelled")
        }
    }
}

/// Collects turn reports and the conversation (final user transcripts, agent text) from the
/// loop thread for printing after the run.
final class TurnCollector: Sendable {
    private let storage = Mutex<[TurnReport]>([])
    private let lines = Mutex<[String]>([])

    func record(_ event: PipelineEvent) {
        if case .turn(let t) = event { storage.withLock { $0.append(t) } }
    }

    func record(_ frame: Frame) {
        switch frame {
        case .transcript(let t) where t.isFinal && t.role == .user && !t.text.isEmpty:
            lines.withLock { $0.append(String(format: "[%6.2f s] user:  ", Double(t.end) / 1e9) + t.text) }
        case .text(let t) where t.role == .agent:
            lines.withLock { $0.append("           agent: " + t.text) }
        default:
            break
        }
    }

    var turns: [TurnReport] { storage.withLock { $0 } }
    var conversation: [String] { lines.withLock { $0 } }
}

import Synchronization
