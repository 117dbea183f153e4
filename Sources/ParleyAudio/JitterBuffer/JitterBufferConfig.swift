// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Settings of a `JitterBuffer`. The defaults suit Opus over WebRTC: 48 kHz RTP clock, 20 ms
/// playout ticks, NetEQ's delay statistics (97th percentile, forgetting factor 0.9993).
public struct JitterBufferConfig: Sendable, Hashable {
    // MARK: Stream shape

    /// RTP clock rate, which is also the PCM sample rate the decoder produces (Opus: 48 000).
    public var clockRate: Int = 48_000
    public var channels: Int = 1
    /// Samples per channel the consumer pulls per tick (960 = 20 ms at 48 kHz).
    public var frameSamples: Int = 960
    /// Largest packet the decoder may produce, samples per channel (Opus: 120 ms = 5760).
    public var maxPacketSamples: Int = 5_760
    /// Packet slots (rounded up to a power of two): packets further ahead than this, counted
    /// from the playout point, are an overflow. 512 × 20 ms ≈ 10 s.
    public var capacity: Int = 512
    /// Largest payload stored; longer payloads are invalid (1500 covers any RTP over Ethernet).
    public var maxPayloadBytes: Int = 1_500
    /// Role stamped on the frames produced (`.user`: the remote participant's microphone).
    public var role: MediaRole = .user

    // MARK: Target delay (NetEQ-like statistics, see `TargetDelayEstimator`)

    /// Fraction of packets that should arrive in time: the target is this quantile of the
    /// relative arrival delay (NetEQ: 0.97).
    public var quantile: Double = 0.97
    /// Per-packet forgetting factor of the delay histogram (NetEQ: 0.9993, a memory of
    /// ≈ 1 / (1 − f) = 1430 packets ≈ 29 s at 50 packets/s).
    public var forgetFactor: Double = 0.9993
    /// Start-up weight: the effective factor is min(f, 1 − w / (n + w)) for the n-th packet,
    /// so the first packets are averaged instead of decaying from an empty histogram. NetEQ
    /// uses 2; 1 (a plain average until the forgetting factor takes over) gives a steadier
    /// early estimate, which matters because every early overshoot is later paid for with a
    /// dropped packet.
    public var startForgetWeight: Double = 1
    /// Histogram resolution.
    public var bucketWidth: Nanos = .ms(1)
    /// Window of the fastest-packet reference that relative delays are measured from
    /// (NetEQ's `max_history_ms`: 2 s).
    public var historyWindow: Nanos = .seconds(2)
    /// Delay used before the histogram has enough packets (NetEQ starts at 80 ms; starting lower
    /// and growing by holds costs concealment, while starting high and dropping costs speech).
    public var initialDelay: Nanos = .ms(40)
    /// Packets needed before the histogram's quantile replaces `initialDelay`.
    public var warmupPackets: Int = 25
    /// Bounds of the target delay (above the fastest recent packet).
    public var minDelay: Nanos = 0
    public var maxDelay: Nanos = .ms(1_000)

    // MARK: Delay peaks (spike detection)

    /// A packet later than the target by more than this (and by more than the target itself)
    /// is part of a delay spike...
    public var peakThreshold: Nanos = .ms(60)
    /// ...when at least `peakMinPackets` such packets arrive one after another (a stall
    /// releases a burst of late packets; an isolated outlier is not a spike). Runs within
    /// `peakMergeWindow` of a spike extend it.
    public var peakMinPackets: Int = 3
    public var peakMergeWindow: Nanos = .ms(1_000)
    /// Peak mode starts when `peaksToTrigger` peaks fall within this window, and ends when no
    /// peak has been seen for twice this long.
    public var peakWindow: Nanos = .seconds(20)
    public var peaksToTrigger: Int = 2

    // MARK: Adaptation of the playout point

    /// Hysteresis: the playout point moves earlier (a packet dropped) only when it is at least
    /// one frame plus this margin later than the target.
    public var decreaseMargin: Nanos = .ms(5)
    /// How long the delay must stay above target before one packet of speech is dropped.
    public var decreaseDwell: Nanos = .ms(1_000)
    /// Excess (in frames) at which several packets are dropped at once (after a delay spike)...
    public var fastDecreaseFrames: Int = 3
    /// ...once it has lasted this long.
    public var fastDecreaseDwell: Nanos = .ms(500)
    /// How long the delay must stay below target before a frame of concealment is inserted
    /// between two packets of speech, and the least time between two such inserts (a missing
    /// packet or silence is used at once: free).
    public var increaseDwell: Nanos = .ms(100)

    // MARK: Discontinuities

    /// Consecutive concealment, with nothing buffered, after which the buffer stops playing
    /// and buffers again (Opus PLC fades to silence well before this).
    public var maxConcealment: Nanos = .ms(500)
    /// A packet whose timestamp would put it this far from the playout point (early or late)
    /// is a timestamp jump: confirmed by a second packet, it restarts the timeline.
    public var maxTimestampJump: Nanos = .seconds(3)
    /// Sequence jumps (RFC 3550 §A.1 MAX_DROPOUT / MAX_MISORDER): a packet further ahead or
    /// behind than these is out of stream until a second packet confirms a restart.
    public var maxDropout: Int = 3_000
    public var maxMisorder: Int = 100
    /// An arrival time more than this before `now` (or after it) is not trusted; `now` is used.
    public var maxArrivalSkew: Nanos = .seconds(1)

    public init() {}

    /// 48 kHz Opus, 20 ms ticks, mono (the WebRTC default).
    public static let opus = JitterBufferConfig()

    /// Duration of one pulled frame.
    public var frameDuration: Nanos { Nanos(frameSamples) * 1_000_000_000 / Nanos(clockRate) }

    var slotCount: Int {
        var n = 1
        while n < max(capacity, 16) { n <<= 1 }
        return n
    }
}
