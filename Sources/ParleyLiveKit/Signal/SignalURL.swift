// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Builds the `/rtc` and `/agent` WebSocket URLs from the operator's LiveKit URL
/// (livekit-protocol.md §3 "v0 query parameters", §8).
///
/// Accepts `ws://`, `wss://`, `http://` and `https://` (mapped to ws/wss), with or without a
/// base path (a reverse proxy may mount LiveKit under one). The token is never put in the URL:
/// it travels in `Authorization: Bearer`, so URLs are safe to log.
public struct SignalURL: Sendable, Hashable {
    /// The WebSocket base: scheme, host, port and base path, no trailing slash.
    public let base: String

    public init(_ livekitURL: String) throws(LiveKitConnectError) {
        var text = livekitURL.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw .invalidURL("'\(livekitURL)' is not a LiveKit URL (expected ws://host:7880 or wss://…)")
        }
        let wsScheme: String
        switch scheme {
        case "ws", "http": wsScheme = "ws"
        case "wss", "https": wsScheme = "wss"
        default: throw .invalidURL("'\(livekitURL)': scheme must be ws, wss, http or https")
        }
        guard components.query == nil else { throw .invalidURL("'\(livekitURL)': the LiveKit URL takes no query") }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let port = components.port.map { ":\($0)" } ?? ""
        base = "\(wsScheme)://\(hostPart)\(port)\(components.path)"
    }

    /// The HTTP(S) form of `base`, for `/rtc/validate` and the Twirp API.
    public var httpBase: String {
        base.hasPrefix("wss://") ? "https://" + base.dropFirst(6) : "http://" + base.dropFirst(5)
    }

    /// `/rtc` with the join (or resume) query.
    func rtc(_ query: SignalQuery) -> String { base + "/rtc?" + query.encoded }

    func rtcValidate(_ query: SignalQuery) -> String { httpBase + "/rtc/validate?" + query.encoded }

    /// `/agent` for the worker socket (protocol 1).
    var agent: String { base + "/agent?protocol=1" }
}

/// The `/rtc` query parameters Parley sends.
struct SignalQuery: Sendable {
    var autoSubscribe = true
    var adaptiveStream = false
    /// `reconnect=1&sid=` for a resume (§3 "Resume").
    var resumeSid: String?
    var reconnectReason: Int?

    /// Announced protocol 16: subscriber-primary, transceiver reuse, LeaveRequest actions, no
    /// packet trailers (§10). `client_protocol` 0 and no capabilities keep peers on v1 RPC and plain streams.
    static let protocolVersion = 16

    var encoded: String {
        var items: [(String, String)] = [
            ("protocol", String(Self.protocolVersion)),
            // `swift` below 1.0.5 is what the server treats as not ICE/TCP capable, so it never
            // switches us to TCP-only candidates we cannot use (§5 "Gotcha: ICE/TCP fallback").
            ("sdk", "swift"), ("version", "1.0.0"),
            ("os", "linux"), ("device_model", "parley"),
            ("auto_subscribe", autoSubscribe ? "1" : "0"),
            ("adaptive_stream", adaptiveStream ? "1" : "0"),
        ]
        if let resumeSid {
            items.append(("reconnect", "1"))
            items.append(("sid", resumeSid))
            if let reconnectReason { items.append(("reconnect_reason", String(reconnectReason))) }
        }
        return items.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
