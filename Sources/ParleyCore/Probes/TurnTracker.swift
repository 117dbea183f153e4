// SPDX-License-Identifier: Apache-2.0

/// Latency of one conversational turn, from the end of the user's speech to the first sample
/// of the agent's reply leaving the pipeline.
///
/// Two clocks meet here. The *media* timeline is the input's own time (position in the file,
/// or capture time for live input); the *pipeline clock* is when the engine did things.
/// - `endpointingDelay` = media time at which the end of speech was decided − media time the
///   speech actually ended (the VAD's silence hangover and any turn-detector wait).
/// - `responseLatency` = pipeline clock from that decision to the first agent audio out.
/// - `voiceToVoice`: in real-time runs (media time maps onto the clock) the direct difference
///   between first agent audio out and the end of speech; in as-fast-as-possible runs the sum
///   of the two parts above, which is what a real-time run would measure if nothing lagged.
public struct TurnReport: Sendable, Hashable {
    public var index: Int
    public var speechEnd: Nanos
    public var endpointingDelay: Nanos
    public var responseLatency: Nanos
    public var voiceToVoice: Nanos
    public var isRealtime: Bool
    /// Per stage (graph order): time from the end-of-speech decision to the stage's first
    /// output of this turn (final transcript, LLM token, agent text or audio), if it produced one.
    public var stageFirstOutput: [StageTiming]
    /// Per stage: processing time spent inside the stage during the turn.
    public var stageProcessing: [StageTiming]
    /// Measurements stages reported in-band during the turn (TTFB, TTFT, …).
    public var metrics: [StageMetric]
    public var wasInterrupted: Bool

    public struct StageTiming: Sendable, Hashable {
        public var stage: String
        public var nanoseconds: Nanos
    }
}

/// Follows turns as frames pass through the engine and produces `TurnReport`s.
/// Called only from the engine's loop; records into preallocated arrays.
struct TurnTracker {
    private let stageNames: [String]
    private var turnIndex = 0
    private var open = false
    private var speechEnd: Nanos = 0
    private var decisionMedia: Nanos = 0
    private var decisionAt: Nanos = 0
    private var mediaClockOffset: Nanos?
    private var firstOutput: [Nanos]
    private var processingTotals: [Nanos]
    private var metrics: [StageMetric] = []
    private var interrupted = false
    /// Latest media end time seen at the input (for live inputs without a decision node).
    private(set) var inputMediaEnd: Nanos = 0

    init(stageNames: [String]) {
        self.stageNames = stageNames
        firstOutput = Array(repeating: -1, count: stageNames.count)
        processingTotals = Array(repeating: 0, count: stageNames.count)
        metrics.reserveCapacity(16)
    }

    mutating func input(mediaEnd: Nanos) { inputMediaEnd = mediaEnd }

    mutating func userStoppedSpeaking(speechEnd: Nanos, decisionMedia: Nanos, at now: Nanos, mediaClockOffset: Nanos?) {
        open = true
        self.speechEnd = speechEnd
        self.decisionMedia = max(decisionMedia, speechEnd)
        decisionAt = now
        self.mediaClockOffset = mediaClockOffset
        for i in firstOutput.indices { firstOutput[i] = -1; processingTotals[i] = 0 }
        metrics.removeAll(keepingCapacity: true)
        interrupted = false
    }

    mutating func stageOutput(node: Int, at now: Nanos) {
        if open && firstOutput[node] < 0 { firstOutput[node] = now - decisionAt }
    }

    mutating func processing(node: Int, nanos: Nanos) {
        if open && node < processingTotals.count { processingTotals[node] += nanos }
    }

    mutating func metric(_ m: StageMetric) { if open { metrics.append(m) } }

    mutating func interrupted(at now: Nanos) { if open { interrupted = true } }

    /// Agent audio reached the output; closes the open turn and returns its report.
    mutating func agentAudioOut(at now: Nanos) -> TurnReport? {
        guard open else { return nil }
        open = false
        turnIndex += 1
        let endpointing = decisionMedia - speechEnd
        let response = now - decisionAt
        let v2v: Nanos
        if let offset = mediaClockOffset { v2v = now - (offset + speechEnd) } else { v2v = endpointing + response }
        var first: [TurnReport.StageTiming] = []
        var proc: [TurnReport.StageTiming] = []
        for (i, name) in stageNames.enumerated() {
            if firstOutput[i] >= 0 { first.append(.init(stage: name, nanoseconds: firstOutput[i])) }
            proc.append(.init(stage: name, nanoseconds: processingTotals[i]))
        }
        return TurnReport(index: turnIndex, speechEnd: speechEnd, endpointingDelay: endpointing,
                          responseLatency: response, voiceToVoice: v2v, isRealtime: mediaClockOffset != nil,
                          stageFirstOutput: first, stageProcessing: proc, metrics: metrics,
                          wasInterrupted: interrupted)
    }
}
