// SPDX-License-Identifier: Apache-2.0

import Logging

/// A stage's handle on the engine: emit frames, raise interruptions, set timers, get buffers,
/// read the clock, and obtain a thread-safe mailbox for provider threads.
///
/// Everything here except `mailbox` must be used on the pipeline loop (inside a `Stage`
/// callback). One context per stage instance, created by the engine — or, for a stage that
/// runs inside a wrapper stage (`FallbackStage`), by the wrapper (`makeChildContext`): then
/// `channel` is non-zero and what the stage emits, reports, posts and times goes back to the
/// wrapper instead of downstream (see ChildStageContext.swift).
public final class StageContext {
    /// The stage's node index in the graph (stable for the pipeline's life). A child context
    /// has its wrapper's node.
    public let node: Int
    public let name: String
    public internal(set) var logger: Logger
    /// Audio format arriving at this stage (after any engine-inserted conversion).
    public internal(set) var inputFormat: AudioFormat
    /// Audio format this stage emits (`Stage.outputFormat(for: inputFormat)`).
    public internal(set) var outputFormat: AudioFormat
    unowned let engine: PipelineEngine
    /// 0 for a node's own context; 1, 2, … for the child contexts of a wrapper stage.
    let channel: Int
    /// Where a child context's output goes (the wrapper stage); nil for a node's own context.
    /// Weak: the wrapper owns its children's contexts, not the other way round.
    weak var host: (any ChildStageHost)?
    /// A child's interruption epoch. A node's own lives in the engine (`NodeState.epoch`);
    /// a child's is bumped by its wrapper when it hands the child an interruption.
    var childEpoch: UInt64 = 0

    init(node: Int, channel: Int = 0, name: String, engine: PipelineEngine, inputFormat: AudioFormat,
         outputFormat: AudioFormat, logger: Logger, host: (any ChildStageHost)? = nil) {
        self.node = node
        self.channel = channel
        self.name = name
        self.engine = engine
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.logger = logger
        self.host = host
    }

    /// How far the input has got on the media timeline (end of the latest input audio frame):
    /// where a stage that generates audio places the start of its reply.
    public var mediaNow: Nanos { engine.turns.inputMediaEnd }

    /// The pipeline clock (nanoseconds).
    public func now() -> Nanos { engine.clock.now() }
    public var clock: any PipelineClock { engine.clock }

    /// Sends a frame to every output edge of this stage (data or control lane as the frame says).
    /// From a child context: hands it to the wrapper stage instead.
    @inline(__always)
    public func emit(_ frame: Frame) {
        if channel == 0 { engine.emit(from: node, frame) } else { host?.child(channel, emitted: frame) }
    }

    /// Convenience for control frames.
    public func emit(_ control: ControlFrame) { emit(.control(control)) }

    /// Cancels the agent's reply downstream of this stage: purges queued agent output on every
    /// downstream edge and calls `interrupted` on each downstream stage, one hop after another,
    /// ahead of any queued data. From a child context: the wrapper stage decides.
    public func raiseInterruption(_ cause: Interruption.Cause) {
        if channel == 0 {
            engine.raiseInterruption(from: node, cause: cause)
        } else {
            host?.child(channel, raisedInterruption: cause)
        }
    }

    /// Calls `timerFired(id:)` after `delay` nanoseconds of pipeline clock. Re-scheduling an id
    /// replaces the earlier timer with that id. (A child's ids are its own: they never clash
    /// with its wrapper's or a sibling's.)
    public func schedule(after delay: Nanos, id: Int) {
        engine.schedule(node: node, channel: channel, id: id, at: now() + delay)
    }
    public func cancelTimer(id: Int) { engine.cancelTimer(node: node, channel: channel, id: id) }

    /// A reusable buffer big enough for one frame of `outputFormat` (or larger formats up to
    /// 48 kHz stereo 60 ms). Never allocates in steady state.
    public func acquireBuffer(minimumSamples: Int? = nil) -> AudioBuffer {
        engine.buffers.pool(forAtLeast: minimumSamples ?? outputFormat.samplesPerFrameAllChannels).acquire()
    }

    /// The pool a stage uses for copy-on-write (`AudioFrame.withWritableSamples`).
    public func pool(forAtLeast samples: Int) -> AudioBufferPool { engine.buffers.pool(forAtLeast: samples) }

    /// A thread-safe handle that provider threads/tasks use to hand frames back to this stage's
    /// outputs (they are emitted on the loop, in order).
    public var mailbox: StageMailbox { StageMailbox(node: node, channel: channel, inbox: engine.inbox) }

    /// How many interruptions have reached this stage. Capture it when handing work to a
    /// provider thread and post the results with `mailbox.post(_:epoch:)`: agent output that
    /// was started before a later interruption is then dropped by the engine on arrival
    /// (counted in `PipelineStats.StageProbe.staleDropped`), so a reply that was cut off can't
    /// leak out of a provider that was slow to notice. User output (transcripts) always passes.
    public var epoch: UInt64 { channel == 0 ? engine.nodes[node].epoch : childEpoch }

    /// Reports a failure. A fatal one stops the pipeline after this pass. (A non-fatal one from
    /// a child context goes to its wrapper, which may retry the request elsewhere.)
    public func fail(_ message: String, fatal: Bool) {
        emit(.control(.error(StageFailure(stage: name, message: message, isFatal: fatal))))
    }

    /// Reports a measurement in-band (it reaches the turn report at the sink).
    public func report(metric: String, nanoseconds: Nanos) {
        emit(.control(.metric(StageMetric(stage: name, name: metric, nanoseconds: nanoseconds))))
    }
}

/// Thread-safe way back into the pipeline for a stage's provider I/O (network callbacks,
/// worker threads, async tasks). Frames posted here are emitted from the stage's node, on the
/// loop, in the order they were posted.
///
/// A child context's mailbox carries its `channel`, so the loop hands what a child's provider
/// thread posts back to the child's wrapper (and checks it against the child's epoch).
public struct StageMailbox: Sendable {
    let node: Int
    let channel: Int
    let inbox: PipelineInbox

    init(node: Int, channel: Int = 0, inbox: PipelineInbox) {
        self.node = node
        self.channel = channel
        self.inbox = inbox
    }

    public func post(_ frame: Frame) { inbox.post(node: node, channel: channel, .frame(frame, epoch: nil)) }

    /// Posts a frame produced by work started at interruption epoch `epoch` (`StageContext.epoch`).
    public func post(_ frame: Frame, epoch: UInt64) {
        inbox.post(node: node, channel: channel, .frame(frame, epoch: epoch))
    }
    /// Raises an interruption from this stage (as `StageContext.raiseInterruption` does).
    public func interruption(_ cause: Interruption.Cause) { inbox.post(node: node, channel: channel, .interrupt(cause)) }
}
