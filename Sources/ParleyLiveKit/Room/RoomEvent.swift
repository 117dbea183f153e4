// SPDX-License-Identifier: Apache-2.0

/// What happens in a room, in order, on `Room.events`.
public enum RoomEvent: Sendable {
    /// Joined and the media connection is up.
    case connected(local: Participant)
    case participantJoined(Participant)
    case participantLeft(Participant)
    /// A participant's metadata, name or attributes changed.
    case participantUpdated(Participant)
    /// A remote audio track is being received; its frames go to `Room.onRemoteAudio`.
    case trackSubscribed(RemoteAudioTrackInfo)
    case trackUnsubscribed(RemoteAudioTrackInfo)
    /// A user data packet (`UserPacket`) arrived.
    case dataReceived(DataMessage)
    /// A complete text stream arrived (header, chunks and trailer).
    case textStreamReceived(TextStreamMessage)
    /// A complete byte stream arrived.
    case byteStreamReceived(ByteStreamMessage)
    /// The server's active-speaker list changed (participant sids, loudest first).
    case activeSpeakersChanged([String])
    /// The signal connection dropped and Parley is resuming (or re-joining).
    case reconnecting(reason: String)
    /// Resumed (`fullRejoin` false) or joined afresh; media flows again.
    case reconnected(fullRejoin: Bool)
    /// The room is gone for good; `error` says why when it was not our own `disconnect()`.
    case disconnected(error: LiveKitConnectError?)
}

/// A participant as the room knows it (`livekit.ParticipantInfo`, the fields an agent acts on).
public struct Participant: Sendable, Hashable {
    public var sid: String
    public var identity: String
    public var name: String
    public var metadata: String
    public var attributes: [String: String]
    public var kind: ParticipantKind
    /// Published tracks: sid → description.
    public var tracks: [String: PublishedTrack]
}

/// A track a participant publishes.
public struct PublishedTrack: Sendable, Hashable {
    public var sid: String
    public var name: String
    public var type: TrackType
    public var source: TrackSource
    public var muted: Bool
    public var mimeType: String
}

/// A remote audio track we receive.
public struct RemoteAudioTrackInfo: Sendable, Hashable {
    public var trackSid: String
    public var participantSid: String
    public var participantIdentity: String
    /// The subscriber connection's m-section.
    public var mid: String
}

/// A `UserPacket`.
public struct DataMessage: Sendable, Hashable {
    public var payload: [UInt8]
    public var topic: String?
    public var senderIdentity: String
    public var reliable: Bool
}

/// A finished incoming text stream.
public struct TextStreamMessage: Sendable, Hashable {
    public var streamID: String
    public var topic: String
    public var text: String
    /// Header attributes updated by the trailer's.
    public var attributes: [String: String]
    public var senderIdentity: String
    /// Non-empty when the sender ended the stream abnormally.
    public var endReason: String
}

/// A finished incoming byte stream.
public struct ByteStreamMessage: Sendable, Hashable {
    public var streamID: String
    public var topic: String
    public var name: String
    public var mimeType: String
    public var bytes: [UInt8]
    public var attributes: [String: String]
    public var senderIdentity: String
}
