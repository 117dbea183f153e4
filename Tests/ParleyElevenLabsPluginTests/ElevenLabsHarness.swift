// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyElevenLabsPlugins
import ParleyProviderConformance
import ParleyTestSupport

/// The real `elevenlabs/…` stage, built from config through the registry, pointed at
/// Tests/ProviderTestServers/elevenlabs_server.py (`ws://…/s/<session>/<scenario>`,
/// `/v1/text-to-speech/VOICE/stream-input` appended).
enum ElevenLabsHarness {
    static func server() throws -> ProviderTestServer { try ProviderTestServer.shared("elevenlabs_server.py") }

    /// The stage for `target`, logging to `target.logger`.
    static func make(_ target: ConformanceTarget, descriptor: String = "elevenlabs/eleven_flash_v2_5:voice-test") throws
        -> LiveStageHarness {
        let base = try server().base(session: target.session, scenario: target.scenario, webSocket: true)
            + target.querySuffix
        let entries = ["provider: \(descriptor)", "base_url: \"\(base)\""] + target.options
        let harness = try LiveStageHarness(kind: .tts, yaml: "{ \(entries.joined(separator: ", ")) }",
                                           registrations: [ElevenLabsTTSStage.registration],
                                           environment: target.environment)
        (harness.stage as? ElevenLabsTTSStage)?.logger = target.logger
        return harness
    }

    /// `make` with a key, for the provider-specific tests.
    static func make(session: String = ConformanceTarget.newSession(), scenario: String, query: String = "",
                     options: [String] = [], key: String? = conformanceSecretKey,
                     environment: [String: String] = [:]) throws -> LiveStageHarness {
        try make(ConformanceTarget(session: session, scenario: scenario, query: query,
                                   options: options + (key.map { ["api_key: \"\($0)\""] } ?? []), environment: environment))
    }

    static func subject() throws -> TTSConformanceSubject {
        TTSConformanceSubject(provider: "ElevenLabs", server: try server(), make: { try make($0) })
    }
}
