// SPDX-License-Identifier: Apache-2.0

/// What is wrong with an inbound SCTP packet that `SCTPAssociation` drops before usrsctp sees
/// it: a chunk or parameter whose length field breaks RFC 9260 (= RFC 4960) §3.2 / §3.2.1.
///
/// Why we check at all: usrsctp trusts these lengths in places. 0.9.5.0 (Debian 12's
/// libusrsctp2) answers an INIT that reaches an association past COOKIE-WAIT by walking its
/// parameters (`sctp_are_there_new_addresses`, under `sctp_send_initiate_ack`), advancing by
/// the padded parameter length and bounded by the end of the packet, not of the chunk; a
/// parameter of length 0 makes that loop spin forever (the bug class of sctplab/usrsctp#570).
/// Every association lives on the one SCTP queue (`SCTPStack`), so any DTLS-connected peer
/// could hang all data channels of the process with one 36-byte packet (found by FuzzSCTP:
/// `Tests/Fuzz/Findings/sctp-hang-init-zero-length-param`).
///
/// The walk over a well-formed packet (what `first(in:)` accepts):
///
///     common header (12) │ chunk ─ type flags length(≥ 4) value … pad │ chunk … │ end
///                              └─ INIT / INIT ACK (after 16 fixed bytes), HEARTBEAT (ACK),
///                                 ABORT, ERROR, RE-CONFIG, ASCONF (ACK): value = TLVs
///                                 type length(≥ 4) value … pad, each inside the chunk
///
/// Chunks and TLVs both advance by their length rounded up to 4 (§3.2: padding is not
/// counted in the length); the last one may end unpadded at the end of its container. So once
/// a packet passes, any walk that follows these lengths — usrsctp's included, even one that
/// runs past its chunk into the next chunks' headers — lands on 4-byte headers whose length
/// is at least 4 and always moves forward.
///
/// The check reads each chunk header once, and the TLV headers of the few chunk types made of
/// TLVs: no allocation, a few dozen loads for a typical DATA/SACK packet.
public enum SCTPPacketDefect: Sendable, Hashable, CustomStringConvertible {
    /// Shorter than the 12-byte common header (§3.1).
    case truncatedCommonHeader(length: Int)
    /// A common header and nothing after it (§3: one or more chunks follow).
    case noChunks
    /// 1–3 bytes left where a 4-byte chunk header must start.
    case truncatedChunkHeader(offset: Int)
    /// A chunk length under 4, which cannot even cover the chunk's own header (§3.2).
    case chunkLengthTooSmall(type: UInt8, offset: Int, length: Int)
    /// A chunk length that runs past the end of the packet.
    case chunkPastEnd(type: UInt8, offset: Int, length: Int, available: Int)
    /// A chunk shorter than the fixed fields its type has (INIT/INIT ACK: 20 bytes, §3.3.2;
    /// ASCONF/ASCONF ACK: 8, RFC 5061 §5.1).
    case chunkTooShort(type: UInt8, offset: Int, length: Int, minimum: Int)
    /// 1–3 bytes left in a chunk where a 4-byte parameter (or error cause) header must start.
    case truncatedParameterHeader(chunkType: UInt8, offset: Int)
    /// A parameter (or error cause, §3.3.10) length under 4 (§3.2.1). Length 0 is the one
    /// usrsctp 0.9.5 loops on forever.
    case parameterLengthTooSmall(chunkType: UInt8, offset: Int, length: Int)
    /// A parameter length that runs past the end of its chunk.
    case parameterPastChunk(chunkType: UInt8, offset: Int, length: Int, available: Int)

    // Chunk types whose value is (after fixed fields) a list of TLVs, and the bytes before it.
    // RFC 9260 §3.3.2/§3.3.3 INIT/INIT ACK, §3.3.5/§3.3.6 HEARTBEAT (ACK) (Heartbeat Info),
    // §3.3.7/§3.3.10 ABORT/ERROR (error causes), RFC 6525 §3.1 RE-CONFIG, RFC 5061 §5.1 ASCONF
    // ACK (0x80) and ASCONF (0xC1).
    private static func parameterOffset(chunkType: UInt8) -> Int? {
        switch chunkType {
        case 1, 2: return 20
        case 4, 5, 6, 9, 130: return 4
        case 0x80, 0xC1: return 8
        default: return nil
        }
    }

    static let commonHeaderLength = 12

    /// The first defect of `packet` (a whole SCTP packet as DTLS delivered it), or nil when
    /// every chunk and parameter length is consistent.
    public static func first(in packet: [UInt8]) -> SCTPPacketDefect? {
        guard packet.count >= commonHeaderLength else { return .truncatedCommonHeader(length: packet.count) }
        guard packet.count > commonHeaderLength else { return .noChunks }
        var offset = commonHeaderLength
        while offset < packet.count {
            guard offset + 4 <= packet.count else { return .truncatedChunkHeader(offset: offset) }
            let type = packet[offset]
            let length = Int(packet.readBE16(offset + 2))
            guard length >= 4 else { return .chunkLengthTooSmall(type: type, offset: offset, length: length) }
            guard offset + length <= packet.count else {
                return .chunkPastEnd(type: type, offset: offset, length: length, available: packet.count - offset)
            }
            if let fixed = parameterOffset(chunkType: type) {
                guard length >= fixed else { return .chunkTooShort(type: type, offset: offset, length: length, minimum: fixed) }
                if let defect = firstParameterDefect(packet, chunkType: type, from: offset + fixed, to: offset + length) {
                    return defect
                }
            }
            offset += padded(length)
        }
        return nil
    }

    /// §3.2.1: each TLV in `start..<end` has a length of at least 4 that stays inside the chunk.
    private static func firstParameterDefect(_ packet: [UInt8], chunkType: UInt8, from start: Int, to end: Int) -> SCTPPacketDefect? {
        var offset = start
        while offset < end {
            guard offset + 4 <= end else { return .truncatedParameterHeader(chunkType: chunkType, offset: offset) }
            let length = Int(packet.readBE16(offset + 2))
            guard length >= 4 else { return .parameterLengthTooSmall(chunkType: chunkType, offset: offset, length: length) }
            guard offset + length <= end else {
                return .parameterPastChunk(chunkType: chunkType, offset: offset, length: length, available: end - offset)
            }
            offset += padded(length)
        }
        return nil
    }

    private static func padded(_ length: Int) -> Int { (length + 3) & ~3 }

    public var description: String {
        switch self {
        case .truncatedCommonHeader(let length):
            return "\(length)-byte packet, shorter than the 12-byte SCTP common header"
        case .noChunks:
            return "common header without chunks"
        case .truncatedChunkHeader(let offset):
            return "truncated chunk header at byte \(offset)"
        case .chunkLengthTooSmall(let type, let offset, let length):
            return "chunk type \(type) at byte \(offset) has length \(length) (at least 4)"
        case .chunkPastEnd(let type, let offset, let length, let available):
            return "chunk type \(type) at byte \(offset) has length \(length), only \(available) bytes left"
        case .chunkTooShort(let type, let offset, let length, let minimum):
            return "chunk type \(type) at byte \(offset) has length \(length), its fixed fields need \(minimum)"
        case .truncatedParameterHeader(let chunkType, let offset):
            return "truncated parameter header at byte \(offset) in chunk type \(chunkType)"
        case .parameterLengthTooSmall(let chunkType, let offset, let length):
            return "parameter at byte \(offset) in chunk type \(chunkType) has length \(length) (at least 4)"
        case .parameterPastChunk(let chunkType, let offset, let length, let available):
            return "parameter at byte \(offset) in chunk type \(chunkType) has length \(length), "
                + "only \(available) bytes left in the chunk"
        }
    }
}
