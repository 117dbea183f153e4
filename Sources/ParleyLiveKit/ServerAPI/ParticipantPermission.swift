// SPDX-License-Identifier: Apache-2.0

/// What a participant may do, as the server holds it (`livekit.ParticipantPermission`, protocol
/// livekit_models.proto). Unlike the token's `VideoGrant`, every field is concrete: UpdateParticipant
/// replaces the whole permission, so all fields are always sent.
public struct ParticipantPermission: Codable, Sendable, Hashable {
    public var canSubscribe: Bool
    public var canPublish: Bool
    public var canPublishData: Bool
    /// Empty means any source.
    public var canPublishSources: [TrackSource]
    public var hidden: Bool
    public var canUpdateMetadata: Bool
    public var canSubscribeMetrics: Bool
    public var recorder: Bool
    /// Set for agent participants; sent back as-is so updating an agent's permission keeps it.
    public var agent: Bool
    public var canManageAgentSession: Bool

    enum CodingKeys: String, CodingKey {
        case hidden
        case canSubscribe = "can_subscribe", canPublish = "can_publish", canPublishData = "can_publish_data"
        case canPublishSources = "can_publish_sources", canUpdateMetadata = "can_update_metadata"
        case canSubscribeMetrics = "can_subscribe_metrics"
        case recorder, agent, canManageAgentSession = "can_manage_agent_session"
    }

    public init(canSubscribe: Bool = true, canPublish: Bool = true, canPublishData: Bool = true,
                canPublishSources: [TrackSource] = [], hidden: Bool = false, canUpdateMetadata: Bool = false,
                canSubscribeMetrics: Bool = false, recorder: Bool = false, agent: Bool = false,
                canManageAgentSession: Bool = false) {
        self.canSubscribe = canSubscribe
        self.canPublish = canPublish
        self.canPublishData = canPublishData
        self.canPublishSources = canPublishSources
        self.hidden = hidden
        self.canUpdateMetadata = canUpdateMetadata
        self.canSubscribeMetrics = canSubscribeMetrics
        self.recorder = recorder
        self.agent = agent
        self.canManageAgentSession = canManageAgentSession
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        canSubscribe = try c.proto(.canSubscribe)
        canPublish = try c.proto(.canPublish)
        canPublishData = try c.proto(.canPublishData)
        canPublishSources = try c.proto(.canPublishSources)
        hidden = try c.proto(.hidden)
        canUpdateMetadata = try c.proto(.canUpdateMetadata)
        canSubscribeMetrics = try c.proto(.canSubscribeMetrics)
        recorder = try c.proto(.recorder)
        agent = try c.proto(.agent)
        canManageAgentSession = try c.proto(.canManageAgentSession)
    }
}
