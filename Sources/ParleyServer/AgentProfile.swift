// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAgent
import ParleyCore

/// An agent an operator offers (the seeds' "counselor category" / "agent_type"): who answers,
/// what it says first, and the pipeline defaults a session starts from.
///
/// ```yaml
/// profiles:
///   support:
///     agent_name: support-agent          # the worker's registered name (dispatch target)
///     instructions: "You are …"
///     greeting: "Hi, how can I help?"
///     defaults: { stt: deepgram/nova-3:en, llm: openai/gpt-4o-mini, tts: cartesia/sonic-3:VOICE }
///     avatar_id: bey-123                 # optional
///     category_id: 9b2f…                 # optional: the seed-000 counselor_category UUID for this profile
///     max_participants: 2                # optional, else server.sessions.max_participants
///     enabled: true
/// ```
public struct SessionAgentProfile: Sendable, Hashable {
    public var name: String
    public var agentName: String
    public var instructions: String?
    public var greeting: String?
    public var avatarID: String?
    /// Another name the profile answers to (seed 000 sends a category UUID).
    public var categoryID: String?
    /// agent_config defaults (SessionOverrides keys only).
    public var defaults: [String: JSONValue]
    public var maxParticipants: Int?
    public var enabled: Bool

    public init(name: String, agentName: String, instructions: String? = nil, greeting: String? = nil,
                avatarID: String? = nil, defaults: [String: JSONValue] = [:], maxParticipants: Int? = nil,
                enabled: Bool = true, categoryID: String? = nil) {
        self.name = name
        self.categoryID = categoryID
        self.agentName = agentName
        self.instructions = instructions
        self.greeting = greeting
        self.avatarID = avatarID
        self.defaults = defaults
        self.maxParticipants = maxParticipants
        self.enabled = enabled
    }

    static let keys = ["agent_name", "instructions", "greeting", "avatar_id", "defaults", "max_participants", "enabled",
                       "category_id"]

    init(name: String, node: ConfigNode) throws {
        try node.rejectUnknownKeys(allowed: Self.keys)
        guard Identifier.isValid(name, maxLength: 64) else {
            throw node.error("profile name \"\(name)\" is not valid", allowed: "1-64 of A-Z a-z 0-9 _ -")
        }
        self.name = name
        agentName = try node.string("agent_name", default: name) ?? name
        instructions = try node.string("instructions", default: nil)
        greeting = try node.string("greeting", default: nil)
        avatarID = try node.string("avatar_id", default: nil)
        categoryID = try node.string("category_id", default: nil)
        if let n = node["max_participants"] { maxParticipants = try n.int(in: 1...1000) }
        enabled = try node.bool("enabled", default: true)
        defaults = [:]
        if let d = node["defaults"], !d.isNull {
            try d.rejectUnknownKeys(allowed: SessionOverrides.knownKeys)
            for entry in try d.mapping() {
                if AgentConfigValidator.booleanKeys.contains(entry.key) {
                    defaults[entry.key] = .bool(try entry.value.bool())
                } else {
                    defaults[entry.key] = .string(try entry.value.string())
                }
            }
        }
    }

    /// The profile's contribution to a session's agent_config (below the request's overrides).
    var baseConfig: [String: JSONValue] {
        var c = defaults
        if let instructions, c["prompt"] == nil { c["prompt"] = .string(instructions) }
        if let greeting, c["greeting"] == nil { c["greeting"] = .string(greeting) }
        return c
    }
}
