// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAgent
import ParleyBuiltinPlugins
import ParleyCore
import Synchronization
import Testing

/// The agent's instructions (and a session's `prompt` override) reach the stages the assembler builds.
@Suite("agent instructions reach stages")
struct AgentInstructionsTests {
    @Test("agent.instructions, then the session prompt, arrive in StageRequest.agentInstructions")
    func instructionsArrive() throws {
        let seen = Mutex<[String?]>([])
        let registry = StageRegistry()
        registry.register(StageRegistration(provider: "probe", kinds: [.llm], summary: "records its request") { request in
            seen.withLock { $0.append(request.agentInstructions) }
            return Passthrough(name: "probe")
        })
        let config = try AgentConfig.parse(yaml: """
            agent: { name: helper, instructions: "Answer in French." }
            pipeline: { llm: probe }
            """, file: "a.yaml", environment: [:])
        let assembler = PipelineAssembler(registry: registry, environment: [:])
        _ = try assembler.build(config, input: .standard, outputCaps: .any)
        let session = try SessionOverrides(json: Data(#"{"prompt": "Answer in German."}"#.utf8))
            .applied(to: config, registry: registry)
        _ = try assembler.build(session, input: .standard, outputCaps: .any)
        #expect(seen.withLock { $0 } == ["Answer in French.", "Answer in German."])
    }
}
