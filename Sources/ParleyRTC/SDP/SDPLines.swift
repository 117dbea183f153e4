// SPDX-License-Identifier: Apache-2.0

// The non-attribute lines of a session description (RFC 8866 §5).

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2). JSEP (RFC 8829 §5.2.1) fixes username "-", a random 62-bit session id,
/// and a version that grows by one with every new local description.
public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    /// Decimal digits; kept as text because some peers send more than 64 bits.
    public var sessionID: String
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var unicastAddress: String

    public init(
        username: String = "-", sessionID: String, sessionVersion: UInt64, networkType: String = "IN",
        addressType: String = "IP4", unicastAddress: String = "0.0.0.0"
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.unicastAddress = unicastAddress
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 6 else {
            throw SDPValueError(
                "origin needs \"<username> <sess-id> <sess-version> <nettype> <addrtype> <address>\" (6 fields, found \(fields.count))")
        }
        guard fields[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw SDPValueError("origin session id \"\(fields[1])\" is not a number")
        }
        guard let version = SDPSyntax.decimal(fields[2], as: UInt64.self) else {
            throw SDPValueError("origin session version \"\(fields[2])\" is not a number that fits 64 bits")
        }
        username = String(fields[0])
        sessionID = String(fields[1])
        sessionVersion = version
        networkType = String(fields[3])
        addressType = String(fields[4])
        unicastAddress = String(fields[5])
    }

    var sdpValue: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(unicastAddress)"
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). WebRTC puts the
/// placeholder `IN IP4 0.0.0.0` here (RFC 8829 §5.2.1); ICE candidates carry the real addresses.
public struct SDPConnection: Sendable, Hashable {
    public var networkType: String
    public var addressType: String
    /// The address, with `/ttl` or `/count` suffixes as written (multicast only).
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 3 else {
            throw SDPValueError("connection needs \"<nettype> <addrtype> <address>\" (3 fields, found \(fields.count))")
        }
        networkType = String(fields[0])
        addressType = String(fields[1])
        address = String(fields[2])
    }

    var sdpValue: String { "\(networkType) \(addressType) \(address)" }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `b=AS:64` (kbit/s) or `b=TIAS:64000` (bit/s).
public struct SDPBandwidth: Sendable, Hashable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        guard let colon = value.firstIndex(ofByte: 0x3A), SDPSyntax.isToken(value[..<colon]),
            let number = SDPSyntax.decimal(value[value.utf8.index(after: colon)...], as: UInt64.self)
        else {
            throw SDPValueError("bandwidth needs \"<type>:<number>\"")
        }
        type = String(value[..<colon])
        self.value = number
    }

    var sdpValue: String { "\(type):\(value)" }
}

/// `t=<start> <stop>` plus its `r=` repeat lines (RFC 8866 §5.9–5.10). WebRTC always sends
/// `t=0 0` (an unbounded session).
public struct SDPTiming: Sendable, Hashable {
    public var start: UInt64
    public var stop: UInt64
    /// `r=` lines as written; nothing in WebRTC uses them.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 2, let start = SDPSyntax.decimal(fields[0], as: UInt64.self),
            let stop = SDPSyntax.decimal(fields[1], as: UInt64.self)
        else {
            throw SDPValueError("timing needs \"<start> <stop>\" as two numbers")
        }
        self.start = start
        self.stop = stop
        repeats = []
    }

    var sdpValue: String { "\(start) \(stop)" }
}

/// The media type of an `m=` line (RFC 8866 §5.14): `audio`, `video`, `application`, or any
/// other token (kept so an answer can reject it by name).
public struct SDPMediaKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let audio = SDPMediaKind(rawValue: "audio")
    public static let video = SDPMediaKind(rawValue: "video")
    public static let application = SDPMediaKind(rawValue: "application")

    public var description: String { rawValue }
}
