// SPDX-License-Identifier: Apache-2.0

/// A published track as listed on a participant: a summary of `livekit.TrackInfo`
/// (protocol livekit_models.proto); video layers and codecs are left out.
public struct TrackInfo: Codable, Sendable, Hashable {
    public var sid: String
    public var type: TrackType
    public var name: String
    public var muted: Bool
    public var source: TrackSource
    public var mimeType: String

    enum CodingKeys: String, CodingKey {
        case sid, type, name, muted, source
        case mimeType = "mime_type"
    }

    public init(sid: String, type: TrackType = .audio, name: String = "", muted: Bool = false,
                source: TrackSource = .microphone, mimeType: String = "") {
        self.sid = sid
        self.type = type
        self.name = name
        self.muted = muted
        self.source = source
        self.mimeType = mimeType
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sid = try c.proto(.sid)
        type = try c.decodeIfPresent(TrackType.self, forKey: .type) ?? .audio
        name = try c.proto(.name)
        muted = try c.proto(.muted)
        source = try c.decodeIfPresent(TrackSource.self, forKey: .source) ?? .unknown
        mimeType = try c.proto(.mimeType)
    }
}
