// SPDX-License-Identifier: Apache-2.0

import ParleyLiveKitProto

extension ProtoEnum {
    /// From a protobuf enum's number (unknown numbers keep their number: `#12`).
    init(number: Int) { self.init(rawValue: Self.names[number] ?? "#\(number)") }
}

extension Participant {
    init(_ info: Livekit_ParticipantInfo) {
        self.init(
            sid: info.sid, identity: info.identity, name: info.name, metadata: info.metadata,
            attributes: info.attributes, kind: ParticipantKind(number: info.kind.rawValue),
            tracks: Dictionary(info.tracks.map { ($0.sid, PublishedTrack($0)) }, uniquingKeysWith: { $1 }))
    }
}

extension PublishedTrack {
    init(_ info: Livekit_TrackInfo) {
        self.init(
            sid: info.sid, name: info.name, type: TrackType(number: info.type.rawValue),
            source: TrackSource(number: info.source.rawValue), muted: info.muted, mimeType: info.mimeType)
    }
}
