// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Turns an `AgentConfig` into a `PipelineGraph` using a `StageRegistry`.
///
/// Slot form, in this order (absent slots are skipped; `realtime` replaces stt/llm/tts):
/// ```
///   input ─► noise_suppression ─► vad ─► stt ─► turn_detection ─► llm ─► tts ─► avatar ─► output
///   input ─► noise_suppression ─► vad ─► realtime ──────────────────────────► avatar ─► output
/// ```
/// Explicit form (`pipeline.stages`), a list whose items are a descriptor, a mapping with
/// `provider:` and options, or `{ parallel: [ [items…], [items…] ] }` for fan-out/fan-in.
public struct PipelineAssembler {
    public let registry: StageRegistry
    public let environment: [String: String]

    public init(registry: StageRegistry, environment: [String: String]) {
        self.registry = registry
        self.environment = environment
    }

    /// Builds the graph. `input` is the format audio arrives in; `outputCaps` what the output
    /// (file writer, RTP sender) needs. Converters are inserted by the engine as needed.
    public func build(_ config: AgentConfig, input: AudioFormat, outputCaps: AudioCaps) throws -> PipelineGraph {
        let instructions = config.agent.instructions
        // Bring input to the configured internal format first, so every stage sees one format.
        var builder = PipelineBuilder(input: input)
        builder.converterQuality = config.audio.resamplerQuality
        builder = builder.convert(to: config.audio.format)
        if let stages = config.pipeline.stages {
            builder = try appendExplicit(stages, to: builder, instructions: instructions)
        } else {
            for (kind, node) in config.pipeline.orderedSlots {
                builder = builder.then(
                    try registry.makeStage(kind, from: node, environment: environment, agentInstructions: instructions))
            }
        }
        return try builder.build(outputCaps: outputCaps)
    }

    private func appendExplicit(_ list: ConfigNode, to builder: PipelineBuilder, instructions: String) throws -> PipelineBuilder {
        var b = builder
        for item in try list.sequence() {
            if let parallel = item["parallel"] {
                try item.rejectUnknownKeys(allowed: ["parallel"])
                var branches: [[any Stage]] = []
                for branch in try parallel.sequence() {
                    branches.append(try branch.sequence().map { try makeAnyKind($0, instructions: instructions) })
                }
                b = b.parallel(branches)
            } else {
                b = b.then(try makeAnyKind(item, instructions: instructions))
            }
        }
        return b
    }

    /// In an explicit list any kind is allowed: the provider's own first kind is used.
    private func makeAnyKind(_ node: ConfigNode, instructions: String) throws -> any Stage {
        let descriptorNode = (try? node.mapping()) != nil ? try node.require("provider") : node
        let text = try descriptorNode.string()
        let provider = (try? StageDescriptor(parsing: text))?.provider ?? text
        let kind = registry.registration(for: provider).flatMap { reg in
            StageKind.allCases.first { reg.kinds.contains($0) }
        } ?? .processor
        return try registry.makeStage(kind, from: node, environment: environment, agentInstructions: instructions)
    }
}
