// SPDX-License-Identifier: Apache-2.0

/// Where a `JitterBuffer` is in its life cycle (explicit states, as in pion's jitterbuffer).
///
/// ```
///  idle ──first packet──► buffering ──first packet due (target delay reached)──► playing
///   ▲                       ▲   ▲                                                 │
///   └──── reset() ──────────┘   └──── starvation (maxConcealment with nothing) ───┘
///          new SSRC / confirmed sequence or timestamp jump: back to buffering
/// ```
public enum JitterBufferState: String, Sendable, Hashable {
    /// No stream yet: `pull` returns silence.
    case idle
    /// Packets are collected until the oldest one has waited the target delay; `pull`
    /// returns silence meanwhile.
    case buffering
    /// One frame per `pull`: decoded, recovered by FEC, concealed, or silence in a DTX gap.
    case playing
}
