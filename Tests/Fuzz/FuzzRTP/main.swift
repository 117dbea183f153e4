// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for ParleyRTC's RTP parser. The checks live in ParleyRTC's FuzzChecks
// (shared with the fuzz smoke tests); a violated property traps, which libFuzzer reports as
// a crash and saves the input. Build and run: see Fuzz/README.md.
//
// Top-level code hands control to libFuzzer's driver rather than exporting
// LLVMFuzzerTestOneInput and leaving `main` to libFuzzer: SwiftPM links an executable's entry
// point under a renamed symbol (FuzzSTUN_main, …) on Linux, so the classic -parse-as-library setup fails
// to link under SwiftPM.

import CLibFuzzer
@_spi(Fuzzing) import ParleyRTC

var arguments = CommandLine.argc
var argumentValues: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&arguments, &argumentValues) { data, size in
        FuzzChecks.rtp(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    })
