// SPDX-License-Identifier: Apache-2.0

import ParleyProviderConformance
import Testing

/// The conformance kit's STT rules, run on `assemblyai/universal-streaming:en` against
/// assemblyai_server.py. Serialized: each check spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct AssemblyAIConformanceTests {
    @Test func streamsInterimAndFinalTranscripts() async throws {
        try await STTConformance.streamsInterimAndFinalTranscripts(AssemblyAIHarness.subject())
    }

    @Test func finalizesOnUserStoppedSpeaking() async throws {
        try await STTConformance.finalizesOnUserStoppedSpeaking(AssemblyAIHarness.subject())
    }

    @Test func answersEveryUserStoppedSpeakingWithAFinal() async throws {
        try await STTConformance.answersEveryUserStoppedSpeakingWithAFinal(AssemblyAIHarness.subject())
    }

    @Test func holdsEndOfStreamUntilTheLastResults() async throws {
        try await STTConformance.holdsEndOfStreamUntilTheLastResults(AssemblyAIHarness.subject())
    }

    @Test(arguments: STTConformance.faults)
    func faultIsReportedAndTheNextUtteranceWorks(_ fault: ConformanceFault) async throws {
        try await STTConformance.faultIsReportedAndTheNextUtteranceWorks(AssemblyAIHarness.subject(), fault)
    }

    @Test func userTranscriptsSurviveInterruptions() async throws {
        try await STTConformance.userTranscriptsSurviveInterruptions(AssemblyAIHarness.subject())
    }

    @Test func cancelClosesTheConnection() async throws {
        try await STTConformance.cancelClosesTheConnection(AssemblyAIHarness.subject())
    }
}
