// SPDX-License-Identifier: Apache-2.0
//
// The OpenSSL surface ParleyRTC uses: HMAC/digests for STUN message integrity today,
// DTLS (ssl.h, x509.h) for the DTLS-SRTP transport later. Function-like macros that Swift
// cannot import are wrapped in static inline functions prefixed `parley_`.
#ifndef PARLEY_COPENSSL_SHIM_H
#define PARLEY_COPENSSL_SHIM_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/crypto.h>

/// `SSL_CTX_set_options` is a function in OpenSSL 3 but a macro in 1.1; keep one spelling.
static inline uint64_t parley_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t options) {
    return SSL_CTX_set_options(ctx, options);
}

/// `SSL_set_tlsext_host_name`, `DTLS_set_link_mtu` and friends are `SSL_ctrl` macros.
static inline long parley_DTLS_set_link_mtu(SSL *ssl, long mtu) {
    return DTLS_set_link_mtu(ssl, mtu);
}

/// `SSL_CTX_set_min_proto_version` / max are `SSL_CTX_ctrl` macros.
static inline int parley_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int parley_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

/// `BIO_get_mem_data` is a `BIO_ctrl` macro.
static inline long parley_BIO_get_mem_data(BIO *bio, char **pointer) {
    return BIO_get_mem_data(bio, pointer);
}

/// `OPENSSL_free` is a macro over `CRYPTO_free`.
static inline void parley_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

// --- DTLS-SRTP transport (ParleyRTC/DTLS) ---

#include <openssl/srtp.h>
#include <openssl/ec.h>
#include <sys/time.h>

/// `DTLSv1_get_timeout` is an `SSL_ctrl` macro: 1 and the time left while the handshake
/// retransmission timer runs, 0 when it does not (RFC 6347 §4.2.4).
static inline long parley_DTLSv1_get_timeout(SSL *ssl, struct timeval *left) {
    return DTLSv1_get_timeout(ssl, left);
}

/// `DTLSv1_handle_timeout` is an `SSL_ctrl` macro: 1 after a retransmission, 0 when the timer
/// had not expired, -1 on failure (too many retransmissions).
static inline long parley_DTLSv1_handle_timeout(SSL *ssl) {
    return DTLSv1_handle_timeout(ssl);
}

/// `SSL_CTX_set1_groups_list` is an `SSL_CTX_ctrl` macro.
static inline int parley_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}

/// `BIO_set_mem_eof_return` is a `BIO_ctrl` macro: -1 makes an empty memory BIO report
/// "retry" instead of end of file, which is what a datagram transport waiting for input means.
static inline long parley_BIO_set_mem_eof_return(BIO *bio, int value) {
    return BIO_set_mem_eof_return(bio, value);
}

/// `EVP_EC_gen` is a variadic macro over `EVP_PKEY_Q_keygen`: a fresh ECDSA P-256 key pair.
static inline EVP_PKEY *parley_EVP_EC_gen_P256(void) {
    return EVP_EC_gen("P-256");
}

#endif
