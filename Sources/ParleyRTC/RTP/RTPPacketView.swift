// SPDX-License-Identifier: Apache-2.0

/// A parsed, validated view of an RTP packet (RFC 3550 §5.1) that keeps the received bytes
/// and reads fields, CSRCs, header extensions and the payload from them without copying.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers (CC)        |
/// |  profile (0xBEDE / 0x100X)    |   extension length (words)    |  (if X)
/// |                 header extension elements …                   |
/// |                           payload …   | padding … | pad count |  (if P)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// This is the receive path's type: holding the array is a reference-count bump, not a copy,
/// and nothing is allocated per packet. The Opus payload (RFC 7587 §4) is just `payload`.
public struct RTPPacketView: Sendable {
    public let bytes: [UInt8]
    public let hasPadding: Bool
    public let marker: Bool
    public let payloadType: UInt8
    public let sequenceNumber: UInt16
    public let timestamp: UInt32
    public let ssrc: UInt32
    public let csrcCount: Int
    /// The extension block's profile (0xBEDE one-byte, 0x100X two-byte, other: opaque), if X is set.
    public let extensionProfile: UInt16?
    /// Where the extension data lies (after its 4-byte header); empty without X.
    public let extensionRange: Range<Int>
    public let payloadRange: Range<Int>
    /// Padding bytes at the end, including the count byte (0 without P).
    public let paddingLength: Int

    /// Validates and indexes `bytes` (RFC 3550 §5.1, §5.3.1, RFC 8285 §4). Throws on anything
    /// that does not fit; a packet that passes can be read without further checks.
    public init(_ bytes: [UInt8]) throws(RTPError) {
        guard bytes.count >= 12 else { throw .tooShort(length: bytes.count) }
        let version = bytes[0] >> 6
        guard version == 2 else { throw .badVersion(version) }
        hasPadding = bytes[0] & 0x20 != 0
        let hasExtension = bytes[0] & 0x10 != 0
        csrcCount = Int(bytes[0] & 0x0F)
        marker = bytes[1] & 0x80 != 0
        payloadType = bytes[1] & 0x7F
        sequenceNumber = bytes.readBE16(2)
        timestamp = bytes.readBE32(4)
        ssrc = bytes.readBE32(8)

        var offset = 12 + 4 * csrcCount
        guard offset <= bytes.count else { throw .csrcTruncated(count: csrcCount, length: bytes.count) }
        if hasExtension {
            guard offset + 4 <= bytes.count else { throw .extensionHeaderTruncated(offset: offset) }
            let profile = bytes.readBE16(offset)
            let length = Int(bytes.readBE16(offset + 2)) * 4
            let start = offset + 4
            guard start + length <= bytes.count else {
                throw .extensionTruncated(offset: offset, declared: length, available: bytes.count - start)
            }
            extensionProfile = profile
            extensionRange = start..<(start + length)
            if let form = RTPHeaderExtensionForm(profile: profile) {
                try RTPHeaderExtensionElements.validate(bytes, extensionRange, form: form)
            }
            offset = start + length
        } else {
            extensionProfile = nil
            extensionRange = offset..<offset
        }
        var end = bytes.count
        if hasPadding {
            let count = Int(bytes[bytes.count - 1])
            let available = bytes.count - offset
            guard count >= 1, count <= available else { throw .invalidPadding(count: count, available: available) }
            end -= count
            paddingLength = count
        } else {
            paddingLength = 0
        }
        payloadRange = offset..<end
        self.bytes = bytes
    }

    public var headerLength: Int { payloadRange.lowerBound }

    /// The `index`th CSRC (0 ..< csrcCount).
    public func csrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        return bytes.readBE32(12 + 4 * index)
    }

    public var payload: ArraySlice<UInt8> { bytes[payloadRange] }

    public var extensionForm: RTPHeaderExtensionForm? {
        extensionProfile.flatMap(RTPHeaderExtensionForm.init(profile:))
    }

    /// RFC 8285 elements, in order (empty for no or an opaque extension block).
    public var extensions: RTPHeaderExtensionElements {
        RTPHeaderExtensionElements(bytes: bytes, range: extensionRange, form: extensionForm)
    }

    /// The value of the first element with this id.
    public func extensionValue(id: UInt8) -> ArraySlice<UInt8>? {
        for element in extensions where element.id == id { return bytes[element.range] }
        return nil
    }
}
