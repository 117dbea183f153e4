// SPDX-License-Identifier: Apache-2.0

import ParleyProviderConformance
import Testing

/// The conformance kit's STT rules, run on `deepgram/nova-3:en` against deepgram_server.py.
/// Serialized: each check spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct DeepgramConformanceTests {
    @Test func streamsInterimAndFinalTranscripts() async throws {
        try await STTConformance.streamsInterimAndFinalTranscripts(DeepgramHarness.subject())
    }

    @Test func finalizesOnUserStoppedSpeaking() async throws {
        try await STTConformance.finalizesOnUserStoppedSpeaking(DeepgramHarness.subject())
    }

    @Test func answersEveryUserStoppedSpeakingWithAFinal() async throws {
        try await STTConformance.answersEveryUserStoppedSpeakingWithAFinal(DeepgramHarness.subject())
    }

    @Test func holdsEndOfStreamUntilTheLastResults() async throws {
        try await STTConformance.holdsEndOfStreamUntilTheLastResults(DeepgramHarness.subject())
    }

    @Test(arguments: STTConformance.faults)
    func faultIsReportedAndTheNextUtteranceWorks(_ fault: ConformanceFault) async throws {
        try await STTConformance.faultIsReportedAndTheNextUtteranceWorks(DeepgramHarness.subject(), fault)
    }

    @Test func userTranscriptsSurviveInterruptions() async throws {
        try await STTConformance.userTranscriptsSurviveInterruptions(DeepgramHarness.subject())
    }

    @Test func cancelClosesTheConnection() async throws {
        try await STTConformance.cancelClosesTheConnection(DeepgramHarness.subject())
    }
}
