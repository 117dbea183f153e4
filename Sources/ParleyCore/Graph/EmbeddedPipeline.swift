// SPDX-License-Identifier: Apache-2.0

import Logging

/// A pipeline run by hand, for tests and benchmarks — Parley's `EmbeddedChannel`.
///
/// Nothing runs until you call `run()` (process everything that can run now) or
/// `advance(by:)` (move the virtual clock, firing timers and paced input on the way).
/// Frames that reach the output collect in `outputs`; events in `events`. Edges default to
/// the `.offline` policy (nothing dropped) so a test can push many frames before running;
/// pass `.realtime` or a custom `EdgePolicy` to test overflow.
///
/// ```swift
/// let clock = VirtualClock()
/// let p = try EmbeddedPipeline(stages: [vad, stt], clock: clock)
/// p.push(.audio(frame))
/// p.run()
/// #expect(p.outputs.contains { … })
/// ```
public final class EmbeddedPipeline {
    public let graph: PipelineGraph
    /// The pipeline clock: a `VirtualClock` for tests (then `advance(by:)` moves it), or
    /// `SystemClock` for benchmarks that measure real time.
    public let clock: any PipelineClock
    let engine: PipelineEngine
    /// Frames that reached the output so far.
    public var outputs: [Frame] { outputBox.outputs }
    /// Events reported so far.
    public var events: [PipelineEvent] { outputBox.events }
    /// Set to false to stop collecting outputs and events (benchmarks: avoids growing arrays).
    public var collectsOutputs = true { didSet { outputBox.collect = collectsOutputs } }
    private let outputBox: Box

    final class Box {
        var outputs: [Frame] = []
        var events: [PipelineEvent] = []
        var collect = true
        var onOutput: ((Frame) -> Void)?
    }

    public convenience init(stages: [any Stage], input: AudioFormat = .standard, outputCaps: AudioCaps = .any,
                            clock: any PipelineClock = VirtualClock(), policy: EdgePolicy = .offline,
                            pacing: SourcePacing = .asFastAsPossible, source: (any PipelineSource)? = nil) throws {
        let graph = try PipelineBuilder(input: input).then(stages).build(outputCaps: outputCaps)
        try self.init(graph: graph, clock: clock, policy: policy, pacing: pacing, source: source)
    }

    public init(graph: PipelineGraph, clock: any PipelineClock = VirtualClock(), policy: EdgePolicy = .offline,
                pacing: SourcePacing = .asFastAsPossible, source: (any PipelineSource)? = nil,
                start: Bool = true) throws {
        self.graph = graph
        self.clock = clock
        let box = Box()
        outputBox = box
        engine = PipelineEngine(graph: graph, clock: clock, policy: policy, pacing: pacing, source: source,
                                pipelineID: "embedded", logger: Logger(label: "parley.embedded"),
                                signal: LoopSignal(),
                                output: { f in
                                    box.onOutput?(f)
                                    if box.collect { box.outputs.append(f) }
                                },
                                events: { e in if box.collect { box.events.append(e) } })
        if start { try engine.start() }
    }

    /// Starts the stages (only needed when created with `start: false`).
    public func start() throws { try engine.start() }

    /// Called for every output frame, in addition to collecting it.
    public func onOutput(_ body: @escaping (Frame) -> Void) { outputBox.onOutput = body }

    /// Queues a frame at the pipeline input (not processed until `run()`).
    public func push(_ frame: Frame) {
        if case .audio(let a) = frame { engine.turns.input(mediaEnd: a.endTimestamp) }
        engine.emit(from: PipelineGraph.input, frame)
    }

    /// Raises an interruption at the input, as `Pipeline.interrupt()` does.
    public func interrupt(_ cause: Interruption.Cause = .explicit) {
        engine.raiseInterruption(from: PipelineGraph.input, cause: cause)
    }

    /// Runs until nothing more can happen without the clock moving.
    @discardableResult
    public func run() -> Bool {
        let worked = engine.runUntilIdle()
        sync()
        return worked
    }

    /// Runs exactly one scheduling pass.
    @discardableResult
    public func runPass() -> Bool {
        let worked = engine.runPass()
        sync()
        return worked
    }

    /// Moves the virtual clock forward by `delta`, stopping at every timer or paced-input
    /// deadline on the way and running the pipeline there.
    public func advance(by delta: Nanos) {
        guard let clock = clock as? VirtualClock else {
            preconditionFailure("advance(by:) needs the pipeline to run on a VirtualClock")
        }
        let target = clock.now() + delta
        run()
        while let next = engine.nextDeadline, next <= target, !engine.isDone {
            if next > clock.now() { clock.set(next) }
            if !engine.runUntilIdle() { break }
        }
        if target > clock.now() { clock.set(target) }
        run()
    }

    /// Removes and returns the collected outputs.
    public func takeOutputs() -> [Frame] {
        let o = outputBox.outputs
        outputBox.outputs.removeAll()
        return o
    }

    public func takeEvents() -> [PipelineEvent] {
        let e = outputBox.events
        outputBox.events.removeAll()
        return e
    }

    /// Cancels the pipeline (stages get `cancel`).
    public func cancel() { engine.cancel(); sync() }

    public var outcome: PipelineOutcome? { engine.isDone ? engine.state.outcome : nil }
    public func edgeStats(edge: Int) -> EdgeStats { engine.edgeStats(edge) }
    public func queueWait(edge: Int) -> LatencyHistogram { engine.waitHistograms[edge] }
    public func processing(node: Int) -> LatencyHistogram { engine.nodes[node].processing }
    public func queuedData(edge: Int) -> Int { engine.queues[edge].dataCount }
    public var bufferAllocations: Int { engine.buffers.totalAllocations }
    public var pools: BufferPools { engine.buffers }

    private func sync() { outputBox.collect = collectsOutputs }
}
