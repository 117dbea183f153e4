// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import ParleyOpenAIPlugins
import ParleyProviderConformance
import ParleyTestSupport
import Testing

/// The conformance kit's LLM rules, run on the real `openai/…` stage against openai_server.py.
/// Serialized: each check spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct LLMConformanceTests {
    static func subject() throws -> LLMConformanceSubject {
        let server = try ProviderTestServer.shared("openai_server.py")
        return LLMConformanceSubject(provider: "openai", server: server, firstByteTimeoutOption: "timeout_ms") { target in
            let url = server.base(session: target.session, scenario: target.scenario) + "/v1" + target.querySuffix
            let entries = ["provider: openai/gpt-test", "base_url: \"\(url)\""] + target.options
            return try LiveStageHarness(kind: .llm, yaml: "{ \(entries.joined(separator: ", ")) }",
                                        registrations: OpenAIChatStage.registrations, environment: target.environment)
        }
    }

    @Test func streamsTheReplyInOrder() async throws {
        try await LLMConformance.streamsTheReplyInOrder(Self.subject())
    }

    @Test func interruptionCancelsTheRequest() async throws {
        try await LLMConformance.interruptionCancelsTheRequest(Self.subject())
    }

    @Test(arguments: LLMConformance.faults(firstByteTimeoutOption: "timeout_ms"))
    func faultIsReportedAndTheTurnCloses(_ fault: ConformanceFault) async throws {
        try await LLMConformance.faultIsReportedAndTheTurnCloses(Self.subject(), fault)
    }

    @Test func holdsEndOfStreamUntilTheReplyEnds() async throws {
        try await LLMConformance.holdsEndOfStreamUntilTheReplyEnds(Self.subject())
    }
}
