// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyOpenAIPlugins
import ParleyProviderConformance
import ParleyTestSupport
import Testing

/// The `openai/…` TTS stage: the TTS conformance kit and what it sends, against
/// Tests/ProviderTestServers/openai_audio_server.py (POST /v1/audio/speech, as documented at
/// https://platform.openai.com/docs/api-reference/audio/createSpeech).
/// Serialized: each test spins the pipeline loop on its thread, and CI has two cores.
/// The real `openai/…` TTS stage, built from config through the registry, pointed at
/// Tests/ProviderTestServers/openai_audio_server.py (`http://…/s/<session>/<scenario>/v1`).
enum OpenAISpeechHarness {
    static func server() throws -> ProviderTestServer { try ProviderTestServer.shared("openai_audio_server.py") }

    /// The stage for `target`, logging to `target.logger`.
    static func make(_ target: ConformanceTarget, registrations: [StageRegistration] = [OpenAISpeechStage.registration])
        throws -> LiveStageHarness {
        let base = try server().base(session: target.session, scenario: target.scenario) + "/v1" + target.querySuffix
        let entries = ["provider: \"openai/gpt-4o-mini-tts:alloy\"", "base_url: \"\(base)\""] + target.options
        let harness = try LiveStageHarness(kind: .tts, yaml: "{ \(entries.joined(separator: ", ")) }",
                                           registrations: registrations, environment: target.environment)
        (harness.stage as? OpenAISpeechStage)?.logger = target.logger
        return harness
    }

    static func make(session: String = ConformanceTarget.newSession(), scenario: String, options: [String] = [],
                     key: String? = conformanceSecretKey) throws -> LiveStageHarness {
        try make(ConformanceTarget(session: session, scenario: scenario,
                                   options: options + (key.map { ["api_key: \"\($0)\""] } ?? [])))
    }

    static func subject() throws -> TTSConformanceSubject {
        TTSConformanceSubject(provider: "OpenAI", server: try server(), make: { try make($0) })
    }
}

/// The `openai/…` TTS stage: the TTS conformance kit and what it sends, against
/// openai_audio_server.py (POST /v1/audio/speech, as documented at
/// https://platform.openai.com/docs/api-reference/audio/createSpeech).
/// Serialized: each test spins the pipeline loop, and CI has two cores.
@Suite(.serialized)
struct OpenAISpeechTests {
    let server: ProviderTestServer
    init() throws { server = try OpenAISpeechHarness.server() }

    // MARK: The kit

    @Test func speaksEachTextInOrder() async throws {
        try await TTSConformance.speaksEachTextInOrder(OpenAISpeechHarness.subject())
    }

    @Test func streamsBeforeTheTextIsSynthesized() async throws {
        try await TTSConformance.streamsBeforeTheTextIsSynthesized(OpenAISpeechHarness.subject())
    }

    @Test func interruptionCancelsTheProvider() async throws {
        try await TTSConformance.interruptionCancelsTheProvider(OpenAISpeechHarness.subject())
    }

    @Test(arguments: TTSConformance.faults)
    func faultIsReportedAndTheNextTextIsSpoken(_ fault: ConformanceFault) async throws {
        try await TTSConformance.faultIsReportedAndTheNextTextIsSpoken(OpenAISpeechHarness.subject(), fault)
    }

    @Test func holdsEndOfStreamUntilSpoken() async throws {
        try await TTSConformance.holdsEndOfStreamUntilSpoken(OpenAISpeechHarness.subject())
    }

    // MARK: The request

    @Test func requestIsAsDocumented() async throws {
        let session = ConformanceTarget.newSession()
        let h = try OpenAISpeechHarness.make(session: session, scenario: "ok",
                                             options: ["instructions: \"Speak calmly.\"", "speed: 1.25"])
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        let request = try #require(try await server.requests(session: session).first)
        #expect(request["authorization"] as? String == "Bearer \(conformanceSecretKey)")
        #expect((request["content_type"] as? String)?.hasPrefix("application/json") == true)
        let body = try #require(request["json"] as? [String: Any])
        #expect(body["model"] as? String == "gpt-4o-mini-tts")
        #expect(body["input"] as? String == "Hello there.")
        #expect(body["voice"] as? String == "alloy")
        #expect(body["response_format"] as? String == "pcm")
        #expect(body["instructions"] as? String == "Speak calmly.")
        #expect(body["speed"] as? Double == 1.25)
        #expect(SpokenTexts(h.outputs).spoken.first?.frames.first?.format
                == AudioFormat(sampleRate: 24_000, channels: 1, frameDurationMs: 20))
    }

    @Test func withoutAKeyNoAuthorizationIsSent() async throws {
        let session = ConformanceTarget.newSession()
        let h = try OpenAISpeechHarness.make(session: session, scenario: "ok", options: ["voice: nova"], key: nil)
        h.push(.text(TextFrame(text: "Hi.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        let request = try #require(try await server.requests(session: session).first)
        #expect(request["authorization"] is NSNull)
        let body = try #require(request["json"] as? [String: Any])
        #expect(body["voice"] as? String == "nova")
        #expect(body["instructions"] == nil && body["speed"] == nil)
    }

    /// Several texts at once: at most two requests run together, and the output keeps the
    /// texts' order with each one's own audio.
    @Test func manyTextsKeepTheirOrder() async throws {
        let session = ConformanceTarget.newSession()
        let h = try OpenAISpeechHarness.make(session: session, scenario: "ok")
        let texts = (1...5).map { "Sentence number \($0) of five." }
        for t in texts { h.push(.text(TextFrame(text: t, role: .agent))) }
        #expect(await TTSConformance.run(h, timeout: .seconds(30)) { SpokenTexts($0).texts.count == 5 })
        let spoken = SpokenTexts(h.outputs)
        #expect(spoken.violations.isEmpty, "\(spoken.violations)")
        #expect(spoken.spoken.map(\.decoded) == texts)
        let inputs = try await server.requests(session: session).compactMap { ($0["json"] as? [String: Any])?["input"] as? String }
        #expect(inputs.sorted() == texts.sorted())
    }

    /// Through the `openai` registration the CLI uses (one provider for llm, stt and tts).
    @Test func theCombinedRegistrationBuildsTheSpeechStage() async throws {
        let h = try OpenAISpeechHarness.make(ConformanceTarget(scenario: "ok"), registrations: OpenAIPlugins.registrations)
        #expect(h.stage is OpenAISpeechStage)
        h.push(.text(TextFrame(text: "Combined.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).spoken.first?.decoded == "Combined." })
    }
}
