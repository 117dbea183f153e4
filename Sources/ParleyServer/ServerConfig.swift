// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// `parley serve` settings: the `livekit:` section and the `server:` section of the operator's
/// YAML (the same file the agent uses; `${ENV}` interpolation applies).
///
/// ```yaml
/// livekit: { url: ${LIVEKIT_URL}, api_key: ${LIVEKIT_API_KEY}, api_secret: ${LIVEKIT_API_SECRET} }
/// server:
///   listen: { host: 127.0.0.1, port: 8080 }
///   auth:
///     jwt: { hs256_secret: ${PARLEY_JWT_SECRET}, issuer: my-idp, audience: parley }   # optional checks
///     api_keys: [ { name: backend, key: ${PARLEY_API_KEY} } ]
///   store: { sqlite: /var/lib/parley/sessions.sqlite }    # or { kind: postgres, url: "postgres://…" }
///   sessions: { token_ttl_s: 21600, empty_timeout_s: 300, max_participants: 2, max_body_bytes: 65536 }
///   seed_routes: { default_profile: support }
///   profiles: { support: { agent_name: support-agent, instructions: "…", greeting: "Hi!" } }
/// ```
public struct ServerConfig: Sendable {
    public struct LiveKit: Sendable {
        public var url: String
        public var apiKey: String
        public var apiSecret: String
        public init(url: String, apiKey: String, apiSecret: String) {
            self.url = url
            self.apiKey = apiKey
            self.apiSecret = apiSecret
        }
    }

    public struct APIKey: Sendable {
        /// The principal (user id) requests with this key act as.
        public var name: String
        public var key: String
        public init(name: String, key: String) {
            self.name = name
            self.key = key
        }
    }

    public struct JWTSettings: Sendable {
        /// HS256 tokens are accepted when set.
        public var hs256Secret: String?
        /// RS256 / ES256 tokens are accepted when set (`jwks_file`, read at start).
        public var jwks: JWKSet?
        public var issuer: String?
        public var audience: String?
        public var leewaySeconds: Int64 = 30
        public init(hs256Secret: String, issuer: String? = nil, audience: String? = nil) {
            self.hs256Secret = hs256Secret
            self.issuer = issuer
            self.audience = audience
        }
        public init(hs256Secret: String? = nil, jwks: JWKSet?, issuer: String? = nil, audience: String? = nil) {
            self.hs256Secret = hs256Secret
            self.jwks = jwks
            self.issuer = issuer
            self.audience = audience
        }
    }

    /// `server.cors`: which browser origins may call the API (none by default).
    public struct CORS: Sendable {
        /// Exact origins (`https://app.example.com`, `http://localhost:5173`) or `*`.
        public var allowedOrigins: [String] = []
        public var allowHeaders: [String] = ["Authorization", "Content-Type", "X-API-Key"]
        public var allowCredentials = false
        public var maxAgeSeconds = 600
        public init(allowedOrigins: [String] = []) { self.allowedOrigins = allowedOrigins }

        func allows(_ origin: String) -> Bool {
            allowedOrigins.contains("*") || allowedOrigins.contains(origin)
        }
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var livekit: LiveKit
    public var jwt: JWTSettings?
    public var apiKeys: [APIKey] = []
    /// Where sessions persist (`server.store`): a SQLite file by default, or PostgreSQL.
    public var store = SessionStoreSettings.sqlite(path: "parley-sessions.sqlite")
    /// The SQLite file when the store is SQLite ("" for PostgreSQL); setting it selects SQLite.
    public var storePath: String {
        get { if case .sqlite(let path) = store { path } else { "" } }
        set { store = .sqlite(path: newValue) }
    }
    public var tokenTTLSeconds: Int64 = 6 * 3600
    public var emptyTimeoutSeconds: UInt32 = 300
    public var departureTimeoutSeconds: UInt32 = 20
    public var maxParticipants = 2
    public var maxBodyBytes = 64 * 1024
    public var profiles: [String: SessionAgentProfile] = [:]
    /// The profile `POST /session` (seed 004) dispatches.
    public var seedDefaultProfile: String?
    /// Room names of seed 001's `POST /api/v1/voice-sessions/start`: `PREFIX-<user>-<8 hex>`.
    public var seedVoiceRoomPrefix = "fitness-voice"
    public var cors = CORS()

    public init(livekit: LiveKit, profiles: [SessionAgentProfile] = []) {
        self.livekit = livekit
        self.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, $0) })
    }

    public static let sectionKeys = ["listen", "auth", "store", "sessions", "seed_routes", "profiles", "cors"]

    /// Reads `livekit:` and `server:` from a loaded YAML root. Missing LiveKit settings are one
    /// error naming every missing key; other sections are validated key by key.
    public init(root: ConfigNode) throws {
        var missing: [String] = []
        let lk = root["livekit"]
        func lkValue(_ key: String) throws -> String {
            guard let n = lk?[key], !n.isNull, let s = try? n.string(), !s.isEmpty else {
                missing.append("livekit.\(key)")
                return ""
            }
            return s
        }
        if let lk { try lk.rejectUnknownKeys(allowed: ["url", "api_key", "api_secret"]) }
        let url = try lkValue("url")
        let key = try lkValue("api_key")
        let secret = try lkValue("api_secret")
        guard missing.isEmpty else {
            throw ConfigError(location: (lk ?? root).location, keyPath: "livekit", value: nil,
                              problem: "missing LiveKit setting\(missing.count == 1 ? "" : "s"): "
                                  + missing.joined(separator: ", "),
                              allowed: "livekit: { url: wss://…, api_key: …, api_secret: … }")
        }
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://") || url.hasPrefix("http://") || url.hasPrefix("https://")
        else { throw lk!["url"]!.error("is not a LiveKit URL", allowed: "ws://, wss://, http:// or https:// URL") }
        livekit = LiveKit(url: url, apiKey: key, apiSecret: secret)

        let server = try root.require("server", allowed: "a server: section (listen, auth, store, profiles)")
        try server.rejectUnknownKeys(allowed: Self.sectionKeys)
        if let listen = server["listen"] {
            try listen.rejectUnknownKeys(allowed: ["host", "port"])
            host = try listen.string("host", default: host) ?? host
            port = try listen.int("port", default: port, in: 0...65535)
        }
        let auth = try server.require("auth", allowed: "jwt and/or api_keys")
        try auth.rejectUnknownKeys(allowed: ["jwt", "api_keys"])
        if let j = auth["jwt"], !j.isNull {
            try j.rejectUnknownKeys(allowed: ["hs256_secret", "jwks_file", "issuer", "audience", "leeway_s"])
            var secret: String?
            if let s = j["hs256_secret"], !s.isNull {
                let value = try s.string()
                guard value.utf8.count >= 16 else {
                    throw s.error("is too short for HS256", allowed: "at least 16 bytes (32 recommended)")
                }
                secret = value
            }
            var jwks: JWKSet?
            if let f = j["jwks_file"], !f.isNull {
                let path = try f.string()
                do { jwks = try JWKSet.load(path: path) } catch let e as JWKSet.LoadError {
                    throw f.error(e.description, allowed: "a JWKS file of RSA (RS256) and P-256 (ES256) public keys")
                }
            }
            guard secret != nil || jwks != nil else {
                throw j.error("accepts no tokens", allowed: "hs256_secret and/or jwks_file")
            }
            var settings = JWTSettings(hs256Secret: secret, jwks: jwks, issuer: try j.string("issuer", default: nil),
                                       audience: try j.string("audience", default: nil))
            settings.leewaySeconds = Int64(try j.int("leeway_s", default: 30, in: 0...600))
            jwt = settings
        }
        if let keys = auth["api_keys"], !keys.isNull {
            for item in try keys.sequence() {
                try item.rejectUnknownKeys(allowed: ["name", "key"])
                let name = try item.require("name").string()
                let keyNode = try item.require("key")
                let k = try keyNode.string()
                guard k.utf8.count >= 16 else { throw keyNode.error("is too short", allowed: "at least 16 bytes") }
                guard !k.contains(".") else { throw keyNode.error("must not contain '.'", allowed: "an opaque key") }
                apiKeys.append(APIKey(name: name, key: k))
            }
        }
        if jwt == nil && apiKeys.isEmpty {
            throw auth.error("configures no authentication", allowed: "auth.jwt (hs256_secret, jwks_file) and/or auth.api_keys")
        }
        if let node = server["store"], !node.isNull { store = try SessionStoreSettings(node: node, current: store) }
        if let s = server["sessions"] {
            try s.rejectUnknownKeys(allowed: ["token_ttl_s", "empty_timeout_s", "departure_timeout_s",
                                              "max_participants", "max_body_bytes"])
            tokenTTLSeconds = Int64(try s.int("token_ttl_s", default: Int(tokenTTLSeconds), in: 60...(7 * 86400)))
            emptyTimeoutSeconds = UInt32(try s.int("empty_timeout_s", default: Int(emptyTimeoutSeconds), in: 1...86400))
            departureTimeoutSeconds = UInt32(try s.int("departure_timeout_s", default: Int(departureTimeoutSeconds),
                                                       in: 0...86400))
            maxParticipants = try s.int("max_participants", default: maxParticipants, in: 1...1000)
            maxBodyBytes = try s.int("max_body_bytes", default: maxBodyBytes, in: 1024...(16 << 20))
        }
        if let c = server["cors"], !c.isNull { cors = try Self.parseCORS(c) }
        let profilesNode = try server.require("profiles", allowed: "at least one agent profile")
        for entry in try profilesNode.mapping() {
            profiles[entry.key] = try SessionAgentProfile(name: entry.key, node: entry.value)
        }
        if profiles.isEmpty { throw profilesNode.error("is empty", allowed: "at least one agent profile") }
        if let seed = server["seed_routes"] {
            try seed.rejectUnknownKeys(allowed: ["default_profile", "voice_room_prefix"])
            if let n = seed["voice_room_prefix"] {
                let prefix = try n.string()
                guard Identifier.isValid(prefix, maxLength: 64) else {
                    throw n.error("is not a valid room name prefix", allowed: "1-64 of A-Z a-z 0-9 _ -")
                }
                seedVoiceRoomPrefix = prefix
            }
            if let n = seed["default_profile"] {
                let name = try n.string()
                guard profiles[name] != nil else {
                    throw n.error("names no profile", allowed: profiles.keys.sorted().joined(separator: ", "))
                }
                seedDefaultProfile = name
            }
        }
    }

    /// `server.cors: { allowed_origins: [...], allow_headers: [...], allow_credentials: false, max_age_s: 600 }`.
    static func parseCORS(_ node: ConfigNode) throws -> CORS {
        try node.rejectUnknownKeys(allowed: ["allowed_origins", "allow_headers", "allow_credentials", "max_age_s"])
        var cors = CORS()
        if let list = node["allowed_origins"], !list.isNull {
            for item in try list.sequence() {
                let origin = try item.string()
                if origin == "*" { cors.allowedOrigins.append(origin); continue }
                guard let schemeEnd = origin.range(of: "://"),
                      ["http", "https"].contains(origin[..<schemeEnd.lowerBound].lowercased()),
                      !origin[schemeEnd.upperBound...].isEmpty, !origin[schemeEnd.upperBound...].contains("/") else {
                    throw item.error("is not an origin", allowed: "scheme://host[:port] with no path, or *")
                }
                cors.allowedOrigins.append(origin)
            }
        }
        if let headers = node["allow_headers"], !headers.isNull {
            cors.allowHeaders = try headers.sequence().map { try $0.string() }
        }
        cors.allowCredentials = try node.bool("allow_credentials", default: false)
        if cors.allowCredentials && cors.allowedOrigins.contains("*") {
            throw node.error("allow_credentials cannot be combined with the * origin",
                             allowed: "list the origins explicitly")
        }
        cors.maxAgeSeconds = try node.int("max_age_s", default: 600, in: 0...86400)
        return cors
    }

    /// The seed routes' profile: the configured one, else the first enabled one by name.
    var seedProfileName: String? {
        seedDefaultProfile ?? profiles.values.filter(\.enabled).map(\.name).sorted().first
    }
}
