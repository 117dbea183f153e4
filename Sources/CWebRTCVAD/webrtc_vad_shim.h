// SPDX-License-Identifier: Apache-2.0
//
// Prototypes for the WebRTC VAD functions that Debian's libwebrtc-audio-processing (0.3)
// exports but does not declare in any installed header. Only the six functions Parley calls
// are declared. The signatures are those of the library's "new" VAD API (Create returns the
// instance; Process takes a size_t length), verified against the disassembly of the shipped
// libwebrtc_audio_processing.so.1: WebRtcVad_Create takes no argument and returns the malloc'd
// instance, and WebRtcVad_Process passes its 4th argument as a 64-bit length.

#ifndef PARLEY_WEBRTC_VAD_SHIM_H
#define PARLEY_WEBRTC_VAD_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque VAD instance (imported into Swift as OpaquePointer).
typedef struct WebRtcVadInst VadInst;

/// Allocates an instance (uninitialised: call WebRtcVad_Init). NULL if out of memory.
VadInst *WebRtcVad_Create(void);

/// Frees an instance from WebRtcVad_Create.
void WebRtcVad_Free(VadInst *handle);

/// Initialises (or resets) an instance to mode 0. Returns 0 on success, -1 on error.
int WebRtcVad_Init(VadInst *handle);

/// Aggressiveness 0 (least, most speech kept) ... 3 (most, fewest false alarms).
/// Returns 0 on success, -1 on an invalid mode or uninitialised instance.
int WebRtcVad_set_mode(VadInst *handle, int mode);

/// Classifies one frame of 10, 20 or 30 ms of mono 16-bit PCM at 8, 16, 32 or 48 kHz.
/// Returns 1 (voiced), 0 (unvoiced) or -1 (error: bad rate/length or uninitialised).
int WebRtcVad_Process(VadInst *handle, int fs, const int16_t *audio_frame, size_t frame_length);

/// 0 if `rate` and `frame_length` (samples) form a valid combination, else -1.
int WebRtcVad_ValidRateAndFrameLength(int rate, size_t frame_length);

#ifdef __cplusplus
}
#endif

#endif
