// SPDX-License-Identifier: Apache-2.0

/// SCTP Payload Protocol Identifiers of WebRTC (RFC 8831 §8, RFC 8832 §8.1).
public enum SCTPPayloadProtocolIdentifier: UInt32, Sendable {
    case dcep = 50
    case string = 51
    /// Deprecated partial PPIDs (RFC 8831 §8): delivered as whole messages of their kind.
    case binaryPartial = 52
    case binary = 53
    case stringPartial = 54
    /// An empty message is sent as one byte with these PPIDs (RFC 8831 §6.6).
    case stringEmpty = 56
    case binaryEmpty = 57
}
