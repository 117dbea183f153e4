// SPDX-License-Identifier: Apache-2.0

/// Why an interruption was raised.
public struct Interruption: Sendable, Hashable {
    public enum Cause: String, Sendable, Hashable {
        /// The user spoke over the agent for at least the configured minimum.
        case userSpeech
        /// An operator or API call cut the reply (e.g. `session.interrupt()`).
        case explicit
        /// A provider failed mid-reply and the reply is abandoned.
        case providerFailure
        /// A reply generated ahead of the end of the user's turn (preemptive generation) is
        /// discarded because the final transcript differed from the one it answered.
        case superseded
    }

    /// Unique per interruption; a stage on a fan-in point sees each id once.
    public var id: UInt64
    public var cause: Cause
    /// Index of the graph node that raised it (filled in by the engine).
    public var origin: Int
    /// Pipeline clock time when it was raised (filled in by the engine).
    public var raisedAt: Nanos

    public init(id: UInt64 = 0, cause: Cause, origin: Int = -1, raisedAt: Nanos = 0) {
        self.id = id
        self.cause = cause
        self.origin = origin
        self.raisedAt = raisedAt
    }
}

/// A failure reported by a stage.
public struct StageFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var stage: String
    public var message: String
    /// A fatal failure stops the pipeline; a non-fatal one is reported and the turn goes on
    /// (a fallback adapter may retry it).
    public var isFatal: Bool

    public init(stage: String, message: String, isFatal: Bool) {
        self.stage = stage
        self.message = message
        self.isFatal = isFatal
    }

    public var description: String { "\(stage): \(message)" }
}

/// One measurement a stage reports in-band (e.g. STT final latency, LLM time to first token,
/// TTS time to first byte), collected into the per-turn report.
public struct StageMetric: Sendable, Hashable {
    public var stage: String
    public var name: String
    public var nanoseconds: Nanos

    public init(stage: String, name: String, nanoseconds: Nanos) {
        self.stage = stage
        self.name = name
        self.nanoseconds = nanoseconds
    }
}

/// What the turn manager tells the playout (the last stage) to do with agent audio.
public enum PlayoutCommand: String, Sendable, Hashable {
    /// Stop playing at the next frame boundary and hold what is queued: the user may be
    /// barging in (it is a real interruption once words follow), or a preemptive reply must
    /// wait for the end of the user's turn.
    case pause
    /// Play on from where it paused (a false interruption, or the preemptive reply's turn ended).
    case resume
}

/// Signals about the stream and the conversation, carried on the control lane.
///
/// Two kinds of control frame, as in GStreamer's serialized vs. out-of-band events:
/// - **Priority** (`overtakesData == true`): interruption, user-started-speaking, error.
///   These go to the front of every queue they enter and reach each stage one hop after the
///   previous one, however much data is queued.
/// - **In-band** (`overtakesData == false`): stream start/end, user-stopped-speaking, agent
///   speaking state, flush and metrics. They keep their place relative to data because their
///   meaning depends on it (end of stream comes after the last sample; "user stopped" comes
///   after the last frame of the utterance, so STT finalises on complete audio).
///
/// Neither kind is ever dropped by a full queue, and no control frame is cancelled by an
/// interruption (an interruption purges data only).
public enum ControlFrame: Sendable, Hashable {
    case startOfStream
    /// No more data will follow. Stages flush what they hold, then pass it on.
    case endOfStream
    /// The VAD heard speech begin at media time `at` (the first voiced sample).
    case userStartedSpeaking(at: Nanos)
    /// The VAD decided speech ended. `speechEnd` is the media time of the last voiced sample;
    /// the decision itself comes later (after the silence hangover), at the frame that carries it.
    case userStoppedSpeaking(speechEnd: Nanos)
    case agentStartedSpeaking
    case agentStoppedSpeaking
    /// Cancel the agent's current reply everywhere downstream.
    case interruption(Interruption)
    /// Push out whatever is buffered now (e.g. finalise an STT segment) without ending the stream.
    case flush
    case error(StageFailure)
    case metric(StageMetric)
    /// For the playout (on the priority lane, so it takes effect within one frame).
    case playout(PlayoutCommand)

    /// Whether this frame jumps ahead of queued data (see the type's documentation).
    public var overtakesData: Bool {
        switch self {
        case .interruption, .userStartedSpeaking, .error, .playout: return true
        case .startOfStream, .endOfStream, .userStoppedSpeaking, .agentStartedSpeaking, .agentStoppedSpeaking,
             .flush, .metric: return false
        }
    }

    public var name: String {
        switch self {
        case .startOfStream: return "start-of-stream"
        case .endOfStream: return "end-of-stream"
        case .userStartedSpeaking: return "user-started-speaking"
        case .userStoppedSpeaking: return "user-stopped-speaking"
        case .agentStartedSpeaking: return "agent-started-speaking"
        case .agentStoppedSpeaking: return "agent-stopped-speaking"
        case .interruption: return "interruption"
        case .flush: return "flush"
        case .error: return "error"
        case .metric: return "metric"
        case .playout(let c): return "playout-\(c.rawValue)"
        }
    }
}
