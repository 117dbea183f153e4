// SPDX-License-Identifier: Apache-2.0

/// The DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) this stack supports,
/// by their IANA identifiers. pion offers AEAD_AES_256_GCM, AEAD_AES_128_GCM and
/// AES128_CM_HMAC_SHA1_80 (livekit-protocol.md §6); we offer the 128-bit two by default.
public enum SRTPProtectionProfile: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case aes128CmHmacSha1_80 = 0x0001
    case aeadAes128Gcm = 0x0007
    case aeadAes256Gcm = 0x0008

    /// What we put in use_srtp, in order of preference: GCM first (no separate MAC, shorter
    /// nonce path), then the always-available AES-CM + HMAC-SHA1-80.
    public static let defaultOffer: [SRTPProtectionProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]

    /// OpenSSL's name for SSL_CTX_set_tlsext_use_srtp.
    public var opensslName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }

    /// Master key length in bytes (RFC 5764 §4.1.2, RFC 7714 §12).
    public var keyLength: Int { self == .aeadAes256Gcm ? 32 : 16 }
    /// Master salt length in bytes: 112 bits for AES-CM, 96 bits for AEAD (RFC 7714 §12).
    public var saltLength: Int { self == .aes128CmHmacSha1_80 ? 14 : 12 }
    /// Authentication tag appended to SRTP and SRTCP packets.
    public var tagLength: Int { self == .aes128CmHmacSha1_80 ? 10 : 16 }

    /// Bytes of exporter output: client key, server key, client salt, server salt (RFC 5764 §4.2).
    public var keyingMaterialLength: Int { 2 * (keyLength + saltLength) }

    public var description: String { opensslName }
}
