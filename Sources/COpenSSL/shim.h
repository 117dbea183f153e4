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

#endif
