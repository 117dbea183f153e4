// SPDX-License-Identifier: Apache-2.0

/// One RTP packet's bytes, reused from packet to packet: the send path builds a packet in it
/// and SRTP-protects it in place, the receive path copies a datagram into it and unprotects
/// it in place (RFC 3711 §3.3, §3.4). One buffer per direction and stream owner, confined to
/// that owner's thread like the `SRTPSession` it is used with.
///
///     send:     RTPHeader ──write──┐
///               payload ───copy────┴─► bytes ──protectRTP (+ tag, in place)──► datagram out
///     receive:  datagram ──copy──► bytes ──unprotectRTP (− tag, in place)──► RTPPacketView(bytes)
///
/// Why: building a fresh array per packet (`Array(header) + payload`), growing it for the
/// SRTP tag, and copying a received datagram on write because the caller still holds it
/// cost four mallocs per 20 ms audio frame on the send + receive path (Benchmarks/
/// MediaBenchmarks, "audio path send + receive"). `bytes` keeps its capacity across packets,
/// so once it has held the largest packet nothing is allocated any more, provided no one
/// keeps a reference to `bytes` past the next packet: copy-on-write would then give the
/// buffer new storage (still correct, one allocation). Parsing a view of it, handing it to a
/// synchronous socket send or to `RTPRetransmissionBuffer.store` (which copies) all end
/// before the next packet.
///
/// After a throwing call the contents are unspecified (a refused AEAD packet is partly
/// decrypted): drop the packet.
public struct SRTPPacketBuffer: Sendable {
    /// The packet: after `protectRTP`, the SRTP packet to send; after `unprotectRTP`, the RTP
    /// packet (header, payload, padding) to parse.
    public private(set) var bytes: [UInt8]

    /// The largest SRTP/SRTCP trailer of the profiles we support (AES-GCM's 16-byte tag; SRTCP
    /// adds its 4-byte E-flag and index): reserved beyond `capacity` so protecting never grows.
    static let trailerRoom = 4 + 16

    /// `capacity`: the largest packet expected (a 1500-byte MTU datagram by default).
    public init(capacity: Int = 1500) {
        bytes = []
        bytes.reserveCapacity(capacity + Self.trailerRoom)
    }

    /// Replaces the contents with `header` followed by `payload` (RFC 3550 §5.1).
    public mutating func setRTP(header: RTPHeader, payload: ArraySlice<UInt8>) throws(RTPError) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: repeatElement(0, count: header.serializedLength))
        let written: Result<Int, RTPError> = bytes.withUnsafeMutableBytes { buffer in
            do throws(RTPError) { return .success(try header.write(into: buffer)) } catch { return .failure(error) }
        }
        if case .failure(let error) = written { throw error }
        bytes.append(contentsOf: payload)
    }

    /// Protects the packet set with `setRTP` in place (appends the authentication tag).
    public mutating func protectRTP(with session: SRTPSession) throws(SRTPError) {
        try session.protectRTP(&bytes)
    }

    /// Replaces the contents with a copy of `datagram` and unprotects it in place (checks and
    /// removes the tag, decrypts). The datagram itself is left as it was.
    public mutating func unprotectRTP(_ datagram: [UInt8], with session: SRTPSession) throws(SRTPError) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: datagram)
        try session.unprotectRTP(&bytes)
    }
}
