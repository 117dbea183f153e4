// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for inbound SCTP (RFC 9260 packets and chunks, PR-SCTP, stream reset) as
// an `SCTPAssociation` gets it from the DTLS layer: `receive(_:)` with each decrypted
// application-data record. The association is real (usrsctp in AF_CONN mode); its lower
// transport is an in-memory link. See SCTPFuzz for the properties and the input layout.
//
// With PARLEY_FUZZ_SCTP_WRITE_SEEDS=<dir> it writes seeds captured from a real session
// instead of fuzzing (how Corpus/SCTP was made). Entry through LLVMFuzzerRunDriver for the
// reason given in FuzzSTUN/main.swift.

import CLibFuzzer
import Foundation

if let directory = ProcessInfo.processInfo.environment["PARLEY_FUZZ_SCTP_WRITE_SEEDS"] {
    for (name, seed) in SCTPSeeds.capture() {
        try! Data(seed).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
    }
    exit(0)
}

var arguments = CommandLine.argc
var argumentValues: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&arguments, &argumentValues) { data, size in
        SCTPFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    })
