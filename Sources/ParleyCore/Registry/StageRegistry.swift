// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Resolves descriptors (`deepgram/nova-3:en`) to stage factories, validating options first.
///
/// ```
///   config node ──► descriptor + options ──► registration (by provider) ──► validate options
///                                                                       └──► make(StageRequest) ──► Stage
/// ```
///
/// Every failure is a `ConfigError` located at the config node that asked for the stage:
/// unknown provider (listing the registered ones for that slot), a provider that can't fill
/// that slot, a missing model, unknown or mistyped options, and errors thrown by the factory.
public final class StageRegistry: Sendable {
    private let registrations = Mutex<[String: StageRegistration]>([:])

    public init() {}

    /// Adds a provider. Registering the same provider twice replaces the first (so an
    /// application can override a built-in).
    public func register(_ registration: StageRegistration) {
        registrations.withLock { $0[registration.provider] = registration }
    }

    public func registration(for provider: String) -> StageRegistration? {
        registrations.withLock { $0[provider.lowercased()] }
    }

    /// All registrations, sorted by provider.
    public var all: [StageRegistration] {
        registrations.withLock { Array($0.values) }.sorted { $0.provider < $1.provider }
    }

    public func providers(for kind: StageKind) -> [String] {
        all.filter { $0.kinds.contains(kind) }.map(\.provider)
    }

    /// Builds the stage a config node asks for. The node is either a descriptor string
    /// (`deepgram/nova-3:en`) or a mapping with `provider:` plus options
    /// (`{ provider: webrtc, min_silence_ms: 300 }`).
    public func makeStage(
        _ kind: StageKind, from node: ConfigNode, environment: [String: String], agentInstructions: String? = nil,
        conversation: Conversation? = nil, turnManaged: Bool = false, toolbox: Toolbox = Toolbox()
    ) throws -> any Stage {
        let descriptorNode: ConfigNode
        var optionEntries: [ConfigNode.Entry] = []
        if case .mapping(let entries) = node.kind {
            descriptorNode = try node.require("provider")
            optionEntries = entries.filter { $0.key != "provider" }
        } else {
            descriptorNode = node
        }
        let text = try descriptorNode.string()
        let descriptor: StageDescriptor
        do {
            descriptor = try StageDescriptor(parsing: text)
        } catch {
            throw descriptorNode.error(error.problem, allowed: "provider[/model][:variant], e.g. deepgram/nova-3:en")
        }
        guard let reg = registration(for: descriptor.provider) else {
            let known = providers(for: kind)
            throw descriptorNode.error("is not a registered \(kind) provider",
                                       allowed: known.isEmpty ? "no \(kind) provider is registered in this build"
                                                              : known.joined(separator: ", "))
        }
        guard reg.kinds.contains(kind) else {
            throw descriptorNode.error("names provider \"\(reg.provider)\", which cannot be used as \(kind)",
                                       allowed: "it serves " + reg.kinds.map(\.rawValue).sorted().joined(separator: ", "))
        }
        if reg.requiresModel && descriptor.model == nil {
            throw descriptorNode.error("needs a model (\(reg.provider)/MODEL)",
                                       allowed: reg.models.isEmpty ? nil : reg.models.joined(separator: ", "))
        }
        if !reg.models.isEmpty, let model = descriptor.model, !reg.models.contains(model) {
            throw descriptorNode.error("names model \"\(model)\", which provider \"\(reg.provider)\" does not offer",
                                       allowed: reg.models.joined(separator: ", "))
        }
        if case .mapping = node.kind {
            try node.rejectUnknownKeys(allowed: ["provider"] + reg.options.map(\.name))
        }
        let options = try validate(reg.options, entries: optionEntries, at: node, environment: environment)
        var request = StageRequest(descriptor: descriptor, kind: kind, options: options, environment: environment,
                                   origin: node.location.description)
        request.agentInstructions = agentInstructions
        request.conversation = conversation
        request.turnManaged = turnManaged
        request.toolbox = toolbox
        do {
            return try reg.make(request)
        } catch let e as ConfigError {
            throw e
        } catch {
            throw node.error("\(reg.provider) could not be set up: \(error)")
        }
    }

    /// Builds a stage from a descriptor string and no options (tests, CLI flags).
    public func makeStage(_ kind: StageKind, descriptor: String, environment: [String: String] = [:]) throws -> any Stage {
        try makeStage(kind, from: ConfigNode.scalar(descriptor, label: "<argument>"), environment: environment)
    }

    private func validate(_ specs: [OptionSpec], entries: [ConfigNode.Entry], at node: ConfigNode,
                          environment: [String: String]) throws -> StageOptions {
        var values: [String: OptionValue] = [:]
        for spec in specs {
            if let entry = entries.first(where: { $0.key == spec.name }), !entry.value.isNull {
                values[spec.name] = try read(spec, entry.value)
            } else if let env = spec.environmentVariable, let v = environment[env], !v.isEmpty {
                values[spec.name] = .string(v)
            } else if let d = spec.defaultValue {
                values[spec.name] = d
            }
        }
        return StageOptions(values)
    }

    private func read(_ spec: OptionSpec, _ v: ConfigNode) throws -> OptionValue {
        switch spec.type {
        case .int(let r): return .int(try v.int(in: r))
        case .double(let r): return .double(try v.double(in: r))
        case .bool: return .bool(try v.bool())
        case .string, .secret: return .string(try v.string())
        case .oneOf(let allowed): return .string(try v.oneOf(allowed))
        }
    }
}
