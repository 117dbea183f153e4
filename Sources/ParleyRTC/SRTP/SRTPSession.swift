// SPDX-License-Identifier: Apache-2.0

import CSRTP

/// SRTP and SRTCP (RFC 3711; AES-GCM per RFC 7714) through libsrtp2, keyed from a DTLS-SRTP
/// handshake (RFC 5764 §4.2). One outbound context protects what we send with our role's
/// keys, one inbound context checks what the peer sends with its keys; both accept any SSRC
/// (ssrc_any_outbound / ssrc_any_inbound), so new streams need no setup.
///
/// Packets are transformed in place in the caller's buffer: no allocation per packet.
/// `protect` appends the authentication tag (and for SRTCP the E-flag and index, RFC 3711
/// §3.4), so the buffer needs `rtpTrailerLength` / `rtcpTrailerLength` bytes of room after
/// the packet; `unprotect` shortens the packet by as much.
///
/// Replay protection is on for RTP and RTCP (window `replayWindow`, RFC 3711 §3.3.2). Our
/// outbound context refuses to protect the same RTP sequence number twice (libsrtp2's
/// allow_repeat_tx off), which catches sender bugs that would reuse a keystream.
///
/// A refused packet keeps its length, but with the AEAD profiles its bytes are unspecified
/// (libsrtp2 decrypts in place before the tag check fails): drop it.
///
/// Not thread-safe: confine a session to one thread, or use one session per direction.
public final class SRTPSession {
    public let profile: SRTPProtectionProfile
    public private(set) var stats = SRTPStats()
    /// srtp_t (opaque).
    private var outbound: OpaquePointer?
    private var inbound: OpaquePointer?

    /// Room `protectRTP` needs after the packet: the tag.
    public var rtpTrailerLength: Int { profile.tagLength }
    /// Room `protectRTCP` needs after the packet: E-flag + SRTCP index (4 bytes) and the tag.
    public var rtcpTrailerLength: Int { 4 + profile.tagLength }

    /// `role` is our DTLS role: it picks which half of the keying material we send with.
    public init(keyingMaterial: SRTPKeyingMaterial, role: DTLSRole, replayWindow: Int = 1024) throws(SRTPError) {
        SRTPLibrary.initializeOnce()
        profile = keyingMaterial.profile
        var (local, remote) = keyingMaterial.masterKeys(for: role)
        defer {
            for i in local.indices { local[i] = 0 }
            for i in remote.indices { remote[i] = 0 }
        }
        outbound = try Self.makeContext(profile: profile, key: &local, type: ssrc_any_outbound, window: replayWindow)
        do {
            inbound = try Self.makeContext(profile: profile, key: &remote, type: ssrc_any_inbound, window: replayWindow)
        } catch {
            srtp_dealloc(outbound)
            outbound = nil
            throw error
        }
    }

    deinit {
        if let outbound { srtp_dealloc(outbound) }
        if let inbound { srtp_dealloc(inbound) }
    }

    // MARK: - In place, caller's buffer

    /// Protects the RTP packet in `buffer[0..<length]`; returns the SRTP packet's length.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length: length, trailer: rtpTrailerLength, context: outbound, counter: \.rtpProtected) {
            srtp_protect($0, $1, $2)
        }
    }

    /// Verifies and decrypts the SRTP packet in `buffer[0..<length]`; returns the RTP length.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length: length, trailer: 0, context: inbound, counter: \.rtpUnprotected) {
            srtp_unprotect($0, $1, $2)
        }
    }

    /// Protects the compound RTCP packet in `buffer[0..<length]`; returns the SRTCP length.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length: length, trailer: rtcpTrailerLength, context: outbound, counter: \.rtcpProtected) {
            srtp_protect_rtcp($0, $1, $2)
        }
    }

    /// Verifies and decrypts the SRTCP packet in `buffer[0..<length]`; returns the RTCP length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length: length, trailer: 0, context: inbound, counter: \.rtcpUnprotected) {
            srtp_unprotect_rtcp($0, $1, $2)
        }
    }

    // MARK: - Arrays (no allocation when the array has capacity for the trailer)

    /// Protects `packet` in place. Reserve `rtpTrailerLength` spare capacity to avoid a copy.
    public func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try inPlace(&packet, trailer: rtpTrailerLength) { b, n throws(SRTPError) in try protectRTP(b, length: n) }
    }

    public func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try inPlace(&packet, trailer: 0) { b, n throws(SRTPError) in try unprotectRTP(b, length: n) }
    }

    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try inPlace(&packet, trailer: rtcpTrailerLength) { b, n throws(SRTPError) in try protectRTCP(b, length: n) }
    }

    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try inPlace(&packet, trailer: 0) { b, n throws(SRTPError) in try unprotectRTCP(b, length: n) }
    }

    // MARK: - Internals

    private func inPlace(
        _ packet: inout [UInt8], trailer: Int,
        _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPError) -> Int
    ) throws(SRTPError) {
        let length = packet.count
        if trailer > 0 { packet.append(contentsOf: repeatElement(0, count: trailer)) }
        let result: Result<Int, SRTPError> = packet.withUnsafeMutableBytes { buffer in
            do throws(SRTPError) { return .success(try body(buffer, length)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let newLength): packet.removeLast(packet.count - newLength)
        case .failure(let error):
            packet.removeLast(packet.count - length)
            throw error
        }
    }

    private func transform(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, trailer: Int, context: OpaquePointer?,
        counter: WritableKeyPath<SRTPStats, Int>,
        _ operation: (OpaquePointer?, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) -> Int {
        guard let base = buffer.baseAddress, length >= 8, length <= buffer.count, length <= Int(Int32.max) - trailer else {
            stats.badPackets += 1
            throw .badPacket
        }
        guard buffer.count - length >= trailer else {
            stats.otherFailures += 1
            throw .bufferTooSmall(needed: length + trailer, available: buffer.count)
        }
        var newLength = Int32(length)
        let status = operation(context, base, &newLength)
        guard status == srtp_err_status_ok else {
            let error = Self.error(for: status)
            switch error {
            case .authenticationFailed: stats.authenticationFailures += 1
            case .replayed: stats.replayFailures += 1
            case .badPacket: stats.badPackets += 1
            default: stats.otherFailures += 1
            }
            throw error
        }
        stats[keyPath: counter] += 1
        return Int(newLength)
    }

    static func error(for status: srtp_err_status_t) -> SRTPError {
        switch status {
        case srtp_err_status_auth_fail: .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: .replayed
        case srtp_err_status_bad_param, srtp_err_status_parse_err: .badPacket
        default: .library(status: status.rawValue)
        }
    }

    private static func makeContext(
        profile: SRTPProtectionProfile, key: inout [UInt8], type: srtp_ssrc_type_t, window: Int
    ) throws(SRTPError) -> OpaquePointer {
        guard key.count == profile.keyLength + profile.saltLength else { throw .invalidKey }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CmHmacSha1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)  // AES_CM_128_HMAC_SHA1_80 (a macro)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAes128Gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAes256Gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = type
        policy.window_size = UInt(window)
        policy.allow_repeat_tx = 0
        var context: OpaquePointer?
        let status = key.withUnsafeMutableBufferPointer { keyBytes -> srtp_err_status_t in
            policy.key = keyBytes.baseAddress
            return srtp_create(&context, &policy)
        }
        guard status == srtp_err_status_ok, let context else {
            throw status == srtp_err_status_bad_param ? .invalidKey : .library(status: status.rawValue)
        }
        return context
    }
}

/// libsrtp2's process-wide initialization (srtp_init registers the cipher and auth types).
enum SRTPLibrary {
    /// A global `let` is initialized exactly once, thread-safely (swift_once).
    private static let status: UInt32 = srtp_init().rawValue

    static func initializeOnce() {
        precondition(status == srtp_err_status_ok.rawValue, "srtp_init failed with status \(status)")
    }
}
