// SPDX-License-Identifier: Apache-2.0

/// An audio track the peer sends us: one receiving m-section (unified plan, RFC 9429 §3.7),
/// identified by its mid and by what the peer declared in that section. LiveKit's subscriber
/// offers carry `a=msid:<PA_sid>|<TR_sid> <TR_sid>` and `a=ssrc` for every subscribed track
/// (livekit-protocol.md §4), so `streamID` is the packed participant|track id and `trackID`
/// the track SID.
///
/// The value is fixed when the track is announced (`onRemoteAudioTrack`) and is the same one
/// passed with every frame and to `onRemoteAudioTrackEnded`, so it can key a dictionary. An
/// SSRC learned later from the packets (mid header extension, or the first unknown SSRC)
/// does not change it.
public struct RemoteAudioTrack: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The m-section's mid. A section the peer reuses for another track (LiveKit sets
    /// sections inactive and later reuses them) keeps its mid but is a new track.
    public let mid: String
    /// `a=msid` stream id (RFC 8830), or the `a=ssrc … msid:` one when only that is given.
    public let streamID: String?
    public let trackID: String?
    /// The first SSRC the section declared with `a=ssrc` (RFC 5576), nil when it declared none.
    public let ssrc: UInt32?

    public init(mid: String, streamID: String?, trackID: String?, ssrc: UInt32?) {
        self.mid = mid
        self.streamID = streamID
        self.trackID = trackID
        self.ssrc = ssrc
    }

    public var description: String {
        "mid \(mid)" + (trackID.map { " track \($0)" } ?? "") + (ssrc.map { " ssrc \($0)" } ?? "")
    }
}

/// One receiving section's receiver statistics, in m-line order in `PeerConnectionStats`.
public struct RemoteAudioTrackStats: Sendable, Hashable {
    public var track: RemoteAudioTrack
    public var receiver: AudioReceiverStats

    public init(track: RemoteAudioTrack, receiver: AudioReceiverStats) {
        self.track = track
        self.receiver = receiver
    }
}
