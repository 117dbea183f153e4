// SPDX-License-Identifier: Apache-2.0

import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A running pipeline: a `PipelineGraph` driven by its own loop thread.
///
/// ```
///   other threads ── push(frame) / interrupt() / cancel() ──► inbox ─┐
///                                                                  ▼
///   loop thread:  ┌─► drain inbox ─► timers ─► priority lane ─► one data frame ─► pull source ─┐
///                 └──────────────── wait (signal or next deadline) ◄── idle ◄────────────────┘
/// ```
///
/// Stages run only on the loop thread, one call at a time. Everything public here is
/// thread-safe. The pipeline ends when end-of-stream reaches the output, a stage fails
/// fatally, or `cancel()` is called; `wait()` returns the outcome.
///
/// `@unchecked Sendable`: the engine (all mutable state) is touched only by the loop thread
/// after `start()`; other threads reach it only through the inbox (a `Mutex`) and the
/// outcome (a `Mutex`).
public final class Pipeline: @unchecked Sendable {
    public let graph: PipelineGraph
    public let id: String
    private let engine: PipelineEngine
    private let signal = LoopSignal()
    private let completion = Completion()
    private var thread: pthread_t?

    /// - Parameters:
    ///   - source: pulled input (files); nil for live input pushed with `push(_:)`.
    ///   - output: called on the loop thread for every frame that leaves the pipeline.
    ///   - events: called on the loop thread for turn reports, interruptions, failures.
    public init(graph: PipelineGraph, id: String = "pipeline", clock: any PipelineClock = SystemClock(),
                policy: EdgePolicy = .realtime, pacing: SourcePacing = .realtime, source: (any PipelineSource)? = nil,
                logger: Logger = Logger(label: "parley.pipeline"),
                output: @escaping (Frame) -> Void, events: @escaping (PipelineEvent) -> Void = { _ in }) {
        self.graph = graph
        self.id = id
        let completion = completion
        engine = PipelineEngine(graph: graph, clock: clock, policy: policy, pacing: pacing, source: source,
                                pipelineID: id, logger: logger, signal: signal, output: output,
                                events: { event in
                                    events(event)
                                    if case .finished(let o) = event { completion.complete(o) }
                                })
        engine.inbox.signal.notify()
    }

    /// For live input stamped with pipeline-clock capture times: media time == clock time.
    /// Call before `start()` (after it, the engine belongs to the loop thread).
    public func setLiveInput() {
        precondition(thread == nil, "setLiveInput() must be called before start()")
        engine.mediaClockOffset = 0
    }

    /// Starts every stage (a stage that fails to start fails the call, naming it), then the loop thread.
    public func start() throws {
        try engine.start()
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            #if canImport(Darwin)
            let pipeline = Unmanaged<Pipeline>.fromOpaque(arg).takeRetainedValue()
            #else
            let pipeline = Unmanaged<Pipeline>.fromOpaque(arg!).takeRetainedValue()
            #endif
            pipeline.loop()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw StageFailure(stage: "pipeline", message: "could not start loop thread (errno \(rc))", isFatal: true)
        }
        #if canImport(Darwin)
        thread = t
        #else
        thread = t
        #endif
    }

    private func loop() {
        let realClock = SystemClock()
        while !engine.isDone {
            engine.runUntilIdle()
            if engine.isDone { break }
            if engine.clock.isVirtual {
                // Virtual time only moves when a test advances it; wait for a post.
                signal.wait(untilMonotonic: realClock.now() + 5_000_000)
            } else if let deadline = engine.nextDeadline {
                signal.wait(untilMonotonic: deadline)
            } else {
                signal.wait(untilMonotonic: nil)
            }
        }
    }

    /// Live input: hands a frame to the pipeline input (thread-safe, never blocks).
    public func push(_ frame: Frame) { engine.inbox.post(node: PipelineGraph.input, .frame(frame, epoch: nil)) }

    /// Cancels the agent's current reply everywhere (as if the input raised an interruption).
    public func interrupt(_ cause: Interruption.Cause = .explicit) {
        engine.inbox.post(node: PipelineGraph.input, .interrupt(cause))
    }

    /// Stops the pipeline now: stages get `cancel`, queued data is dropped.
    public func cancel() { engine.inbox.post(node: PipelineGraph.input, .cancel) }

    /// The outcome once finished, else nil.
    public var result: PipelineOutcome? { completion.outcome }

    /// Waits until the pipeline has ended.
    public func wait() async -> PipelineOutcome {
        await withCheckedContinuation { completion.add($0) }
    }

    /// Blocks the calling thread until the pipeline ends and its loop thread has exited
    /// (for the CLI's synchronous paths). Call from one thread only.
    public func waitBlocking() -> PipelineOutcome {
        if let t = thread { pthread_join(t, nil); thread = nil; joined.withLock { $0 = true } }
        return result ?? .cancelled
    }

    private let joined = Mutex(false)
    var isJoined: Bool { joined.withLock { $0 } }
    func engineSnapshot() -> PipelineStats { engine.snapshot() }
}

/// The outcome of a pipeline and the tasks waiting for it.
final class Completion: Sendable {
    private struct State {
        var outcome: PipelineOutcome?
        var waiters: [CheckedContinuation<PipelineOutcome, Never>] = []
    }

    private let state = Mutex(State())

    var outcome: PipelineOutcome? { state.withLock { $0.outcome } }

    func complete(_ o: PipelineOutcome) {
        let waiters = state.withLock { s -> [CheckedContinuation<PipelineOutcome, Never>] in
            s.outcome = o
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.resume(returning: o) }
    }

    func add(_ c: CheckedContinuation<PipelineOutcome, Never>) {
        let done: PipelineOutcome? = state.withLock { s in
            if let o = s.outcome { return o }
            s.waiters.append(c)
            return nil
        }
        if let done { c.resume(returning: done) }
    }
}
