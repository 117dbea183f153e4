// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyCore

@Suite("Pipeline engine on the virtual clock")
struct PipelineTests {
    func chain(_ n: Int, log: EventLog, policy: EdgePolicy = .offline) throws -> (EmbeddedPipeline, [RecordingStage]) {
        let stages = (0..<n).map { RecordingStage("s\($0)", log: log) }
        let p = try EmbeddedPipeline(stages: stages, policy: policy)
        return (p, stages)
    }

    @Test("an interruption reaches every stage one hop after the previous, ahead of queued data, and drops cancelled data")
    func interruptionFanOut() throws {
        let log = EventLog()
        let (p, stages) = try chain(5, log: log, policy: EdgePolicy(capacity: 64, overflow: .backpressure))
        p.run()
        var frames = FrameFactory()
        // Agent audio spread over every edge: push, then run single passes so frames sit at different hops.
        for _ in 0..<12 { p.push(frames.audio(role: .agent)) }
        for _ in 0..<7 { p.runPass() }
        let queuedBefore = (0..<p.graph.edges.count).map { p.queuedData(edge: $0) }
        #expect(queuedBefore.reduce(0, +) > 0)
        log.entries.removeAll()

        p.interrupt(.userSpeech)
        p.runPass()
        // In that single pass every stage got the interruption, in order, with nothing in between.
        #expect(Array(log.entries.prefix(5)) == (0..<5).map { "s\($0):interrupted" })
        for s in stages { #expect(s.interruptions.count == 1) }
        // Every queued agent frame was purged; none reaches the output afterwards.
        let purged = (0..<p.graph.edges.count).reduce(UInt64(0)) { $0 + p.edgeStats(edge: $1).purged }
        #expect(purged == UInt64(queuedBefore.reduce(0, +)))
        _ = p.takeOutputs()
        p.run()
        #expect(!p.takeOutputs().contains { $0.audio?.role == .agent })
    }

    @Test("an interruption raised mid-pipeline goes downstream only; user audio survives it")
    func interruptionFromMiddle() throws {
        let log = EventLog()
        let (p, stages) = try chain(4, log: log)
        var frames = FrameFactory()
        p.push(frames.audio(role: .user))
        p.push(frames.audio(role: .agent))
        p.runPass() // frames now queued on the first edges
        stages[1].onInterrupt = nil
        // Stage 1 raises it (as a turn detector would on barge-in).
        p.engine.raiseInterruption(from: 1, cause: .userSpeech)
        p.run()
        #expect(stages[0].interruptions.isEmpty)
        #expect(stages[1].interruptions.isEmpty) // the raiser is not told about its own interruption
        #expect(stages[2].interruptions.count == 1 && stages[3].interruptions.count == 1)
        #expect(stages[2].interruptions[0].origin == 1)
        #expect(p.outputs.contains { $0.audio?.role == .user })
    }

    @Test("a control frame overtakes a full data queue on the way through the pipeline")
    func controlOvertakes() throws {
        let log = EventLog()
        let (p, _) = try chain(3, log: log, policy: EdgePolicy(capacity: 4, overflow: .backpressure))
        p.run()
        log.entries.removeAll()
        var frames = FrameFactory()
        for _ in 0..<4 { p.push(frames.audio()) }
        p.push(.control(.userStartedSpeaking(at: 0)))
        p.run()
        #expect(Array(log.entries.prefix(3)) == ["s0:user-started-speaking", "s1:user-started-speaking",
                                                 "s2:user-started-speaking"])
        #expect(log.entries.filter { $0.hasSuffix("audio#0") }.count == 3)
    }

    @Test("realtime overflow drops the oldest audio and counts it per edge")
    func overflowCounts() throws {
        let log = EventLog()
        let (p, _) = try chain(2, log: log, policy: EdgePolicy(capacity: 3, overflow: .dropOldestAudio))
        p.run() // deliver start-of-stream so the queues hold only what we push
        var frames = FrameFactory()
        for _ in 0..<10 { p.push(frames.audio()) }
        p.run()
        #expect(p.edgeStats(edge: 0).dropped == 7)
        let seqs = p.outputs.compactMap { $0.audio?.sequence }
        #expect(seqs == [7, 8, 9])
        #expect(p.stats().totalDropped == 7)
    }

    @Test("offline (backpressure) runs lose nothing, even behind a stage that multiplies frames")
    func backpressureLosesNothing() throws {
        final class Multiplier: Stage {
            let name = "x5"
            var accepts: FrameKinds { .audio }
            func process(_ frame: Frame, _ context: StageContext) { for _ in 0..<5 { context.emit(frame) } }
        }
        let log = EventLog()
        var samples = [Int16](repeating: 0, count: 960 * 200)
        for i in samples.indices { samples[i] = Int16(i % 1000) }
        let source = SampleArraySource(samples: samples, format: .standard)
        let graph = try PipelineBuilder(input: .standard).then(Multiplier()).then(RecordingStage("r", log: log)).build()
        let p = try EmbeddedPipeline(graph: graph, policy: EdgePolicy(capacity: 4, overflow: .backpressure),
                                     source: source)
        p.run()
        #expect(p.outcome == .finished)
        #expect(p.outputs.filter { $0.audio != nil }.count == 1000)
        #expect(p.stats().totalDropped == 0)
        #expect(p.outputs.last?.control == .endOfStream)
    }

    @Test("fan-out duplicates frames; fan-in forwards end of stream and each interruption once")
    func fanOutFanIn() throws {
        let log = EventLog()
        let a = RecordingStage("a", log: log), b = RecordingStage("b", log: log), c = RecordingStage("c", log: log)
        let merge = RecordingStage("merge", log: log)
        let graph = try PipelineBuilder(input: .standard).parallel([[a], [b, c]]).then(merge).build()
        let p = try EmbeddedPipeline(graph: graph)
        var frames = FrameFactory()
        p.push(frames.audio())
        p.interrupt()
        p.push(.control(.endOfStream))
        p.run()
        #expect(merge.seen.count == 2)             // one copy from each branch
        #expect(merge.interruptions.count == 1)    // deduplicated
        #expect(log.entries.filter { $0 == "merge:end-of-stream" }.count == 1)
        #expect(log.entries.filter { $0 == "merge:start-of-stream" }.count == 1)
        #expect(p.outcome == .finished)
    }

    @Test("timers fire at exact virtual times")
    func timers() throws {
        final class Ticker: Stage {
            let name = "ticker"
            var fired: [Nanos] = []
            func start(_ context: StageContext) throws { context.schedule(after: .ms(30), id: 1) }
            func timerFired(id: Int, _ context: StageContext) {
                fired.append(context.now())
                if fired.count < 3 { context.schedule(after: .ms(30), id: 1) }
            }
        }
        let t = Ticker()
        let p = try EmbeddedPipeline(stages: [t])
        p.advance(by: .ms(100))
        #expect(t.fired == [.ms(30), .ms(60), .ms(90)])
    }

    @Test("a real-time paced source enters at media time, and turn latency is measured on the clock")
    func turnLatencyRealtime() throws {
        /// Declares end of speech at frame 10 (speech ended at frame 5's end) and answers 150 ms later.
        final class ScriptedAgent: Stage {
            let name = "agent"
            var accepts: FrameKinds { .audio }
            var produces: FrameKinds { [.audio, .control] }
            var reply: AudioFrame?
            func process(_ frame: Frame, _ context: StageContext) {
                guard let a = frame.audio else { return }
                if a.sequence == 10 {
                    context.emit(.userStoppedSpeaking(speechEnd: 6 * .ms(20)))
                    var r = a
                    r.role = .agent
                    reply = r
                    context.schedule(after: .ms(150), id: 7)
                }
            }
            func timerFired(id: Int, _ context: StageContext) {
                if let reply { context.emit(.audio(reply)) }
            }
        }
        let source = SampleArraySource(samples: [Int16](repeating: 100, count: 960 * 30), format: .standard)
        let graph = try PipelineBuilder(input: .standard).then(ScriptedAgent()).build()
        let p = try EmbeddedPipeline(graph: graph, pacing: .realtime, source: source)
        p.advance(by: .ms(1000))
        let turns = p.events.compactMap { e -> TurnReport? in if case .turn(let t) = e { return t }; return nil }
        #expect(turns.count == 1)
        // Frame 10 (200–220 ms) enters at 220 ms, when its last sample is captured; speech ended at 120 ms.
        #expect(turns[0].endpointingDelay == .ms(100))
        #expect(turns[0].responseLatency == .ms(150))
        #expect(turns[0].voiceToVoice == .ms(220 + 150 - 120))
        #expect(turns[0].isRealtime)
    }

    @Test("a stage that fails to start is named, and a fatal stage error ends the pipeline")
    func failures() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "model file missing" } }
        final class BadStart: Stage {
            let name = "bad-start"
            func start(_ context: StageContext) throws { throw Boom() }
        }
        let graph = try PipelineBuilder(input: .standard).then(BadStart()).build()
        #expect {
            _ = try EmbeddedPipeline(graph: graph)
        } throws: { e in
            (e as? StageFailure)?.description == "bad-start: failed to start: model file missing"
        }

        final class Crasher: Stage {
            let name = "crasher"
            func process(_ frame: Frame, _ context: StageContext) { context.fail("provider closed the socket", fatal: true) }
        }
        let p = try EmbeddedPipeline(stages: [Crasher(), RecordingStage("after", log: EventLog())])
        var frames = FrameFactory()
        p.push(frames.audio())
        p.run()
        #expect(p.outcome == .failed(StageFailure(stage: "crasher", message: "provider closed the socket", isFatal: true)))
    }

    @Test("provider results posted after an interruption are dropped if they are agent output, kept if user output")
    func staleMailboxResults() throws {
        /// Hands each frame to a (simulated) provider thread, remembering the epoch it started in.
        final class Offloader: Stage {
            let name = "offloader"
            var accepts: FrameKinds { .audio }
            var started: [(StageMailbox, UInt64)] = []
            func process(_ frame: Frame, _ context: StageContext) { started.append((context.mailbox, context.epoch)) }
        }
        let stage = Offloader()
        let p = try EmbeddedPipeline(stages: [stage])
        var frames = FrameFactory()
        p.push(frames.audio())
        p.run()
        let (mailbox, epoch) = try #require(stage.started.first)
        p.interrupt(.userSpeech)
        p.run()
        // The provider finishes late: its reply audio is stale, the user's transcript is not.
        mailbox.post(frames.audio(role: .agent), epoch: epoch)
        mailbox.post(.transcript(TranscriptFrame(text: "hello", isFinal: true, segmentID: "s1")), epoch: epoch)
        p.run()
        #expect(!p.outputs.contains { $0.audio?.role == .agent })
        #expect(p.outputs.contains { if case .transcript(let t) = $0 { return t.text == "hello" }; return false })
        #expect(p.stats().stages[0].staleDropped == 1)
        // Work started after the interruption flows normally.
        p.push(frames.audio())
        p.run()
        let (mailbox2, epoch2) = stage.started[1]
        #expect(epoch2 == epoch + 1)
        mailbox2.post(frames.audio(role: .agent), epoch: epoch2)
        p.run()
        #expect(p.outputs.contains { $0.audio?.role == .agent })
    }

    @Test("cancel stops every stage, drops queued data and ends with .cancelled")
    func cancellation() throws {
        final class Tracker: Stage {
            let name: String
            var cancelled = false, stopped = false
            init(_ n: String) { name = n }
            func cancel(_ context: StageContext) { cancelled = true }
            func stop(_ context: StageContext) { stopped = true }
        }
        let stages = [Tracker("a"), Tracker("b"), Tracker("c")]
        let p = try EmbeddedPipeline(stages: stages)
        var frames = FrameFactory()
        for _ in 0..<5 { p.push(frames.audio()) }
        p.runPass()
        p.cancel()
        #expect(p.outcome == .cancelled)
        #expect(stages.allSatisfy { $0.cancelled && !$0.stopped })
        #expect((0..<p.graph.edges.count).allSatisfy { p.queuedData(edge: $0) == 0 })
        #expect(!p.run()) // nothing runs after cancellation
    }

    @Test("the threaded Pipeline cancels from another thread without hanging")
    func threadedCancel() async throws {
        let graph = try PipelineBuilder(input: .standard).then(RecordingStage("r", log: EventLog())).build()
        let p = Pipeline(graph: graph, output: { _ in })
        p.setLiveInput()
        try p.start()
        var frames = FrameFactory()
        p.push(frames.audio())
        p.cancel()
        #expect(await p.wait() == .cancelled)
    }

    @Test("a stage accepting a kind nothing upstream produces is refused at build time")
    func kindChecking() {
        let llm = RecordingStage("llm", log: EventLog(), accepts: [.transcript])
        #expect(throws: PipelineBuildError(
            "stage 'llm' accepts transcript but nothing before it produces that (available: audio+control)")) {
            _ = try PipelineBuilder(input: .standard).then(llm).build()
        }
    }

    @Test("frames of kinds a stage does not accept pass it untouched")
    func passThroughUnaccepted() throws {
        let log = EventLog()
        let audioOnly = RecordingStage("audio-only", log: log, accepts: [.audio])
        let p = try EmbeddedPipeline(stages: [audioOnly])
        p.push(.text(TextFrame(text: "hello", role: .user)))
        p.run()
        #expect(audioOnly.seen.isEmpty)
        #expect(p.outputs.contains { if case .text(let t) = $0 { return t.text == "hello" }; return false })
    }

    @Test("the threaded Pipeline runs a file source to completion and reports the outcome")
    func threadedPipeline() async throws {
        let source = SampleArraySource(samples: [Int16](repeating: 5, count: 960 * 50), format: .standard)
        let graph = try PipelineBuilder(input: .standard).then(RecordingStage("r", log: EventLog())).build()
        let counter = Counter()
        let p = Pipeline(graph: graph, policy: .offline, pacing: .asFastAsPossible, source: source,
                         output: { f in if f.audio != nil { counter.increment() } })
        try p.start()
        let outcome = await p.wait()
        #expect(outcome == .finished)
        #expect(p.waitBlocking() == .finished)
        #expect(counter.value == 50)
        #expect(p.stats()?.stages.first?.processing.count == 50 + 2) // 50 frames + start/end of stream
    }
}

import Synchronization
final class Counter: Sendable {
    private let v = Mutex(0)
    func increment() { v.withLock { $0 += 1 } }
    var value: Int { v.withLock { $0 } }
}
