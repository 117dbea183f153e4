// SPDX-License-Identifier: Apache-2.0

import ParleyProviderConformance
import Testing

/// The conformance kit's TTS rules, run on `cartesia/sonic-2` against cartesia_server.py.
/// Serialized: each check spins the pipeline loop, and CI has two cores.
@Suite(.serialized)
struct CartesiaConformanceTests {
    @Test func speaksEachTextInOrder() async throws {
        try await TTSConformance.speaksEachTextInOrder(CartesiaHarness.subject())
    }

    @Test func streamsBeforeTheTextIsSynthesized() async throws {
        try await TTSConformance.streamsBeforeTheTextIsSynthesized(CartesiaHarness.subject())
    }

    @Test func interruptionCancelsTheProvider() async throws {
        try await TTSConformance.interruptionCancelsTheProvider(CartesiaHarness.subject())
    }

    @Test(arguments: TTSConformance.faults)
    func faultIsReportedAndTheNextTextIsSpoken(_ fault: ConformanceFault) async throws {
        try await TTSConformance.faultIsReportedAndTheNextTextIsSpoken(CartesiaHarness.subject(), fault)
    }

    @Test func holdsEndOfStreamUntilSpoken() async throws {
        try await TTSConformance.holdsEndOfStreamUntilSpoken(CartesiaHarness.subject())
    }
}
