// SPDX-License-Identifier: Apache-2.0

import Foundation

/// One agent session as the store keeps it. Holds no token and no secret.
public struct SessionRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case active
        case ended
    }

    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        case voice
        case video
    }

    public var id: String
    /// The authenticated principal that created it (JWT `sub` or API key name).
    public var owner: String
    public var roomName: String
    /// The caller's LiveKit participant identity.
    public var participantIdentity: String
    public var profile: String
    public var agentName: String
    public var mode: Mode
    public var dispatchID: String?
    /// The merged agent_config sent as dispatch metadata (JSON object text).
    public var configJSON: String
    public var status: Status
    /// Milliseconds since 1970.
    public var createdAtMs: Int64
    public var tokenExpiresAtMs: Int64
    public var endedAtMs: Int64?
    public var endReason: String?
    /// Which API created it: `v1`, `seed004`, `seed000`.
    public var origin: String
    /// LiveKit's sid for the room (from CreateRoom); nil for rows written before it was kept.
    public var roomSID: String?

    public init(id: String, owner: String, roomName: String, participantIdentity: String, profile: String,
                agentName: String, mode: Mode, dispatchID: String?, configJSON: String, status: Status = .active,
                createdAtMs: Int64, tokenExpiresAtMs: Int64, endedAtMs: Int64? = nil, endReason: String? = nil,
                origin: String = "v1", roomSID: String? = nil) {
        self.roomSID = roomSID
        self.id = id
        self.owner = owner
        self.roomName = roomName
        self.participantIdentity = participantIdentity
        self.profile = profile
        self.agentName = agentName
        self.mode = mode
        self.dispatchID = dispatchID
        self.configJSON = configJSON
        self.status = status
        self.createdAtMs = createdAtMs
        self.tokenExpiresAtMs = tokenExpiresAtMs
        self.endedAtMs = endedAtMs
        self.endReason = endReason
        self.origin = origin
    }
}
