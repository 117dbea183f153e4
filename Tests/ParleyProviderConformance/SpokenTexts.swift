// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// What a TTS stage said, read back from its output frames, and every way the output broke the
/// TTS stage conventions on the way.
///
/// The conventions (what outputs downstream rely on to show transcripts in step with playout):
///
/// ```
///   [metric ttfb] agentStartedSpeaking  TextFrame(agent)  audio(agent) … audio(agent)  agentStoppedSpeaking
/// ```
///
/// - agent audio only between `agentStartedSpeaking` and `agentStoppedSpeaking`, never nested;
/// - the agent `TextFrame` first inside each pair, before any audio (LLM frames, metrics and
///   other control frames may come in between);
/// - within one text, audio frames follow each other on the media timeline without gaps.
public struct SpokenTexts {
    public struct Spoken {
        public var text: String
        /// The agent `TextFrame`'s `replyID`.
        public var replyID: String?
        public var frames: [AudioFrame] = []
        /// Index in the output frames of its `agentStartedSpeaking`.
        public var startIndex: Int
        public var stopIndex: Int?

        public var samples: [Int16] {
            var all: [Int16] = []
            for f in frames { f.withSamples { all.append(contentsOf: $0) } }
            return all
        }

        /// The audio decoded as `SpeechTone` (what the protocol test servers synthesize).
        public var decoded: String {
            guard let rate = frames.first?.format.sampleRate else { return "" }
            return SpeechTone.decode(samples, sampleRate: rate)
        }
    }

    public private(set) var spoken: [Spoken] = []
    public private(set) var violations: [String] = []
    public private(set) var started = 0
    public private(set) var stopped = 0

    public init(_ frames: [Frame]) {
        var current: Spoken?
        var sawText = false
        for (i, frame) in frames.enumerated() {
            switch frame {
            case .control(.agentStartedSpeaking):
                started += 1
                if current != nil { violations.append("#\(i): agentStartedSpeaking while already speaking") }
                current = Spoken(text: "", startIndex: i)
                sawText = false
            case .control(.agentStoppedSpeaking):
                stopped += 1
                if var c = current {
                    c.stopIndex = i
                    if !sawText { violations.append("#\(i): a speaking turn without its agent TextFrame") }
                    spoken.append(c)
                } else {
                    violations.append("#\(i): agentStoppedSpeaking without agentStartedSpeaking")
                }
                current = nil
            case .text(let t) where t.role == .agent:
                guard current != nil else {
                    violations.append("#\(i): agent text \"\(t.text)\" outside agentStartedSpeaking/agentStoppedSpeaking")
                    continue
                }
                if sawText { violations.append("#\(i): a second agent text in one speaking turn") }
                if current?.frames.isEmpty == false { violations.append("#\(i): agent text \"\(t.text)\" after its audio") }
                current?.text = t.text
                current?.replyID = t.replyID
                sawText = true
            case .audio(let a) where a.role == .agent:
                guard current != nil else {
                    violations.append("#\(i): agent audio outside agentStartedSpeaking/agentStoppedSpeaking")
                    continue
                }
                if !sawText { violations.append("#\(i): agent audio before its TextFrame") }
                if let last = current?.frames.last, abs(a.timestamp - last.endTimestamp) > 1_000 {
                    violations.append("#\(i): audio at \(a.timestamp) ns does not follow the previous frame "
                                      + "(ended \(last.endTimestamp) ns)")
                }
                current?.frames.append(a)
            default:
                break
            }
        }
        if let c = current { spoken.append(c) }
    }

    /// True when every `agentStartedSpeaking` has its `agentStoppedSpeaking`.
    public var isBalanced: Bool { started == stopped }

    /// The texts spoken (completed turns only), in order.
    public var texts: [String] { spoken.filter { $0.stopIndex != nil }.map(\.text) }
}
