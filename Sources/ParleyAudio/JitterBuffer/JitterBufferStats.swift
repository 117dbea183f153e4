// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Counters and delay figures of a `JitterBuffer` (pion-style: one stats struct per component).
///
/// Packet counters are counted on `insert`, frame counters on `pull`. A packet that misses
/// its playout time is first counted in `lost` (when its frame is concealed or recovered) and,
/// if it turns up afterwards, in `late` too; `lost − late` is what the network lost.
public struct JitterBufferStats: Sendable, Hashable {
    // MARK: Delay

    /// How much later than the fastest packet of the last `historyWindow` the buffer plays
    /// right now (the playout delay the buffer adds).
    public var currentDelay: Nanos = 0
    /// The delay the buffer is steering to (quantile of relative delays, or the peak height
    /// in peak mode), on the same scale as `currentDelay`.
    public var targetDelay: Nanos = 0
    /// RFC 3550 §6.4.1 interarrival jitter estimate J.
    public var interarrivalJitter: Nanos = 0
    /// True while the peak detector holds the target at the height of recent delay spikes.
    public var peakMode = false
    /// Packets waiting to be played.
    public var bufferedPackets = 0

    // MARK: Packets (insert)

    /// Every packet handed to `insert`.
    public var received = 0
    /// Same sequence number as a packet already buffered, played or counted late.
    public var duplicate = 0
    /// Arrived after a packet with a higher sequence number, still in time to be played.
    public var reordered = 0
    /// Arrived after its playout time (discarded).
    public var late = 0
    /// Empty, oversized, or rejected by the decoder.
    public var invalid = 0
    /// Out of stream: foreign SSRC, sequence or timestamp jump, not (yet) confirmed by a second
    /// packet (RFC 3550 §A.1 probation).
    public var outOfStream = 0
    /// Further ahead of the playout point than the buffer holds.
    public var overflow = 0

    // MARK: Frames (pull)

    /// Frames pulled.
    public var frames = 0
    /// Packets decoded and played.
    public var decoded = 0
    /// Packets missing at their playout time (concealed or recovered by FEC).
    public var lost = 0
    /// Frames made up by packet loss concealment (losses, underruns, inserted frames).
    public var concealed = 0
    /// Frames recovered from the in-band FEC of the following packet.
    public var fecRecovered = 0
    /// Frames of silence: before playout starts, in DTX gaps, while rebuffering.
    public var silence = 0
    /// Ticks on which the buffer had nothing to play (and was not in a DTX gap).
    public var underruns = 0

    // MARK: Adaptation

    /// Frames of concealment inserted into speech to move the playout point later (a frame
    /// held for a missing packet, or inserted between two packets).
    public var inserted = 0
    /// Packets of speech decoded but not played, to move the playout point earlier.
    public var dropped = 0
    /// Frames concealed in an underrun that turned out to be loss (the next packet to arrive
    /// was a later one): booked as that loss's concealment, not as added delay.
    public var reconciled = 0
    /// Frames of silence held or skipped in DTX gaps: free adjustments of the delay.
    public var silenceInserted = 0
    public var silenceSkipped = 0

    // MARK: Discontinuities

    /// Timeline restarts: new SSRC, confirmed sequence or timestamp jump, overflow.
    public var resets = 0
    /// Returns from playing to buffering after starvation.
    public var rebuffers = 0

    public init() {}
}
