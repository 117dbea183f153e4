// SPDX-License-Identifier: Apache-2.0

/// One user message on a data channel (RFC 8831 §6.6): text (PPID 51/56) or binary (53/57).
public enum DataChannelMessage: Sendable, Hashable {
    case text(String)
    case binary([UInt8])

    /// The PPID and the bytes on the wire; empty messages become one zero byte (RFC 8831 §6.6).
    var wire: (ppid: SCTPPayloadProtocolIdentifier, payload: [UInt8]) {
        switch self {
        case .text(let string):
            let bytes = Array(string.utf8)
            return bytes.isEmpty ? (.stringEmpty, [0]) : (.string, bytes)
        case .binary(let bytes):
            return bytes.isEmpty ? (.binaryEmpty, [0]) : (.binary, bytes)
        }
    }

    /// The message a received payload stands for; nil for DCEP and unknown PPIDs.
    init?(ppid: UInt32, payload: [UInt8]) {
        switch SCTPPayloadProtocolIdentifier(rawValue: ppid) {
        case .string, .stringPartial: self = .text(String(decoding: payload, as: UTF8.self))
        case .binary, .binaryPartial: self = .binary(payload)
        case .stringEmpty: self = .text("")
        case .binaryEmpty: self = .binary([])
        case .dcep, nil: return nil
        }
    }

    /// Payload size as the application counts it.
    public var count: Int {
        switch self {
        case .text(let string): string.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}
