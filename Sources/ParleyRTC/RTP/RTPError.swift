// SPDX-License-Identifier: Apache-2.0

/// Why an RTP packet could not be parsed or serialized. Offsets count from the packet's first byte.
public enum RTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer than the 12 bytes of the fixed header (RFC 3550 §5.1).
    case tooShort(length: Int)
    /// The version field is not 2 (RFC 3550 §5.1).
    case badVersion(UInt8)
    /// The CSRC list (CC × 4 bytes) does not fit.
    case csrcTruncated(count: Int, length: Int)
    /// X is set but the 4-byte extension header does not fit (RFC 3550 §5.3.1).
    case extensionHeaderTruncated(offset: Int)
    /// The extension's length (in 32-bit words) runs past the packet.
    case extensionTruncated(offset: Int, declared: Int, available: Int)
    /// An RFC 8285 element's length runs past the extension block.
    case extensionElementTruncated(id: UInt8, offset: Int, length: Int, available: Int)
    /// P is set but the padding count is 0 or larger than what follows the header (RFC 3550 §5.1).
    case invalidPadding(count: Int, available: Int)
    /// Serializing: the caller's buffer is too small.
    case bufferTooSmall(needed: Int, available: Int)
    /// Serializing: an extension element cannot be written in the chosen form (RFC 8285 §4.2–4.3).
    case extensionNotRepresentable(id: UInt8, length: Int, form: String)
    /// Serializing: more than 15 CSRCs, or a payload type above 127.
    case fieldOutOfRange(String)

    public var description: String {
        switch self {
        case .tooShort(let length):
            "RTP packet is \(length) bytes; the fixed header is 12 (RFC 3550 §5.1)"
        case .badVersion(let version):
            "RTP version is \(version), not 2 (RFC 3550 §5.1)"
        case .csrcTruncated(let count, let length):
            "RTP header lists \(count) CSRCs (\(12 + 4 * count) bytes) but the packet is \(length) bytes"
        case .extensionHeaderTruncated(let offset):
            "RTP header extension header at byte \(offset) is cut off (RFC 3550 §5.3.1)"
        case .extensionTruncated(let offset, let declared, let available):
            "RTP header extension at byte \(offset) declares \(declared) bytes but \(available) remain"
        case .extensionElementTruncated(let id, let offset, let length, let available):
            "RTP header extension element id \(id) at byte \(offset) declares \(length) bytes but \(available) remain in the block (RFC 8285)"
        case .invalidPadding(let count, let available):
            "RTP padding count \(count) is invalid: it must be 1–\(available), the bytes after the header (RFC 3550 §5.1)"
        case .bufferTooSmall(let needed, let available):
            "RTP packet needs \(needed) bytes but the buffer has \(available)"
        case .extensionNotRepresentable(let id, let length, let form):
            "RTP header extension id \(id) with \(length) bytes cannot be written in the \(form) form (RFC 8285)"
        case .fieldOutOfRange(let what):
            "RTP \(what)"
        }
    }
}
