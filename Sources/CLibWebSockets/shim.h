// SPDX-License-Identifier: Apache-2.0
//
// CLibWebSockets: libwebsockets for Swift.
//
// Why this header exists: a few libwebsockets constants are macros Swift cannot import
// (LWS_PRE is built from a ternary padding macro; the LWS_SERVER_OPTION_* and LWS_TO_KILL_*
// values are `#define`s whose types Swift guesses differently across compilers), so they are
// re-exported here as static inline functions with fixed C types. A SwiftPM system library may
// only hold a module map and headers, so the helpers must be inline.

#ifndef PARLEY_CLIBWEBSOCKETS_SHIM_H
#define PARLEY_CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>

/// Headroom lws needs in front of every buffer handed to lws_write() (frame header + padding).
static inline size_t parley_lws_pre(void) { return LWS_PRE; }

/// Context options for the shared client context: initialise OpenSSL (client TLS for wss).
static inline uint64_t parley_lws_context_options(void) {
    return (uint64_t)LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
}

/// "Not a listening vhost": every Parley vhost only makes client connections.
static inline int parley_lws_no_listen(void) { return CONTEXT_PORT_NO_LISTEN; }

/// Closes a wsi from outside its own callback at the next service pass (lws_set_timeout with
/// LWS_TO_KILL_ASYNC); lws then delivers the usual error/closed and destroy callbacks.
static inline void parley_lws_kill_async(struct lws *wsi) {
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/// The log levels routed to swift-log: errors and warnings only (lws is chatty below that).
static inline int parley_lws_log_levels(void) { return LLL_ERR | LLL_WARN; }

/// Names the calling thread (shows as "parley-ws" in top -H / gdb). prctl is variadic and
/// glibc hides pthread_setname_np without _GNU_SOURCE, hence a wrapper.
#if defined(__linux__)
#include <sys/prctl.h>
static inline void parley_lws_name_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#else
static inline void parley_lws_name_thread(const char *name) { (void)name; }
#endif

#endif /* PARLEY_CLIBWEBSOCKETS_SHIM_H */
