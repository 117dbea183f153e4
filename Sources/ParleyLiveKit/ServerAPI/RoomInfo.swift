// SPDX-License-Identifier: Apache-2.0

/// A room as the server API reports it: `livekit.Room` (protocol livekit_models.proto), the fields
/// a worker or backend acts on. Returned by CreateRoom, ListRooms and UpdateRoomMetadata.
public struct RoomInfo: Codable, Sendable, Hashable {
    public var sid: String
    public var name: String
    /// Seconds the room stays open with nobody in it (server default 300).
    public var emptyTimeout: UInt32
    /// Seconds the room stays open after the last participant leaves (server default 20).
    public var departureTimeout: UInt32
    public var maxParticipants: UInt32
    /// Unix seconds.
    public var creationTime: Int64
    public var creationTimeMs: Int64
    public var metadata: String
    public var numParticipants: UInt32
    public var numPublishers: UInt32
    public var activeRecording: Bool

    enum CodingKeys: String, CodingKey {
        case sid, name, metadata
        case emptyTimeout = "empty_timeout", departureTimeout = "departure_timeout"
        case maxParticipants = "max_participants", creationTime = "creation_time", creationTimeMs = "creation_time_ms"
        case numParticipants = "num_participants", numPublishers = "num_publishers", activeRecording = "active_recording"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sid = try c.proto(.sid)
        name = try c.proto(.name)
        emptyTimeout = try c.proto(.emptyTimeout)
        departureTimeout = try c.proto(.departureTimeout)
        maxParticipants = try c.proto(.maxParticipants)
        creationTime = try c.protoInt64(.creationTime)
        creationTimeMs = try c.protoInt64(.creationTimeMs)
        metadata = try c.proto(.metadata)
        numParticipants = try c.proto(.numParticipants)
        numPublishers = try c.proto(.numPublishers)
        activeRecording = try c.proto(.activeRecording)
    }
}
