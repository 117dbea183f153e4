// SPDX-License-Identifier: Apache-2.0

/// One `a=` line (RFC 8866 §5.13), typed when ParleyRTC knows the attribute.
///
/// Session and media descriptions keep their attributes as one ordered list of these, so
/// parsing and serializing preserves the order of every line, known or not, and unknown
/// attributes survive untouched (`.other`). Typed accessors on the descriptions
/// (`mid`, `direction`, `rtpMaps`, `candidates`, …) read and write this list.
public enum SDPAttribute: Sendable, Hashable {
    // BUNDLE and stream identification
    /// `a=group` (RFC 5888, RFC 8843 BUNDLE).
    case group(SDPGroup)
    /// `a=mid` (RFC 5888 §4): the section's identification tag.
    case mid(String)
    /// `a=msid-semantic` (session level, pre-RFC 8830 form).
    case msidSemantic(SDPMsidSemantic)
    /// `a=msid` (RFC 8830).
    case msid(SDPMsid)
    /// `a=ssrc` (RFC 5576).
    case ssrc(SDPSSRC)
    /// `a=ssrc-group` (RFC 5576).
    case ssrcGroup(SDPSSRCGroup)
    /// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7).
    case direction(SDPDirection)

    // RTP
    /// `a=rtpmap` (RFC 8866 §6.6).
    case rtpmap(SDPRTPMap)
    /// `a=fmtp` (RFC 8866 §6.15).
    case fmtp(SDPFormatParameters)
    /// `a=rtcp-fb` (RFC 4585 §4.2).
    case rtcpFeedback(SDPRTCPFeedback)
    /// `a=extmap` (RFC 8285 §8).
    case extmap(SDPExtmap)
    /// `a=extmap-allow-mixed` (RFC 8285 §6): one-byte and two-byte headers may be mixed.
    case extmapAllowMixed
    /// `a=rtcp` (RFC 3605).
    case rtcp(SDPRTCPAddress)
    /// `a=rtcp-mux` (RFC 5761 §5.1.1): RTP and RTCP share one port. pion requires it.
    case rtcpMux
    /// `a=rtcp-rsize` (RFC 5506 §5): reduced-size RTCP (feedback without SR/RR) is allowed.
    case rtcpRsize

    // ICE (RFC 8839)
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    case iceUfrag(String)
    /// `a=ice-pwd` (RFC 8839 §5.4): the key of MESSAGE-INTEGRITY on checks to this peer.
    case icePwd(String)
    /// `a=ice-options` (RFC 8839 §5.6), e.g. `trickle`, `ice2`.
    case iceOptions([String])
    /// `a=ice-lite` (RFC 8839 §5.3): the peer only answers checks; we must be controlling.
    case iceLite
    /// `a=candidate` (RFC 8839 §5.1).
    case candidate(ICECandidate)
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    case endOfCandidates

    // DTLS (RFC 8842, RFC 8122)
    /// `a=fingerprint` (RFC 8122 §5).
    case fingerprint(SDPFingerprint)
    /// `a=setup` (RFC 4145 §4).
    case setup(SDPSetupRole)

    // Data channels (RFC 8841)
    /// `a=sctp-port` (RFC 8841 §5.2): the SCTP port inside DTLS (5000 by convention).
    case sctpPort(UInt16)
    /// `a=max-message-size` (RFC 8841 §6): the largest message the peer can receive; 0 = no limit.
    case maxMessageSize(UInt64)

    /// Anything else, as written: name and the text after the first ':' (nil without one).
    case other(name: String, value: String?)

    /// The attribute name as written after `a=`.
    public var name: String {
        switch self {
        case .group: "group"
        case .mid: "mid"
        case .msidSemantic: "msid-semantic"
        case .msid: "msid"
        case .ssrc: "ssrc"
        case .ssrcGroup: "ssrc-group"
        case .direction(let direction): direction.rawValue
        case .rtpmap: "rtpmap"
        case .fmtp: "fmtp"
        case .rtcpFeedback: "rtcp-fb"
        case .extmap: "extmap"
        case .extmapAllowMixed: "extmap-allow-mixed"
        case .rtcp: "rtcp"
        case .rtcpMux: "rtcp-mux"
        case .rtcpRsize: "rtcp-rsize"
        case .iceUfrag: "ice-ufrag"
        case .icePwd: "ice-pwd"
        case .iceOptions: "ice-options"
        case .iceLite: "ice-lite"
        case .candidate: "candidate"
        case .endOfCandidates: "end-of-candidates"
        case .fingerprint: "fingerprint"
        case .setup: "setup"
        case .sctpPort: "sctp-port"
        case .maxMessageSize: "max-message-size"
        case .other(let name, _): name
        }
    }

    /// The text after `a=<name>:`, or nil for a property attribute.
    public var value: String? {
        switch self {
        case .group(let group): group.sdpValue
        case .mid(let mid): mid
        case .msidSemantic(let semantic): semantic.sdpValue
        case .msid(let msid): msid.sdpValue
        case .ssrc(let ssrc): ssrc.sdpValue
        case .ssrcGroup(let group): group.sdpValue
        case .direction, .extmapAllowMixed, .rtcpMux, .rtcpRsize, .iceLite, .endOfCandidates: nil
        case .rtpmap(let map): map.sdpValue
        case .fmtp(let fmtp): fmtp.sdpValue
        case .rtcpFeedback(let feedback): feedback.sdpValue
        case .extmap(let extmap): extmap.sdpValue
        case .rtcp(let rtcp): rtcp.sdpValue
        case .iceUfrag(let ufrag): ufrag
        case .icePwd(let pwd): pwd
        case .iceOptions(let options): options.joined(separator: " ")
        case .candidate(let candidate): candidate.sdpValue
        case .fingerprint(let fingerprint): fingerprint.sdpValue
        case .setup(let role): role.rawValue
        case .sctpPort(let port): String(port)
        case .maxMessageSize(let size): String(size)
        case .other(_, let value): value
        }
    }

    /// The whole line without its line ending: `a=name` or `a=name:value`.
    public var line: String {
        guard let value else { return "a=\(name)" }
        return "a=\(name):\(value)"
    }

    /// Parses the text after `a=`.
    init(sdpText text: Substring) throws(SDPValueError) {
        let colon = text.firstIndex(ofByte: 0x3A)
        let name = colon.map { text[..<$0] } ?? text
        let value = colon.map { text[text.utf8.index(after: $0)...] }
        guard SDPSyntax.isToken(name) else {
            throw SDPValueError(name.isEmpty ? "attribute has no name" : "attribute name \"\(name)\" is not a token")
        }

        func required() throws(SDPValueError) -> Substring {
            guard let value, !value.isEmpty else { throw SDPValueError("\(name) needs a value") }
            return value
        }
        func flag(_ attribute: SDPAttribute) throws(SDPValueError) -> SDPAttribute {
            guard value == nil else { throw SDPValueError("\(name) takes no value") }
            return attribute
        }

        switch name {
        case "group": self = .group(try SDPGroup(sdpValue: try required()))
        case "mid":
            let mid = try required()
            guard SDPSyntax.isToken(mid) else { throw SDPValueError("mid \"\(mid)\" is not a token (RFC 5888 §4)") }
            self = .mid(String(mid))
        case "msid-semantic": self = .msidSemantic(try SDPMsidSemantic(sdpValue: try required()))
        case "msid": self = .msid(try SDPMsid(sdpValue: try required()))
        case "ssrc": self = .ssrc(try SDPSSRC(sdpValue: try required()))
        case "ssrc-group": self = .ssrcGroup(try SDPSSRCGroup(sdpValue: try required()))
        case "sendrecv", "sendonly", "recvonly", "inactive":
            self = try flag(.direction(SDPDirection(rawValue: String(name))!))
        case "rtpmap": self = .rtpmap(try SDPRTPMap(sdpValue: try required()))
        case "fmtp": self = .fmtp(try SDPFormatParameters(sdpValue: try required()))
        case "rtcp-fb": self = .rtcpFeedback(try SDPRTCPFeedback(sdpValue: try required()))
        case "extmap": self = .extmap(try SDPExtmap(sdpValue: try required()))
        case "extmap-allow-mixed": self = try flag(.extmapAllowMixed)
        case "rtcp": self = .rtcp(try SDPRTCPAddress(sdpValue: try required()))
        case "rtcp-mux": self = try flag(.rtcpMux)
        case "rtcp-rsize": self = try flag(.rtcpRsize)
        case "ice-ufrag", "ice-pwd":
            let credential = try required()
            guard SDPSyntax.isICEChars(credential) else {
                throw SDPValueError("\(name) \"\(credential)\" has characters other than ALPHA/DIGIT/+/ (RFC 8839 §5.4)")
            }
            self = name == "ice-ufrag" ? .iceUfrag(String(credential)) : .icePwd(String(credential))
        case "ice-options":
            let options = SDPSyntax.fields(try required())
            guard !options.isEmpty, options.allSatisfy(SDPSyntax.isToken) else {
                throw SDPValueError("ice-options needs space-separated tokens")
            }
            self = .iceOptions(options.map(String.init))
        case "ice-lite": self = try flag(.iceLite)
        case "candidate": self = .candidate(try ICECandidate(sdpValue: try required()))
        case "end-of-candidates": self = try flag(.endOfCandidates)
        case "fingerprint": self = .fingerprint(try SDPFingerprint(sdpValue: try required()))
        case "setup":
            let role = try required()
            guard let parsed = SDPSetupRole(rawValue: String(role)) else {
                throw SDPValueError("setup \"\(role)\" is not actpass, active, passive or holdconn (RFC 4145 §4)")
            }
            self = .setup(parsed)
        case "sctp-port":
            let port = try required()
            guard let number = SDPSyntax.decimal(port, as: UInt16.self) else {
                throw SDPValueError("sctp-port \"\(port)\" is not a number 0–65535")
            }
            self = .sctpPort(number)
        case "max-message-size":
            let size = try required()
            guard let number = SDPSyntax.decimal(size, as: UInt64.self) else {
                throw SDPValueError("max-message-size \"\(size)\" is not a number")
            }
            self = .maxMessageSize(number)
        default:
            self = .other(name: String(name), value: value.map(String.init))
        }
    }
}

/// Typed access to the attribute list shared by session and media descriptions. Getters
/// return the first match (or all matches); setters replace every match in place of the
/// first one (or append), so edits keep the surrounding order.
public protocol SDPAttributeList {
    var attributes: [SDPAttribute] { get set }
}

extension SDPAttributeList {
    /// Values extracted from every attribute for which `extract` returns non-nil.
    public func attributeValues<T>(_ extract: (SDPAttribute) -> T?) -> [T] {
        attributes.compactMap(extract)
    }

    /// Replaces all attributes matching `predicate` with `replacement`, at the position of
    /// the first match (or at the end if none matched).
    public mutating func replaceAttributes(where predicate: (SDPAttribute) -> Bool, with replacement: [SDPAttribute]) {
        let position = attributes.firstIndex(where: predicate) ?? attributes.endIndex
        let before = attributes[..<position].filter { !predicate($0) }
        let after = attributes[position...].filter { !predicate($0) }
        attributes = before + replacement + after
    }

    /// Whether a property attribute (`a=rtcp-mux`, …) with this name is present.
    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    /// The value of the first attribute with this name (any attribute, typed or not).
    public func attributeValue(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    private mutating func setFlag(_ attribute: SDPAttribute, _ on: Bool) {
        replaceAttributes(where: { $0 == attribute }, with: on ? [attribute] : [])
    }

    // MARK: Accessors valid at both levels

    public var iceUfrag: String? {
        get { attributeValues { if case .iceUfrag(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .iceUfrag = $0 { true } else { false } }, with: newValue.map { [.iceUfrag($0)] } ?? []) }
    }

    public var icePwd: String? {
        get { attributeValues { if case .icePwd(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .icePwd = $0 { true } else { false } }, with: newValue.map { [.icePwd($0)] } ?? []) }
    }

    public var iceOptions: [String] {
        get { attributeValues { if case .iceOptions(let v) = $0 { v } else { nil } }.flatMap { $0 } }
        set {
            replaceAttributes(
                where: { if case .iceOptions = $0 { true } else { false } },
                with: newValue.isEmpty ? [] : [.iceOptions(newValue)])
        }
    }

    public var fingerprints: [SDPFingerprint] {
        get { attributeValues { if case .fingerprint(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .fingerprint = $0 { true } else { false } }, with: newValue.map { .fingerprint($0) }) }
    }

    public var setup: SDPSetupRole? {
        get { attributeValues { if case .setup(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .setup = $0 { true } else { false } }, with: newValue.map { [.setup($0)] } ?? []) }
    }

    /// The direction attribute, nil when absent (RFC 3264 §5.1: then sendrecv).
    public var direction: SDPDirection? {
        get { attributeValues { if case .direction(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .direction = $0 { true } else { false } }, with: newValue.map { [.direction($0)] } ?? []) }
    }

    public var extmaps: [SDPExtmap] {
        get { attributeValues { if case .extmap(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .extmap = $0 { true } else { false } }, with: newValue.map { .extmap($0) }) }
    }

    public var extmapAllowMixed: Bool {
        get { attributes.contains(.extmapAllowMixed) }
        set { setFlag(.extmapAllowMixed, newValue) }
    }

    public var iceLite: Bool {
        get { attributes.contains(.iceLite) }
        set { setFlag(.iceLite, newValue) }
    }

    public var candidates: [ICECandidate] {
        get { attributeValues { if case .candidate(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .candidate = $0 { true } else { false } }, with: newValue.map { .candidate($0) }) }
    }

    public var endOfCandidates: Bool {
        get { attributes.contains(.endOfCandidates) }
        set { setFlag(.endOfCandidates, newValue) }
    }

    /// Attributes ParleyRTC has no type for, in order.
    public var otherAttributes: [(name: String, value: String?)] {
        attributes.compactMap { if case .other(let name, let value) = $0 { (name, value) } else { nil } }
    }
}
