// SPDX-License-Identifier: Apache-2.0

/// `ParticipantInfo.State` (protocol livekit_models.proto).
public struct ParticipantState: ProtoEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let names = [0: "JOINING", 1: "JOINED", 2: "ACTIVE", 3: "DISCONNECTED"]
    public static let joining = Self(rawValue: "JOINING")
    public static let joined = Self(rawValue: "JOINED")
    public static let active = Self(rawValue: "ACTIVE")
    public static let disconnected = Self(rawValue: "DISCONNECTED")
}

/// `ParticipantInfo.Kind` (protocol livekit_models.proto). Tokens carry the lower-cased name.
public struct ParticipantKind: ProtoEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let names = [0: "STANDARD", 1: "INGRESS", 2: "EGRESS", 3: "SIP", 4: "AGENT", 7: "CONNECTOR",
                               8: "BRIDGE"]
    public static let standard = Self(rawValue: "STANDARD")
    public static let ingress = Self(rawValue: "INGRESS")
    public static let egress = Self(rawValue: "EGRESS")
    public static let sip = Self(rawValue: "SIP")
    public static let agent = Self(rawValue: "AGENT")
}

/// `TrackType` (protocol livekit_models.proto).
public struct TrackType: ProtoEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let names = [0: "AUDIO", 1: "VIDEO", 2: "DATA"]
    public static let audio = Self(rawValue: "AUDIO")
    public static let video = Self(rawValue: "VIDEO")
    public static let data = Self(rawValue: "DATA")
}

/// `TrackSource` (protocol livekit_models.proto).
public struct TrackSource: ProtoEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let names = [0: "UNKNOWN", 1: "CAMERA", 2: "MICROPHONE", 3: "SCREEN_SHARE", 4: "SCREEN_SHARE_AUDIO"]
    public static let unknown = Self(rawValue: "UNKNOWN")
    public static let camera = Self(rawValue: "CAMERA")
    public static let microphone = Self(rawValue: "MICROPHONE")
    public static let screenShare = Self(rawValue: "SCREEN_SHARE")
    public static let screenShareAudio = Self(rawValue: "SCREEN_SHARE_AUDIO")
}

/// `DataPacket.Kind`: RELIABLE (ordered, retransmitted) or LOSSY (unordered, no retransmission).
public struct DataPacketKind: ProtoEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let names = [0: "RELIABLE", 1: "LOSSY"]
    public static let reliable = Self(rawValue: "RELIABLE")
    public static let lossy = Self(rawValue: "LOSSY")
}
