// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <sherpa-onnx/c-api/c-api.h>
