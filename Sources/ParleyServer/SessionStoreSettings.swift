// SPDX-License-Identifier: Apache-2.0

import Logging
import ParleyCore

/// `server.store`: which backend keeps the sessions. SQLite (one file, the default) suits one
/// server; PostgreSQL lets several `parley serve` instances share one store.
///
/// ```yaml
/// store: { sqlite: /var/lib/parley/sessions.sqlite }                 # kind: sqlite is the default
/// store: { kind: postgres, url: "postgres://parley@db:5432/parley", password: ${PARLEY_PG_PASSWORD}, max_connections: 10 }
/// ```
///
/// The password may also sit in the URL (`postgres://parley:PASSWORD@db/parley`), percent-encoded as
/// libpq requires; the separate `password:` key takes any text as it is, which suits `${ENV}`.
public enum SessionStoreSettings: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresStoreSettings)

    public static let kinds = ["sqlite", "postgres"]
    static let sqliteKeys = ["kind", "sqlite"]
    static let postgresKeys = ["kind", "url", "password", "max_connections"]

    /// Reads the `store:` mapping; `current` is what applies when it says nothing (the default path).
    public init(node: ConfigNode, current: SessionStoreSettings) throws {
        try node.rejectUnknownKeys(allowed: ["kind", "sqlite", "url", "password", "max_connections"])
        let kind = try node.optionalChild("kind")?.oneOf(Self.kinds) ?? "sqlite"
        // A key of the other backend is a mistake worth stopping for: the operator meant something.
        let (own, other) = kind == "sqlite" ? (Self.sqliteKeys, "postgres") : (Self.postgresKeys, "sqlite")
        for entry in try node.mapping() where !own.contains(entry.key) {
            throw ConfigError(location: entry.keyLocation, keyPath: node.keyPath, value: "\"\(entry.key)\"",
                              problem: "applies only to kind: \(other)",
                              allowed: own.joined(separator: ", ") + " with kind: \(kind)")
        }
        switch kind {
        case "postgres":
            let urlNode = try node.require("url", allowed: PostgresStoreSettings.urlShape)
            let url = try urlNode.string()
            var settings: PostgresStoreSettings
            do {
                settings = try PostgresStoreSettings(url: url)
            } catch {
                // Not `urlNode.error(…)`: that would quote the URL as written, password included.
                throw ConfigError(location: urlNode.location, keyPath: urlNode.keyPath,
                                  value: urlNode.isSensitive ? ConfigRedaction.redacted
                                      : ConfigRedaction.display(PostgresStoreSettings.redact(url), sensitive: false),
                                  problem: error.problem, allowed: error.allowed)
            }
            // `password` is a secret-named key: ConfigNode never prints its value.
            if let password = try node.string("password", default: nil) { settings.password = password }
            settings.maxConnections = try node.int("max_connections", default: settings.maxConnections, in: 1...1000)
            self = .postgres(settings)
        default:
            var path = "parley-sessions.sqlite"
            if case .sqlite(let p) = current { path = p }
            self = .sqlite(path: try node.string("sqlite", default: path) ?? path)
        }
    }

    /// Opens (creating and migrating as needed) the configured store.
    public func open(logger: Logger) async throws -> any SessionStore {
        switch self {
        case .sqlite(let path): try await SQLiteSessionStore.open(path: path, logger: logger)
        case .postgres(let settings): try await PostgresSessionStore.open(settings, logger: logger)
        }
    }
}

extension SessionStoreSettings: CustomStringConvertible {
    /// The SQLite path or the PostgreSQL URL; safe to log: the password is never part of it.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let settings): settings.redactedURL
        }
    }
}
