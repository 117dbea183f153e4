// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer's driver entry point (compiler-rt FuzzerInterface.h / FuzzerDriver.cpp), declared
// here so Swift can call it. SwiftPM on Linux links an executable target's entry point under a
// renamed symbol (<Target>_main), so a target cannot simply leave `main` to libFuzzer; instead
// its top-level code calls LLVMFuzzerRunDriver, which parses libFuzzer's flags and runs the loop.
#ifndef PARLEY_LIBFUZZER_H
#define PARLEY_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
