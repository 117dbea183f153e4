// SPDX-License-Identifier: Apache-2.0

/// Something the caller must act on or may report.
public enum ICEEvent: Sendable, Hashable {
    /// A new local candidate: trickle it to the peer (RFC 8838 §4).
    case localCandidate(ICECandidate)
    /// Gathering finished: trickle end-of-candidates (RFC 8838 §4.4).
    case gatheringComplete
    case stateChanged(ICEConnectionState)
    /// The pair media must use changed (first selection, or after an ICE restart).
    case selectedPairChanged(ICESelectedPair)
    /// The tie-breaker settled a role conflict by flipping our role (RFC 8445 §7.3.1.1, §7.2.5.1).
    case roleChanged(ICERole)
}

/// One datagram to send: from the local socket bound to `from` (a candidate base) to `to`.
public struct ICETransmit: Sendable, Hashable {
    public var from: TransportAddress
    public var to: TransportAddress
    public var bytes: [UInt8]

    public init(from: TransportAddress, to: TransportAddress, bytes: [UInt8]) {
        self.from = from
        self.to = to
        self.bytes = bytes
    }
}

/// What one call produced: datagrams to send, in order, and events, in order.
public struct ICEOutput: Sendable, Hashable {
    public var transmits: [ICETransmit] = []
    public var events: [ICEEvent] = []

    public init(transmits: [ICETransmit] = [], events: [ICEEvent] = []) {
        self.transmits = transmits
        self.events = events
    }

    public static func + (lhs: ICEOutput, rhs: ICEOutput) -> ICEOutput {
        ICEOutput(transmits: lhs.transmits + rhs.transmits, events: lhs.events + rhs.events)
    }
}
