// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyDeepgramPlugins
import ParleyProviderConformance
import ParleyStreamingSTT
import ParleyTestSupport

/// The real `deepgram/…` stage, built from config through the registry, pointed at
/// Tests/ProviderTestServers/deepgram_server.py (`/s/<session>/<scenario>/v1/listen`).
enum DeepgramHarness {
    static func server() throws -> ProviderTestServer { try ProviderTestServer.shared("deepgram_server.py") }

    /// The stage for `target`, fed 16 kHz mono frames (no converter in front), logging to `target.logger`.
    static func make(_ target: ConformanceTarget, descriptor: String = "deepgram/nova-3:en") throws -> LiveStageHarness {
        let url = try server().base(session: target.session, scenario: target.scenario, webSocket: true)
            + "/v1/listen" + target.querySuffix
        let entries = ["provider: \(descriptor)", "base_url: \"\(url)\""] + target.options
        let harness = try LiveStageHarness(kind: .stt, yaml: "{ \(entries.joined(separator: ", ")) }",
                                           registrations: [DeepgramSTT.registration], input: ToneSpeech.format,
                                           environment: target.environment)
        (harness.stage as? StreamingSTTStage)?.logger = target.logger
        return harness
    }

    static func subject() throws -> STTConformanceSubject {
        STTConformanceSubject(provider: "Deepgram", server: try server(), finalizeMessage: "Finalize",
                              endOfStreamMessage: "CloseStream", manualEndpointingOptions: ["endpointing_ms: 0"],
                              make: { try make($0) })
    }
}
