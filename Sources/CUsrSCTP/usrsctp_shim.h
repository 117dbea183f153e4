// SPDX-License-Identifier: Apache-2.0
// Small helpers for the parts of the usrsctp API that Swift cannot call comfortably:
// structures with flexible array members and socket addresses built from an opaque pointer.
#ifndef PARLEY_USRSCTP_SHIM_H
#define PARLEY_USRSCTP_SHIM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <usrsctp.h>

/// An AF_CONN address: `addr` is the pointer registered with usrsctp_register_address.
static inline struct sockaddr_conn parley_sctp_conn_address(uint16_t port, void *addr) {
    struct sockaddr_conn sconn;
    memset(&sconn, 0, sizeof(sconn));
    sconn.sconn_family = AF_CONN;
    sconn.sconn_port = htons(port);
    sconn.sconn_addr = addr;
    return sconn;
}

static inline int parley_sctp_bind(struct socket *so, uint16_t port, void *addr) {
    struct sockaddr_conn sconn = parley_sctp_conn_address(port, addr);
    return usrsctp_bind(so, (struct sockaddr *)&sconn, sizeof(sconn));
}

static inline int parley_sctp_connect(struct socket *so, uint16_t port, void *addr) {
    struct sockaddr_conn sconn = parley_sctp_conn_address(port, addr);
    return usrsctp_connect(so, (struct sockaddr *)&sconn, sizeof(sconn));
}

/// RFC 6525 outgoing SSN reset request for one stream (SCTP_RESET_STREAMS).
static inline int parley_sctp_reset_outgoing_stream(struct socket *so, uint16_t stream) {
    size_t length = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
    struct sctp_reset_streams *srs = (struct sctp_reset_streams *)calloc(1, length);
    if (srs == NULL) return -1;
    srs->srs_assoc_id = SCTP_ALL_ASSOC;
    srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    srs->srs_number_streams = 1;
    srs->srs_stream_list[0] = stream;
    int result = usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)length);
    free(srs);
    return result;
}

/// The stream ids of an SCTP_STREAM_RESET_EVENT notification.
static inline uint16_t parley_sctp_reset_event_stream_count(const struct sctp_stream_reset_event *event) {
    if (event->strreset_length < sizeof(struct sctp_stream_reset_event)) return 0;
    return (uint16_t)((event->strreset_length - sizeof(struct sctp_stream_reset_event)) / sizeof(uint16_t));
}

static inline uint16_t parley_sctp_reset_event_stream(const struct sctp_stream_reset_event *event, uint16_t index) {
    return event->strreset_stream_list[index];
}

static inline int parley_sctp_setsockopt_int(struct socket *so, int level, int option, int value) {
    return usrsctp_setsockopt(so, level, option, &value, sizeof(value));
}

/// Subscribes to one notification type (RFC 6458 §6.2.1, SCTP_EVENT).
static inline int parley_sctp_subscribe(struct socket *so, uint16_t type) {
    struct sctp_event event;
    memset(&event, 0, sizeof(event));
    event.se_assoc_id = SCTP_ALL_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    return usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof(event));
}

/// Fixed path MTU, no PMTU discovery (the DTLS record limit is known: RFC 8261 §5).
static inline int parley_sctp_set_path_mtu(struct socket *so, uint32_t mtu) {
    struct sctp_paddrparams params;
    memset(&params, 0, sizeof(params));
    params.spp_assoc_id = SCTP_FUTURE_ASSOC;
    params.spp_flags = SPP_PMTUD_DISABLE;
    params.spp_pathmtu = mtu;
    return usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params, sizeof(params));
}

static inline int parley_sctp_set_rto(struct socket *so, uint32_t initial, uint32_t min, uint32_t max) {
    struct sctp_rtoinfo info;
    memset(&info, 0, sizeof(info));
    info.srto_assoc_id = SCTP_FUTURE_ASSOC;
    info.srto_initial = initial;
    info.srto_min = min;
    info.srto_max = max;
    return usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RTOINFO, &info, sizeof(info));
}

static inline int parley_sctp_set_streams(struct socket *so, uint16_t outbound, uint16_t inbound) {
    struct sctp_initmsg init;
    memset(&init, 0, sizeof(init));
    init.sinit_num_ostreams = outbound;
    init.sinit_max_instreams = inbound;
    return usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init));
}

static inline int parley_sctp_enable_stream_reset(struct socket *so) {
    struct sctp_assoc_value value;
    memset(&value, 0, sizeof(value));
    value.assoc_id = SCTP_FUTURE_ASSOC;
    value.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ;
    return usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &value, sizeof(value));
}

/// usrsctp_sendv with SCTP_SENDV_SPA: stream, PPID, unordered flag and PR-SCTP policy
/// (RFC 6458 §9.12, RFC 3758). `policy` 0 = reliable.
static inline ssize_t parley_sctp_send(struct socket *so, const void *data, size_t length, uint16_t stream,
                                       uint32_t ppid, int unordered, uint16_t policy, uint32_t policy_value) {
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = stream;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR | (unordered ? SCTP_UNORDERED : 0);
    if (policy != SCTP_PR_SCTP_NONE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = policy;
        spa.sendv_prinfo.pr_value = policy_value;
    }
    return usrsctp_sendv(so, data, length, NULL, 0, &spa, (socklen_t)sizeof(spa), SCTP_SENDV_SPA, 0);
}

/// The number of streams the association negotiated (SCTP_STATUS), or -1.
static inline int parley_sctp_outbound_streams(struct socket *so) {
    struct sctp_status status;
    memset(&status, 0, sizeof(status));
    socklen_t length = sizeof(status);
    if (usrsctp_getsockopt(so, IPPROTO_SCTP, SCTP_STATUS, &status, &length) < 0) return -1;
    return status.sstat_outstrms;
}

/// The usrsctp global initialisation without its own threads (timers driven by the caller).
static inline void parley_sctp_init_nothreads(int (*output)(void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df)) {
    usrsctp_init_nothreads(0, output, NULL);
}

#endif
