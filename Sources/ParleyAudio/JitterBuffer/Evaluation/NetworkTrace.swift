// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// One packet of a network trace: when it arrived and what it was.
public struct TracePacket: Sendable, Hashable {
    /// Arrival on the receiver's clock.
    public var arrival: Nanos
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    /// Payload bytes (≤ 2 is a DTX packet, as for Opus).
    public var size: Int
    /// The payload carries in-band FEC for the frame before it (synthetic traces only).
    public var hasFEC: Bool

    public init(arrival: Nanos, sequenceNumber: UInt16, timestamp: UInt32, size: Int, hasFEC: Bool = false) {
        self.arrival = arrival
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.size = size
        self.hasFEC = hasFEC
    }
}

/// The packets of one audio stream as a receiver saw them, in arrival order: what the
/// evaluation replays into a jitter buffer. Lost packets are simply absent.
public struct NetworkTrace: Sendable {
    public var name: String
    public var clockRate: Int
    /// Samples per channel per packet (960 = 20 ms at 48 kHz).
    public var frameSamples: Int
    public var packets: [TracePacket]
    /// Packets the sender sent (known for synthetic traces; for files, inferred from the
    /// sequence-number range).
    public var sent: Int

    public init(name: String, clockRate: Int = 48_000, frameSamples: Int = 960, packets: [TracePacket], sent: Int? = nil) {
        self.name = name
        self.clockRate = clockRate
        self.frameSamples = frameSamples
        self.packets = packets
        self.sent = sent ?? NetworkTrace.sequenceSpan(packets)
    }

    /// Time from the first arrival to the last.
    public var duration: Nanos {
        guard let first = packets.first?.arrival, let last = packets.last?.arrival else { return 0 }
        return last - first
    }

    static func sequenceSpan(_ packets: [TracePacket]) -> Int {
        var unwrapper = SequenceNumberUnwrapper()
        var low = Int64.max, high = Int64.min
        for p in packets {
            let s = unwrapper.extend(p.sequenceNumber)
            unwrapper.accept(s)
            low = min(low, s)
            high = max(high, s)
        }
        return packets.isEmpty ? 0 : Int(high - low + 1)
    }
}
