// SPDX-License-Identifier: Apache-2.0

/// A participant as the server API reports it: `livekit.ParticipantInfo` (protocol
/// livekit_models.proto), the fields a worker or backend acts on, with a summary of its tracks.
public struct ParticipantInfo: Codable, Sendable, Hashable {
    public var sid: String
    public var identity: String
    public var name: String
    public var state: ParticipantState
    public var metadata: String
    public var attributes: [String: String]
    public var kind: ParticipantKind
    public var tracks: [TrackInfo]
    public var permission: ParticipantPermission?
    /// Unix seconds.
    public var joinedAt: Int64
    /// Bumped by the server on every change; lets a client drop stale updates.
    public var version: UInt32
    public var isPublisher: Bool

    enum CodingKeys: String, CodingKey {
        case sid, identity, name, state, metadata, attributes, kind, tracks, permission, version
        case joinedAt = "joined_at", isPublisher = "is_publisher"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sid = try c.proto(.sid)
        identity = try c.proto(.identity)
        name = try c.proto(.name)
        state = try c.decodeIfPresent(ParticipantState.self, forKey: .state) ?? .joining
        metadata = try c.proto(.metadata)
        attributes = try c.proto(.attributes)
        kind = try c.decodeIfPresent(ParticipantKind.self, forKey: .kind) ?? .standard
        tracks = try c.proto(.tracks)
        permission = try c.decodeIfPresent(ParticipantPermission.self, forKey: .permission)
        joinedAt = try c.protoInt64(.joinedAt)
        version = try c.proto(.version)
        isPublisher = try c.proto(.isPublisher)
    }
}
