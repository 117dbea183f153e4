// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAssemblyAIPlugins
import ParleyCore
import ParleyProviderConformance
import ParleyStreamingSTT
import ParleyTestSupport

/// The real `assemblyai/…` stage, built from config through the registry, pointed at
/// Tests/ProviderTestServers/assemblyai_server.py (`/s/<session>/<scenario>/v3/ws`).
enum AssemblyAIHarness {
    static func server() throws -> ProviderTestServer { try ProviderTestServer.shared("assemblyai_server.py") }

    /// The stage for `target`, fed 16 kHz mono frames (no converter in front), logging to `target.logger`.
    static func make(_ target: ConformanceTarget, descriptor: String = "assemblyai/universal-streaming:en") throws
        -> LiveStageHarness {
        let url = try server().base(session: target.session, scenario: target.scenario, webSocket: true)
            + "/v3/ws" + target.querySuffix
        let entries = ["provider: \(descriptor)", "base_url: \"\(url)\""] + target.options
        let harness = try LiveStageHarness(kind: .stt, yaml: "{ \(entries.joined(separator: ", ")) }",
                                           registrations: [AssemblyAISTT.registration], input: ToneSpeech.format,
                                           environment: target.environment)
        (harness.stage as? StreamingSTTStage)?.logger = target.logger
        return harness
    }

    static func subject() throws -> STTConformanceSubject {
        STTConformanceSubject(provider: "AssemblyAI", server: try server(), finalizeMessage: "ForceEndpoint",
                              endOfStreamMessage: "Terminate",
                              manualEndpointingOptions: ["min_end_of_turn_silence_when_confident: 10000"],
                              make: { try make($0) })
    }
}
