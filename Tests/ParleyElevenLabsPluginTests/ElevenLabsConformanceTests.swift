// SPDX-License-Identifier: Apache-2.0

import ParleyProviderConformance
import Testing

/// The conformance kit's TTS rules, run on `elevenlabs/eleven_flash_v2_5` against elevenlabs_server.py.
/// Serialized: each check spins the pipeline loop, and CI has two cores.
@Suite(.serialized)
struct ElevenLabsConformanceTests {
    @Test func speaksEachTextInOrder() async throws {
        try await TTSConformance.speaksEachTextInOrder(ElevenLabsHarness.subject())
    }

    @Test func streamsBeforeTheTextIsSynthesized() async throws {
        try await TTSConformance.streamsBeforeTheTextIsSynthesized(ElevenLabsHarness.subject())
    }

    @Test func interruptionCancelsTheProvider() async throws {
        try await TTSConformance.interruptionCancelsTheProvider(ElevenLabsHarness.subject())
    }

    @Test(arguments: TTSConformance.faults)
    func faultIsReportedAndTheNextTextIsSpoken(_ fault: ConformanceFault) async throws {
        try await TTSConformance.faultIsReportedAndTheNextTextIsSpoken(ElevenLabsHarness.subject(), fault)
    }

    @Test func holdsEndOfStreamUntilSpoken() async throws {
        try await TTSConformance.holdsEndOfStreamUntilSpoken(ElevenLabsHarness.subject())
    }
}
