// SPDX-License-Identifier: Apache-2.0
//
// COpus: libopus (RFC 6716) for Swift.
//
// Why this header exists: libopus configures encoders and decoders through
// `opus_encoder_ctl` / `opus_decoder_ctl`, which are C variadic functions.
// Swift cannot call C variadics, so every request Parley uses is wrapped here
// in a `static inline` function with a fixed signature. A SwiftPM system
// library target may only hold a module map and headers, so the wrappers must
// be inline: they compile into the Swift module that imports COpus and cost
// nothing at run time beyond the ctl call itself.
//
// Every wrapper returns libopus's status code (OPUS_OK or a negative
// OPUS_* error); getters write their result through the out-pointer.

#ifndef PARLEY_COPUS_H
#define PARLEY_COPUS_H

// pkg-config's `opus.pc` puts `<prefix>/include/opus` on the include path
// (so `<opus.h>`); fall back to `<opus/opus.h>` when pkg-config is absent and
// only the system include directory is searched.
#if __has_include(<opus.h>)
#include <opus.h>
#else
#include <opus/opus.h>
#endif

// MARK: - Encoder requests

static inline int copus_encoder_set_bitrate(OpusEncoder *st, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(st, OPUS_SET_BITRATE(bitsPerSecond));
}
static inline int copus_encoder_get_bitrate(OpusEncoder *st, opus_int32 *bitsPerSecond) {
    return opus_encoder_ctl(st, OPUS_GET_BITRATE(bitsPerSecond));
}

static inline int copus_encoder_set_complexity(OpusEncoder *st, opus_int32 complexity) {
    return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(complexity));
}
static inline int copus_encoder_get_complexity(OpusEncoder *st, opus_int32 *complexity) {
    return opus_encoder_ctl(st, OPUS_GET_COMPLEXITY(complexity));
}

/// In-band forward error correction (SILK LBRR frames, RFC 6716 section 4.2.4).
static inline int copus_encoder_set_inband_fec(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(enabled));
}
static inline int copus_encoder_get_inband_fec(OpusEncoder *st, opus_int32 *enabled) {
    return opus_encoder_ctl(st, OPUS_GET_INBAND_FEC(enabled));
}

/// Expected packet loss in percent; drives how much bitrate the encoder spends on FEC.
static inline int copus_encoder_set_packet_loss_perc(OpusEncoder *st, opus_int32 percent) {
    return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(percent));
}
static inline int copus_encoder_get_packet_loss_perc(OpusEncoder *st, opus_int32 *percent) {
    return opus_encoder_ctl(st, OPUS_GET_PACKET_LOSS_PERC(percent));
}

/// Discontinuous transmission: near-empty packets during silence.
static inline int copus_encoder_set_dtx(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_DTX(enabled));
}
static inline int copus_encoder_get_dtx(OpusEncoder *st, opus_int32 *enabled) {
    return opus_encoder_ctl(st, OPUS_GET_DTX(enabled));
}
/// 1 while the encoder is in DTX (sending no audio), 0 otherwise.
static inline int copus_encoder_get_in_dtx(OpusEncoder *st, opus_int32 *inDTX) {
    return opus_encoder_ctl(st, OPUS_GET_IN_DTX(inDTX));
}

static inline int copus_encoder_set_vbr(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_VBR(enabled));
}
static inline int copus_encoder_get_vbr(OpusEncoder *st, opus_int32 *enabled) {
    return opus_encoder_ctl(st, OPUS_GET_VBR(enabled));
}
static inline int copus_encoder_set_vbr_constraint(OpusEncoder *st, opus_int32 constrained) {
    return opus_encoder_ctl(st, OPUS_SET_VBR_CONSTRAINT(constrained));
}
static inline int copus_encoder_get_vbr_constraint(OpusEncoder *st, opus_int32 *constrained) {
    return opus_encoder_ctl(st, OPUS_GET_VBR_CONSTRAINT(constrained));
}

/// OPUS_AUTO, OPUS_SIGNAL_VOICE or OPUS_SIGNAL_MUSIC: a hint for mode selection.
static inline int copus_encoder_set_signal(OpusEncoder *st, opus_int32 signal) {
    return opus_encoder_ctl(st, OPUS_SET_SIGNAL(signal));
}
static inline int copus_encoder_get_signal(OpusEncoder *st, opus_int32 *signal) {
    return opus_encoder_ctl(st, OPUS_GET_SIGNAL(signal));
}

/// OPUS_APPLICATION_VOIP or _AUDIO (RESTRICTED_LOWDELAY can only be chosen at creation).
static inline int copus_encoder_set_application(OpusEncoder *st, opus_int32 application) {
    return opus_encoder_ctl(st, OPUS_SET_APPLICATION(application));
}
static inline int copus_encoder_get_application(OpusEncoder *st, opus_int32 *application) {
    return opus_encoder_ctl(st, OPUS_GET_APPLICATION(application));
}

static inline int copus_encoder_set_max_bandwidth(OpusEncoder *st, opus_int32 bandwidth) {
    return opus_encoder_ctl(st, OPUS_SET_MAX_BANDWIDTH(bandwidth));
}
static inline int copus_encoder_get_max_bandwidth(OpusEncoder *st, opus_int32 *bandwidth) {
    return opus_encoder_ctl(st, OPUS_GET_MAX_BANDWIDTH(bandwidth));
}
static inline int copus_encoder_set_bandwidth(OpusEncoder *st, opus_int32 bandwidth) {
    return opus_encoder_ctl(st, OPUS_SET_BANDWIDTH(bandwidth));
}
/// The bandpass of the most recently encoded packet.
static inline int copus_encoder_get_bandwidth(OpusEncoder *st, opus_int32 *bandwidth) {
    return opus_encoder_ctl(st, OPUS_GET_BANDWIDTH(bandwidth));
}

static inline int copus_encoder_set_force_channels(OpusEncoder *st, opus_int32 channels) {
    return opus_encoder_ctl(st, OPUS_SET_FORCE_CHANNELS(channels));
}
static inline int copus_encoder_set_lsb_depth(OpusEncoder *st, opus_int32 bits) {
    return opus_encoder_ctl(st, OPUS_SET_LSB_DEPTH(bits));
}
static inline int copus_encoder_set_prediction_disabled(OpusEncoder *st, opus_int32 disabled) {
    return opus_encoder_ctl(st, OPUS_SET_PREDICTION_DISABLED(disabled));
}
static inline int copus_encoder_set_phase_inversion_disabled(OpusEncoder *st, opus_int32 disabled) {
    return opus_encoder_ctl(st, OPUS_SET_PHASE_INVERSION_DISABLED(disabled));
}

/// Encoder delay in samples at the encoder's rate: decoded output lags the input by this much.
static inline int copus_encoder_get_lookahead(OpusEncoder *st, opus_int32 *samples) {
    return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(samples));
}
/// Range-coder final state of the last packet; equal on both ends when a packet decoded bit-exactly.
static inline int copus_encoder_get_final_range(OpusEncoder *st, opus_uint32 *range) {
    return opus_encoder_ctl(st, OPUS_GET_FINAL_RANGE(range));
}
static inline int copus_encoder_get_sample_rate(OpusEncoder *st, opus_int32 *rate) {
    return opus_encoder_ctl(st, OPUS_GET_SAMPLE_RATE(rate));
}
/// Forgets all history, as if freshly created (keeps the configuration).
static inline int copus_encoder_reset_state(OpusEncoder *st) {
    return opus_encoder_ctl(st, OPUS_RESET_STATE);
}

// MARK: - Decoder requests

static inline int copus_decoder_reset_state(OpusDecoder *st) {
    return opus_decoder_ctl(st, OPUS_RESET_STATE);
}
static inline int copus_decoder_get_final_range(OpusDecoder *st, opus_uint32 *range) {
    return opus_decoder_ctl(st, OPUS_GET_FINAL_RANGE(range));
}
/// Samples per channel of the last decoded or concealed frame.
static inline int copus_decoder_get_last_packet_duration(OpusDecoder *st, opus_int32 *samples) {
    return opus_decoder_ctl(st, OPUS_GET_LAST_PACKET_DURATION(samples));
}
/// Pitch period of the last decoded frame in samples, or 0 when not voiced / not known.
static inline int copus_decoder_get_pitch(OpusDecoder *st, opus_int32 *pitch) {
    return opus_decoder_ctl(st, OPUS_GET_PITCH(pitch));
}
/// Output gain in Q8 dB (RFC 7845 output gain), -32768...32767.
static inline int copus_decoder_set_gain(OpusDecoder *st, opus_int32 gainQ8) {
    return opus_decoder_ctl(st, OPUS_SET_GAIN(gainQ8));
}
static inline int copus_decoder_get_gain(OpusDecoder *st, opus_int32 *gainQ8) {
    return opus_decoder_ctl(st, OPUS_GET_GAIN(gainQ8));
}
static inline int copus_decoder_get_bandwidth(OpusDecoder *st, opus_int32 *bandwidth) {
    return opus_decoder_ctl(st, OPUS_GET_BANDWIDTH(bandwidth));
}
static inline int copus_decoder_get_sample_rate(OpusDecoder *st, opus_int32 *rate) {
    return opus_decoder_ctl(st, OPUS_GET_SAMPLE_RATE(rate));
}
static inline int copus_decoder_set_phase_inversion_disabled(OpusDecoder *st, opus_int32 disabled) {
    return opus_decoder_ctl(st, OPUS_SET_PHASE_INVERSION_DISABLED(disabled));
}

#endif /* PARLEY_COPUS_H */
