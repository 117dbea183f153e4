// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyRTC

/// One audio m-section (unified plan: a transceiver per m-line, RFC 9429 §3.7, W3C
/// RTCRtpTransceiver): what we want of it, what the last negotiation settled, and what the
/// peer declared about the stream it sends there. Confined to the peer connection's queue.
///
///     created ──(mid assigned: our offer applied, or a remote offer's section)──► associated
///     associated ──negotiated──► currentDirection (sendrecv / sendonly / recvonly / inactive)
///     any ──section rejected (port 0)──► stopped (final: the m-line stays, rejected)
///
/// A transceiver comes from `addTrack` (it sends, and receives if the peer sends), from our
/// first offer when we have no track (`offerToReceiveAudio`: receive only), or from a remote
/// offer's audio section nobody else claimed (receive only: each LiveKit subscribed track).
/// The receive half (`receiver`) exists while the negotiated direction receives; a section
/// that goes inactive drops it, and one the peer reuses for another track gets a new one.
final class AudioTransceiver {
    enum Origin: Sendable {
        case addTrack
        case offerToReceive
        case remoteOffer
    }

    let origin: Origin
    /// The negotiated mid; nil until an offer with it is applied (ours) or received (theirs).
    var mid: String?
    /// The mid our pending offer proposes for a new transceiver (committed by setLocalDescription).
    var proposedMid: String?
    /// The local track we send on this section, when one is attached (`removeTrack` detaches it).
    var track: LocalAudioTrack?
    /// Our RTP stream; created with the first track and kept (same SSRC) if the track is re-added.
    var sender: AudioSender?
    /// Rejected (port 0) in a negotiation: the m-line stays, the transceiver is done.
    var stopped = false

    // MARK: Negotiated (the last applied offer/answer)

    /// From our side: sends when our section sends and theirs receives, receives likewise.
    var currentDirection: SDPDirection?
    /// The Opus payload type of the section (the offerer's number, echoed in the answer).
    var payloadType: UInt8?
    /// RFC 8285 ids both descriptions agree on (`a=extmap`), for the mid (RFC 9143) and audio
    /// level (RFC 6464) header extensions.
    var midExtensionID: UInt8?
    var audioLevelExtensionID: UInt8?
    var absCaptureTimeExtensionID: UInt8?
    /// Both sides agreed on `a=rtcp-fb:<pt> nack` (RFC 4585 §4.2): we answer the peer's NACKs
    /// and send our own.
    var nackNegotiated = false

    // MARK: What the peer declared about its stream

    var remoteSSRCs: [UInt32] = []
    var remoteStreamID: String?
    var remoteTrackID: String?

    /// The receive half while the section receives.
    var receiver: AudioReceiver?
    /// The track announced through `onRemoteAudioTrack`, until it ends.
    var announced: RemoteAudioTrack?

    init(origin: Origin, mid: String? = nil) {
        self.origin = origin
        self.mid = mid
    }

    /// What we ask for in an offer or answer: always receive; send while a track is attached.
    var desiredDirection: SDPDirection { SDPDirection(sends: track != nil, receives: true) }

    /// Whether our packets go out now (negotiated to send, and a track attached).
    var sends: Bool { !stopped && track != nil && sender != nil && currentDirection?.sends == true }

    /// Whether the peer's packets are taken now.
    var receives: Bool { !stopped && currentDirection?.receives == true }

    /// The track the peer sends on this section, as the last remote description declared it.
    var remoteTrack: RemoteAudioTrack? {
        guard let mid else { return nil }
        return RemoteAudioTrack(mid: mid, streamID: remoteStreamID, trackID: remoteTrackID, ssrc: remoteSSRCs.first)
    }

    /// `a=msid` and `a=ssrc` for our sender in a description.
    var senderDescription: SDPAudioSender? {
        guard let track, let sender else { return nil }
        return SDPAudioSender(streamID: track.streamID, trackID: track.id, ssrc: sender.ssrc, cname: sender.cname)
    }

    /// Ends the receive half; returns the track that was announced, if any.
    func stopReceiving() -> RemoteAudioTrack? {
        receiver = nil
        defer { announced = nil }
        return announced
    }
}
