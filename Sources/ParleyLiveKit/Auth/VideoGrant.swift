// SPDX-License-Identifier: Apache-2.0

/// What a participant may do in a room: the `video` claim of a LiveKit access token.
///
/// Keys are camelCase on the wire (protocol auth/grants.go). `nil` means "absent", which the
/// server reads with its own defaults: `canPublish`/`canSubscribe` default to true,
/// `canPublishData` to the value of `canPublish`, the rest to false.
public struct VideoGrant: Codable, Sendable, Hashable {
    public var roomCreate: Bool?
    public var roomList: Bool?
    public var roomRecord: Bool?
    public var roomAdmin: Bool?
    public var roomJoin: Bool?
    public var room: String?
    public var destinationRoom: String?
    public var canPublish: Bool?
    public var canSubscribe: Bool?
    public var canPublishData: Bool?
    /// Lower-cased TrackSource names (`camera`, `microphone`, `screen_share`, `screen_share_audio`).
    public var canPublishSources: [String]?
    public var canUpdateOwnMetadata: Bool?
    public var ingressAdmin: Bool?
    public var hidden: Bool?
    public var recorder: Bool?
    public var agent: Bool?
    public var canSubscribeMetrics: Bool?
    public var canManageAgentSession: Bool?

    public init(roomCreate: Bool? = nil, roomList: Bool? = nil, roomRecord: Bool? = nil, roomAdmin: Bool? = nil,
                roomJoin: Bool? = nil, room: String? = nil, destinationRoom: String? = nil, canPublish: Bool? = nil,
                canSubscribe: Bool? = nil, canPublishData: Bool? = nil, canPublishSources: [String]? = nil,
                canUpdateOwnMetadata: Bool? = nil, ingressAdmin: Bool? = nil, hidden: Bool? = nil,
                recorder: Bool? = nil, agent: Bool? = nil, canSubscribeMetrics: Bool? = nil,
                canManageAgentSession: Bool? = nil) {
        self.roomCreate = roomCreate
        self.roomList = roomList
        self.roomRecord = roomRecord
        self.roomAdmin = roomAdmin
        self.roomJoin = roomJoin
        self.room = room
        self.destinationRoom = destinationRoom
        self.canPublish = canPublish
        self.canSubscribe = canSubscribe
        self.canPublishData = canPublishData
        self.canPublishSources = canPublishSources
        self.canUpdateOwnMetadata = canUpdateOwnMetadata
        self.ingressAdmin = ingressAdmin
        self.hidden = hidden
        self.recorder = recorder
        self.agent = agent
        self.canSubscribeMetrics = canSubscribeMetrics
        self.canManageAgentSession = canManageAgentSession
    }

    /// A participant joining `room` (what the session backend gives a caller: publish audio,
    /// subscribe, publish data).
    public static func join(room: String, canPublish: Bool = true, canSubscribe: Bool = true,
                            canPublishData: Bool = true) -> VideoGrant {
        VideoGrant(roomJoin: true, room: room, canPublish: canPublish, canSubscribe: canSubscribe,
                   canPublishData: canPublishData)
    }

    /// What server-API calls on one room need (RoomService admin methods, agent dispatch).
    public static func admin(room: String) -> VideoGrant { VideoGrant(roomAdmin: true, room: room) }

    /// Effective publish permission, with the server's default for an absent claim.
    public var effectiveCanPublish: Bool { canPublish ?? true }
    public var effectiveCanSubscribe: Bool { canSubscribe ?? true }
    public var effectiveCanPublishData: Bool { canPublishData ?? effectiveCanPublish }
}

/// An agent to dispatch when a join creates the room (`roomConfig.agents[]`).
public struct RoomAgentDispatch: Codable, Sendable, Hashable {
    public var agentName: String
    public var metadata: String?

    public init(agentName: String, metadata: String? = nil) {
        self.agentName = agentName
        self.metadata = metadata
    }
}

/// The `roomConfig` claim: a `livekit.RoomConfiguration` in protojson form (lowerCamelCase).
/// It only takes effect when this join creates the room.
public struct RoomConfiguration: Codable, Sendable, Hashable {
    public var name: String?
    public var emptyTimeout: UInt32?
    public var departureTimeout: UInt32?
    public var maxParticipants: UInt32?
    public var metadata: String?
    public var agents: [RoomAgentDispatch]?

    public init(name: String? = nil, emptyTimeout: UInt32? = nil, departureTimeout: UInt32? = nil,
                maxParticipants: UInt32? = nil, metadata: String? = nil, agents: [RoomAgentDispatch]? = nil) {
        self.name = name
        self.emptyTimeout = emptyTimeout
        self.departureTimeout = departureTimeout
        self.maxParticipants = maxParticipants
        self.metadata = metadata
        self.agents = agents
    }
}
