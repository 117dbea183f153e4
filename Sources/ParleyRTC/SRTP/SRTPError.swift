// SPDX-License-Identifier: Apache-2.0

/// Why libsrtp2 refused a packet or a key. Messages never contain key material.
public enum SRTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The authentication tag did not verify (RFC 3711 §3.3, step 5): tampered, wrong key, or
    /// not SRTP at all.
    case authenticationFailed
    /// The packet index was seen before or is behind the replay window (RFC 3711 §3.3.2).
    case replayed
    /// Too short or malformed to be an RTP/RTCP (or SRTP/SRTCP) packet.
    case badPacket
    /// The caller's buffer lacks room for the trailer protect appends.
    case bufferTooSmall(needed: Int, available: Int)
    /// Key or salt lengths do not fit the profile.
    case invalidKey
    /// Another libsrtp2 status (srtp_err_status_t).
    case library(status: UInt32)

    public var description: String {
        switch self {
        case .authenticationFailed: "SRTP authentication failed"
        case .replayed: "SRTP replayed or too old packet"
        case .badPacket: "malformed SRTP packet"
        case .bufferTooSmall(let needed, let available): "SRTP buffer too small: need \(needed) bytes, have \(available)"
        case .invalidKey: "SRTP key does not fit the protection profile"
        case .library(let status): "libsrtp2 error \(status)"
        }
    }
}
