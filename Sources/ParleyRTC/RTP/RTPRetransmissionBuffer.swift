// SPDX-License-Identifier: Apache-2.0

/// What a retransmission buffer did with the NACKs it was asked to answer.
public struct RTPRetransmissionStats: Sendable, Hashable {
    /// Packets stored (every packet sent while retransmission is on).
    public var stored = 0
    /// Packets too large for a slot: not stored, so never resent.
    public var tooLarge = 0
    /// Generic NACKs answered (RFC 4585 §6.2.1).
    public var nacksReceived = 0
    /// Sequence numbers those NACKs named.
    public var requested = 0
    /// Of those, packets resent.
    public var resent = 0
    /// Of those, packets no longer held: overwritten, older than `maxAge`, or never sent.
    public var missing = 0

    public init() {}
}

/// The last ~1 s of sent RTP packets, so a Generic NACK (RFC 4585 §6.2.1) can be answered
/// by resending them (RFC 4588 §1: plain retransmission in the original stream, which is
/// what LiveKit's SFU and libwebrtc do for audio without RTX; livekit-protocol.md §7).
///
/// A ring of `capacity` preallocated slots indexed by `sequence mod capacity`, each holding
/// one packet in a shared slab: storing and looking up never allocate. A slot answers only
/// for the exact sequence number it holds and only while it is younger than `maxAge`, so the
/// buffer is bounded by count (the ring) and time (the age check).
///
/// The packets stored are the ones put on the wire, i.e. already SRTP-protected: libsrtp2
/// refuses to protect a sequence number twice (`allow_repeat_tx` off, see `SRTPSession`), and
/// resending the identical ciphertext reuses no keystream on different plaintext. The peer's
/// SRTP replay window accepts the copy exactly when it never got the original.
///
/// Not thread-safe: owned by the sender's queue.
public final class RTPRetransmissionBuffer {
    public let capacity: Int
    public let maxAge: Duration
    public let maxPacketBytes: Int
    public private(set) var stats = RTPRetransmissionStats()

    private let slab: UnsafeMutableBufferPointer<UInt8>
    private var sequences: [UInt16]
    private var lengths: [Int]
    private var sentAt: [ContinuousClock.Instant]

    /// `capacity` is rounded up to a power of two. 64 slots hold 1.28 s of 20 ms audio.
    public init(capacity: Int = 64, maxAge: Duration = .seconds(1), maxPacketBytes: Int = 1500) {
        precondition(capacity > 0 && maxPacketBytes > 0, "RTPRetransmissionBuffer needs room")
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.maxAge = maxAge
        self.maxPacketBytes = maxPacketBytes
        slab = .allocate(capacity: size * maxPacketBytes)
        slab.initialize(repeating: 0)
        sequences = [UInt16](repeating: 0, count: size)
        lengths = [Int](repeating: 0, count: size)
        sentAt = [ContinuousClock.Instant](repeating: .now, count: size)
    }

    deinit { slab.deallocate() }

    /// Keeps a copy of a packet as sent (`bytes`, SRTP-protected) under its RTP sequence number.
    public func store(sequenceNumber: UInt16, packet bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        let slot = Int(sequenceNumber) & (capacity - 1)
        guard bytes.count <= maxPacketBytes else {
            stats.tooLarge += 1
            lengths[slot] = 0  // the slot's older packet must not answer for this sequence number
            return
        }
        let base = slot * maxPacketBytes
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(slab.baseAddress! + base).copyMemory(from: source, byteCount: bytes.count)
        }
        sequences[slot] = sequenceNumber
        lengths[slot] = bytes.count
        sentAt[slot] = now
        stats.stored += 1
    }

    public func store(sequenceNumber: UInt16, packet bytes: [UInt8], now: ContinuousClock.Instant) {
        bytes.withUnsafeBytes { store(sequenceNumber: sequenceNumber, packet: $0, now: now) }
    }

    /// Calls `body` with the stored packet for `sequenceNumber`, if it is held and fresh.
    /// Returns whether it was.
    @discardableResult
    public func withPacket(
        sequenceNumber: UInt16, now: ContinuousClock.Instant, _ body: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        let slot = Int(sequenceNumber) & (capacity - 1)
        guard lengths[slot] > 0, sequences[slot] == sequenceNumber, now - sentAt[slot] <= maxAge else { return false }
        body(UnsafeRawBufferPointer(start: slab.baseAddress! + slot * maxPacketBytes, count: lengths[slot]))
        return true
    }

    /// Answers one NACK: `resend` gets each requested packet still held, oldest first.
    /// Returns (requested, resent); the difference is counted as `missing`.
    @discardableResult
    public func answer(
        _ nack: RTCPGenericNACK, now: ContinuousClock.Instant, resend: (UnsafeRawBufferPointer) -> Void
    ) -> (requested: Int, resent: Int) {
        stats.nacksReceived += 1
        var requested = 0
        var resent = 0
        for entry in nack.entries {
            // PID, then bit i of BLP for PID + i + 1 (RFC 4585 §6.2.1); no array built.
            for bit in -1..<16 where bit < 0 || entry.lostBitmask & (1 << bit) != 0 {
                requested += 1
                if withPacket(sequenceNumber: entry.packetID &+ UInt16(bit + 1), now: now, resend) { resent += 1 }
            }
        }
        stats.requested += requested
        stats.resent += resent
        stats.missing += requested - resent
        return (requested, resent)
    }

    /// Forgets every packet (a new SSRC or keys).
    public func removeAll() {
        for i in lengths.indices { lengths[i] = 0 }
    }
}
