// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The packets waiting to be played: a ring of slots indexed by extended sequence number, with
/// every payload copied into one preallocated slab (`slots × maxPayloadBytes`), so storing and
/// removing a packet never allocates.
///
/// The owner keeps every stored sequence number within one ring's length of the playout point
/// (`lowest ... lowest + slotCount − 1`), so two live packets never share a slot.
final class PacketStore {
    let slotCount: Int
    let maxPayloadBytes: Int
    private let mask: Int64
    private let slab: UnsafeMutableRawPointer
    private var occupied: [Bool]
    private var sequences: [Int64]
    private var timestamps: [Int64]
    private var arrivals: [Nanos]
    private var lengths: [Int]
    private(set) var count = 0

    init(slotCount: Int, maxPayloadBytes: Int) {
        precondition(slotCount > 0 && slotCount & (slotCount - 1) == 0, "slotCount must be a power of two")
        self.slotCount = slotCount
        self.maxPayloadBytes = max(maxPayloadBytes, 1)
        mask = Int64(slotCount - 1)
        slab = .allocate(byteCount: slotCount * self.maxPayloadBytes, alignment: 16)
        occupied = Array(repeating: false, count: slotCount)
        sequences = Array(repeating: 0, count: slotCount)
        timestamps = Array(repeating: 0, count: slotCount)
        arrivals = Array(repeating: 0, count: slotCount)
        lengths = Array(repeating: 0, count: slotCount)
    }

    deinit { slab.deallocate() }

    @inline(__always) private func slot(_ seq: Int64) -> Int { Int(seq & mask) }

    func contains(_ seq: Int64) -> Bool {
        let s = slot(seq)
        return occupied[s] && sequences[s] == seq
    }

    /// Stores a packet; false when its slot holds a different live packet (outside the window).
    @discardableResult
    func insert(sequence: Int64, timestamp: Int64, arrival: Nanos, payload: UnsafeRawBufferPointer) -> Bool {
        let s = slot(sequence)
        if occupied[s] { return sequences[s] == sequence }
        guard payload.count <= maxPayloadBytes, let base = payload.baseAddress else { return false }
        (slab + s * maxPayloadBytes).copyMemory(from: base, byteCount: payload.count)
        occupied[s] = true
        sequences[s] = sequence
        timestamps[s] = timestamp
        arrivals[s] = arrival
        lengths[s] = payload.count
        count += 1
        return true
    }

    /// Timestamp of a stored packet (call only when `contains`).
    func timestamp(of seq: Int64) -> Int64 { timestamps[slot(seq)] }
    func arrival(of seq: Int64) -> Nanos { arrivals[slot(seq)] }

    /// The stored payload; valid until the packet is removed.
    func payload(of seq: Int64) -> UnsafeRawBufferPointer {
        let s = slot(seq)
        return UnsafeRawBufferPointer(start: slab + s * maxPayloadBytes, count: lengths[s])
    }

    func remove(_ seq: Int64) {
        let s = slot(seq)
        guard occupied[s], sequences[s] == seq else { return }
        occupied[s] = false
        count -= 1
    }

    func removeAll() {
        for i in 0..<slotCount { occupied[i] = false }
        count = 0
    }

    /// The lowest stored sequence number in `from...through` (scans at most one ring).
    func first(from: Int64, through: Int64) -> Int64? {
        guard count > 0, from <= through else { return nil }
        var seq = from
        let end = min(through, from + Int64(slotCount) - 1)
        while seq <= end {
            let s = slot(seq)
            if occupied[s] && sequences[s] == seq { return seq }
            seq += 1
        }
        return nil
    }

    /// The highest stored timestamp (for the buffered-duration figure); nil when empty.
    func newestTimestamp(from: Int64, through: Int64) -> Int64? {
        guard count > 0, from <= through else { return nil }
        var seq = min(through, from + Int64(slotCount) - 1)
        while seq >= from {
            let s = slot(seq)
            if occupied[s] && sequences[s] == seq { return timestamps[s] }
            seq -= 1
        }
        return nil
    }
}
