// SPDX-License-Identifier: Apache-2.0

import Logging
import Metrics

/// The scheduler that moves frames through a `PipelineGraph`. Single-threaded: `Pipeline`
/// drives it from a loop thread, `EmbeddedPipeline` drives it from a test.
///
/// ```
///              inbox (thread-safe: frames from providers, live input, interrupt/cancel)
///                │
///   source ──► [edge 0] ──► stage #0 ──► [edge 1] ──► stage #1 ──► … ──► [edge n] ──► sink
///                 ▲  ▲                     ▲  ▲
///                 │  └ data lane (bounded; ordered; drop-oldest-audio or backpressure)
///                 └── priority lane (interruption, user-started-speaking, error: overtakes data)
/// ```
///
/// One pass (`runPass`) does, in order:
/// 1. drain the inbox; 2. fire due timers; 3. deliver every priority frame, walking edges in
/// topological order, so a control frame raised anywhere reaches every downstream stage in
/// the same pass, one hop per stage; 4. run one data frame on the most downstream stage that
/// has input and room to emit (downstream-first keeps queues short and latency low);
/// 5. pull from the source when its edge has room (and, when paced, the frame is due).
///
/// Probes: every hop records queue wait (enqueue → delivery) and processing time (the stage
/// call) into per-edge/per-node histograms and swift-metrics timers. No allocation per frame.
final class PipelineEngine {
    enum State: Equatable { case idle, running, finished, failed(StageFailure), cancelled }

    final class NodeState {
        let stage: any Stage
        var context: StageContext!
        var inputs: [Int] = []
        var outputs: [Int] = []
        let accepts: FrameKinds
        let produces: FrameKinds
        var processing = LatencyHistogram()
        var processingTimer: Metrics.Timer
        var lastInterruption: UInt64 = 0
        /// Interruptions delivered to this node; results posted with an older epoch are stale.
        var epoch: UInt64 = 0
        /// Agent output posted through the mailbox after an interruption made it stale.
        var staleDropped: UInt64 = 0
        var endOfStreamSeen = 0
        var startOfStreamSeen = 0
        /// Media time just after the last audio frame delivered here (for endpointing figures).
        var mediaPosition: Nanos = 0
        /// The contexts of the stages a wrapper stage runs inside this node; channel k is at k − 1.
        var children: [StageContext] = []

        init(stage: any Stage, pipelineID: String) {
            self.stage = stage
            accepts = stage.accepts
            produces = stage.produces
            processingTimer = Metrics.Timer(label: "parley_stage_processing_seconds",
                                            dimensions: [("pipeline", pipelineID), ("stage", stage.name)],
                                            preferredDisplayUnit: .microseconds)
        }
    }

    struct TimerEntry {
        var deadline: Nanos
        var node: Int
        /// 0: the node's stage; 1…: one of its child stages (`StageContext.channel`).
        var channel: Int
        var id: Int
    }

    let clock: any PipelineClock
    let graph: PipelineGraph
    let inbox: PipelineInbox
    let buffers = BufferPools()
    let logger: Logger
    let pacing: SourcePacing
    var nodes: [NodeState] = []
    var queues: [FrameQueue] = []
    var waitHistograms: [LatencyHistogram] = []
    var waitTimers: [Metrics.Timer] = []
    var dropCounters: [Counter] = []
    var edgeTo: [Int] = []
    /// Edge indices in order of their destination (topological), sink edges last.
    var deliveryOrder: [Int] = []
    var inputEdges: [Int] = []
    var sinkEdges: [Int] = []
    var sinkEndOfStreamSeen = 0
    var priorityPending = 0
    var timers: [TimerEntry] = []
    var nextInterruptionID: UInt64 = 1
    var source: (any PipelineSource)?
    var sourceExhausted = false
    var pendingSourceFrame: Frame?
    /// Clock time corresponding to media time 0 when the source is paced in real time
    /// (or live input stamped with clock times); nil for as-fast-as-possible runs.
    var mediaClockOffset: Nanos?
    var state: State = .idle
    var turns: TurnTracker
    let turnTimers: (voiceToVoice: Metrics.Timer, endpointing: Metrics.Timer, response: Metrics.Timer)
    let output: (Frame) -> Void
    let events: (PipelineEvent) -> Void

    init(graph: PipelineGraph, clock: any PipelineClock, policy: EdgePolicy, pacing: SourcePacing,
         source: (any PipelineSource)?, pipelineID: String, logger: Logger, signal: LoopSignal,
         output: @escaping (Frame) -> Void, events: @escaping (PipelineEvent) -> Void) {
        self.graph = graph
        self.clock = clock
        self.pacing = pacing
        self.source = source
        self.logger = logger
        self.output = output
        self.events = events
        inbox = PipelineInbox(signal: signal)
        turns = TurnTracker(stageNames: graph.nodes.map { $0.stage.name })
        let dims = [("pipeline", pipelineID)]
        turnTimers = (Metrics.Timer(label: "parley_turn_voice_to_voice_seconds", dimensions: dims, preferredDisplayUnit: .milliseconds),
                      Metrics.Timer(label: "parley_turn_endpointing_seconds", dimensions: dims, preferredDisplayUnit: .milliseconds),
                      Metrics.Timer(label: "parley_turn_response_seconds", dimensions: dims, preferredDisplayUnit: .milliseconds))
        timers.reserveCapacity(64)
        for n in graph.nodes { nodes.append(NodeState(stage: n.stage, pipelineID: pipelineID)) }
        for (i, e) in graph.edges.enumerated() {
            queues.append(FrameQueue(policy: policy))
            waitHistograms.append(LatencyHistogram())
            let name = graph.edgeName(i)
            waitTimers.append(Metrics.Timer(label: "parley_edge_queue_wait_seconds",
                                            dimensions: [("pipeline", pipelineID), ("edge", name)],
                                            preferredDisplayUnit: .microseconds))
            dropCounters.append(Counter(label: "parley_edge_dropped_frames_total",
                                        dimensions: [("pipeline", pipelineID), ("edge", name)]))
            edgeTo.append(e.to)
            if e.from == PipelineGraph.input { inputEdges.append(i) } else { nodes[e.from].outputs.append(i) }
            if e.to == graph.sinkNode { sinkEdges.append(i) } else { nodes[e.to].inputs.append(i) }
        }
        deliveryOrder = Array(graph.edges.indices).sorted { (edgeTo[$0], $0) < (edgeTo[$1], $1) }
        for (i, n) in graph.nodes.enumerated() {
            var l = logger
            l[metadataKey: "stage"] = "\(n.stage.name)"
            nodes[i].context = StageContext(node: i, name: n.stage.name, engine: self, inputFormat: n.inputFormat,
                                            outputFormat: n.outputFormat, logger: l)
            buffers.ensurePool(forAtLeast: max(n.inputFormat.samplesPerFrameAllChannels,
                                               n.outputFormat.samplesPerFrameAllChannels))
        }
        buffers.ensurePool(forAtLeast: graph.inputFormat.samplesPerFrameAllChannels)
    }

    // MARK: Lifecycle

    func start() throws {
        precondition(state == .idle, "pipeline started twice")
        for n in nodes {
            do {
                try n.stage.start(n.context)
            } catch {
                // Stop what already started, then report which stage failed and why.
                for started in nodes where started !== n { started.stage.cancel(started.context) }
                let failure = StageFailure(stage: n.stage.name, message: "failed to start: \(error)", isFatal: true)
                state = .failed(failure)
                throw failure
            }
        }
        state = .running
        if pacing == .realtime && mediaClockOffset == nil { mediaClockOffset = clock.now() }
        emit(from: PipelineGraph.input, .control(.startOfStream))
    }

    var isDone: Bool {
        switch state {
        case .finished, .failed, .cancelled: return true
        default: return false
        }
    }

    private func finish(_ newState: State) {
        guard !isDone else { return }
        state = newState
        for n in nodes {
            if newState == .finished { n.stage.stop(n.context) } else { n.stage.cancel(n.context) }
        }
        for q in queues { _ = q.removeAllData() }
        timers.removeAll(keepingCapacity: true)
        events(.finished(newState.outcome))
    }

    func cancel() { finish(.cancelled) }

    // MARK: Emitting

    /// Sends `frame` from `node` (or the input, −1) to its output edges. `forwarded` marks a
    /// frame the engine passes on for the stage (unaccepted kinds, control frames the stage
    /// let through): those are not the stage's own output, so the turn probes ignore them.
    @inline(__always)
    func emit(from node: Int, _ frame: Frame, forwarded: Bool = false) {
        if node >= 0 && !forwarded { observeEmission(node, frame) }
        let targets = node == PipelineGraph.input ? inputEdges : nodes[node].outputs
        let now = clock.now()
        for e in targets { push(frame, to: e, at: now) }
    }

    @inline(__always)
    private func push(_ frame: Frame, to edge: Int, at now: Nanos) {
        let dropped = queues[edge].push(frame, at: now)
        if frame.overtakesData { priorityPending += 1 }
        if dropped > 0 { dropCounters[edge].increment(by: Int64(dropped)) }
    }

    func raiseInterruption(from node: Int, cause: Interruption.Cause) {
        let i = Interruption(id: nextInterruptionID, cause: cause, origin: node, raisedAt: clock.now())
        nextInterruptionID += 1
        if node >= 0 {
            nodes[node].lastInterruption = i.id
            nodes[node].epoch += 1 // whatever the raiser had in flight is cancelled too
        }
        turns.interrupted(at: i.raisedAt)
        events(.interruption(i))
        emit(from: node, .control(.interruption(i)))
    }

    private func observeEmission(_ node: Int, _ frame: Frame) {
        switch frame {
        case .control(.userStoppedSpeaking(let speechEnd)):
            turns.userStoppedSpeaking(speechEnd: speechEnd, decisionMedia: nodes[node].mediaPosition,
                                      at: clock.now(), mediaClockOffset: mediaClockOffset)
        case .control(.error(let f)):
            events(.stageFailure(f))
            if f.isFatal { logger.error("stage failed", metadata: ["stage": "\(f.stage)", "reason": "\(f.message)"]) }
        default:
            // Only kinds the stage declares it produces count as its output (a stage that
            // re-emits what it was given is not "answering").
            if nodes[node].produces.contains(frame.kind) && (frame.isCancelledByInterruption || isUserTranscript(frame)) {
                turns.stageOutput(node: node, at: clock.now())
            }
        }
    }

    private func isUserTranscript(_ frame: Frame) -> Bool {
        if case .transcript(let t) = frame { return t.role == .user && t.isFinal }
        return false
    }

    // MARK: Timers

    func schedule(node: Int, channel: Int = 0, id: Int, at deadline: Nanos) {
        cancelTimer(node: node, channel: channel, id: id)
        let entry = TimerEntry(deadline: deadline, node: node, channel: channel, id: id)
        let index = timers.firstIndex { $0.deadline > deadline } ?? timers.count
        timers.insert(entry, at: index)
    }

    func cancelTimer(node: Int, channel: Int = 0, id: Int) {
        if let i = timers.firstIndex(where: { $0.node == node && $0.channel == channel && $0.id == id }) {
            timers.remove(at: i)
        }
    }

    private func fireDueTimers() -> Bool {
        var fired = false
        while let first = timers.first, first.deadline <= clock.now() {
            timers.removeFirst()
            let n = nodes[first.node]
            if first.channel == 0 {
                n.stage.timerFired(id: first.id, n.context)
            } else {
                let child = n.children[first.channel - 1]
                child.host?.child(first.channel, timerFired: first.id)
            }
            fired = true
        }
        return fired
    }

    // MARK: Child stages

    /// A context for a stage that `parent`'s stage runs inside its own node (see
    /// ChildStageContext.swift): same clock, pools and input format; its own channel, timers,
    /// mailbox and epoch; its output goes to `host`.
    func makeChildContext(of parent: StageContext, name: String, outputFormat: AudioFormat,
                          host: any ChildStageHost) -> StageContext {
        let node = nodes[parent.node]
        var l = parent.logger
        l[metadataKey: "child"] = "\(name)"
        let child = StageContext(node: parent.node, channel: node.children.count + 1, name: name, engine: self,
                                 inputFormat: parent.inputFormat, outputFormat: outputFormat, logger: l, host: host)
        node.children.append(child)
        buffers.ensurePool(forAtLeast: outputFormat.samplesPerFrameAllChannels)
        return child
    }

    /// When the loop must wake next, if nothing arrives in the inbox first (clock time).
    var nextDeadline: Nanos? {
        var d = timers.first?.deadline
        if let due = sourceDueTime { d = min(d ?? due, due) }
        return d
    }

    // MARK: Running

    /// Runs passes until there is nothing left to do right now. Returns whether anything ran.
    @discardableResult
    func runUntilIdle() -> Bool {
        var any = false
        while !isDone && runPass() { any = true }
        return any
    }

    /// One scheduling pass (see the type's documentation). Returns whether it did anything.
    func runPass() -> Bool {
        var worked = false
        inbox.drain { posted in
            worked = true
            self.handlePosted(posted)
        }
        if isDone { return false }
        if fireDueTimers() { worked = true }
        if priorityPending > 0 { deliverPriority(); worked = true }
        if isDone { return worked }
        if runOneDataFrame() { worked = true }
        if pullSource() { worked = true }
        return worked
    }

    private func handlePosted(_ posted: PipelineInbox.Posted) {
        if posted.channel != 0 { return handlePostedToChild(posted) }
        switch posted.message {
        case .frame(let f, let epoch):
            if posted.node == PipelineGraph.input {
                if case .audio(let a) = f { turns.input(mediaEnd: a.endTimestamp) }
            } else if let epoch, epoch < nodes[posted.node].epoch, f.isCancelledByInterruption {
                nodes[posted.node].staleDropped += 1
                return
            }
            emit(from: posted.node, f)
        case .interrupt(let cause):
            raiseInterruption(from: posted.node, cause: cause)
        case .cancel:
            finish(.cancelled)
        }
    }

    /// What a child stage's provider thread posted: checked against the child's own epoch (its
    /// wrapper hands it interruptions), then given to the wrapper as if the child emitted it.
    private func handlePostedToChild(_ posted: PipelineInbox.Posted) {
        let node = nodes[posted.node]
        let child = node.children[posted.channel - 1]
        switch posted.message {
        case .frame(let f, let epoch):
            if let epoch, epoch < child.childEpoch, f.isCancelledByInterruption {
                node.staleDropped += 1
                return
            }
            child.emit(f)
        case .interrupt(let cause):
            child.raiseInterruption(cause)
        case .cancel:
            finish(.cancelled)
        }
    }

    private func deliverPriority() {
        for e in deliveryOrder {
            while let q = queues[e].popPriority() {
                priorityPending -= 1
                deliver(q, edge: e)
                if isDone { return }
            }
        }
    }

    /// Delivers one data frame to the most downstream node that can take it.
    private func runOneDataFrame() -> Bool {
        for e in sinkEdges {
            if let q = queues[e].popData() {
                deliver(q, edge: e)
                return true
            }
        }
        var n = nodes.count - 1
        while n >= 0 {
            let node = nodes[n]
            if canRun(node), let e = oldestInput(node), let q = queues[e].popData() {
                deliver(q, edge: e)
                return true
            }
            n -= 1
        }
        return false
    }

    @inline(__always)
    private func canRun(_ node: NodeState) -> Bool {
        for e in node.outputs where queues[e].policy.overflow == .backpressure && queues[e].isFull { return false }
        return true
    }

    @inline(__always)
    private func oldestInput(_ node: NodeState) -> Int? {
        if node.inputs.count == 1 { return queues[node.inputs[0]].dataCount > 0 ? node.inputs[0] : nil }
        var best: Int?
        var bestTime = Nanos.max
        for e in node.inputs {
            if let t = queues[e].oldestDataEnqueuedAt, t < bestTime { best = e; bestTime = t }
        }
        return best
    }

    private func deliver(_ q: QueuedFrame, edge: Int) {
        let start = clock.now()
        let wait = start - q.enqueuedAt
        waitHistograms[edge].record(wait)
        waitTimers[edge].recordNanoseconds(wait)
        let target = edgeTo[edge]
        if target == graph.sinkNode {
            deliverToSink(q.frame, at: start)
            return
        }
        let node = nodes[target]
        switch q.frame {
        case .control(let c):
            handleControl(c, node: node)
        case .audio(let a):
            node.mediaPosition = a.endTimestamp
            if node.accepts.contains(.audio) {
                node.stage.process(q.frame, node.context)
            } else {
                emit(from: target, q.frame, forwarded: true)
            }
        default:
            if node.accepts.contains(q.frame.kind) {
                node.stage.process(q.frame, node.context)
            } else {
                emit(from: target, q.frame, forwarded: true)
            }
        }
        let spent = clock.now() - start
        node.processing.record(spent)
        node.processingTimer.recordNanoseconds(spent)
        turns.processing(node: target, nanos: spent)
    }

    private func handleControl(_ c: ControlFrame, node: NodeState) {
        let index = node.context.node
        switch c {
        case .interruption(let i):
            // Fan-in: the same interruption arrives once per branch; act on it once.
            guard i.id != node.lastInterruption else { return }
            node.lastInterruption = i.id
            node.epoch += 1
            node.stage.interrupted(i, node.context)
            emit(from: index, .control(c), forwarded: true)
            return
        case .endOfStream:
            node.endOfStreamSeen += 1
            if node.endOfStreamSeen < node.inputs.count { return }
        case .startOfStream:
            node.startOfStreamSeen += 1
            if node.startOfStreamSeen > 1 { return }
        default:
            break
        }
        if node.stage.control(c, node.context) == .forward { emit(from: index, .control(c), forwarded: true) }
    }

    private func deliverToSink(_ frame: Frame, at now: Nanos) {
        switch frame {
        case .audio(let a) where a.role == .agent:
            if let report = turns.agentAudioOut(at: now) {
                turnTimers.voiceToVoice.recordNanoseconds(report.voiceToVoice)
                turnTimers.endpointing.recordNanoseconds(report.endpointingDelay)
                turnTimers.response.recordNanoseconds(report.responseLatency)
                events(.turn(report))
            }
        case .control(.metric(let m)):
            turns.metric(m)
        case .control(.error(let f)) where f.isFatal:
            output(frame)
            finish(.failed(f))
            return
        case .control(.endOfStream):
            sinkEndOfStreamSeen += 1
            if sinkEndOfStreamSeen >= sinkEdges.count {
                output(frame)
                finish(.finished)
                return
            }
            return
        default:
            break
        }
        output(frame)
    }

    // MARK: Source

    private var sourceDueTime: Nanos? {
        guard pacing == .realtime, let f = pendingSourceFrame, let offset = mediaClockOffset else { return nil }
        // A live frame exists once its last sample has been captured.
        if case .audio(let a) = f { return offset + a.endTimestamp }
        return nil
    }

    private func pullSource() -> Bool {
        guard let source, !sourceExhausted, state == .running else { return false }
        // Pull only when the input edge is empty: the loop is single-threaded, so reading
        // ahead would add queue wait without adding throughput.
        for e in inputEdges where queues[e].dataCount > 0 { return false }
        if pendingSourceFrame == nil {
            do {
                pendingSourceFrame = try source.nextFrame(pools: buffers)
            } catch {
                let failure = StageFailure(stage: "input", message: "\(error)", isFatal: true)
                events(.stageFailure(failure))
                finish(.failed(failure))
                return true
            }
            if pendingSourceFrame == nil {
                sourceExhausted = true
                emit(from: PipelineGraph.input, .control(.endOfStream))
                return true
            }
        }
        if let due = sourceDueTime, due > clock.now() { return false }
        let frame = pendingSourceFrame!
        pendingSourceFrame = nil
        if case .audio(let a) = frame { turns.input(mediaEnd: a.endTimestamp) }
        emit(from: PipelineGraph.input, frame)
        return true
    }

    // MARK: Introspection

    func edgeStats(_ e: Int) -> EdgeStats { queues[e].stats }
}

extension PipelineEngine.State {
    var outcome: PipelineOutcome {
        switch self {
        case .finished: return .finished
        case .failed(let f): return .failed(f)
        case .cancelled: return .cancelled
        case .idle, .running: return .cancelled
        }
    }
}
