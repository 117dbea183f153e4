// SPDX-License-Identifier: Apache-2.0

/// What a factory receives: the parsed descriptor, validated options, and the environment
/// (for credentials and endpoints that come from env vars).
public struct StageRequest: Sendable {
    public var descriptor: StageDescriptor
    public var kind: StageKind
    public var options: StageOptions
    public var environment: [String: String]
    /// Where in the config this stage was declared ("Examples/local.yaml:12:8"), for messages.
    public var origin: String
    /// The agent's instructions (`agent.instructions`, or the session's `prompt` override):
    /// what an LLM stage uses as its system message unless its own options say otherwise.
    public var agentInstructions: String?
    /// The session's shared chat context, when the stage runs inside a voice session (the
    /// assembler passes it). An LLM stage prompts with it and records its replies there, so
    /// the turn manager and the playout can cut an interrupted reply to what was heard.
    /// nil when a stage is built on its own (tests, explicit chains): it keeps its own then.
    public var conversation: Conversation?
    /// A turn manager upstream decides when the user's turn is over and sends it as one user
    /// `TextFrame`. An LLM stage then answers those only, not each final transcript (which
    /// still passes by, for transcription outputs). False when built without one.
    public var turnManaged = false
    /// Tools the session's LLM may call (config `agent.tools` and the application's own).
    public var toolbox = Toolbox()

    public init(descriptor: StageDescriptor, kind: StageKind, options: StageOptions = StageOptions(),
                environment: [String: String] = [:], origin: String = "") {
        self.descriptor = descriptor
        self.kind = kind
        self.options = options
        self.environment = environment
        self.origin = origin
    }
}

/// One provider: everything the registry needs to validate a config and build the stage.
///
/// A plugin file declares one of these as a static constant and the CLI registers it with
/// one line (`registry.register(MyTTS.registration)`); see Plugins/README.md.
public struct StageRegistration: Sendable {
    public var provider: String
    public var kinds: Set<StageKind>
    public var summary: String
    /// Known models, for error messages and `parley plugins`; empty means "any model string".
    public var models: [String]
    /// Whether a model is required in the descriptor (`deepgram/nova-3`) or optional (`webrtc`).
    public var requiresModel: Bool
    public var options: [OptionSpec]
    /// Licence of the engine behind it (shown by `parley plugins`).
    public var license: String
    public var make: @Sendable (StageRequest) throws -> any Stage

    public init(provider: String, kinds: Set<StageKind>, summary: String, models: [String] = [],
                requiresModel: Bool = false, options: [OptionSpec] = [], license: String = "Apache-2.0",
                make: @escaping @Sendable (StageRequest) throws -> any Stage) {
        self.provider = provider.lowercased()
        self.kinds = kinds
        self.summary = summary
        self.models = models
        self.requiresModel = requiresModel
        self.options = options
        self.license = license
        self.make = make
    }
}
