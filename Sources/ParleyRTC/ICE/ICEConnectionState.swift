// SPDX-License-Identifier: Apache-2.0

/// The agent's connection state, pion/W3C style (RTCIceConnectionState):
///
///     new ──remote credentials + a pair──► checking ──pair nominated──► connected ──checklist done──► completed
///                                             │                           │   ▲
///                                             │           no inbound for  │   │ traffic again
///                                             │         disconnectedTimeout▼   │
///                                             │                        disconnected
///                                             ▼                           │ consent expired (RFC 7675, 30 s)
///                                           failed ◄──────────────────────┘
///     any ──close()──► closed
///
/// - `checking`: checks run and nothing is selected yet.
/// - `connected`: a nominated pair is selected; media may flow; checks may still run.
/// - `completed`: selected, and no pair is left frozen, waiting or in progress.
/// - `disconnected`: the selected pair has received nothing for `disconnectedTimeout`;
///   consent (RFC 7675) has not expired yet, so media may resume.
/// - `failed`: every pair failed (after end-of-candidates or `checkingTimeout`), or consent
///   expired. Recover with an ICE restart (RFC 8445 §9).
/// - `closed`: `close()` was called; final.
public enum ICEConnectionState: String, Sendable, Hashable {
    case new
    case checking
    case connected
    case completed
    case disconnected
    case failed
    case closed

    /// Whether media may be sent (a pair is selected and consent has not expired).
    public var hasSelectedPair: Bool { self == .connected || self == .completed || self == .disconnected }
}
