// SPDX-License-Identifier: Apache-2.0

/// An ICE candidate as written in `a=candidate` (RFC 8839 §5.1) or trickled in a LiveKit
/// `TrickleRequest` (`candidate:…` inside RTCIceCandidateInit JSON):
///
/// ```
/// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///           [raddr <address>] [rport <port>] [tcptype <type>] *(<name> <value>)
/// ```
///
/// Chrome's extensions (`generation`, `ufrag`, `network-id`, `network-cost`) and RFC 6544's
/// `tcptype` get fields; other extensions are kept in order in `extensions`.
public struct ICECandidate: Sendable, Hashable, CustomStringConvertible {
    public var foundation: String
    /// 1 = RTP, 2 = RTCP (without rtcp-mux). WebRTC bundles everything on component 1.
    public var component: UInt16
    public var transport: ICETransportProtocol
    public var priority: UInt32
    /// An IP address, or a hostname (an mDNS `.local` name from a browser, RFC 8828 §5.2).
    public var address: String
    public var port: UInt16
    public var type: ICECandidateType
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// RFC 6544 §4.5: `active`, `passive` or `so` for TCP candidates (LiveKit's TCP 7881 is passive).
    public var tcpType: ICETCPType?
    public var generation: UInt32?
    public var usernameFragment: String?
    public var networkID: UInt32?
    public var networkCost: UInt32?
    /// Other `<name> <value>` pairs after the known ones, in order.
    public var extensions: [Extension]

    public struct Extension: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        foundation: String, component: UInt16 = 1, transport: ICETransportProtocol = .udp, priority: UInt32,
        address: String, port: UInt16, type: ICECandidateType, relatedAddress: String? = nil,
        relatedPort: UInt16? = nil, tcpType: ICETCPType? = nil, generation: UInt32? = nil,
        usernameFragment: String? = nil, networkID: UInt32? = nil, networkCost: UInt32? = nil,
        extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.usernameFragment = usernameFragment
        self.networkID = networkID
        self.networkCost = networkCost
        self.extensions = extensions
    }

    /// The address as an IP address; nil for hostnames (mDNS names, FQDNs).
    public var ipAddress: IPAddress? { IPAddress(address) }

    /// The transport address, when `address` is an IP address.
    public var transportAddress: TransportAddress? {
        ipAddress.map { TransportAddress(address: $0, port: port) }
    }

    /// RFC 8445 §5.1.2.1: `2^24 * type preference + 2^8 * local preference + (256 - component)`.
    public static func priority(type: ICECandidateType, localPreference: UInt16 = 65535, component: UInt16 = 1) -> UInt32 {
        (UInt32(type.recommendedTypePreference) << 24) + (UInt32(localPreference) << 8) + (256 - UInt32(min(component, 256)))
    }

    static let usage = "candidate needs \"<foundation> <component> <transport> <priority> <address> <port> typ <type>\""

    /// Parses `candidate:…`, `a=candidate:…`, or the bare value after `candidate:`.
    public init(parsing text: some StringProtocol) throws(SDPError) {
        var value = Substring(text)
        while let last = value.utf8.last, last == 0x0D || last == 0x0A { value = Substring(value.utf8.dropLast()) }
        if value.hasPrefix("a=") { value = value.dropFirst(2) }
        if value.hasPrefix("candidate:") { value = value.dropFirst("candidate:".count) }
        do {
            try self.init(sdpValue: value)
        } catch {
            throw SDPError(lineNumber: 1, line: String(text), reason: error.reason)
        }
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count >= 8 else { throw SDPValueError(ICECandidate.usage) }
        // foundation = 1*32 ice-char (RFC 8839 §5.1)
        guard fields[0].count <= 32, SDPSyntax.isICEChars(fields[0]) else {
            throw SDPValueError("candidate foundation \"\(fields[0])\" is not 1–32 ALPHA/DIGIT/+/ characters")
        }
        guard let component = SDPSyntax.decimal(fields[1], as: UInt16.self), (1...256).contains(component) else {
            throw SDPValueError("candidate component \"\(fields[1])\" is not a number 1–256")
        }
        guard SDPSyntax.isToken(fields[2]) else {
            throw SDPValueError("candidate transport \"\(fields[2])\" is not a token")
        }
        guard let priority = SDPSyntax.decimal(fields[3], as: UInt32.self) else {
            throw SDPValueError("candidate priority \"\(fields[3])\" is not a number 0–4294967295")
        }
        guard SDPSyntax.isNonWhitespace(fields[4]) else { throw SDPValueError(ICECandidate.usage) }
        guard let port = SDPSyntax.decimal(fields[5], as: UInt16.self) else {
            throw SDPValueError("candidate port \"\(fields[5])\" is not a number 0–65535")
        }
        guard fields[6] == "typ" else {
            throw SDPValueError("candidate has \"\(fields[6])\" where \"typ\" must be (RFC 8839 §5.1)")
        }
        guard let type = ICECandidateType(rawValue: String(fields[7])) else {
            throw SDPValueError("candidate type \"\(fields[7])\" is not host, srflx, prflx or relay")
        }
        self.init(
            foundation: String(fields[0]), component: component,
            transport: ICETransportProtocol(String(fields[2])), priority: priority,
            address: String(fields[4]), port: port, type: type)

        // The rest is `<name> <value>` pairs.
        let rest = fields[8...]
        guard rest.count % 2 == 0 else {
            throw SDPValueError("candidate extension \"\(rest.last!)\" has no value (extensions are \"<name> <value>\" pairs)")
        }
        var seen: Set<Substring> = []
        var index = rest.startIndex
        while index < rest.endIndex {
            let name = rest[index]
            let value = rest[index + 1]
            index += 2
            let known = ["raddr", "rport", "tcptype", "generation", "ufrag", "network-id", "network-cost"]
            if known.contains(String(name)) {
                guard seen.insert(name).inserted else { throw SDPValueError("candidate has \"\(name)\" twice") }
            }
            switch name {
            case "raddr":
                relatedAddress = String(value)
            case "rport":
                guard let port = SDPSyntax.decimal(value, as: UInt16.self) else {
                    throw SDPValueError("candidate rport \"\(value)\" is not a number 0–65535")
                }
                relatedPort = port
            case "tcptype":
                guard let tcpType = ICETCPType(rawValue: String(value)) else {
                    throw SDPValueError("candidate tcptype \"\(value)\" is not active, passive or so (RFC 6544 §4.5)")
                }
                self.tcpType = tcpType
            case "generation":
                generation = try ICECandidate.number(name, value)
            case "network-id":
                networkID = try ICECandidate.number(name, value)
            case "network-cost":
                networkCost = try ICECandidate.number(name, value)
            case "ufrag":
                usernameFragment = String(value)
            default:
                extensions.append(Extension(name: String(name), value: String(value)))
            }
        }
    }

    private static func number(_ name: Substring, _ value: Substring) throws(SDPValueError) -> UInt32 {
        guard let number = SDPSyntax.decimal(value, as: UInt32.self) else {
            throw SDPValueError("candidate \(name) \"\(value)\" is not a number")
        }
        return number
    }

    /// The attribute value (what follows `a=candidate:`).
    public var sdpValue: String {
        var text = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type.rawValue)"
        if let relatedAddress { text += " raddr \(relatedAddress)" }
        if let relatedPort { text += " rport \(relatedPort)" }
        if let tcpType { text += " tcptype \(tcpType.rawValue)" }
        if let generation { text += " generation \(generation)" }
        if let usernameFragment { text += " ufrag \(usernameFragment)" }
        if let networkID { text += " network-id \(networkID)" }
        if let networkCost { text += " network-cost \(networkCost)" }
        for item in extensions { text += " \(item.name) \(item.value)" }
        return text
    }

    /// `candidate:…`, the form RTCIceCandidateInit.candidate (and LiveKit trickle) carries.
    public var description: String { "candidate:" + sdpValue }
}

/// The candidate's transport (RFC 8839 §5.1). Written lower case; compared case-insensitively
/// (Firefox writes "UDP").
public enum ICETransportProtocol: Sendable, Hashable, CustomStringConvertible {
    case udp, tcp
    case other(String)

    public init(_ text: String) {
        switch text.lowercased() {
        case "udp": self = .udp
        case "tcp": self = .tcp
        default: self = .other(text.lowercased())
        }
    }

    public var description: String {
        switch self {
        case .udp: "udp"
        case .tcp: "tcp"
        case .other(let name): name
        }
    }
}

/// RFC 8445 §5.1.1: how the candidate's address was obtained.
public enum ICECandidateType: String, Sendable, Hashable, CaseIterable {
    case host, srflx, prflx, relay

    /// RFC 8445 §5.1.2.2's recommended type preferences.
    public var recommendedTypePreference: UInt8 {
        switch self {
        case .host: 126
        case .prflx: 110
        case .srflx: 100
        case .relay: 0
        }
    }
}

/// RFC 6544 §4.5: the TCP connection role of a TCP candidate.
public enum ICETCPType: String, Sendable, Hashable, CaseIterable {
    case active, passive, so
}
