// SPDX-License-Identifier: Apache-2.0
//
// Brings speexdsp's preprocessor API into Swift. speex_preprocess_ctl is a plain
// `int (SpeexPreprocessState *, int, void *)`, not variadic, so Swift calls it directly.

#ifndef PARLEY_SPEEXDSP_SHIM_H
#define PARLEY_SPEEXDSP_SHIM_H

#include <speex/speex_preprocess.h>

#endif
