// SPDX-License-Identifier: Apache-2.0

import COpenSSL

/// The message authentication codes and digests the wire formats need, from OpenSSL's
/// libcrypto (the same library DTLS will use), so there is one crypto provider to audit.
///
/// - HMAC-SHA1: STUN MESSAGE-INTEGRITY (RFC 8489 §14.5).
/// - HMAC-SHA256: STUN MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
/// - MD5: the STUN long-term credential key (RFC 8489 §9.2.2), for TURN.
/// - SHA-256: DTLS certificate fingerprints in SDP (RFC 8122 §5).
public enum Digest {
    public static func hmacSHA1(key: some Collection<UInt8>, data: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha1(), length: 20, key: Array(key), data: Array(data))
    }

    public static func hmacSHA256(key: some Collection<UInt8>, data: some Collection<UInt8>) -> [UInt8] {
        hmac(EVP_sha256(), length: 32, key: Array(key), data: Array(data))
    }

    public static func md5(_ data: some Collection<UInt8>) -> [UInt8] {
        digest(EVP_md5(), length: 16, data: Array(data))
    }

    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        digest(EVP_sha256(), length: 32, data: Array(data))
    }

    /// Compares two MACs in time that depends only on their length (CRYPTO_memcmp), so a
    /// forged MESSAGE-INTEGRITY cannot be found byte by byte from response timing.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    private static func hmac(_ md: OpaquePointer?, length: Int, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        // An empty Swift array may have no base address; OpenSSL wants a valid pointer.
        let keyBytes = key.isEmpty ? [0] : key
        let dataBytes = data.isEmpty ? [0] : data
        let result = keyBytes.withUnsafeBytes { k in
            dataBytes.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    HMAC(
                        md, k.baseAddress, Int32(key.count),
                        d.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count,
                        o.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength)
                }
            }
        }
        // HMAC fails only on allocation failure inside OpenSSL; nothing sensible to continue with.
        precondition(result != nil && Int(outLength) == length, "OpenSSL HMAC failed")
        return Array(out[..<length])
    }

    private static func digest(_ md: OpaquePointer?, length: Int, data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        let dataBytes = data.isEmpty ? [0] : data
        let ok = dataBytes.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { o in
                EVP_Digest(d.baseAddress, data.count, o.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength, md, nil)
            }
        }
        precondition(ok == 1 && Int(outLength) == length, "OpenSSL EVP_Digest failed")
        return Array(out[..<length])
    }
}
