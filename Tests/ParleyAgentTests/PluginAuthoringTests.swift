// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing
import ParleyAgent
import ParleyCore

@Suite("Plugins/README.md worked example")
struct PluginAuthoringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the README shows exactly the example file the tests compile")
    func readmeMatchesCompiledExample() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("Plugins/README.md"), encoding: .utf8)
        let source = try String(contentsOf: Self.root.appendingPathComponent("Tests/ParleyAgentTests/PluginAuthoringExample.swift"),
                                encoding: .utf8)
        let start = try #require(readme.range(of: "```swift\n// SPDX-License-Identifier: Apache-2.0\n"))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let shown = String(readme[readme.index(start.lowerBound, offsetBy: "```swift\n".count)..<end.lowerBound])
        #expect(shown == source)
    }

    @Test("registered with one line, the example is usable from config and does its job")
    func exampleWorks() throws {
        let registry = StageRegistry()
        registry.register(GainStage.registration)   // the one registration line
        let config = try AgentConfig.parse(yaml: """
            pipeline:
              stages:
                - { provider: gain, gain_db: -6.0206 }
            """, file: "gain.yaml", environment: [:])
        let graph = try PipelineAssembler(registry: registry, environment: [:])
            .build(config, input: .standard, outputCaps: .any)
        let p = try EmbeddedPipeline(graph: graph)
        let b = AudioBuffer(capacity: 960)
        b.storage.update(repeating: 10_000, count: 960)
        p.push(.audio(AudioFrame(buffer: b, format: .standard, timestamp: 0, sequence: 0)))
        p.run()
        let out = try #require(p.outputs.compactMap { if case .audio(let a) = $0 { return a }; return nil }.first)
        #expect(out.withSamples { $0[0] } == 5_000)
        // The input frame's buffer was shared with the test (b), so the stage copied instead of writing into it.
        #expect(b.storage[0] == 10_000)

        #expect(throws: ConfigError.self) {
            _ = try PipelineAssembler(registry: registry, environment: [:]).build(
                try AgentConfig.parse(yaml: "pipeline:\n  stages: [{ provider: gain, gain_db: 99 }]\n",
                                      file: "gain.yaml", environment: [:]),
                input: .standard, outputCaps: .any)
        }
    }
}
