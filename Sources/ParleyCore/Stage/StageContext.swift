// SPDX-License-Identifier: Apache-2.0

import Logging

/// A stage's handle on the engine: emit frames, raise interruptions, set timers, get buffers,
/// read the clock, and obtain a thread-safe mailbox for provider threads.
///
/// Everything here except `mailbox` must be used on the pipeline loop (inside a `Stage`
/// callback). One context per stage instance, created by the engine.
public final class StageContext {
    /// The stage's node index in the graph (stable for the pipeline's life).
    public let node: Int
    public let name: String
    public internal(set) var logger: Logger
    /// Audio format arriving at this stage (after any engine-inserted conversion).
    public internal(set) var inputFormat: AudioFormat
    /// Audio format this stage emits (`Stage.outputFormat(for: inputFormat)`).
    public internal(set) var outputFormat: AudioFormat
    unowned let engine: PipelineEngine

    init(node: Int, name: String, engine: PipelineEngine, inputFormat: AudioFormat, outputFormat: AudioFormat,
         logger: Logger) {
        self.node = node
        self.name = name
        self.engine = engine
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.logger = logger
    }

    /// How far the input has got on the media timeline (end of the latest input audio frame):
    /// where a stage that generates audio places the start of its reply.
    public var mediaNow: Nanos { engine.turns.inputMediaEnd }

    /// The pipeline clock (nanoseconds).
    public func now() -> Nanos { engine.clock.now() }
    public var clock: any PipelineClock { engine.clock }

    /// Sends a frame to every output edge of this stage (data or control lane as the frame says).
    public func emit(_ frame: Frame) { engine.emit(from: node, frame) }

    /// Convenience for control frames.
    public func emit(_ control: ControlFrame) { engine.emit(from: node, .control(control)) }

    /// Cancels the agent's reply downstream of this stage: purges queued agent output on every
    /// downstream edge and calls `interrupted` on each downstream stage, one hop after another,
    /// ahead of any queued data.
    public func raiseInterruption(_ cause: Interruption.Cause) { engine.raiseInterruption(from: node, cause: cause) }

    /// Calls `timerFired(id:)` after `delay` nanoseconds of pipeline clock. Re-scheduling an id
    /// replaces the earlier timer with that id.
    public func schedule(after delay: Nanos, id: Int) { engine.schedule(node: node, id: id, at: now() + delay) }
    public func cancelTimer(id: Int) { engine.cancelTimer(node: node, id: id) }

    /// A reusable buffer big enough for one frame of `outputFormat` (or larger formats up to
    /// 48 kHz stereo 60 ms). Never allocates in steady state.
    public func acquireBuffer(minimumSamples: Int? = nil) -> AudioBuffer {
        engine.buffers.pool(forAtLeast: minimumSamples ?? outputFormat.samplesPerFrameAllChannels).acquire()
    }

    /// The pool a stage uses for copy-on-write (`AudioFrame.withWritableSamples`).
    public func pool(forAtLeast samples: Int) -> AudioBufferPool { engine.buffers.pool(forAtLeast: samples) }

    /// A thread-safe handle that provider threads/tasks use to hand frames back to this stage's
    /// outputs (they are emitted on the loop, in order).
    public var mailbox: StageMailbox { StageMailbox(node: node, inbox: engine.inbox) }

    /// How many interruptions have reached this stage. Capture it when handing work to a
    /// provider thread and post the results with `mailbox.post(_:epoch:)`: agent output that
    /// was started before a later interruption is then dropped by the engine on arrival
    /// (counted in `PipelineStats.StageProbe.staleDropped`), so a reply that was cut off can't
    /// leak out of a provider that was slow to notice. User output (transcripts) always passes.
    public var epoch: UInt64 { engine.nodes[node].epoch }

    /// Reports a failure. A fatal one stops the pipeline after this pass.
    public func fail(_ message: String, fatal: Bool) {
        engine.emit(from: node, .control(.error(StageFailure(stage: name, message: message, isFatal: fatal))))
    }

    /// Reports a measurement in-band (it reaches the turn report at the sink).
    public func report(metric: String, nanoseconds: Nanos) {
        engine.emit(from: node, .control(.metric(StageMetric(stage: name, name: metric, nanoseconds: nanoseconds))))
    }
}

/// Thread-safe way back into the pipeline for a stage's provider I/O (network callbacks,
/// worker threads, async tasks). Frames posted here are emitted from the stage's node, on the
/// loop, in the order they were posted.
public struct StageMailbox: Sendable {
    let node: Int
    let inbox: PipelineInbox

    public func post(_ frame: Frame) { inbox.post(node: node, .frame(frame, epoch: nil)) }

    /// Posts a frame produced by work started at interruption epoch `epoch` (`StageContext.epoch`).
    public func post(_ frame: Frame, epoch: UInt64) { inbox.post(node: node, .frame(frame, epoch: epoch)) }
    /// Raises an interruption from this stage (as `StageContext.raiseInterruption` does).
    public func interruption(_ cause: Interruption.Cause) { inbox.post(node: node, .interrupt(cause)) }
}
