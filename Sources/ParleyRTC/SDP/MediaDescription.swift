// SPDX-License-Identifier: Apache-2.0

/// One media section: the `m=` line and the lines up to the next `m=` (RFC 8866 §5.14).
///
/// With unified plan (RFC 8829) each section is one transceiver; with BUNDLE (RFC 8843) all
/// sections share the transport described by the first bundled section.
public struct MediaDescription: SDPAttributeList, Sendable, Hashable {
    public var kind: SDPMediaKind
    /// 0 rejects the section (RFC 3264 §6; RFC 8843 §7.3.3 for bundled sections); 9 is the
    /// JSEP placeholder (RFC 8829 §5.2.1).
    public var port: UInt16
    /// The `/<number of ports>` suffix, rarely used.
    public var portCount: UInt16?
    /// `UDP/TLS/RTP/SAVPF` for media, `UDP/DTLS/SCTP` for data channels (RFC 8841 §4.1).
    public var proto: String
    /// Payload type numbers for RTP sections; `webrtc-datachannel` for the data section.
    public var formats: [String]
    public var information: String?
    public var connections: [SDPConnection]
    public var bandwidths: [SDPBandwidth]
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]

    public init(
        kind: SDPMediaKind, port: UInt16 = 9, portCount: UInt16? = nil, proto: String, formats: [String],
        information: String? = nil, connections: [SDPConnection] = [], bandwidths: [SDPBandwidth] = [],
        encryptionKey: String? = nil, attributes: [SDPAttribute] = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// A rejected section (port 0).
    public var isRejected: Bool { port == 0 }

    /// Whether the protocol carries RTP, so formats are payload type numbers (RFC 8866 §5.14).
    public var isRTP: Bool { proto.uppercased().contains("RTP/") }

    /// RFC 3264 §5.1: no direction attribute means sendrecv.
    public var effectiveDirection: SDPDirection { direction ?? .sendrecv }

    /// The formats as payload types (non-numbers skipped).
    public var payloadTypes: [UInt8] { formats.compactMap { UInt8($0) } }

    // MARK: Section accessors

    public var mid: String? {
        get { attributeValues { if case .mid(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .mid = $0 { true } else { false } }, with: newValue.map { [.mid($0)] } ?? []) }
    }

    public var msids: [SDPMsid] {
        get { attributeValues { if case .msid(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .msid = $0 { true } else { false } }, with: newValue.map { .msid($0) }) }
    }

    public var ssrcs: [SDPSSRC] {
        get { attributeValues { if case .ssrc(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .ssrc = $0 { true } else { false } }, with: newValue.map { .ssrc($0) }) }
    }

    public var ssrcGroups: [SDPSSRCGroup] {
        get { attributeValues { if case .ssrcGroup(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .ssrcGroup = $0 { true } else { false } }, with: newValue.map { .ssrcGroup($0) }) }
    }

    /// Distinct SSRCs declared with `a=ssrc`, in order of first appearance.
    public var ssrcIDs: [UInt32] {
        var seen: Set<UInt32> = []
        return ssrcs.compactMap { seen.insert($0.ssrc).inserted ? $0.ssrc : nil }
    }

    /// The `cname` of an SSRC (RFC 5576 §6.1).
    public func cname(ssrc: UInt32) -> String? {
        ssrcs.first { $0.ssrc == ssrc && $0.attribute == "cname" }?.value
    }

    public var rtpMaps: [SDPRTPMap] {
        get { attributeValues { if case .rtpmap(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .rtpmap = $0 { true } else { false } }, with: newValue.map { .rtpmap($0) }) }
    }

    public var formatParameters: [SDPFormatParameters] {
        get { attributeValues { if case .fmtp(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .fmtp = $0 { true } else { false } }, with: newValue.map { .fmtp($0) }) }
    }

    public var rtcpFeedback: [SDPRTCPFeedback] {
        get { attributeValues { if case .rtcpFeedback(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .rtcpFeedback = $0 { true } else { false } }, with: newValue.map { .rtcpFeedback($0) }) }
    }

    public var rtcpMux: Bool {
        get { attributes.contains(.rtcpMux) }
        set { replaceAttributes(where: { $0 == .rtcpMux }, with: newValue ? [.rtcpMux] : []) }
    }

    public var rtcpRsize: Bool {
        get { attributes.contains(.rtcpRsize) }
        set { replaceAttributes(where: { $0 == .rtcpRsize }, with: newValue ? [.rtcpRsize] : []) }
    }

    public var sctpPort: UInt16? {
        get { attributeValues { if case .sctpPort(let v) = $0 { v } else { nil } }.first }
        set { replaceAttributes(where: { if case .sctpPort = $0 { true } else { false } }, with: newValue.map { [.sctpPort($0)] } ?? []) }
    }

    public var maxMessageSize: UInt64? {
        get { attributeValues { if case .maxMessageSize(let v) = $0 { v } else { nil } }.first }
        set {
            replaceAttributes(
                where: { if case .maxMessageSize = $0 { true } else { false } }, with: newValue.map { [.maxMessageSize($0)] } ?? [])
        }
    }

    /// Everything the section says about one payload type.
    public struct Codec: Sendable, Hashable {
        public var payloadType: UInt8
        public var rtpMap: SDPRTPMap?
        public var formatParameters: SDPFormatParameters?
        /// Feedback for this payload type, including `*` entries.
        public var feedback: [SDPRTCPFeedback]
    }

    /// The section's payload types in `m=` order with their rtpmap, fmtp and rtcp-fb lines.
    public var codecs: [Codec] {
        let maps = rtpMaps
        let parameters = formatParameters
        let feedback = rtcpFeedback
        return payloadTypes.map { pt in
            Codec(
                payloadType: pt,
                rtpMap: maps.first { $0.payloadType == pt },
                formatParameters: parameters.first { $0.format == String(pt) },
                feedback: feedback.filter { $0.payloadType == "*" || $0.payloadType == String(pt) })
        }
    }

    /// The first codec with this encoding name (case-insensitive) and clock rate.
    public func codec(named name: String, clockRate: UInt32? = nil) -> Codec? {
        codecs.first { codec in
            guard let map = codec.rtpMap else { return false }
            return map.encodingName.lowercased() == name.lowercased() && (clockRate == nil || map.clockRate == clockRate)
        }
    }

    /// The `m=` line value (after `m=`).
    var mediaLineValue: String {
        var text = kind.rawValue + " " + String(port)
        if let portCount { text += "/\(portCount)" }
        text += " " + proto
        for format in formats { text += " " + format }
        return text
    }

    /// Parses the value of an `m=` line: `<media> <port>[/<count>] <proto> <fmt> ...`.
    init(mediaLine value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count >= 4 else {
            throw SDPValueError("media needs \"<media> <port> <proto> <format> ...\" (found \(fields.count) fields)")
        }
        guard SDPSyntax.isToken(fields[0]) else { throw SDPValueError("media type \"\(fields[0])\" is not a token") }
        let portParts = fields[1].split(byte: 0x2F, omittingEmpty: false)
        guard portParts.count <= 2, let port = SDPSyntax.decimal(portParts[0], as: UInt16.self) else {
            throw SDPValueError("media port \"\(fields[1])\" is not a number 0–65535")
        }
        var portCount: UInt16? = nil
        if portParts.count == 2 {
            guard let count = SDPSyntax.decimal(portParts[1], as: UInt16.self) else {
                throw SDPValueError("media port count \"\(portParts[1])\" is not a number")
            }
            portCount = count
        }
        self.init(
            kind: SDPMediaKind(rawValue: String(fields[0])), port: port, portCount: portCount, proto: String(fields[2]),
            formats: fields[3...].map(String.init))
        if isRTP {
            for format in fields[3...] where SDPSyntax.decimal(format, as: UInt8.self).map({ $0 <= 127 }) != true {
                throw SDPValueError("payload type \"\(format)\" is not a number 0–127 (RTP formats are payload types)")
            }
        }
    }
}
