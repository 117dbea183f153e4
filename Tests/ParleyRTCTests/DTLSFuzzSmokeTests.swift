// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
@_spi(Fuzzing) @testable import ParleyRTC

/// Deterministic fuzzing of the DTLS server mid-handshake for CI, through the same checks the
/// FuzzDTLS libFuzzer target runs (`DTLSFuzzChecks`). Seeds are real handshake datagrams.
/// With PARLEY_WRITE_DTLS_SEEDS=<dir> set it also writes them there (Tests/Fuzz/Corpus/DTLS).
@Suite("Fuzz smoke: DTLS server mid-handshake (seeded)")
struct DTLSFuzzSmokeTests {
    /// Inputs in the fuzz target's layout: mode byte, then length-prefixed datagrams.
    static func encode(mode: UInt8, _ datagrams: [[UInt8]]) -> [UInt8] {
        datagrams.reduce([mode]) { $0 + [UInt8($1.count >> 8), UInt8($1.count & 0xFF)] + $1 }
    }

    /// Real datagrams: a ClientHello and a client's second flight (from another handshake,
    /// so the fixture's server rejects its Finished — after parsing everything before it).
    static func seeds() throws -> [[UInt8]] {
        let peers = try DTLSPeers.make()
        let now = ContinuousClock.now
        _ = try peers.server.start(now: now)
        let hello = try peers.client.start(now: now)
        var flight5: [[UInt8]] = []
        for datagram in hello {
            for reply in try peers.server.receive(datagram, now: now).datagrams {
                flight5 += try peers.client.receive(reply, now: now).datagrams
            }
        }
        let connected = try DTLSPeers.make()
        try connected.handshake(now: now)
        let data = try connected.client.send(applicationData: Array("sctp".utf8))
        return [
            encode(mode: 0, []),
            encode(mode: 1, hello),
            encode(mode: 0, flight5),
            encode(mode: 2, flight5 + data),
            encode(mode: 0, hello + flight5),
        ]
    }

    @Test("mutated handshake datagrams never break the transport's invariants")
    func mutations() throws {
        let corpus = try Self.seeds()
        if let directory = ProcessInfo.processInfo.environment["PARLEY_WRITE_DTLS_SEEDS"] {
            for (i, seed) in corpus.enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: directory).appendingPathComponent("seed-\(i)"))
            }
        }
        var rng = SplitMix64(seed: 0xD715)
        for input in corpus { DTLSFuzzChecks.serverMidHandshake(input) }
        for i in 0..<300 {
            DTLSFuzzChecks.serverMidHandshake(mutate(corpus[i % corpus.count], using: &rng))
        }
    }
}
