// SPDX-License-Identifier: Apache-2.0

/// The claims of a LiveKit access token: the registered JWT claims plus LiveKit's own
/// (protocol auth/grants.go), all top-level and omitted when empty.
public struct ClaimGrants: Codable, Sendable, Hashable {
    /// API key.
    public var iss: String
    /// Participant identity.
    public var sub: String?
    public var iat: Int64?
    public var nbf: Int64?
    public var exp: Int64?
    public var name: String?
    public var metadata: String?
    public var attributes: [String: String]?
    /// Lower-cased participant kind: `standard`, `ingress`, `egress`, `sip`, `agent`, `connector`, `bridge`.
    public var kind: String?
    public var video: VideoGrant?
    public var roomConfig: RoomConfiguration?
    public var roomPreset: String?
    public var sha256: String?

    public init(iss: String, sub: String? = nil, iat: Int64? = nil, nbf: Int64? = nil, exp: Int64? = nil,
                name: String? = nil, metadata: String? = nil, attributes: [String: String]? = nil,
                kind: String? = nil, video: VideoGrant? = nil, roomConfig: RoomConfiguration? = nil,
                roomPreset: String? = nil, sha256: String? = nil) {
        self.iss = iss
        self.sub = sub
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.name = name
        self.metadata = metadata
        self.attributes = attributes
        self.kind = kind
        self.video = video
        self.roomConfig = roomConfig
        self.roomPreset = roomPreset
        self.sha256 = sha256
    }
}
