// SPDX-License-Identifier: Apache-2.0

/// A `ws://` / `wss://` URL split into what lws's connect info wants.
///
/// Deliberately small instead of Foundation's URL: we need exactly scheme, host, port and
/// the raw path+query (passed through byte for byte, so a percent-encoded token stays as the
/// server minted it). User info is rejected: credentials belong in headers or the query.
struct WebSocketURL: Sendable, Equatable {
    var secure: Bool
    /// Host name or IP literal, without IPv6 brackets (what the resolver wants).
    var host: String
    var port: Int
    /// Path and query, starting with "/" (the fragment is dropped: it never goes on the wire).
    var pathAndQuery: String

    /// `Host:` header value: brackets back on IPv6 literals, port only when not the default.
    /// lws also takes the TLS server name (SNI and certificate check) from it, minus the port.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    init(parsing text: String) throws(WebSocketError) {
        let redacted = SecretRedaction.redact(text)
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if lower.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            throw .invalidURL("\(redacted) (scheme must be ws or wss)")
        }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .invalidURL("\(redacted) (contains whitespace or control characters)")
        }

        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        var tail = rest[authorityEnd...]
        if let hash = tail.firstIndex(of: "#") { tail = tail[tail.startIndex..<hash] }
        pathAndQuery = tail.hasPrefix("/") ? String(tail) : "/" + tail

        guard !authority.contains("@") else { throw .invalidURL("\(redacted) (user info is not supported)") }
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("\(redacted) (unclosed IPv6 literal)") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
                throw .invalidURL("\(redacted) (junk after IPv6 literal)")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[authority.startIndex..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .invalidURL("\(redacted) (no host)") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw .invalidURL("\(redacted) (bad port)")
            }
            port = value
        } else {
            port = secure ? 443 : 80
        }
    }
}
