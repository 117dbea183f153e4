// SPDX-License-Identifier: Apache-2.0

import COpenSSL

/// A self-signed ECDSA P-256 certificate (ecdsa-with-SHA256) and its private key, generated
/// at startup as pion and browsers do; the peer authenticates it only through the SHA-256
/// fingerprint we put in our SDP (RFC 8122 §5, RFC 8827 §6.5), never through a chain.
///
/// One certificate can serve every PeerConnection of the process (`DTLSContext`).
public final class DTLSCertificate: @unchecked Sendable {
    // @unchecked Sendable: `key` and `x509` are created in init and never mutated afterwards.
    // OpenSSL's EVP_PKEY and X509 are reference counted atomically and may be read (and
    // up-referenced into SSL_CTXs) from several threads at once (openssl-threads(7)).

    /// EVP_PKEY*.
    let key: OpaquePointer
    /// X509*.
    let x509: OpaquePointer
    /// The DER encoding of the certificate.
    public let derEncoded: [UInt8]
    /// `sha-256 AB:CD:…`, for `a=fingerprint` (RFC 8122 §5).
    public let fingerprint: SDPFingerprint

    /// Generates a fresh key pair and certificate: random 63-bit serial, subject = issuer =
    /// `CN=commonName`, valid from a day ago (clock skew) for `validityDays`.
    public static func generate(commonName: String = "parley", validityDays: Int = 30) throws(DTLSError) -> DTLSCertificate {
        OpenSSLErrorQueue.clear()
        guard let key = parley_EVP_EC_gen_P256() else {
            throw .certificateGenerationFailed(OpenSSLErrorQueue.drain(fallback: "EC P-256 key generation"))
        }
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed("X509_new")
        }
        var serial: UInt64 = 0
        let built: Bool = withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress, 8) == 1 }
            && {
                serial &= 0x7FFF_FFFF_FFFF_FFFF  // a positive INTEGER (RFC 5280 §4.1.2.2)
                guard X509_set_version(x509, 2) == 1,  // v3
                    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial) == 1,
                    X509_gmtime_adj(X509_getm_notBefore(x509), -86_400) != nil,
                    X509_gmtime_adj(X509_getm_notAfter(x509), 86_400 * validityDays) != nil,
                    X509_set_pubkey(x509, key) == 1,
                    let name = X509_get_subject_name(x509),
                    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1,
                    X509_set_issuer_name(x509, name) == 1,
                    X509_sign(x509, key, EVP_sha256()) > 0
                else { return false }
                return true
            }()
        guard built, let der = derEncode(x509) else {
            X509_free(x509)
            EVP_PKEY_free(key)
            throw .certificateGenerationFailed(OpenSSLErrorQueue.drain(fallback: "building the X.509 certificate"))
        }
        return DTLSCertificate(key: key, x509: x509, der: der)
    }

    private init(key: OpaquePointer, x509: OpaquePointer, der: [UInt8]) {
        self.key = key
        self.x509 = x509
        self.derEncoded = der
        self.fingerprint = SDPFingerprint.sha256(certificateDER: der)
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(key)
    }

    /// i2d_X509 of an X509*.
    static func derEncode(_ x509: OpaquePointer) -> [UInt8]? {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(x509, &cursor)
        }
        return written == length ? der : nil
    }

    /// The fingerprint of an X509* under `algorithm` (an RFC 8122 hash function name), or nil
    /// if we do not support that hash function.
    static func fingerprint(of x509: OpaquePointer, algorithm: String) -> SDPFingerprint? {
        let md: OpaquePointer?
        switch algorithm.lowercased() {
        case "sha-1": md = EVP_sha1()
        case "sha-224": md = EVP_sha224()
        case "sha-256": md = EVP_sha256()
        case "sha-384": md = EVP_sha384()
        case "sha-512": md = EVP_sha512()
        default: return nil
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, md, &digest, &length) == 1 else { return nil }
        return SDPFingerprint(algorithm: algorithm.lowercased(), bytes: Array(digest.prefix(Int(length))))
    }
}
