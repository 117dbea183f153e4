// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ParleyCore

/// A synthetic network for one audio stream: a sender emitting a packet per frame (on its own,
/// possibly drifting clock) through a path with jitter, bursty loss, reordering and delay
/// spikes. `generate(seed:)` is deterministic: same model and seed, same trace, everywhere.
///
/// Every trace starts just below both wrap points (sequence 65 000, timestamp 2³² − 5 s), so
/// every run exercises 16-bit sequence and 32-bit timestamp wrap-around.
public struct SyntheticTraceModel: Sendable, Hashable {
    /// Per-packet network delay on top of `baseDelay`, drawn independently for each packet
    /// (so large jitter also reorders packets, as on a multi-path network).
    public enum Jitter: Sendable, Hashable {
        case none
        /// Normal with standard deviation `sigma` (the delay never drops below 1 ms).
        case gaussian(sigma: Nanos)
        /// Heavy-tailed Pareto II (Lomax) excess with shape α and the given 95th percentile.
        case pareto(shape: Double, p95: Nanos)
    }

    /// Network stalls: at each spike the path holds every packet for up to `height`, then
    /// releases the backlog at once (packets sent during the stall all arrive at its end).
    public struct Spikes: Sendable, Hashable {
        public var height: Nanos
        /// Spacing between spike starts, uniform in this range (semi-periodic, like Wi-Fi scans).
        public var minInterval: Nanos
        public var maxInterval: Nanos
        public init(height: Nanos, minInterval: Nanos, maxInterval: Nanos) {
            self.height = height
            self.minInterval = minInterval
            self.maxInterval = maxInterval
        }
    }

    /// With `probability`, a packet is held back by `extraDelay` more (arriving after later ones).
    public struct Reordering: Sendable, Hashable {
        public var probability: Double
        public var extraDelay: Nanos
        public init(probability: Double, extraDelay: Nanos) {
            self.probability = probability
            self.extraDelay = extraDelay
        }
    }

    /// Talk spurts and pauses with DTX: exponential durations; in a pause the sender sends one
    /// 1-byte DTX packet every `dtxInterval` (Opus: 400 ms) and nothing else, so sequence
    /// numbers stay contiguous while timestamps jump.
    public struct TalkSpurts: Sendable, Hashable {
        public var meanTalk: Nanos
        public var meanPause: Nanos
        public var dtxInterval: Nanos
        public init(meanTalk: Nanos, meanPause: Nanos, dtxInterval: Nanos = .ms(400)) {
            self.meanTalk = meanTalk
            self.meanPause = meanPause
            self.dtxInterval = dtxInterval
        }
    }

    public var name: String
    public var duration: Nanos
    public var clockRate = 48_000
    public var frameSamples = 960
    /// Smallest one-way delay of the path.
    public var baseDelay: Nanos = .ms(40)
    public var jitter: Jitter = .none
    public var loss: GilbertElliottLoss?
    public var reordering: Reordering?
    public var spikes: Spikes?
    /// Sender clock rate error in parts per million (+: the sender's clock runs fast, so it
    /// sends more than 50 packets per receiver second).
    public var driftPPM: Double = 0
    /// Every packet carries in-band FEC for the one before it (Opus LBRR).
    public var fec = false
    public var talkSpurts: TalkSpurts?
    public var payloadBytes = 80
    public var firstSequence: UInt16 = 65_000
    public var firstTimestamp: UInt32 = UInt32.max - 48_000 * 5 + 1

    public init(name: String, duration: Nanos) {
        self.name = name
        self.duration = duration
    }

    /// Draws the trace.
    public func generate(seed: UInt64) -> NetworkTrace {
        var rng = TraceRandom(seed: seed)
        let frameNanos = Double(frameSamples) * 1e9 / Double(clockRate)
        let sendInterval = frameNanos / (1 + driftPPM * 1e-6)
        let frames = max(Int(Double(duration) / frameNanos), 1)

        // Spike starts, in real (receiver) time.
        var spikeStarts: [Double] = []
        if let s = spikes, s.maxInterval > 0 {
            var t = Double(s.minInterval) + rng.unit() * Double(s.maxInterval - s.minInterval)
            while t < Double(frames) * sendInterval {
                spikeStarts.append(t)
                t += Double(s.minInterval) + rng.unit() * Double(s.maxInterval - s.minInterval)
            }
        }
        var nextSpike = 0

        var packets: [TracePacket] = []
        packets.reserveCapacity(frames)
        var lossState = GilbertElliottLoss.State()
        var seq = firstSequence
        var sent = 0
        var talking = true
        var phaseEnd = talkSpurts.map { rng.exponential(mean: Double($0.meanTalk)) } ?? .infinity
        var nextDTX = 0.0
        let paretoScale: Double
        if case .pareto(let shape, let p95) = jitter {
            paretoScale = Double(p95) / (pow(20, 1 / shape) - 1)
        } else {
            paretoScale = 0
        }

        for k in 0..<frames {
            let sendTime = Double(k) * sendInterval
            // Talk spurts / DTX pauses.
            var size = payloadBytes
            if let spurts = talkSpurts {
                while sendTime >= phaseEnd {
                    talking.toggle()
                    let phaseStart = phaseEnd
                    phaseEnd += rng.exponential(mean: Double(talking ? spurts.meanTalk : spurts.meanPause))
                    if !talking { nextDTX = phaseStart } // a pause starts with a DTX packet
                }
                if !talking {
                    guard sendTime >= nextDTX else { continue }
                    nextDTX = sendTime + Double(spurts.dtxInterval)
                    size = 1
                }
            }
            let thisSeq = seq
            seq &+= 1
            sent += 1
            if let model = loss, lossState.step(model, &rng) { continue }

            var delay = Double(baseDelay)
            switch jitter {
            case .none: break
            case .gaussian(let sigma): delay += Double(sigma) * rng.gaussian()
            case .pareto(let shape, _): delay += rng.paretoExcess(shape: shape, scale: paretoScale)
            }
            delay = max(delay, 1e6)
            while nextSpike < spikeStarts.count, sendTime >= spikeStarts[nextSpike] + Double(spikes!.height) {
                nextSpike += 1
            }
            if nextSpike < spikeStarts.count, sendTime >= spikeStarts[nextSpike] {
                delay += spikeStarts[nextSpike] + Double(spikes!.height) - sendTime
            }
            if let r = reordering, rng.chance(r.probability) { delay += Double(r.extraDelay) }

            let ts = firstTimestamp &+ UInt32(truncatingIfNeeded: k * frameSamples)
            packets.append(TracePacket(arrival: Nanos(sendTime + delay), sequenceNumber: thisSeq, timestamp: ts,
                                       size: size, hasFEC: fec && size > 2))
        }
        // Arrival order; ties keep sending order.
        let order = packets.indices.sorted { packets[$0].arrival != packets[$1].arrival
            ? packets[$0].arrival < packets[$1].arrival : $0 < $1 }
        return NetworkTrace(name: name, clockRate: clockRate, frameSamples: frameSamples,
                            packets: order.map { packets[$0] }, sent: sent)
    }
}
