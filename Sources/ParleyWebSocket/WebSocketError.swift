// SPDX-License-Identifier: Apache-2.0

/// Everything `WebSocketConnection` can throw. Texts never contain secrets: URLs in them are
/// passed through `SecretRedaction` first.
public enum WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a usable `ws://` / `wss://` URL (the URL, redacted), or an unusable request field.
    case invalidURL(String)
    /// TCP, TLS or DNS failure, or the server answered in a way that is not an HTTP response.
    case connectFailed(String)
    /// The server answered the upgrade with an HTTP status other than 101 (e.g. 401, 404).
    case upgradeRejected(status: Int, reason: String)
    /// No 101 within `WebSocketRequest.connectTimeout`.
    case timeout
    /// The socket has ended or is closing (send after close).
    case closed(WebSocketCloseInfo)
    /// A message above `WebSocketRequest.maxMessageSize` (its size in bytes).
    case messageTooLarge(Int)

    public var description: String {
        switch self {
        case .invalidURL(let text): return "invalid WebSocket URL: \(text)"
        case .connectFailed(let text): return "WebSocket connect failed: \(text)"
        case .upgradeRejected(let status, let reason):
            return "WebSocket upgrade rejected with HTTP \(status)" + (reason.isEmpty ? "" : ": \(reason)")
        case .timeout: return "WebSocket connect timed out"
        case .closed(let info): return "WebSocket closed: \(info)"
        case .messageTooLarge(let size): return "WebSocket message too large (\(size) bytes)"
        }
    }
}
