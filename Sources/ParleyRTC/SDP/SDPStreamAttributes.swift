// SPDX-License-Identifier: Apache-2.0

// Attributes that name media streams, tracks and synchronization sources, and group sections.

/// Media direction (RFC 8866 §6.7, RFC 3264 §5.1). In an answer it is the offer's direction
/// seen from the other side, narrowed by what the answerer wants (RFC 8829 §5.3.1).
public enum SDPDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction as the peer sees it: sendonly ↔ recvonly.
    public var reversed: SDPDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }
}

/// `a=group:<semantics> <mid> ...` (RFC 5888 §5), e.g. `BUNDLE 0 1` (RFC 8843 §7): the
/// listed sections share one transport.
public struct SDPGroup: Sendable, Hashable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public static func bundle(_ mids: [String]) -> SDPGroup { SDPGroup(semantics: "BUNDLE", mids: mids) }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard let first = fields.first, SDPSyntax.isToken(first) else {
            throw SDPValueError("group needs \"<semantics> <mid> ...\"")
        }
        for mid in fields.dropFirst() where !SDPSyntax.isToken(mid) {
            throw SDPValueError("group mid \"\(mid)\" is not a token")
        }
        semantics = String(first)
        mids = fields.dropFirst().map(String.init)
    }

    var sdpValue: String { ([semantics] + mids).joined(separator: " ") }
}

/// `a=msid-semantic: <semantic> <id> ...` (the pre-RFC 8830 session attribute Chrome, pion
/// and LiveKit still send, usually `WMS *`).
public struct SDPMsidSemantic: Sendable, Hashable {
    public var semantic: String
    public var identifiers: [String]

    public init(semantic: String = "WMS", identifiers: [String] = ["*"]) {
        self.semantic = semantic
        self.identifiers = identifiers
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard let first = fields.first else { throw SDPValueError("msid-semantic needs \"<semantic> [<id> ...]\"") }
        semantic = String(first)
        identifiers = fields.dropFirst().map(String.init)
    }

    /// With the space after the colon, as Chrome and pion write it.
    var sdpValue: String { " " + ([semantic] + identifiers).joined(separator: " ") }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2). LiveKit packs the stream id as
/// `<participant SID>|<track SID>` and matches published tracks by the track id.
public struct SDPMsid: Sendable, Hashable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 1 || fields.count == 2, fields.allSatisfy(SDPSyntax.isNonWhitespace) else {
            throw SDPValueError("msid needs \"<stream id> [<track id>]\"")
        }
        streamID = String(fields[0])
        trackID = fields.count == 2 ? String(fields[1]) : nil
    }

    var sdpValue: String { trackID.map { "\(streamID) \($0)" } ?? streamID }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `cname:…` (RFC 5576 §6.1).
/// pion uses these to fire OnTrack before the first packet arrives.
public struct SDPSSRC: Sendable, Hashable {
    public var ssrc: UInt32
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    public static func cname(_ ssrc: UInt32, _ cname: String) -> SDPSSRC {
        SDPSSRC(ssrc: ssrc, attribute: "cname", value: cname)
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        guard let space = value.firstIndex(ofByte: 0x20),
            let ssrc = SDPSyntax.decimal(value[..<space], as: UInt32.self)
        else {
            throw SDPValueError("ssrc needs \"<ssrc> <attribute>[:<value>]\" with a 32-bit ssrc")
        }
        let rest = value[value.utf8.index(after: space)...]
        let name = rest.firstIndex(ofByte: 0x3A).map { rest[..<$0] } ?? rest
        guard SDPSyntax.isToken(name) else { throw SDPValueError("ssrc attribute name \"\(name)\" is not a token") }
        self.ssrc = ssrc
        attribute = String(name)
        self.value = rest.firstIndex(ofByte: 0x3A).map { String(rest[rest.utf8.index(after: $0)...]) }
    }

    var sdpValue: String {
        var text = "\(ssrc) \(attribute)"
        if let value { text += ":\(value)" }
        return text
    }
}

/// `a=ssrc-group:<semantics> <ssrc> ...` (RFC 5576 §4.2), e.g. `FID` pairing a video SSRC
/// with its RTX SSRC.
public struct SDPSSRCGroup: Sendable, Hashable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count >= 2, SDPSyntax.isToken(fields[0]) else {
            throw SDPValueError("ssrc-group needs \"<semantics> <ssrc> ...\"")
        }
        var ssrcs: [UInt32] = []
        for field in fields.dropFirst() {
            guard let ssrc = SDPSyntax.decimal(field, as: UInt32.self) else {
                throw SDPValueError("ssrc-group ssrc \"\(field)\" is not a 32-bit number")
            }
            ssrcs.append(ssrc)
        }
        semantics = String(fields[0])
        self.ssrcs = ssrcs
    }

    var sdpValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}
