// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Where the PostgreSQL session store connects, read from a libpq-style connection URI
/// (PostgreSQL 15 docs §34.1.1.2 "Connection URIs"):
///
/// ```
/// postgres[ql]://[user[:password]@][host][:port][/database][?param=value&…]
///   host        a name, an IPv4 address or [IPv6]; or a unix-socket directory, given
///               percent-encoded (%2Fvar%2Frun%2Fpostgresql) or as ?host=/var/run/postgresql
///   database    defaults to the user name (as libpq does)
///   params      sslmode (disable, prefer (default), require, verify-ca, verify-full),
///               sslrootcert (CA file for verify-ca/verify-full), connect_timeout (seconds),
///               application_name, host, port
/// ```
///
/// The password is kept only in `password`: `description`, `redactedURL` and the reflection
/// of this value never show it, so the settings can be logged and put into errors as they are.
public struct PostgresStoreSettings: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// libpq's convention: the socket is `<directory>/.s.PGSQL.<port>`.
        case unixSocket(directory: String, port: Int)

        public var socketPath: String? {
            guard case .unixSocket(let directory, let port) = self else { return nil }
            return (directory.hasSuffix("/") ? directory : directory + "/") + ".s.PGSQL.\(port)"
        }
    }

    /// libpq's `sslmode` values that postgres-nio can honour (`allow` has no equivalent there).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked (as libpq without a root cert).
        case require
        /// TLS; the certificate must chain to `sslrootcert` (or the system roots), any host name.
        case verifyCA = "verify-ca"
        /// TLS; the certificate must chain to a trusted root and match the host name.
        case verifyFull = "verify-full"
    }

    /// A URL that cannot be used; `problem` reads as a predicate of the URL ("names no user").
    public struct URLProblem: Error, Sendable, Equatable {
        public var problem: String
        public var allowed: String
    }

    public static let defaultPort = 5432
    public static let urlShape = "postgres://user:password@host:5432/database?sslmode=prefer"
    static let parameters = ["sslmode", "sslrootcert", "connect_timeout", "application_name", "host", "port"]

    public var endpoint: Endpoint
    public var username: String
    /// Never logged, never part of an error or a description.
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode = .prefer
    /// A PEM file of trusted roots for `verify-ca` / `verify-full`; the system roots when nil.
    public var rootCertificatePath: String?
    public var connectTimeout: Duration = .seconds(10)
    public var applicationName = "parley"
    /// The pool's upper bound (`server.store.max_connections`).
    public var maxConnections = 10

    public init(endpoint: Endpoint, username: String, password: String?, database: String) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a connection URI. Errors never contain the password (they describe, not quote).
    public init(url: String) throws(URLProblem) {
        func fail(_ problem: String, _ allowed: String = Self.urlShape) -> URLProblem {
            URLProblem(problem: problem, allowed: allowed)
        }
        guard let schemeEnd = url.range(of: "://") else { throw fail("is not a PostgreSQL URL") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw fail("has the scheme \"\(scheme)\", not postgres:// or postgresql://")
        }
        var rest = url[schemeEnd.upperBound...]
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var authority = rest
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        // The password may itself contain '@' only percent-encoded; the last '@' ends the user part.
        var user: String?
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], what: "the user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], what: "the password")
            } else {
                user = try Self.decode(userInfo, what: "the user name")
            }
        }
        var host: String?
        var port = Self.defaultPort
        if hostPort.contains(",") { throw fail("names several hosts", "one host") }
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("has an unclosed [IPv6] host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("has text after the [IPv6] host") }
                port = try Self.port(after.dropFirst())
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = try Self.decode(hostPort[..<colon], what: "the host")
            port = try Self.port(hostPort[hostPort.index(after: colon)...])
        } else if !hostPort.isEmpty {
            host = try Self.decode(hostPort, what: "the host")
        }
        var database = path.isEmpty ? nil : try Self.decode(path, what: "the database name")
        if database?.contains("/") == true { throw fail("has a database name with '/'") }

        var tlsMode = TLSMode.prefer
        var rootCert: String?
        var connectTimeout: Duration = .seconds(10)
        var applicationName = "parley"
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key = String(pair.prefix { $0 != "=" })
            let rawValue = pair.dropFirst(key.count + 1)
            guard Self.parameters.contains(key) else {
                // The key only: the value might be a secret (`password=`).
                throw fail("has the unknown query parameter \"\(key)\"", Self.parameters.joined(separator: ", "))
            }
            let value = try Self.decode(rawValue, what: "the \(key) parameter")
            switch key {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw fail("has sslmode \"\(value)\"", TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                tlsMode = mode
            case "sslrootcert": rootCert = value
            case "connect_timeout":
                guard let seconds = Int(value), (1...300).contains(seconds) else {
                    throw fail("has connect_timeout \"\(value)\"", "whole seconds in 1...300")
                }
                connectTimeout = .seconds(seconds)
            case "application_name": applicationName = value
            case "host": host = value
            case "port": port = try Self.port(Substring(value))
            default: break
            }
        }
        guard let user, !user.isEmpty else { throw fail("names no user") }
        guard let host, !host.isEmpty else { throw fail("names no host (or ?host=/socket/directory)") }
        if database == nil || database?.isEmpty == true { database = user }
        endpoint = host.hasPrefix("/") ? .unixSocket(directory: host, port: port) : .tcp(host: host, port: port)
        if case .unixSocket = endpoint, tlsMode != .disable, tlsMode != .prefer {
            throw fail("asks for TLS (sslmode=\(tlsMode.rawValue)) over a unix socket", "sslmode=disable or prefer with a socket")
        }
        username = user
        self.password = password
        self.database = database ?? user
        self.tlsMode = tlsMode
        rootCertificatePath = rootCert
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }

    private static func decode(_ text: Substring, what: String) throws(URLProblem) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw URLProblem(problem: "has a bad %-escape in \(what)", allowed: "%XX escapes of UTF-8 bytes")
        }
        return decoded
    }

    private static func port(_ text: Substring) throws(URLProblem) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw URLProblem(problem: "has the port \"\(text)\"", allowed: "1...65535")
        }
        return port
    }

    /// The URL with the password replaced: what logs and errors show.
    public var redactedURL: String {
        func encode(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@/"))) ?? s
        }
        var url = "postgres://" + encode(username) + (password == nil ? "" : ":" + ConfigRedaction.redacted) + "@"
        var query = ["sslmode=\(tlsMode.rawValue)"]
        switch endpoint {
        case .tcp(let host, let port):
            url += (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .unixSocket(let directory, let port):
            url += ":\(port)"
            query.insert("host=\(directory)", at: 0)
        }
        return url + "/" + encode(database) + "?" + query.joined(separator: "&")
    }

    /// Masks the password (and any secret-named query parameter) of a URL that may not even
    /// parse, for messages about that very URL.
    public static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        var out = String(url[..<schemeEnd.upperBound])
        var rest = url[schemeEnd.upperBound...]
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out += String(userInfo[...colon]) + ConfigRedaction.redacted
            } else {
                out += userInfo
            }
            out += authority[at...]
        } else {
            out += authority
        }
        out += rest[authorityEnd...]
        if let query {
            let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                let key = pair.prefix { $0 != "=" }
                return ConfigRedaction.isSensitive(String(key)) && key.count < pair.count
                    ? String(key) + "=" + ConfigRedaction.redacted : String(pair)
            }
            out += "?" + pairs.joined(separator: "&")
        }
        return out
    }
}

extension PostgresStoreSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redactedURL }
    public var debugDescription: String { redactedURL }
    /// `dump()` and debuggers see the redacted URL, not the stored password.
    public var customMirror: Mirror {
        Mirror(self, children: ["url": redactedURL, "maxConnections": maxConnections], displayStyle: .struct)
    }
}
