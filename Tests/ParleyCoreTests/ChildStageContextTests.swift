// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@testable import ParleyCore

/// The engine seam under `FallbackStage`: child contexts whose emissions, timers, mailbox
/// posts and interruptions come back to the wrapper, keyed by channel.
@Suite("child stage contexts")
struct ChildStageContextTests {
    /// A child that does a bit of everything a provider does.
    final class Child: Stage {
        let name: String
        var mailbox: StageMailbox?
        var epochAtRequest: UInt64 = 0
        var fired: [Int] = []
        init(_ name: String) { self.name = name }
        func process(_ frame: Frame, _ context: StageContext) {
            context.emit(frame) // passes it on
            context.report(metric: "seen", nanoseconds: 1)
            context.schedule(after: .ms(10), id: 1) // same id as the wrapper's own timer
            mailbox = context.mailbox
            epochAtRequest = context.epoch
        }
        func timerFired(id: Int, _ context: StageContext) {
            fired.append(id)
            context.fail("boom", fatal: false)
            context.raiseInterruption(.providerFailure)
        }
    }

    /// Runs two children and writes down what comes back, and from which channel.
    final class Wrapper: Stage, ChildStageHost {
        let name = "wrapper"
        let children = [Child("a"), Child("b")]
        var contexts: [StageContext] = []
        var heard: [(channel: Int, frame: Frame)] = []
        var raised: [(Int, Interruption.Cause)] = []
        var ownTimer = 0

        func start(_ context: StageContext) throws {
            contexts = children.map { context.makeChildContext(name: $0.name, outputFormat: context.outputFormat, host: self) }
            context.schedule(after: .ms(10), id: 1)
        }
        func process(_ frame: Frame, _ context: StageContext) {
            for (c, ctx) in zip(children, contexts) { c.process(frame, ctx) }
        }
        func timerFired(id: Int, _ context: StageContext) { ownTimer += 1 }
        func child(_ channel: Int, emitted frame: Frame) { heard.append((channel, frame)) }
        func child(_ channel: Int, timerFired id: Int) {
            children[channel - 1].timerFired(id: id, contexts[channel - 1])
        }
        func child(_ channel: Int, raisedInterruption cause: Interruption.Cause) { raised.append((channel, cause)) }
    }

    @Test("a child's emit, report, fail, timers and interruptions go to its wrapper, by channel, not downstream")
    func routedToWrapper() throws {
        let w = Wrapper()
        let p = try EmbeddedPipeline(graph: PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .text])
            .then(w).build())
        p.push(.text(TextFrame(text: "hi", role: .user)))
        p.run()
        #expect(w.contexts.map(\.channel) == [1, 2])
        #expect(w.heard.map(\.channel) == [1, 1, 2, 2])
        #expect(p.outputs.allSatisfy { if case .control = $0 { true } else { false } }) // nothing of theirs went out
        p.advance(by: .ms(10))
        // Three timers with id 1 (the wrapper's and each child's) all fired, each to its owner.
        #expect(w.ownTimer == 1 && w.children.map(\.fired) == [[1], [1]])
        let failures = w.heard.compactMap { if case .control(.error) = $0.frame { $0.channel } else { nil } }
        #expect(failures == [1, 2])
        #expect(w.raised.map(\.0) == [1, 2])
        #expect(p.outputs.allSatisfy { if case .control(.error) = $0 { false } else { true } })
    }

    @Test("what a child's provider thread posts comes back to the wrapper on the loop; stale agent output is dropped by the child's epoch")
    func mailboxByChannel() throws {
        let w = Wrapper()
        let p = try EmbeddedPipeline(graph: PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .text])
            .then(w).build())
        p.push(.text(TextFrame(text: "hi", role: .user)))
        p.run()
        w.heard.removeAll()
        let (a, b) = (try #require(w.children[0].mailbox), try #require(w.children[1].mailbox))
        let epochA = w.children[0].epochAtRequest
        // The wrapper cancels a's work: a's epoch moves on, b's does not.
        w.contexts[0].deliverInterruption(Interruption(cause: .providerFailure), to: w.children[0])
        let posted = DispatchSemaphore(value: 0)
        Thread {
            a.post(.text(TextFrame(text: "late", role: .agent)), epoch: epochA) // stale: dropped
            a.post(.transcript(TranscriptFrame(text: "user words", isFinal: true, segmentID: "1")), epoch: epochA) // user: kept
            b.post(.text(TextFrame(text: "fresh", role: .agent)), epoch: epochA)
            posted.signal()
        }.start()
        #expect(posted.wait(timeout: .now() + 30) == .success)
        p.run()
        #expect(w.heard.map(\.channel) == [1, 2])
        guard case .transcript? = w.heard.first?.frame, case .text(let t)? = w.heard.last?.frame else {
            Issue.record("unexpected: \(w.heard)")
            return
        }
        #expect(t.text == "fresh")
        #expect(p.stats().stages[0].staleDropped == 1)
        #expect(p.outputs.allSatisfy { if case .control = $0 { true } else { false } })
    }
}
