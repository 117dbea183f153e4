// SPDX-License-Identifier: Apache-2.0

/// Why the DTLS layer refused or failed. Messages never contain key material.
public enum DTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OpenSSL could not create the key pair or the self-signed certificate.
    case certificateGenerationFailed(String)
    /// OpenSSL refused the SSL_CTX / SSL configuration (cipher list, use_srtp, certificate).
    case setupFailed(String)
    /// The operation is not allowed in the transport's current state.
    case invalidState(DTLSState, operation: String)
    /// The remote description lists no fingerprint with a hash function we support.
    case noUsableFingerprint([SDPFingerprint])
    /// The peer's certificate does not hash to any fingerprint of the remote description
    /// (RFC 8122 §5, RFC 8827 §6.5). The handshake was aborted with a bad_certificate alert.
    case fingerprintMismatch(expected: [SDPFingerprint], received: SDPFingerprint)
    /// The handshake finished without a peer certificate (never accepted: RFC 5763 §5).
    case missingPeerCertificate
    /// The peer sent a fatal alert (RFC 5246 §7.2), named as OpenSSL names it.
    case alertReceived(String)
    /// The handshake failed for another reason; OpenSSL's error queue, joined.
    case handshakeFailed(String)
    /// The handshake did not finish within the configured time.
    case handshakeTimedOut
    /// use_srtp was required but the peer negotiated no protection profile we offered.
    case noSRTPProfileNegotiated
    /// SSL_export_keying_material failed (RFC 5705).
    case keyExportFailed
    /// One application message must fit in one record of one datagram.
    case applicationDataTooLarge(size: Int, limit: Int)
    /// SSL_write failed after the handshake.
    case writeFailed(String)

    public var description: String {
        switch self {
        case .certificateGenerationFailed(let why): "DTLS certificate generation failed: \(why)"
        case .setupFailed(let why): "DTLS setup failed: \(why)"
        case .invalidState(let state, let operation): "DTLS \(operation) is not allowed in state \(state.rawValue)"
        case .noUsableFingerprint(let fingerprints):
            "no usable remote fingerprint (supported: sha-1, sha-224, sha-256, sha-384, sha-512); got \(fingerprints.map(\.algorithm))"
        case .fingerprintMismatch(let expected, let received):
            "peer certificate fingerprint \(received) matches none of the remote description's \(expected)"
        case .missingPeerCertificate: "DTLS peer sent no certificate"
        case .alertReceived(let alert): "DTLS peer sent fatal alert: \(alert)"
        case .handshakeFailed(let why): "DTLS handshake failed: \(why)"
        case .handshakeTimedOut: "DTLS handshake timed out"
        case .noSRTPProfileNegotiated: "DTLS peer negotiated no SRTP protection profile (use_srtp, RFC 5764 §4.1.2)"
        case .keyExportFailed: "DTLS-SRTP key export failed (RFC 5764 §4.2)"
        case .applicationDataTooLarge(let size, let limit): "DTLS application message of \(size) bytes exceeds \(limit)"
        case .writeFailed(let why): "DTLS write failed: \(why)"
        }
    }
}
