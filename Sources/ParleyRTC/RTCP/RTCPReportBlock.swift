// SPDX-License-Identifier: Apache-2.0

/// A reception report block (RFC 3550 §6.4.1), 24 bytes, carried in SR and RR packets:
/// how well the reporter receives one source.
public struct RTCPReportBlock: Sendable, Hashable {
    public var ssrc: UInt32
    /// Lost fraction since the previous report, as a fixed-point number /256 (§6.4.1).
    public var fractionLost: UInt8
    /// Cumulative packets lost: a signed 24-bit value on the wire (negative with duplicates).
    public var cumulativeLost: Int32
    /// Cycles × 65536 + highest sequence number received (§A.3).
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in timestamp units (§6.4.1, §A.8).
    public var jitter: UInt32
    /// The middle 32 bits of the NTP timestamp of the last SR received from the source (LSR).
    public var lastSR: UInt32
    /// Delay since that SR arrived, in 1/65536 s (DLSR). RTT = now − LSR − DLSR (§6.4.1).
    public var delaySinceLastSR: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0, extendedHighestSequence: UInt32 = 0,
        jitter: UInt32 = 0, lastSR: UInt32 = 0, delaySinceLastSR: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }

    static let length = 24

    init(_ bytes: ArraySlice<UInt8>, at offset: Int) {
        ssrc = bytes.readBE32(offset)
        fractionLost = bytes[offset + 4]
        let raw = bytes.readBE24(offset + 5)
        cumulativeLost = Int32(bitPattern: raw << 8) >> 8  // sign-extend 24 bits
        extendedHighestSequence = bytes.readBE32(offset + 8)
        jitter = bytes.readBE32(offset + 12)
        lastSR = bytes.readBE32(offset + 16)
        delaySinceLastSR = bytes.readBE32(offset + 20)
    }

    func write(_ writer: inout BufferWriter) {
        writer.be32(ssrc)
        writer.u8(fractionLost)
        let clamped = max(-0x80_0000, min(0x7F_FFFF, cumulativeLost))
        let raw = UInt32(bitPattern: clamped) & 0xFF_FFFF
        writer.u8(UInt8(truncatingIfNeeded: raw >> 16))
        writer.be16(UInt16(truncatingIfNeeded: raw))
        writer.be32(extendedHighestSequence)
        writer.be32(jitter)
        writer.be32(lastSR)
        writer.be32(delaySinceLastSR)
    }
}
