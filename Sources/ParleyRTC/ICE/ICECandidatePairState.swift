// SPDX-License-Identifier: Apache-2.0

/// A candidate pair's checklist state (RFC 8445 §6.1.2.6):
///
///     frozen ──unfreeze──► waiting ──check sent──► inProgress ──success──► succeeded
///                             ▲                        │
///                             └──487 / triggered───────┴──timeout or error──► failed
///
/// A triggered check (RFC 8445 §7.3.1.4) can move a `failed` pair back to `waiting`.
public enum ICECandidatePairState: String, Sendable, Hashable {
    case frozen
    case waiting
    case inProgress
    case succeeded
    case failed
}
