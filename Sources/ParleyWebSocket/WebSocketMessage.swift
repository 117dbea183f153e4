// SPDX-License-Identifier: Apache-2.0

/// One whole WebSocket message (fragments are reassembled before delivery).
public enum WebSocketMessage: Sendable, Equatable {
    case binary([UInt8])
    /// Text frames are decoded as UTF-8; invalid sequences become U+FFFD rather than failing.
    case text(String)

    /// Payload size on the wire, as checked against `WebSocketRequest.maxMessageSize`.
    var byteCount: Int {
        switch self {
        case .binary(let bytes): return bytes.count
        case .text(let string): return string.utf8.count
        }
    }
}
