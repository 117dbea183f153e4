// SPDX-License-Identifier: Apache-2.0

/// Everything that moves along a pipeline edge.
///
/// A value type with no indirect cases: copying a frame into a queue slot or through a
/// passthrough stage never allocates (audio samples live in a shared, pooled `AudioBuffer`).
/// What an interruption does to each kind is documented on the payload type and summarised by
/// `isCancelledByInterruption`.
public enum Frame: Sendable {
    case audio(AudioFrame)
    case encoded(EncodedMediaFrame)
    case transcript(TranscriptFrame)
    case llm(LLMFrame)
    case text(TextFrame)
    case control(ControlFrame)

    public var kind: FrameKinds {
        switch self {
        case .audio: return .audio
        case .encoded: return .encoded
        case .transcript: return .transcript
        case .llm: return .llm
        case .text: return .text
        case .control: return .control
        }
    }

    /// True for the agent's own output (audio, encoded media, text, LLM tokens, agent
    /// transcripts): an interruption purges these from queues downstream of where it was raised.
    /// User media and every control frame survive.
    @inlinable
    public var isCancelledByInterruption: Bool {
        switch self {
        case .audio(let a): return a.role == .agent
        case .encoded(let e): return e.role == .agent
        case .transcript(let t): return t.role == .agent
        case .llm: return true
        case .text(let t): return t.role == .agent
        case .control: return false
        }
    }

    /// Only live user audio may be dropped when a realtime queue overflows: it arrives at the
    /// pace of the microphone, and a frame that waited too long is worth less than the delay it
    /// adds. Agent audio is generated faster than real time in bursts (a TTS sentence at once)
    /// and is paced by the playout at the end, so dropping it would cut words out of replies.
    @inlinable
    public var isDroppable: Bool {
        if case .audio(let a) = self { return a.role == .user }
        return false
    }

    /// Control frames that jump ahead of queued data.
    @inlinable
    public var overtakesData: Bool {
        if case .control(let c) = self { return c.overtakesData }
        return false
    }
}

/// A set of frame kinds: what a stage consumes (`Stage.accepts`) or produces (`Stage.produces`).
public struct FrameKinds: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let audio = FrameKinds(rawValue: 1 << 0)
    public static let encoded = FrameKinds(rawValue: 1 << 1)
    public static let transcript = FrameKinds(rawValue: 1 << 2)
    public static let llm = FrameKinds(rawValue: 1 << 3)
    public static let text = FrameKinds(rawValue: 1 << 4)
    public static let control = FrameKinds(rawValue: 1 << 5)
    public static let all: FrameKinds = [.audio, .encoded, .transcript, .llm, .text, .control]
    public static let none: FrameKinds = []

    public var description: String {
        let names: [(FrameKinds, String)] = [(.audio, "audio"), (.encoded, "encoded"), (.transcript, "transcript"),
                                             (.llm, "llm"), (.text, "text"), (.control, "control")]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: "+")
    }
}
