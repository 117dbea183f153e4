// SPDX-License-Identifier: Apache-2.0

/// 16-bit RTP sequence number arithmetic with wrap-around (RFC 3550 §A.1; the same serial
/// number arithmetic as RFC 1982): a number is "newer" when it is less than half the space
/// ahead.
public enum RTPSequence {
    /// Whether `a` comes after `b`, modulo 2^16.
    @inlinable
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        a != b && a &- b < 0x8000
    }

    /// Signed distance from `b` to `a` (positive when `a` is newer), in -32768 ..< 32768.
    @inlinable
    public static func distance(from b: UInt16, to a: UInt16) -> Int {
        Int(Int16(bitPattern: a &- b))
    }
}

/// Extends 16-bit sequence numbers to 64 bits by counting wraps, tolerating reordering
/// within half the sequence space: a jitter buffer and NACK generator key packets by this.
public struct RTPSequenceUnwrapper: Sendable {
    private var last: Int64?

    public init() {}

    /// The extended sequence number of `sequence`, relative to the newest one seen.
    public mutating func unwrap(_ sequence: UInt16) -> Int64 {
        guard let last else {
            last = Int64(sequence)
            return Int64(sequence)
        }
        let lastLow = UInt16(truncatingIfNeeded: last)
        let extended = last + Int64(RTPSequence.distance(from: lastLow, to: sequence))
        if extended > last { self.last = extended }
        return extended
    }
}

/// Per-source reception statistics: RFC 3550 §A.1 sequence validation (probation,
/// dropouts, misordering, restarts), §A.3 loss accounting and §A.8 jitter, producing the
/// report block an RR or SR carries (§6.4.1).
public struct RTPReceptionStatistics: Sendable {
    /// §A.1: packets in sequence before a source is valid.
    public static let minSequential = 2
    /// §A.1: the largest forward jump still treated as loss rather than a restart.
    public static let maxDropout: UInt16 = 3000
    /// §A.1: the largest backward step treated as reordering.
    public static let maxMisorder: UInt16 = 100

    public let ssrc: UInt32
    public private(set) var maxSequence: UInt16 = 0
    /// Wraps × 65536.
    public private(set) var cycles: UInt32 = 0
    public private(set) var baseSequence: UInt32 = 0
    private var badSequence: UInt32 = 0x1_0001  // RTP_SEQ_MOD + 1: "none"
    public private(set) var probation: Int
    public private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    public private(set) var jitter = InterarrivalJitter()

    /// Starts tracking a source at its first packet (§A.1 `init_seq` + probation).
    public init(ssrc: UInt32, firstSequence: UInt16) {
        self.ssrc = ssrc
        probation = RTPReceptionStatistics.minSequential
        initSequence(firstSequence)
        maxSequence = firstSequence &- 1
    }

    private mutating func initSequence(_ sequence: UInt16) {
        baseSequence = UInt32(sequence)
        maxSequence = sequence
        badSequence = 0x1_0001
        cycles = 0
        received = 0
        receivedPrior = 0
        expectedPrior = 0
    }

    /// Feeds one packet's sequence number (§A.1 `update_seq`). Returns false while the source
    /// is on probation or when the packet is an unexplained jump (a restart is accepted on
    /// the second in-sequence packet after it).
    @discardableResult
    public mutating func update(sequence: UInt16) -> Bool {
        let delta = sequence &- maxSequence
        if probation > 0 {
            if sequence == maxSequence &+ 1 {
                probation -= 1
                maxSequence = sequence
                if probation == 0 {
                    initSequence(sequence)
                    received += 1
                    return true
                }
            } else {
                probation = RTPReceptionStatistics.minSequential - 1
                maxSequence = sequence
            }
            return false
        } else if delta < RTPReceptionStatistics.maxDropout {
            if sequence < maxSequence { cycles &+= 0x1_0000 }  // wrapped
            maxSequence = sequence
        } else if delta <= UInt16.max - RTPReceptionStatistics.maxMisorder + 1 {
            // A very large jump: a restart if the next packet follows it, else ignore.
            if UInt32(sequence) == badSequence {
                initSequence(sequence)
            } else {
                badSequence = (UInt32(sequence) + 1) & 0xFFFF
                return false
            }
        }
        // else: duplicate or reordered packet, counted.
        received &+= 1
        return true
    }

    /// Feeds one packet's arrival (in the RTP clock's units) and RTP timestamp to the jitter
    /// estimator (§A.8).
    public mutating func update(arrival: UInt32, rtpTimestamp: UInt32) {
        jitter.update(arrival: arrival, rtpTimestamp: rtpTimestamp)
    }

    /// §A.3: the highest sequence number received, extended with the wrap count.
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }

    /// §A.3: packets expected since the base.
    public var expected: UInt32 { extendedHighestSequence &- baseSequence &+ 1 }

    /// §A.3: cumulative packets lost (negative with duplicates), clamped to 24-bit signed.
    public var cumulativeLost: Int32 {
        let lost = Int64(expected) - Int64(received)
        return Int32(max(-0x80_0000, min(0x7F_FFFF, lost)))
    }

    /// Builds the report block for an RR/SR and starts the next interval (§A.3's fraction
    /// lost is over the interval since the previous report). `lastSR` is the middle 32 bits
    /// of the last SR's NTP time from this source and `delaySinceLastSR` the delay since it
    /// arrived in 1/65536 s (§6.4.1), both 0 when no SR was received.
    public mutating func makeReportBlock(lastSR: UInt32 = 0, delaySinceLastSR: UInt32 = 0) -> RTCPReportBlock {
        let expected = self.expected
        let expectedInterval = expected &- expectedPrior
        expectedPrior = expected
        let receivedInterval = received &- receivedPrior
        receivedPrior = received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 =
            expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulativeLost,
            extendedHighestSequence: extendedHighestSequence, jitter: jitter.value, lastSR: lastSR,
            delaySinceLastSR: delaySinceLastSR)
    }
}
