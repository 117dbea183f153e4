// SPDX-License-Identifier: Apache-2.0

// Attributes that describe the RTP payload formats of a media section.

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
/// (RFC 8866 §6.6). For audio the encoding parameters are the channel count: Opus is always
/// `opus/48000/2` (RFC 7587 §7), whatever the actual channel count.
public struct SDPRTPMap: Sendable, Hashable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var encodingParameters: UInt32?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, encodingParameters: UInt32? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.encodingParameters = encodingParameters
    }

    static let usage = "rtpmap needs \"<pt> <encoding>/<clock rate>\""

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 2 else { throw SDPValueError(SDPRTPMap.usage) }
        guard let pt = SDPSyntax.decimal(fields[0], as: UInt8.self), pt <= 127 else {
            throw SDPValueError("rtpmap payload type \"\(fields[0])\" is not a number 0–127")
        }
        let parts = fields[1].split(byte: 0x2F, omittingEmpty: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty else { throw SDPValueError(SDPRTPMap.usage) }
        guard let rate = SDPSyntax.decimal(parts[1], as: UInt32.self), rate > 0 else {
            throw SDPValueError("rtpmap clock rate \"\(parts[1])\" is not a positive number")
        }
        var parameters: UInt32? = nil
        if parts.count == 3 {
            guard let value = SDPSyntax.decimal(parts[2], as: UInt32.self) else {
                throw SDPValueError("rtpmap encoding parameters \"\(parts[2])\" are not a number")
            }
            parameters = value
        }
        payloadType = pt
        encodingName = String(parts[0])
        clockRate = rate
        encodingParameters = parameters
    }

    var sdpValue: String {
        var text = "\(payloadType) \(encodingName)/\(clockRate)"
        if let encodingParameters { text += "/\(encodingParameters)" }
        return text
    }
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15). The parameters are kept
/// exactly as written (their syntax belongs to each codec); `parameters` splits the common
/// `key=value;key=value` form, e.g. Opus's `minptime=10;useinbandfec=1` (RFC 7587 §7).
public struct SDPFormatParameters: Sendable, Hashable {
    /// The payload type (or, for non-RTP media, the format name).
    public var format: String
    public var value: String

    public init(format: String, value: String) {
        self.format = format
        self.value = value
    }

    public init(payloadType: UInt8, value: String) {
        self.init(format: String(payloadType), value: value)
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        guard let space = value.firstIndex(ofByte: 0x20), SDPSyntax.isToken(value[..<space]) else {
            throw SDPValueError("fmtp needs \"<format> <parameters>\"")
        }
        let parameters = value[value.utf8.index(after: space)...].droppingLeadingSpaces()
        guard !parameters.isEmpty else { throw SDPValueError("fmtp needs \"<format> <parameters>\"") }
        format = String(value[..<space])
        self.value = String(parameters)
    }

    var sdpValue: String { "\(format) \(value)" }

    /// `key=value` pairs separated by `;` (spaces around them ignored), in order. A bare key
    /// has an empty value.
    public var parameters: [(key: String, value: String)] {
        Substring(value).split(byte: 0x3B, omittingEmpty: true).compactMap { item in
            let trimmed = item.droppingLeadingSpaces()
            guard !trimmed.isEmpty else { return nil }
            if let eq = trimmed.firstIndex(ofByte: 0x3D) {
                return (String(trimmed[..<eq]), String(trimmed[trimmed.utf8.index(after: eq)...]))
            }
            return (String(trimmed), "")
        }
    }

    /// The value of one parameter (keys compare case-insensitively, RFC 7587 §7 uses lower case).
    public func parameter(_ key: String) -> String? {
        parameters.first { $0.key.lowercased() == key.lowercased() }?.value
    }
}

/// `a=rtcp-fb:<pt or *> <type> [<parameter>]` (RFC 4585 §4.2), e.g. `nack`, `nack pli`,
/// `ccm fir` (RFC 5104 §7.1), `transport-cc`, `goog-remb`.
public struct SDPRTCPFeedback: Sendable, Hashable {
    /// A payload type number, or "*" for every format of the section.
    public var payloadType: String
    public var type: String
    public var parameter: String?

    public init(payloadType: String, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init(payloadType: UInt8, type: String, parameter: String? = nil) {
        self.init(payloadType: String(payloadType), type: type, parameter: parameter)
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count >= 2 else { throw SDPValueError("rtcp-fb needs \"<pt> <type> [<parameter>]\"") }
        guard fields[0] == "*" || SDPSyntax.decimal(fields[0], as: UInt8.self).map({ $0 <= 127 }) == true else {
            throw SDPValueError("rtcp-fb payload type \"\(fields[0])\" is not a number 0–127 or \"*\"")
        }
        payloadType = String(fields[0])
        type = String(fields[1])
        parameter = fields.count > 2 ? fields[2...].joined(separator: " ") : nil
    }

    var sdpValue: String {
        var text = "\(payloadType) \(type)"
        if let parameter { text += " \(parameter)" }
        return text
    }
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8): binds an RTP header
/// extension URI to the id used in packets. Ids 1–14 fit the one-byte header form, 1–255 the
/// two-byte form (15 only there, §4.2); 4096–4351 may appear in offers for the answerer to
/// remap (§7).
public struct SDPExtmap: Sendable, Hashable {
    public var id: UInt16
    public var direction: SDPDirection?
    public var uri: String
    public var attributes: String?

    public init(id: UInt16, direction: SDPDirection? = nil, uri: String, attributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.attributes = attributes
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count >= 2 else { throw SDPValueError("extmap needs \"<id>[/<direction>] <uri>\"") }
        let idParts = fields[0].split(byte: 0x2F, omittingEmpty: false)
        guard idParts.count <= 2, let id = SDPSyntax.decimal(idParts[0], as: UInt16.self),
            (1...255).contains(id) || (4096...4351).contains(id)
        else {
            throw SDPValueError("extmap id \"\(fields[0])\" is not 1–255 or 4096–4351 (RFC 8285 §5, §7)")
        }
        var direction: SDPDirection? = nil
        if idParts.count == 2 {
            guard let parsed = SDPDirection(rawValue: String(idParts[1])) else {
                throw SDPValueError("extmap direction \"\(idParts[1])\" is not sendrecv, sendonly, recvonly or inactive")
            }
            direction = parsed
        }
        self.id = id
        self.direction = direction
        uri = String(fields[1])
        attributes = fields.count > 2 ? fields[2...].joined(separator: " ") : nil
    }

    var sdpValue: String {
        var text = String(id)
        if let direction { text += "/\(direction.rawValue)" }
        text += " \(uri)"
        if let attributes { text += " \(attributes)" }
        return text
    }

    // Header extension URIs WebRTC audio uses.
    /// RFC 9143 §15: the m-section's mid in every packet, so BUNDLE can demultiplex.
    public static let sdesMid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RFC 6464: audio level; LiveKit's active-speaker detection reads it.
    public static let ssrcAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// The webrtc.org capture-time extension; the only one LiveKit offers subscribers for audio.
    public static let absCaptureTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605): where RTCP would go without
/// rtcp-mux. Chrome and aiortc write the placeholder `9 IN IP4 0.0.0.0`.
public struct SDPRTCPAddress: Sendable, Hashable {
    public var port: UInt16
    public var connection: SDPConnection?

    public init(port: UInt16, connection: SDPConnection? = nil) {
        self.port = port
        self.connection = connection
    }

    init(sdpValue value: Substring) throws(SDPValueError) {
        let fields = SDPSyntax.fields(value)
        guard fields.count == 1 || fields.count == 4, let port = SDPSyntax.decimal(fields[0], as: UInt16.self) else {
            throw SDPValueError("rtcp needs \"<port> [<nettype> <addrtype> <address>]\"")
        }
        self.port = port
        connection = fields.count == 4
            ? SDPConnection(networkType: String(fields[1]), addressType: String(fields[2]), address: String(fields[3]))
            : nil
    }

    var sdpValue: String {
        guard let connection else { return String(port) }
        return "\(port) \(connection.sdpValue)"
    }
}
