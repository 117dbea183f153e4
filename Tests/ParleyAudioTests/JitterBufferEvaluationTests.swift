// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore
import Testing

@Suite("Jitter buffer: evaluation against the hindsight oracle")
struct JitterBufferEvaluationTests {
    /// The six headline traces, 60 s each: mean playout delay within 1.25 × the best fixed
    /// delay (same consumer pulls) that has at most as many late packets.
    @Test func headlineTracesStayWithinOneQuarterOfTheOracle() {
        var results: [JitterBufferEvaluation.Result] = []
        for name in NamedTraces.headline {
            guard let r = JitterBufferEvaluation.run(named: name, seed: 1) else {
                Issue.record("unknown trace \(name)")
                continue
            }
            results.append(r)
            #expect(r.oracle.late <= r.lateLoss, "\(name): the oracle may not lose more than the buffer")
            #expect(r.ratio <= 1.25, "\(name): mean \(r.meanDelay) vs oracle \(r.oracle.meanDelay)")
            #expect(r.played > r.received * 9 / 10, "\(name)")
            #expect(r.rebuffersDuringTrace == 0, "\(name)")
        }
        print(EvaluationReport.table(results))
    }

    /// Ten minutes at ±200 ppm: the delay neither grows nor starves.
    @Test(arguments: NamedTraces.drift)
    func driftStaysBounded(name: String) throws {
        let r = try #require(JitterBufferEvaluation.run(named: name, seed: 1))
        print(EvaluationReport.driftTable([r]))
        #expect(r.duration >= .seconds(590.0))
        #expect(r.rebuffersDuringTrace == 0)
        #expect(abs(r.lastMinuteDelay - r.firstMinuteDelay) < .ms(25))
        #expect(r.maxCurrentDelay < .ms(150))
        #expect(r.lateLossPercent < 1)
        #expect(r.concealmentPercent < 1)
        // 120 ms of drift must have been absorbed by adjustments (drops or inserts).
        #expect(r.stats.dropped + r.stats.inserted >= 5)
    }

    @Test func oraclePicksTheSmallestFixedDelay() {
        // Transits (relative to the first packet): 0, 30, 10, 50, 20 ms.
        let extra: [Nanos] = [0, .ms(30), .ms(10), .ms(50), .ms(20)]
        let packets = extra.enumerated().map { k, e in
            TracePacket(arrival: Nanos(k) * .ms(20) + e, sequenceNumber: UInt16(k), timestamp: UInt32(k * 960), size: 40)
        }
        let oracle = FixedDelayOracle(trace: NetworkTrace(name: "t", packets: packets))
        let none = oracle.smallestDelay(allowingLate: 0)
        #expect(none.offset == .ms(50))
        #expect(none.late == 0)
        #expect(none.meanDelay == Nanos.ms(28)) // waits 50, 20, 40, 0, 30
        let one = oracle.smallestDelay(allowingLate: 1)
        #expect(one.offset == .ms(30))
        #expect(one.late == 1)
        let grid = oracle.smallestDelayOnGrid(allowingLate: 0, firstPull: 0, period: .ms(20))
        #expect(grid.late == 0)
        #expect(grid.meanDelay >= none.meanDelay)
    }

    @Test func syntheticTracesAreDeterministicAndCrossWraps() throws {
        let model = try #require(NamedTraces.model(named: "bursty-loss-5pct", duration: .seconds(20.0)))
        let a = model.generate(seed: 42), b = model.generate(seed: 42), c = model.generate(seed: 43)
        #expect(a.packets == b.packets)
        #expect(a.packets != c.packets)
        #expect(a.packets.contains { $0.sequenceNumber < 100 } && a.packets.contains { $0.sequenceNumber > 65_000 })
        #expect(a.packets.contains { $0.timestamp < 1_000_000 } && a.packets.contains { $0.timestamp > 4_000_000_000 })
        let lossRate = 1 - Double(a.packets.count) / Double(a.sent)
        #expect(lossRate > 0.02 && lossRate < 0.09)
    }

    @Test func csvTracesRoundTripAndReportBadLines() throws {
        let trace = try #require(NamedTraces.model(named: "jitter-20ms", duration: .seconds(5.0))).generate(seed: 3)
        let text = TraceCSV.render(trace)
        #expect(text.hasPrefix("arrival_ms,seq,ts,size\n"))
        let back = try TraceCSV.parse(text, name: "x.csv")
        #expect(back.packets.count == trace.packets.count)
        #expect(back.frameSamples == 960)
        for (p, q) in zip(trace.packets, back.packets) {
            #expect(p.sequenceNumber == q.sequenceNumber && p.timestamp == q.timestamp && p.size == q.size)
            #expect(abs(p.arrival - q.arrival) < 1_000)
        }
        let r = JitterBufferEvaluation.run(back)
        #expect(r.played > 200)

        #expect(throws: TraceCSV.ParseError.self) { try TraceCSV.parse("arrival_ms,seq,ts,size\n1.0,2,3\n", name: "bad.csv") }
        do {
            _ = try TraceCSV.parse("arrival_ms,seq,ts,size\n1.0,2,3,40\n2.0,70000,3,40\n", name: "bad.csv")
        } catch {
            #expect(error.line == 3)
            #expect(error.description.contains("bad.csv:3"))
        }
    }

    @Test func gilbertElliottHitsItsLossRate() {
        let model = GilbertElliottLoss(lossRate: 0.05, meanBurst: 3)
        #expect(abs(model.meanLossRate - 0.05) < 1e-9)
        var rng = TraceRandom(seed: 9)
        var state = GilbertElliottLoss.State()
        var lost = 0
        for _ in 0..<200_000 where state.step(model, &rng) { lost += 1 }
        #expect(abs(Double(lost) / 200_000 - 0.05) < 0.005)
    }
}
