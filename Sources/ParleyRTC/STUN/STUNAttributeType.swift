// SPDX-License-Identifier: Apache-2.0

/// A STUN attribute type (RFC 8489 §14, §18.3 registry).
///
/// Types 0x0000–0x7FFF are comprehension-required: a server that does not understand one in
/// a request must answer 420 Unknown Attribute (§7.3.1). Types 0x8000–0xFFFF are
/// comprehension-optional and may be ignored.
public struct STUNAttributeType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public var isComprehensionRequired: Bool { rawValue < 0x8000 }

    // RFC 8489 §18.3.1 (comprehension-required).
    public static let mappedAddress = STUNAttributeType(rawValue: 0x0001)
    public static let username = STUNAttributeType(rawValue: 0x0006)
    public static let messageIntegrity = STUNAttributeType(rawValue: 0x0008)
    public static let errorCode = STUNAttributeType(rawValue: 0x0009)
    public static let unknownAttributes = STUNAttributeType(rawValue: 0x000A)
    public static let realm = STUNAttributeType(rawValue: 0x0014)
    public static let nonce = STUNAttributeType(rawValue: 0x0015)
    public static let messageIntegritySHA256 = STUNAttributeType(rawValue: 0x001C)
    public static let passwordAlgorithm = STUNAttributeType(rawValue: 0x001D)
    public static let userhash = STUNAttributeType(rawValue: 0x001E)
    public static let xorMappedAddress = STUNAttributeType(rawValue: 0x0020)
    // RFC 8445 §16.1 (ICE).
    public static let priority = STUNAttributeType(rawValue: 0x0024)
    public static let useCandidate = STUNAttributeType(rawValue: 0x0025)
    // RFC 8656 §18 (TURN), decoded as `.other` until the relay work.
    public static let channelNumber = STUNAttributeType(rawValue: 0x000C)
    public static let lifetime = STUNAttributeType(rawValue: 0x000D)
    public static let xorPeerAddress = STUNAttributeType(rawValue: 0x0012)
    public static let data = STUNAttributeType(rawValue: 0x0013)
    public static let xorRelayedAddress = STUNAttributeType(rawValue: 0x0016)
    public static let requestedTransport = STUNAttributeType(rawValue: 0x0019)
    // RFC 8489 §18.3.2 (comprehension-optional).
    public static let passwordAlgorithms = STUNAttributeType(rawValue: 0x8002)
    public static let alternateDomain = STUNAttributeType(rawValue: 0x8003)
    public static let software = STUNAttributeType(rawValue: 0x8022)
    public static let alternateServer = STUNAttributeType(rawValue: 0x8023)
    public static let fingerprint = STUNAttributeType(rawValue: 0x8028)
    // RFC 8445 §16.1 (ICE).
    public static let iceControlled = STUNAttributeType(rawValue: 0x8029)
    public static let iceControlling = STUNAttributeType(rawValue: 0x802A)

    public var description: String {
        switch self {
        case .mappedAddress: "MAPPED-ADDRESS"
        case .username: "USERNAME"
        case .messageIntegrity: "MESSAGE-INTEGRITY"
        case .errorCode: "ERROR-CODE"
        case .unknownAttributes: "UNKNOWN-ATTRIBUTES"
        case .realm: "REALM"
        case .nonce: "NONCE"
        case .messageIntegritySHA256: "MESSAGE-INTEGRITY-SHA256"
        case .passwordAlgorithm: "PASSWORD-ALGORITHM"
        case .userhash: "USERHASH"
        case .xorMappedAddress: "XOR-MAPPED-ADDRESS"
        case .priority: "PRIORITY"
        case .useCandidate: "USE-CANDIDATE"
        case .channelNumber: "CHANNEL-NUMBER"
        case .lifetime: "LIFETIME"
        case .xorPeerAddress: "XOR-PEER-ADDRESS"
        case .data: "DATA"
        case .xorRelayedAddress: "XOR-RELAYED-ADDRESS"
        case .requestedTransport: "REQUESTED-TRANSPORT"
        case .passwordAlgorithms: "PASSWORD-ALGORITHMS"
        case .alternateDomain: "ALTERNATE-DOMAIN"
        case .software: "SOFTWARE"
        case .alternateServer: "ALTERNATE-SERVER"
        case .fingerprint: "FINGERPRINT"
        case .iceControlled: "ICE-CONTROLLED"
        case .iceControlling: "ICE-CONTROLLING"
        default: "attribute 0x" + String(rawValue, radix: 16, uppercase: false)
        }
    }
}
