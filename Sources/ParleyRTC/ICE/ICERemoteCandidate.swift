// SPDX-License-Identifier: Apache-2.0

/// A candidate of the peer's: trickled or from SDP (RFC 8839 §5.1), or peer-reflexive,
/// learned from the source address of a check it sent us (RFC 8445 §7.3.1.3).
public struct ICERemoteCandidate: Sendable, Hashable, CustomStringConvertible {
    public var candidate: ICECandidate
    public var address: TransportAddress

    public var type: ICECandidateType { candidate.type }
    public var priority: UInt32 { candidate.priority }
    public var foundation: String { candidate.foundation }

    public init(candidate: ICECandidate, address: TransportAddress) {
        self.candidate = candidate
        self.address = address
    }

    public var description: String { "\(type.rawValue) \(address)" }
}
