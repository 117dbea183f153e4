// SPDX-License-Identifier: Apache-2.0

/// A request to run a named agent in a room (`livekit.AgentDispatch`, protocol
/// livekit_agent_dispatch.proto). The server turns it into jobs offered to registered workers.
public struct AgentDispatch: Codable, Sendable, Hashable {
    public var id: String
    public var agentName: String
    public var room: String
    /// Passed to the job; Parley puts per-session agent config overrides here.
    public var metadata: String
    public var attributes: [String: String]
    public var state: AgentDispatchState?

    enum CodingKeys: String, CodingKey {
        case id, room, metadata, attributes, state
        case agentName = "agent_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.proto(.id)
        agentName = try c.proto(.agentName)
        room = try c.proto(.room)
        metadata = try c.proto(.metadata)
        attributes = try c.proto(.attributes)
        state = try c.decodeIfPresent(AgentDispatchState.self, forKey: .state)
    }
}

/// `livekit.AgentDispatchState`: the jobs created so far and the dispatch's lifetime (Unix nanoseconds).
public struct AgentDispatchState: Codable, Sendable, Hashable {
    public var jobIDs: [String]
    public var createdAt: Int64
    public var deletedAt: Int64

    enum CodingKeys: String, CodingKey {
        case jobs
        case createdAt = "created_at", deletedAt = "deleted_at"
    }

    private struct JobID: Codable { var id: String? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobIDs = (try c.decodeIfPresent([JobID].self, forKey: .jobs) ?? []).map { $0.id ?? "" }
        createdAt = try c.protoInt64(.createdAt)
        deletedAt = try c.protoInt64(.deletedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobIDs.map { JobID(id: $0) }, forKey: .jobs)
        try c.encodeProtoInt64(createdAt, forKey: .createdAt)
        try c.encodeProtoInt64(deletedAt, forKey: .deletedAt)
    }
}
