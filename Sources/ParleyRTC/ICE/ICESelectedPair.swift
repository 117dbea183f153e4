// SPDX-License-Identifier: Apache-2.0

/// The pair media flows on (RFC 8445 §8.1.1, W3C RTCIceCandidatePair): send from
/// `localBase` to `remote`. Reported in `.selectedPairChanged`.
public struct ICESelectedPair: Sendable, Hashable, CustomStringConvertible {
    public var local: ICELocalCandidate
    public var remote: ICERemoteCandidate

    public var localBase: TransportAddress { local.base }
    public var remoteAddress: TransportAddress { remote.address }

    public var description: String { "\(local) ↔ \(remote)" }
}
