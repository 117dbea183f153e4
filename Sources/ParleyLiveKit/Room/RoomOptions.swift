// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyRTC

/// How a `Room` connects. The defaults suit an agent on a server host.
public struct RoomOptions: Sendable {
    /// Subscribe to every track automatically (`auto_subscribe`, §4 "Subscription").
    public var autoSubscribe = true
    /// Publish one microphone audio track as part of joining, so the first publisher offer
    /// already carries it (saves a renegotiation round trip). Nil publishes nothing at join.
    public var audioTrackName: String? = nil
    /// Host addresses to gather candidates on; nil means every interface. A same-host test rig
    /// passes 127.0.0.1 (§5 "Loopback-only clients").
    public var hostAddresses: [IPAddress]? = nil
    /// Also gather loopback when `hostAddresses` is nil.
    public var includeLoopback = false
    /// Time allowed for the WebSocket upgrade and the JoinResponse.
    public var signalTimeout: Duration = .seconds(10)
    /// Time allowed from JoinResponse until the primary (subscriber) connection is up.
    public var connectTimeout: Duration = .seconds(20)
    /// Overrides the server's `ping_interval`/`ping_timeout` (tests; nil uses the server's).
    public var pingInterval: Duration? = nil
    public var pingTimeout: Duration? = nil
    /// How long to keep trying to resume after the signal connection drops, before a full
    /// re-join is attempted; and how long re-joining may take in all.
    public var resumeWindow: Duration = .seconds(15)
    public var rejoinWindow: Duration = .seconds(30)
    /// Track publication answer deadline (the Rust SDK's TRACK_PUBLISH_TIMEOUT).
    public var trackPublishTimeout: Duration = .seconds(10)
    /// Largest incoming data stream kept in memory; bigger ones are dropped with a warning.
    public var maxIncomingStreamBytes = 16 << 20
    /// Opus encoder settings of the published audio track (`PeerConnectionConfiguration.opus`).
    /// The default is the voice setting, whose complexity keeps one session's media path
    /// within 0.5 % of a core (see `OpusEncoderSettings.voiceComplexity`).
    public var opus = OpusEncoderSettings()

    public init() {}
}
