// SPDX-License-Identifier: Apache-2.0

import Foundation

// Request and response bodies of livekit.RoomService (protocol livekit_room.proto), in proto field
// names. Optional fields are omitted when nil, so the server applies its own defaults.

struct CreateRoomRequest: Encodable {
    var name: String
    var emptyTimeout: UInt32?
    var departureTimeout: UInt32?
    var maxParticipants: UInt32?
    var metadata: String?
    var agents: [RoomAgentDispatch]?

    enum CodingKeys: String, CodingKey {
        case name, metadata, agents
        case emptyTimeout = "empty_timeout", departureTimeout = "departure_timeout"
        case maxParticipants = "max_participants"
    }

    /// `RoomAgentDispatch` (the token's camelCase type) goes out with proto names here.
    private struct Agent: Encodable {
        var agent_name: String
        var metadata: String?
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(emptyTimeout, forKey: .emptyTimeout)
        try c.encodeIfPresent(departureTimeout, forKey: .departureTimeout)
        try c.encodeIfPresent(maxParticipants, forKey: .maxParticipants)
        try c.encodeIfPresent(metadata, forKey: .metadata)
        try c.encodeIfPresent(agents?.map { Agent(agent_name: $0.agentName, metadata: $0.metadata) }, forKey: .agents)
    }
}

struct ListRoomsRequest: Encodable { var names: [String] }
struct ListRoomsResponse: Decodable {
    var rooms: [RoomInfo]
    init(from decoder: any Decoder) throws {
        rooms = try decoder.container(keyedBy: CodingKeys.self).proto(.rooms)
    }
    enum CodingKeys: String, CodingKey { case rooms }
}

/// DeleteRoomRequest, ListParticipantsRequest.
struct RoomRequest: Encodable { var room: String }

struct ListParticipantsResponse: Decodable {
    var participants: [ParticipantInfo]
    init(from decoder: any Decoder) throws {
        participants = try decoder.container(keyedBy: CodingKeys.self).proto(.participants)
    }
    enum CodingKeys: String, CodingKey { case participants }
}

/// GetParticipant, RemoveParticipant (`RoomParticipantIdentity`).
struct RoomParticipantIdentity: Encodable {
    var room: String
    var identity: String
    /// Tokens with an earlier `nbf` are revoked (RemoveParticipant only).
    var revokeTokenTs: Int64?

    enum CodingKeys: String, CodingKey { case room, identity, revokeTokenTs = "revoke_token_ts" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(room, forKey: .room)
        try c.encode(identity, forKey: .identity)
        try c.encodeProtoInt64(revokeTokenTs, forKey: .revokeTokenTs)
    }
}

struct MuteRoomTrackRequest: Encodable {
    var room: String
    var identity: String
    var trackSid: String
    var muted: Bool
    enum CodingKeys: String, CodingKey { case room, identity, muted, trackSid = "track_sid" }
}

struct MuteRoomTrackResponse: Decodable { var track: TrackInfo }

struct UpdateParticipantRequest: Encodable {
    var room: String
    var identity: String
    var metadata: String?
    var permission: ParticipantPermission?
    var name: String?
    /// An empty value deletes the key.
    var attributes: [String: String]?
}

struct UpdateSubscriptionsRequest: Encodable {
    var room: String
    var identity: String
    var trackSids: [String]
    var subscribe: Bool
    enum CodingKeys: String, CodingKey { case room, identity, subscribe, trackSids = "track_sids" }
}

struct SendDataRequest: Encodable {
    var room: String
    /// Base64 in JSON (JSONEncoder's default for Data, which is what protojson expects for bytes).
    var data: Data
    var kind: DataPacketKind
    var destinationIdentities: [String]
    var topic: String?
    /// Empty or exactly 16 bytes; lets receivers drop duplicates of a retried send.
    var nonce: Data?
    enum CodingKeys: String, CodingKey {
        case room, data, kind, topic, nonce
        case destinationIdentities = "destination_identities"
    }
}

struct UpdateRoomMetadataRequest: Encodable {
    var room: String
    var metadata: String
}
