// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Turns an `AgentConfig` into a `PipelineGraph` using a `StageRegistry`.
///
/// Slot form, in this order (absent slots are skipped; `realtime` replaces stt/llm/tts; the
/// turn manager goes between an STT and an LLM, the playout after any reply stage):
/// ```
///   input ─► noise_suppression ─► vad ─► stt ─► turn_detection ─► [turn] ─► llm ─► tts ─► avatar ─► [playout] ─► output
///   input ─► noise_suppression ─► vad ─► realtime ─────────────────────────────────► avatar ─► [playout] ─► output
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
        try buildSession(config, input: input, outputCaps: outputCaps, pacedPlayout: false).graph
    }

    /// What `buildSession` returns: the graph and the chat context its stages share.
    public struct Session {
        public var graph: PipelineGraph
        public var conversation: Conversation
    }

    /// Builds a voice session's graph. In slot form with an STT and an LLM, a `TurnManager` goes
    /// in front of the LLM, and with any reply stage a `PlayoutStage` at the end, sharing one
    /// `Conversation` with the LLM:
    /// ```
    ///   … ─► vad ─► stt ─► [turn] ─► llm ─► tts ─► [playout] ─► output
    /// ```
    /// `pacedPlayout`: play agent audio out at its real pace (rooms, `--realtime`), or release
    /// it as fast as it comes (files run as fast as possible).
    /// `tools`: the application's own tools, added to the configured webhook tools.
    public func buildSession(_ config: AgentConfig, input: AudioFormat, outputCaps: AudioCaps, pacedPlayout: Bool,
                             conversation: Conversation? = nil, tools: [any AgentTool] = []) throws -> Session {
        let instructions = config.agent.instructions
        let toolbox = config.agent.toolbox(adding: tools)
        let conversation = conversation ?? Conversation(instructions: instructions)
        // Bring input to the configured internal format first, so every stage sees one format.
        // Text may be pushed at the input too: typed user turns, the greeting, `say()`.
        var builder = PipelineBuilder(input: input, inputKinds: [.audio, .control, .text])
        builder.converterQuality = config.audio.resamplerQuality
        builder = builder.convert(to: config.audio.format)
        if let stages = config.pipeline.stages {
            builder = try appendExplicit(stages, to: builder, instructions: instructions, conversation: conversation)
        } else {
            let slots = config.pipeline
            // Turns need words: the turn manager goes in when an STT feeds an LLM. (A realtime
            // model takes turns itself.)
            let managed = slots.llm != nil && slots.stt != nil
            for (kind, node) in slots.orderedSlots {
                if managed && kind == .llm {
                    builder = builder.then(TurnManager(
                        settings: config.turn, conversation: conversation, detector: TrailingWordTurnDetector(),
                        expectsTranscripts: true))
                }
                // One way to build a provider, for the slot or for each item of its fallback list.
                let make = { (item: ConfigNode) throws -> any Stage in
                    try registry.makeStage(
                        kind, from: item, environment: environment, agentInstructions: instructions,
                        conversation: conversation, turnManaged: managed, toolbox: toolbox)
                }
                builder = builder.then(FallbackSlotConfig.isFallback(node)
                    ? try makeFallback(node, kind: kind, conversation: conversation, turnManaged: managed, make: make)
                    : try make(node))
            }
            if slots.llm != nil || slots.tts != nil || slots.realtime != nil {
                builder = builder.then(PlayoutStage(conversation: conversation, paced: pacedPlayout))
            }
        }
        return Session(graph: try builder.build(outputCaps: outputCaps), conversation: conversation)
    }

    /// A slot that lists providers in order (`FallbackSlotConfig`): each built through the
    /// registry like a slot of its own (so a bad one is reported at its file:line), all of
    /// them behind one `FallbackStage`.
    private func makeFallback(_ node: ConfigNode, kind: StageKind, conversation: Conversation, turnManaged: Bool,
                              make: (ConfigNode) throws -> any Stage) throws -> any Stage {
        let slot = try FallbackSlotConfig(node: node, kind: kind)
        let providers = try slot.providers.map { item in
            // Logs and metrics name a provider by its descriptor (never by its options: keys live there).
            let descriptor = (try? item.mapping()) != nil ? item["provider"] : item
            return FallbackStage.Provider(try make(item), label: try? descriptor?.string())
        }
        do {
            return try FallbackStage(kind: kind, providers: providers, settings: slot.settings,
                                     conversation: kind == .llm ? conversation : nil, turnManaged: turnManaged)
        } catch let e as FallbackStage.SetupError {
            throw (node["fallback"] ?? node).error(e.description)
        }
    }

    private func appendExplicit(_ list: ConfigNode, to builder: PipelineBuilder, instructions: String,
                                conversation: Conversation) throws -> PipelineBuilder {
        var b = builder
        for item in try list.sequence() {
            if let parallel = item["parallel"] {
                try item.rejectUnknownKeys(allowed: ["parallel"])
                var branches: [[any Stage]] = []
                for branch in try parallel.sequence() {
                    branches.append(try branch.sequence().map { try makeAnyKind($0, instructions: instructions, conversation: conversation) })
                }
                b = b.parallel(branches)
            } else {
                b = b.then(try makeAnyKind(item, instructions: instructions, conversation: conversation))
            }
        }
        return b
    }

    /// In an explicit list any kind is allowed: the provider's own first kind is used.
    private func makeAnyKind(_ node: ConfigNode, instructions: String, conversation: Conversation) throws -> any Stage {
        let descriptorNode = (try? node.mapping()) != nil ? try node.require("provider") : node
        let text = try descriptorNode.string()
        let provider = (try? StageDescriptor(parsing: text))?.provider ?? text
        let kind = registry.registration(for: provider).flatMap { reg in
            StageKind.allCases.first { reg.kinds.contains($0) }
        } ?? .processor
        return try registry.makeStage(kind, from: node, environment: environment, agentInstructions: instructions,
                                      conversation: conversation)
    }
}
