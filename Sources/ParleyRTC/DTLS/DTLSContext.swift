// SPDX-License-Identifier: Apache-2.0

import COpenSSL

/// The OpenSSL SSL_CTX shared by the DTLS transports of a process (or of one session): DTLS 1.2
/// only, our certificate, the cipher suites and curves pion/LiveKit use, and the use_srtp
/// offer (livekit-protocol.md §6). Building an SSL_CTX is costly in OpenSSL 3, so transports
/// share one; each `DTLSTransport` owns its SSL.
public final class DTLSContext: @unchecked Sendable {
    // @unchecked Sendable: `ctx` is fully configured in init and never changed afterwards;
    // OpenSSL allows SSL_new on one unmodified SSL_CTX from several threads (openssl-threads(7)).

    /// SSL_CTX*.
    let ctx: OpaquePointer
    public let certificate: DTLSCertificate
    public let srtpProfiles: [SRTPProtectionProfile]

    /// ECDHE suites in pion's default order (cipher_suite.go); the RSA ones only matter when
    /// we are the client of a peer with an RSA certificate.
    static let cipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    ].joined(separator: ":")
    /// The curves LiveKit allows.
    static let groups = "X25519:P-256:P-384"

    // SSL_OP_BIT(n) is a function-like macro Swift cannot import.
    /// SSL_OP_NO_QUERY_MTU: the MTU is ours (DTLS_set_link_mtu); a memory BIO knows none.
    static let optionNoQueryMTU: UInt64 = 1 << 12
    /// SSL_OP_NO_RENEGOTIATION: WebRTC never renegotiates (RFC 8827 §6.5).
    static let optionNoRenegotiation: UInt64 = 1 << 30

    public init(
        certificate: DTLSCertificate, srtpProfiles: [SRTPProtectionProfile] = SRTPProtectionProfile.defaultOffer
    ) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        guard let ctx = SSL_CTX_new(DTLS_method()) else {
            throw .setupFailed(OpenSSLErrorQueue.drain(fallback: "SSL_CTX_new"))
        }
        self.ctx = ctx
        self.certificate = certificate
        self.srtpProfiles = srtpProfiles
        func check(_ ok: Bool, _ what: String) throws(DTLSError) {
            if !ok { throw .setupFailed(OpenSSLErrorQueue.drain(fallback: what)) }
        }
        try check(parley_SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1, "DTLS 1.2 minimum")
        try check(parley_SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1, "DTLS 1.2 maximum")
        try check(SSL_CTX_use_certificate(ctx, certificate.x509) == 1, "SSL_CTX_use_certificate")
        try check(SSL_CTX_use_PrivateKey(ctx, certificate.key) == 1, "SSL_CTX_use_PrivateKey")
        try check(SSL_CTX_check_private_key(ctx) == 1, "certificate and key do not match")
        try check(SSL_CTX_set_cipher_list(ctx, Self.cipherList) == 1, "cipher list")
        try check(parley_SSL_CTX_set1_groups_list(ctx, Self.groups) == 1, "groups")
        if !srtpProfiles.isEmpty {
            // Returns 0 on success, unlike most of OpenSSL.
            try check(
                SSL_CTX_set_tlsext_use_srtp(ctx, srtpProfiles.map(\.opensslName).joined(separator: ":")) == 0,
                "use_srtp profiles")
        }
        _ = parley_SSL_CTX_set_options(ctx, Self.optionNoQueryMTU | Self.optionNoRenegotiation)
        // No session resumption: every PeerConnection has a fresh handshake.
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, Int(SSL_SESS_CACHE_OFF), nil)
    }

    deinit { SSL_CTX_free(ctx) }
}
