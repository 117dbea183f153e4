// SPDX-License-Identifier: Apache-2.0
//
// libsrtp2 (BSD-3-Clause, Debian's build uses NSS for AES-GCM) for ParleyRTC's SRTPSession.
// Macros Swift cannot import are exposed as static inline functions prefixed `parley_`.
#ifndef PARLEY_CSRTP_SHIM_H
#define PARLEY_CSRTP_SHIM_H

#include <srtp2/srtp.h>

/// Bytes srtp_protect / srtp_protect_rtcp may append after the packet (tag + MKI, + SRTCP index).
static inline int parley_srtp_max_trailer_len(void) {
    return SRTP_MAX_TRAILER_LEN;
}

#endif
