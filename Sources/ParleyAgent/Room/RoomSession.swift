// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyLiveKit
import ParleyWebRTC
import Synchronization

/// Runs a configured voice pipeline against a joined LiveKit room: the user's audio in, the
/// agent's audio out, transcripts and agent state to the room.
///
/// ```
///   Room remote audio (48 kHz mono, 20 ms, subscriber PC queue)
///        │ restamped on the pipeline clock, role user
///        ▼
///   Pipeline (live input, realtime edges) ──► output on the loop thread:
///        agent audio ─► AudioPlayout ─► LocalAudioTrack (publisher PC)
///        interruption ─► playout cleared
///        final transcripts, agent text ─► lk.transcription text streams
///        user/agent speaking ─► lk.agent.state attribute
/// ```
///
/// The session ends when the user leaves, the room disconnects, or the pipeline ends.
public final class RoomSession: Sendable {
    public let room: Room
    let pipeline: Pipeline
    let playout: AudioPlayout
    let logger: Logger
    /// Whose audio we listen to: the first remote audio track (or `userIdentity`'s).
    let listeningTo = Locked<String?>(nil)
    let userIdentity: String?
    let outbox: AsyncStream<Outgoing>.Continuation
    let outboxStream: AsyncStream<Outgoing>

    /// Room-side work produced on the pipeline loop, done in order off it.
    enum Outgoing: Sendable {
        case transcript(text: String, identity: String?, segment: String, trackSid: String?)
        case agentState(String)
    }

    /// Joins nothing itself: `room` is connected with an audio track published
    /// (`RoomOptions.audioTrackName`); `graph` takes 48 kHz mono 20 ms input and produces 48 kHz mono.
    public init(room: Room, graph: PipelineGraph, userIdentity: String? = nil, logger: Logger = Logger(label: "parley.session"))
        async throws
    {
        self.room = room
        self.logger = logger
        self.userIdentity = userIdentity
        let track: LocalAudioTrack
        if let published = await room.localAudioTrack {
            track = published
        } else {
            track = try await room.publishAudio(name: "parley-agent")
        }
        let (stream, continuation) = AsyncStream<Outgoing>.makeStream()
        outbox = continuation
        outboxStream = stream
        let playout = AudioPlayout(track: track) { playing in
            continuation.yield(.agentState(playing ? "speaking" : "listening"))
        }
        self.playout = playout
        let agentIdentity = await room.localParticipant?.identity
        let segments = Locked(0)
        pipeline = Pipeline(
            graph: graph, id: "room", clock: SystemClock(), policy: .realtime, pacing: .realtime, source: nil,
            logger: logger,
            output: { frame in
                switch frame {
                case .audio(let audio) where audio.role == .agent:
                    playout.enqueue(audio)
                case .control(.interruption):
                    playout.clear()
                case .control(.userStoppedSpeaking):
                    continuation.yield(.agentState("thinking"))
                case .transcript(let t) where t.isFinal && !t.text.isEmpty:
                    continuation.yield(.transcript(text: t.text, identity: nil, segment: "SG_" + t.segmentID, trackSid: nil))
                case .text(let t) where t.role == .agent && !t.text.isEmpty:
                    let n = segments.withLock { n -> Int in n += 1; return n }
                    continuation.yield(.transcript(text: t.text, identity: agentIdentity, segment: "SG_agent_\(n)", trackSid: nil))
                default:
                    break
                }
            })
        pipeline.setLiveInput()
    }

    /// Pushes text for the agent to speak (`AgentSpeech.say`, the greeting) into the pipeline.
    public func say(_ frame: Frame) { pipeline.push(frame) }

    /// Runs until the user leaves, the room closes or the pipeline ends; returns the pipeline
    /// outcome. `greeting` (from `AgentSpeech.greeting`) is spoken once the pipeline runs.
    public func run(greeting: Frame? = nil) async throws -> PipelineOutcome {
        let pipeline = self.pipeline
        let listening = listeningTo
        let clock = SystemClock()
        room.onRemoteAudio { track, frame in
            // Hot path (subscriber connection queue): one lock read, a field rewrite, a post.
            guard listening.withLock({ $0 == track.trackSid }) else { return }
            var frame = frame
            frame.timestamp = clock.now()
            frame.role = .user
            pipeline.push(.audio(frame))
        }
        // Stages load and warm up their models in start: the room sees "initializing" meanwhile.
        outbox.yield(.agentState("initializing"))
        try pipeline.start()
        if let greeting { pipeline.push(greeting) }
        let writer = Task { [room, outboxStream, logger] in
            for await item in outboxStream {
                switch item {
                case .agentState(let state):
                    try? await room.setAttributes(["lk.agent.state": state])
                case .transcript(let text, let identity, let segment, let trackSid):
                    var attributes = ["lk.segment_id": segment, "lk.transcription_final": "true"]
                    if let trackSid { attributes["lk.transcribed_track_id"] = trackSid }
                    do {
                        let stream = try await room.streamText(
                            topic: "lk.transcription", attributes: attributes, senderIdentity: identity)
                        try await stream.write(text)
                        try await stream.close(attributes: attributes)
                    } catch {
                        logger.warning("transcription not sent", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        outbox.yield(.agentState("listening"))
        let ownSid = await room.localSid
        let watcher = Task { [room, userIdentity, listening, pipeline, logger] in
            for await event in room.events {
                switch event {
                case .trackSubscribed(let track):
                    // Never our own voice (an SFU that echoes, or a second connection of ours).
                    let take = track.participantSid != ownSid
                        && (userIdentity == nil || track.participantIdentity == userIdentity)
                    if take {
                        let took = listening.withLock { current -> Bool in
                            guard current == nil else { return false }
                            current = track.trackSid
                            return true
                        }
                        if took { logger.info("listening", metadata: ["participant": "\(track.participantIdentity)", "track": "\(track.trackSid)"]) }
                    }
                case .trackUnsubscribed(let track):
                    listening.withLock { if $0 == track.trackSid { $0 = nil } }
                case .participantLeft(let participant):
                    if participant.identity == userIdentity || (userIdentity == nil && participant.kind != .agent) {
                        logger.info("user left; ending the session", metadata: ["participant": "\(participant.identity)"])
                        pipeline.cancel()
                        return
                    }
                case .disconnected:
                    pipeline.cancel()
                    return
                default:
                    break
                }
            }
            pipeline.cancel()
        }
        let outcome = await withTaskCancellationHandler {
            await pipeline.wait()
        } onCancel: {
            pipeline.cancel()
        }
        watcher.cancel()
        playout.stop()
        outbox.finish()
        await writer.value
        room.onRemoteAudio(nil)
        return outcome
    }
}
