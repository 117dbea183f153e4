// SPDX-License-Identifier: Apache-2.0

/// A STUN method: the 12-bit operation a message is about (RFC 8489 §5, §18.2).
public struct STUNMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16

    /// Values above 0x0FFF do not fit the 12 method bits of the message type.
    public init?(rawValue: UInt16) {
        guard rawValue <= 0x0FFF else { return nil }
        self.rawValue = rawValue
    }

    init(unchecked rawValue: UInt16) {
        self.rawValue = rawValue & 0x0FFF
    }

    /// Binding: the only method ICE uses (RFC 8489 §18.2; RFC 8445 §7).
    public static let binding = STUNMethod(unchecked: 0x001)
    // TURN methods (RFC 8656 §17), for the relay work later.
    public static let allocate = STUNMethod(unchecked: 0x003)
    public static let refresh = STUNMethod(unchecked: 0x004)
    public static let send = STUNMethod(unchecked: 0x006)
    public static let data = STUNMethod(unchecked: 0x007)
    public static let createPermission = STUNMethod(unchecked: 0x008)
    public static let channelBind = STUNMethod(unchecked: 0x009)

    public var description: String {
        switch self {
        case .binding: "Binding"
        case .allocate: "Allocate"
        case .refresh: "Refresh"
        case .send: "Send"
        case .data: "Data"
        case .createPermission: "CreatePermission"
        case .channelBind: "ChannelBind"
        default: "method 0x\(String(rawValue, radix: 16))"
        }
    }
}

/// The class of a STUN message (RFC 8489 §5): the two C bits of the message type.
public enum STUNClass: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11

    public var description: String {
        switch self {
        case .request: "request"
        case .indication: "indication"
        case .successResponse: "success response"
        case .errorResponse: "error response"
        }
    }
}

/// The 14-bit message type field: a method and a class, with the class bits C1/C0 interleaved
/// between the method bits at positions 8 and 4 (RFC 8489 §5, figure 3):
///
/// ```
///  0                 1
///  2  3  4 5 6 7 8 9 0 1 2 3 4 5
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
/// |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct STUNMessageType: Sendable, Hashable, CustomStringConvertible {
    public var method: STUNMethod
    public var messageClass: STUNClass

    public init(method: STUNMethod, class messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    public static let bindingRequest = STUNMessageType(method: .binding, class: .request)
    public static let bindingSuccess = STUNMessageType(method: .binding, class: .successResponse)
    public static let bindingError = STUNMessageType(method: .binding, class: .errorResponse)
    public static let bindingIndication = STUNMessageType(method: .binding, class: .indication)

    /// Decodes the 16-bit field; the two most significant bits must be zero (checked by the
    /// message decoder, which reports them as not-STUN).
    public init(rawValue: UInt16) {
        let m = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        let c = ((rawValue >> 4) & 0x1) | ((rawValue >> 7) & 0x2)
        method = STUNMethod(unchecked: m)
        messageClass = STUNClass(rawValue: UInt8(c))!  // two bits: always a case
    }

    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((c & 0x1) << 4) | ((m & 0x0070) << 1) | ((c & 0x2) << 7) | ((m & 0x0F80) << 2)
    }

    public var description: String { "\(method) \(messageClass)" }
}
