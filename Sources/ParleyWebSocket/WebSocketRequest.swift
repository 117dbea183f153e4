// SPDX-License-Identifier: Apache-2.0

/// Everything needed to open one client WebSocket.
///
/// The URL carries the path and query (LiveKit puts `access_token=` there); it is never logged
/// or put in an error unredacted (see `SecretRedaction`). Header values are never logged at all.
public struct WebSocketRequest: Sendable {
    /// `ws://` or `wss://`, host, optional port, path and query.
    public var url: String
    /// Extra handshake headers, e.g. `("Authorization", "Bearer …")`. Names may omit the colon.
    public var headers: [(name: String, value: String)]
    /// From the start of `connect` (DNS included) to the 101 response.
    public var connectTimeout: Duration = .seconds(10)
    /// Largest message accepted in either direction. Inbound messages above it close the
    /// socket with 1009 (message too big); `send` of a larger one throws `.messageTooLarge`.
    public var maxMessageSize: Int = 2 << 20
    /// PEM file of CAs to trust for wss (a private CA, or a self-signed server certificate
    /// with CA:TRUE); nil = the system store. The host name is still checked against it.
    public var tlsCAFile: String? = nil
    /// Development only: accept a self-signed (or otherwise unverifiable) server certificate
    /// and skip the host name check.
    public var allowSelfSigned: Bool = false

    public init(url: String, headers: [(name: String, value: String)] = []) {
        self.url = url
        self.headers = headers
    }
}
