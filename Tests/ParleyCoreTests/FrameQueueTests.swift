// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyCore

@Suite("FrameQueue: lanes, overflow, purge")
struct FrameQueueTests {
    @Test("a priority control frame overtakes a full data lane")
    func controlOvertakesFullQueue() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 4, overflow: .backpressure))
        var frames = FrameFactory()
        for _ in 0..<4 { q.push(frames.audio(), at: 0) }
        #expect(q.isFull)
        q.push(.control(.userStartedSpeaking(at: 5)), at: 1)
        guard case .control(.userStartedSpeaking(let at))? = q.pop()?.frame else {
            Issue.record("control frame did not come out first")
            return
        }
        #expect(at == 5)
        #expect(q.pop()?.frame.audio?.sequence == 0)
    }

    @Test("in-band control keeps its place behind data")
    func inBandControlIsOrdered() {
        let q = FrameQueue(policy: .offline)
        var frames = FrameFactory()
        q.push(frames.audio(), at: 0)
        q.push(.control(.endOfStream), at: 0)
        #expect(q.pop()?.frame.audio != nil)
        #expect(q.pop()?.frame.control == .endOfStream)
    }

    @Test("drop-oldest overflow drops the oldest audio and counts it")
    func dropOldestCounts() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 3, overflow: .dropOldestAudio))
        var frames = FrameFactory()
        for _ in 0..<10 { q.push(frames.audio(), at: 0) }
        #expect(q.stats.dropped == 7)
        #expect(q.dataCount == 3)
        #expect(q.pop()?.frame.audio?.sequence == 7)
    }

    @Test("text and control are never dropped; the lane grows past capacity and says so")
    func textNeverDropped() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 2, overflow: .dropOldestAudio))
        for i in 0..<6 { q.push(.text(TextFrame(text: "t\(i)", role: .agent)), at: 0) }
        #expect(q.stats.dropped == 0)
        #expect(q.stats.overCapacity == 4)
        #expect(q.dataCount == 6)
    }

    @Test("agent audio (a TTS burst) is never dropped, only queued past capacity")
    func agentAudioNotDropped() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 3, overflow: .dropOldestAudio))
        var frames = FrameFactory()
        for _ in 0..<50 { q.push(frames.audio(role: .agent), at: 0) }
        #expect(q.stats.dropped == 0)
        #expect(q.dataCount == 50)
        #expect(q.stats.overCapacity == 47)
    }

    @Test("audio overflow skips over text to find the oldest audio")
    func dropSkipsText() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 2, overflow: .dropOldestAudio))
        var frames = FrameFactory()
        q.push(.text(TextFrame(text: "keep", role: .agent)), at: 0)
        q.push(frames.audio(), at: 0)       // seq 0
        q.push(frames.audio(), at: 0)       // seq 1 → drops seq 0, keeps text
        #expect(q.stats.dropped == 1)
        guard case .text(let t)? = q.pop()?.frame else { Issue.record("text lost"); return }
        #expect(t.text == "keep")
        #expect(q.pop()?.frame.audio?.sequence == 1)
    }

    @Test("an interruption purges queued agent output and keeps user audio and control")
    func interruptionPurges() {
        let q = FrameQueue(policy: .offline)
        var frames = FrameFactory()
        q.push(frames.audio(role: .agent), at: 0)
        q.push(frames.audio(role: .user), at: 0)
        q.push(.llm(.textDelta(responseID: "r", text: "hi")), at: 0)
        q.push(.control(.agentStoppedSpeaking), at: 0)
        q.push(.text(TextFrame(text: "say", role: .agent)), at: 0)
        q.push(.control(.interruption(Interruption(id: 1, cause: .userSpeech))), at: 0)
        #expect(q.stats.purged == 3)
        #expect(q.pop()?.frame.control?.overtakesData == true)
        #expect(q.pop()?.frame.audio?.role == .user)
        #expect(q.pop()?.frame.control == .agentStoppedSpeaking)
        #expect(q.pop() == nil)
    }

    @Test("ring keeps FIFO order across wrap-around and growth")
    func ringOrder() {
        let q = FrameQueue(policy: EdgePolicy(capacity: 4, overflow: .backpressure))
        var frames = FrameFactory()
        var expected: UInt64 = 0
        for round in 0..<50 {
            for _ in 0..<(round % 7) { q.push(frames.audio(), at: 0) }
            for _ in 0..<(round % 5) {
                guard let f = q.pop() else { break }
                #expect(f.frame.audio?.sequence == expected)
                expected += 1
            }
        }
        while let f = q.pop() {
            #expect(f.frame.audio?.sequence == expected)
            expected += 1
        }
        #expect(expected == frames.sequence)
    }
}

