// SPDX-License-Identifier: Apache-2.0

/// What a NACK generator asked for and got.
public struct RTPNACKGeneratorStats: Sendable, Hashable {
    /// Sequence numbers found missing (gaps in what arrived).
    public var missingDetected = 0
    /// NACK requests sent, one per sequence number per try.
    public var requests = 0
    /// Packets that arrived after we asked for them.
    public var recovered = 0
    /// Packets given up on: their playout time passed (or a jump or overflow dropped them).
    public var abandoned = 0
    /// Gaps too large to ask for (a jump, not loss): forgotten at once.
    public var gapsIgnored = 0

    public init() {}
}

/// The receive side of RFC 4585 §6.2.1 Generic NACK: notes sequence gaps as packets arrive
/// and says which missing packets to ask for now.
///
/// A request only makes sense while an answer could still be played: each missing packet has
/// a deadline (the caller's playout delay after the gap was seen) and is asked for only while
/// `now + rtt` is before it. It is asked again after `retryInterval` (at least one RTT), at
/// most `maxRetries` times, then abandoned. That is libwebrtc's audio NACK policy in short
/// (modules/audio_coding/neteq/nack_tracker.cc: "only NACK what can still be played").
///
/// Missing packets are kept in a fixed array (`maxTracked`): no allocation per packet.
/// Not thread-safe: owned by the receiver's queue.
public struct RTPNACKGenerator: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Tries per packet.
        public var maxRetries = 3
        /// Least time between two requests for one packet; an RTT estimate raises it.
        public var retryInterval: Duration = .milliseconds(40)
        /// Round-trip time assumed for spacing retries until the caller knows better. An
        /// unknown RTT does not rule a request out (a receive-only endpoint never learns it,
        /// RFC 3550 §6.4.1 measures it at the sender): asking costs one small RTCP packet.
        public var defaultRTT: Duration = .milliseconds(50)
        /// Missing packets tracked at once; a larger gap is a jump (RFC 3550 §A.1 dropout),
        /// not loss to repair.
        public var maxTracked = 64

        public init() {}
    }

    private struct Missing: Sendable {
        var sequence: Int64
        var deadline: ContinuousClock.Instant
        var lastRequest: ContinuousClock.Instant?
        var retries: Int
    }

    public let configuration: Configuration
    public private(set) var stats = RTPNACKGeneratorStats()
    private var unwrapper = RTPSequenceUnwrapper()
    private var highest: Int64?
    private var missing: [Missing] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        missing.reserveCapacity(configuration.maxTracked)
    }

    /// Missing packets being waited for.
    public var pendingCount: Int { missing.count }

    /// Notes an arrival. A jump past `highest + 1` records the packets in between as missing,
    /// to be played `playoutDelay` from now. Returns true when the packet is one we had
    /// asked for (a retransmission, or the original arriving late after a request).
    @discardableResult
    public mutating func received(
        sequence: UInt16, now: ContinuousClock.Instant, playoutDelay: @autoclosure () -> Duration
    ) -> Bool {
        let extended = unwrapper.unwrap(sequence)
        guard let highest else {
            self.highest = extended
            return false
        }
        if extended > highest {
            let gap = extended - highest - 1
            if gap > Int64(configuration.maxTracked) {
                // A jump (restart, long outage): nothing in between can be repaired in time.
                stats.gapsIgnored += 1
                stats.abandoned += missing.count
                missing.removeAll(keepingCapacity: true)
            } else if gap > 0 {
                let deadline = now + playoutDelay()  // evaluated only on a gap: it may cost
                for sequence in (highest + 1)..<extended {
                    if missing.count == configuration.maxTracked {
                        missing.removeFirst()  // the oldest is the least likely to be played
                        stats.abandoned += 1
                    }
                    missing.append(Missing(sequence: sequence, deadline: deadline, lastRequest: nil, retries: 0))
                    stats.missingDetected += 1
                }
            }
            self.highest = extended
            return false
        }
        guard let index = missing.firstIndex(where: { $0.sequence == extended }) else { return false }
        let asked = missing[index].retries > 0
        missing.remove(at: index)
        if asked { stats.recovered += 1 }
        return asked
    }

    /// The sequence numbers to request now (each counted as one try), oldest first. Packets
    /// whose playout time has passed are dropped from the list (`abandoned`).
    public mutating func due(now: ContinuousClock.Instant, rtt: Duration? = nil) -> [UInt16] {
        guard !missing.isEmpty else { return [] }
        let interval = max(configuration.retryInterval, rtt ?? configuration.defaultRTT)
        let rtt = rtt ?? .zero
        var out: [UInt16] = []
        var kept = 0
        for var entry in missing {
            if now > entry.deadline {
                // Its playout time has passed: an answer now would be late anyway.
                stats.abandoned += 1
                continue
            }
            // Ask only while an answer can come back (one RTT) before the deadline; after the
            // last try the entry stays until the deadline so a late answer still counts.
            if entry.retries < configuration.maxRetries, now + rtt <= entry.deadline,
                entry.lastRequest.map({ now - $0 >= interval }) ?? true
            {
                entry.lastRequest = now
                entry.retries += 1
                stats.requests += 1
                out.append(UInt16(truncatingIfNeeded: entry.sequence))
            }
            missing[kept] = entry
            kept += 1
        }
        missing.removeLast(missing.count - kept)
        return out
    }

    /// Forgets the stream (new SSRC).
    public mutating func reset() {
        unwrapper = RTPSequenceUnwrapper()
        highest = nil
        missing.removeAll(keepingCapacity: true)
    }
}
