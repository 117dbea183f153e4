// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCartesiaPlugins
import ParleyCore
import ParleyProviderConformance
import ParleyTestSupport

/// The real `cartesia/…` stage, built from config through the registry, pointed at
/// Tests/ProviderTestServers/cartesia_server.py (`ws://…/s/<session>/<scenario>`, `/tts/websocket` appended).
enum CartesiaHarness {
    static func server() throws -> ProviderTestServer { try ProviderTestServer.shared("cartesia_server.py") }

    /// The stage for `target`, logging to `target.logger`.
    static func make(_ target: ConformanceTarget, descriptor: String = "cartesia/sonic-2:voice-test") throws
        -> LiveStageHarness {
        let base = try server().base(session: target.session, scenario: target.scenario, webSocket: true)
            + target.querySuffix
        let entries = ["provider: \(descriptor)", "base_url: \"\(base)\""] + target.options
        let harness = try LiveStageHarness(kind: .tts, yaml: "{ \(entries.joined(separator: ", ")) }",
                                           registrations: [CartesiaTTSStage.registration],
                                           environment: target.environment)
        (harness.stage as? CartesiaTTSStage)?.logger = target.logger
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
        TTSConformanceSubject(provider: "Cartesia", server: try server(), make: { try make($0) })
    }
}
