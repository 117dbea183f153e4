// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Replays a `NetworkTrace` through a `JitterBuffer` on simulated time (no sleeping: a
/// ten-minute trace takes well under a second in release builds) and measures what a listener
/// would get, next to the hindsight `FixedDelayOracle`.
///
/// Simulation: the consumer pulls every `frameDuration` starting at the first arrival
/// (offset by `tickPhase`); before each pull every packet that has arrived by then is
/// inserted, with its exact arrival time. Payloads come from `SyntheticDecoder`, written into
/// one reused scratch buffer.
///
/// Measures:
/// - **playout delay**: for each packet played, pull time − arrival (its wait in the buffer);
///   mean and 95th percentile.
/// - **late loss**: packets that arrived but were not played because of timing: late
///   arrivals plus packets dropped to shorten the delay (`late + dropped`), over packets
///   received. The oracle gets the same allowance: the smallest fixed delay with at most
///   that many late packets.
/// - **concealment**: concealed frames over frames pulled while playing.
public enum JitterBufferEvaluation {
    public struct Result: Sendable {
        public var trace: String
        public var duration: Nanos
        public var sent: Int
        public var received: Int
        public var played: Int
        public var meanDelay: Nanos
        public var p95Delay: Nanos
        /// `late + dropped`: received packets not played because of timing.
        public var lateLoss: Int
        /// The best fixed delay in hindsight for the same consumer pulls (the yardstick)...
        public var oracle: FixedDelayOracle.Result
        /// ...and with any real-valued delay (an idealized bound no 20 ms consumer can reach).
        public var idealOracle: FixedDelayOracle.Result
        /// Frames pulled while playing, and how many were concealed or recovered by FEC.
        public var playingFrames: Int
        public var concealedFrames: Int
        public var fecFrames: Int
        /// Mean wait of the packets played in the first and the last minute (drift checks).
        public var firstMinuteDelay: Nanos
        public var lastMinuteDelay: Nanos
        /// Largest `stats.currentDelay` while playing, sampled every second from 10 s to the last arrival.
        public var maxCurrentDelay: Nanos
        /// Returns to buffering before the last packet arrived (the end of a trace always starves).
        public var rebuffersDuringTrace: Int
        public var stats: JitterBufferStats

        public var lateLossPercent: Double { received == 0 ? 0 : 100 * Double(lateLoss) / Double(received) }
        public var concealmentPercent: Double {
            playingFrames == 0 ? 0 : 100 * Double(concealedFrames) / Double(playingFrames)
        }
        public var fecPercent: Double { playingFrames == 0 ? 0 : 100 * Double(fecFrames) / Double(playingFrames) }
        /// Mean playout delay over the oracle's (at equal or lower late loss).
        public var ratio: Double { oracle.meanDelay > 0 ? Double(meanDelay) / Double(oracle.meanDelay) : .infinity }
        /// Mean playout delay over the ideal (continuous) oracle's.
        public var idealRatio: Double {
            idealOracle.meanDelay > 0 ? Double(meanDelay) / Double(idealOracle.meanDelay) : .infinity
        }
    }

    /// Replays `trace`. `config` defaults to `.opus` with the trace's clock rate and frame size;
    /// `observe`, if given, sees every pulled frame with the buffer's stats after it.
    public static func run(_ trace: NetworkTrace, config: JitterBufferConfig? = nil, tickPhase: Nanos = .ms(7),
                           observe: ((Nanos, JitterBufferFrame, JitterBufferStats) -> Void)? = nil) -> Result {
        var config = config ?? .opus
        config.clockRate = trace.clockRate
        config.frameSamples = trace.frameSamples
        config.maxPacketSamples = max(config.maxPacketSamples, trace.frameSamples)
        let frameDuration = config.frameDuration
        let buffer = JitterBuffer(decoder: SyntheticDecoder(frameSamples: trace.frameSamples, channels: config.channels),
                                  config: config)
        var scratch = [UInt8](repeating: 0, count: max(config.maxPayloadBytes, SyntheticDecoder.headerSize))
        var delays: [Nanos] = []
        delays.reserveCapacity(trace.packets.count)

        let packets = trace.packets
        guard let firstArrival = packets.first?.arrival, let lastArrival = packets.last?.arrival else {
            return emptyResult(trace, stats: buffer.stats)
        }
        let start = firstArrival - ((firstArrival % frameDuration) + frameDuration) % frameDuration + tickPhase
        let end = lastArrival + .seconds(2.0)
        let minute: Nanos = .seconds(60.0)
        var firstMinute = (sum: 0.0, count: 0)
        var lastMinute = (sum: 0.0, count: 0)
        let lastMinuteStart = max(end - .seconds(2.0) - minute, start + minute)
        var playingFrames = 0, concealed = 0, fec = 0
        var maxCurrent: Nanos = 0
        var nextSample = start + .seconds(10.0)
        var rebuffersDuringTrace = 0

        var i = 0
        var tick = start
        while tick <= end {
            while i < packets.count && packets[i].arrival <= tick {
                let p = packets[i]
                let size = scratch.withUnsafeMutableBytes {
                    SyntheticDecoder.writePayload(sequenceNumber: p.sequenceNumber, timestamp: p.timestamp,
                                                  size: p.size, fec: p.hasFEC, into: $0)
                }
                buffer.insert(RTPPacket(sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, ssrc: 0x5EED,
                                        payload: scratch[0..<size], arrivalTime: p.arrival), now: p.arrival)
                i += 1
            }
            let wasPlaying = buffer.state == .playing
            let frame = buffer.pull(now: tick)
            observe?(tick, frame, buffer.stats)
            if tick <= lastArrival { rebuffersDuringTrace = buffer.stats.rebuffers }
            if wasPlaying || buffer.state == .playing {
                playingFrames += 1
                if frame.kind == .concealed { concealed += 1 }
                if frame.kind == .fec { fec += 1 }
            }
            if let d = frame.bufferDelay {
                delays.append(d)
                if tick < start + minute { firstMinute.sum += Double(d); firstMinute.count += 1 }
                if tick >= lastMinuteStart { lastMinute.sum += Double(d); lastMinute.count += 1 }
            }
            if tick >= nextSample && tick <= lastArrival {
                if buffer.state == .playing { maxCurrent = max(maxCurrent, buffer.stats.currentDelay) }
                nextSample += .seconds(1.0)
            }
            tick += frameDuration
        }

        let stats = buffer.stats
        let lateLoss = stats.late + stats.dropped
        let oracles = FixedDelayOracle(trace: trace)
        let oracle = oracles.smallestDelayOnGrid(allowingLate: lateLoss, firstPull: start, period: frameDuration)
        let ideal = oracles.smallestDelay(allowingLate: lateLoss)
        delays.sort()
        let mean = delays.isEmpty ? 0 : Nanos(delays.reduce(0.0) { $0 + Double($1) } / Double(delays.count))
        let p95 = delays.isEmpty ? 0 : delays[min(delays.count - 1, Int((Double(delays.count) * 0.95).rounded(.up)) - 1)]
        return Result(trace: trace.name, duration: trace.duration, sent: trace.sent, received: packets.count,
                      played: delays.count, meanDelay: mean, p95Delay: p95, lateLoss: lateLoss, oracle: oracle,
                      idealOracle: ideal,
                      playingFrames: playingFrames, concealedFrames: concealed, fecFrames: fec,
                      firstMinuteDelay: firstMinute.count > 0 ? Nanos(firstMinute.sum / Double(firstMinute.count)) : 0,
                      lastMinuteDelay: lastMinute.count > 0 ? Nanos(lastMinute.sum / Double(lastMinute.count)) : 0,
                      maxCurrentDelay: maxCurrent, rebuffersDuringTrace: rebuffersDuringTrace, stats: stats)
    }

    private static func emptyResult(_ trace: NetworkTrace, stats: JitterBufferStats) -> Result {
        let none = FixedDelayOracle(trace: trace).smallestDelay(allowingLate: 0)
        return Result(trace: trace.name, duration: 0, sent: trace.sent, received: 0, played: 0, meanDelay: 0, p95Delay: 0,
               lateLoss: 0, oracle: none, idealOracle: none, playingFrames: 0,
               concealedFrames: 0, fecFrames: 0, firstMinuteDelay: 0, lastMinuteDelay: 0, maxCurrentDelay: 0,
               rebuffersDuringTrace: 0, stats: stats)
    }

    /// Generates the named trace (`NamedTraces`) and replays it.
    public static func run(named name: String, duration: Nanos? = nil, seed: UInt64 = 1,
                           config: JitterBufferConfig? = nil) -> Result? {
        guard let model = NamedTraces.model(named: name, duration: duration) else { return nil }
        return run(model.generate(seed: seed), config: config)
    }
}
