// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the DTLS transport: arbitrary datagrams to a server-role transport,
// after a real ClientHello (mid-handshake) or on their own. The checks live in ParleyRTC's
// DTLSFuzzChecks (shared with the DTLS fuzz smoke test); a violated property traps. Entry
// through LLVMFuzzerRunDriver for the reason given in FuzzSTUN/main.swift.

import CLibFuzzer
@_spi(Fuzzing) import ParleyRTC

var arguments = CommandLine.argc
var argumentValues: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&arguments, &argumentValues) { data, size in
        DTLSFuzzChecks.serverMidHandshake(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    })
