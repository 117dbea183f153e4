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
///   store: { sqlite: /var/lib/parley/sessions.sqlite }
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
        public var hs256Secret: String
        public var issuer: String?
        public var audience: String?
        public var leewaySeconds: Int64 = 30
        public init(hs256Secret: String, issuer: String? = nil, audience: String? = nil) {
            self.hs256Secret = hs256Secret
            self.issuer = issuer
            self.audience = audience
        }
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var livekit: LiveKit
    public var jwt: JWTSettings?
    public var apiKeys: [APIKey] = []
    public var storePath = "parley-sessions.sqlite"
    public var tokenTTLSeconds: Int64 = 6 * 3600
    public var emptyTimeoutSeconds: UInt32 = 300
    public var departureTimeoutSeconds: UInt32 = 20
    public var maxParticipants = 2
    public var maxBodyBytes = 64 * 1024
    public var profiles: [String: SessionAgentProfile] = [:]
    /// The profile `POST /session` (seed 004) dispatches.
    public var seedDefaultProfile: String?

    public init(livekit: LiveKit, profiles: [SessionAgentProfile] = []) {
        self.livekit = livekit
        self.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, $0) })
    }

    public static let sectionKeys = ["listen", "auth", "store", "sessions", "seed_routes", "profiles"]

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
            try j.rejectUnknownKeys(allowed: ["hs256_secret", "issuer", "audience", "leeway_s"])
            let s = try j.require("hs256_secret")
            let value = try s.string()
            guard value.utf8.count >= 16 else {
                throw s.error("is too short for HS256", allowed: "at least 16 bytes (32 recommended)")
            }
            var settings = JWTSettings(hs256Secret: value, issuer: try j.string("issuer", default: nil),
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
            throw auth.error("configures no authentication", allowed: "auth.jwt.hs256_secret and/or auth.api_keys")
        }
        if let store = server["store"] {
            try store.rejectUnknownKeys(allowed: ["sqlite"])
            storePath = try store.string("sqlite", default: storePath) ?? storePath
        }
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
        let profilesNode = try server.require("profiles", allowed: "at least one agent profile")
        for entry in try profilesNode.mapping() {
            profiles[entry.key] = try SessionAgentProfile(name: entry.key, node: entry.value)
        }
        if profiles.isEmpty { throw profilesNode.error("is empty", allowed: "at least one agent profile") }
        if let seed = server["seed_routes"] {
            try seed.rejectUnknownKeys(allowed: ["default_profile"])
            if let n = seed["default_profile"] {
                let name = try n.string()
                guard profiles[name] != nil else {
                    throw n.error("names no profile", allowed: profiles.keys.sorted().joined(separator: ", "))
                }
                seedDefaultProfile = name
            }
        }
    }

    /// The seed routes' profile: the configured one, else the first enabled one by name.
    var seedProfileName: String? {
        seedDefaultProfile ?? profiles.values.filter(\.enabled).map(\.name).sorted().first
    }
}
