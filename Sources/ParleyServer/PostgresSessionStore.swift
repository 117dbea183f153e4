// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL store: the same tables, migrations and semantics as `SQLiteSessionStore`, for
/// deployments where several `parley serve` instances share one database.
///
/// ```
///  open:  one direct connection ─► migrate (advisory lock, one transaction per step) ─► close
///         PostgresClient pool (≤ max_connections) ◄─ run() in the store's own task
///
///  SessionService ─► op ─► lease a connection (bounded wait) ─► one statement, or BEGIN … COMMIT ─► release
///                                 └─ no connection in time → PostgresStoreError, never a hang
/// ```
///
/// SQLite gets its guarantees from one connection behind a FIFO lock; here many connections
/// run at once (READ COMMITTED), so each rule is enforced by the database itself:
/// - one active session per room, unique ids: the same unique indices; an insert is one
///   statement, and the index that refuses it names the `SessionStoreError` (the primary key is
///   checked first, as SQLite's store checks the id first);
/// - ending is idempotent: `UPDATE … WHERE status = 'active'` (the second writer waits for the
///   first's row lock, then finds nothing to change);
/// - a webhook is applied once: its id is inserted with `ON CONFLICT DO NOTHING` (a concurrent
///   redelivery waits for the first transaction, then sees the conflict), and all webhooks of
///   one session serialise on that session's row (`SELECT … FOR UPDATE`).
public final class PostgresSessionStore: SessionStore {
    public let settings: PostgresStoreSettings
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// How long an operation waits for a pooled connection before it fails (the pool itself
    /// would queue it until its circuit breaker trips, 15 s or more, while HTTP callers wait).
    static let connectionWait: Duration = .seconds(5)
    /// `/readyz` answers within this even when the database does not.
    static let pingWait: Duration = .seconds(2)

    private init(settings: PostgresStoreSettings, client: PostgresClient, runner: Task<Void, Never>, logger: Logger) {
        self.settings = settings
        self.client = client
        self.runner = runner
        self.logger = logger
    }

    /// Connects once (so a wrong password or a missing database is reported as such, at once),
    /// migrates, then starts the pool.
    public static func open(_ settings: PostgresStoreSettings, logger: Logger = Logger(label: "parley.server.store"))
        async throws -> PostgresSessionStore {
        var log = logger
        log[metadataKey: "store"] = "\(settings.redactedURL)"
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(settings),
                                                              id: 0, logger: log)
        } catch {
            throw PostgresStoreError.wrap(error, operation: "connect")
        }
        do {
            try await PostgresSchema.migrate(on: connection, logger: log)
        } catch {
            try? await connection.close()
            throw PostgresStoreError.wrap(error, operation: "migrate")
        }
        try? await connection.close()
        let client = PostgresClient(configuration: try clientConfiguration(settings), backgroundLogger: log)
        let runner = Task { await client.run() }
        return PostgresSessionStore(settings: settings, client: client, runner: runner, logger: log)
    }

    // MARK: Connection settings

    static func tlsConfiguration(_ settings: PostgresStoreSettings) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch settings.tlsMode {
        case .disable, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let roots = settings.rootCertificatePath { tls.trustRoots = .file(roots) }
        return tls
    }

    static func connectionConfiguration(_ s: PostgresStoreSettings) throws -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        switch s.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS = switch s.tlsMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration(s)))
            case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration(s)))
            }
            config = .init(host: host, port: port, username: s.username, password: s.password, database: s.database,
                           tls: tls)
        case .unixSocket:
            config = .init(unixSocketPath: s.endpoint.socketPath ?? "", username: s.username, password: s.password,
                           database: s.database)
        }
        config.options.connectTimeout = .nanoseconds(Int64(s.connectTimeout.components.seconds) * 1_000_000_000)
        config.options.additionalStartupParameters = [("application_name", s.applicationName)]
        return config
    }

    static func clientConfiguration(_ s: PostgresStoreSettings) throws -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        switch s.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS = switch s.tlsMode {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration(s))
            case .require, .verifyCA, .verifyFull: .require(tlsConfiguration(s))
            }
            config = .init(host: host, port: port, username: s.username, password: s.password, database: s.database,
                           tls: tls)
        case .unixSocket:
            config = .init(unixSocketPath: s.endpoint.socketPath ?? "", username: s.username, password: s.password,
                           database: s.database)
        }
        config.options.connectTimeout = s.connectTimeout
        config.options.maximumConnections = s.maxConnections
        config.options.additionalStartupParameters = [("application_name", s.applicationName)]
        return config
    }

    // MARK: Running operations

    private enum Outcome<T: Sendable>: Sendable {
        case done(T)
        case deadline
    }

    /// Shared by an operation and its deadline timer (a class: a Mutex cannot be captured by value).
    private final class DeadlineState: Sendable {
        let flags = Mutex((started: false, deadlinePassed: false))
    }

    /// Runs `body` on a pooled connection, waiting at most `wait` for one. Only the wait is
    /// abandoned at the deadline: once `body` has started it runs to its end (cancelling a
    /// statement in flight would leave its outcome unknown), and its result is what counts.
    private func withConnection<T: Sendable>(_ operation: String, wait: Duration = connectionWait,
                                             _ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws -> T {
        let state = DeadlineState()
        let client = client
        do {
            return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
                group.addTask {
                    do {
                        return .done(try await client.withConnection { c in
                            state.flags.withLock { $0.started = true }
                            return try await body(c)
                        })
                    } catch {
                        let s = state.flags.withLock { $0 }
                        if s.deadlinePassed && !s.started {
                            throw PostgresStoreError(operation: operation,
                                                     message: "no database connection within \(wait)")
                        }
                        throw error
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    return .deadline
                }
                while let next = try await group.next() {
                    switch next {
                    case .done(let value):
                        group.cancelAll()
                        return value
                    case .deadline:
                        let abandon = state.flags.withLock { s in
                            s.deadlinePassed = true
                            return !s.started
                        }
                        if abandon { group.cancelAll() }
                    }
                }
                throw PostgresStoreError(operation: operation, message: "ended without a result")
            }
        } catch {
            throw PostgresStoreError.wrap(error, operation: operation)
        }
    }

    /// One transaction on one pooled connection.
    private func transaction<T: Sendable>(_ operation: String,
                                          _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T)
        async throws -> T {
        let logger = logger
        return try await withConnection(operation) { c in
            try await PostgresSchema.inTransaction(c, logger: logger) { try await body($0, logger) }
        }
    }

    /// A single statement (its own implicit transaction).
    private func statement<T: Sendable>(_ operation: String,
                                        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T)
        async throws -> T {
        let logger = logger
        return try await withConnection(operation) { c in try await body(c, logger) }
    }

    // MARK: SessionStore

    static let columns = """
        id, owner, room_name, participant_identity, profile, agent_name, mode, dispatch_id, config_json, status,
        created_at_ms, token_expires_at_ms, ended_at_ms, end_reason, origin, room_sid
        """

    /// The applied schema versions (for tests and diagnostics).
    public func schemaVersions() async throws -> [Int] {
        try await statement("schema_versions") { c, log in
            try await c.query("SELECT version FROM schema_migrations ORDER BY version", logger: log).collect()
                .map { try $0.makeRandomAccess()["version"].decode(Int.self) }
        }
    }

    public func insert(_ s: SessionRecord) async throws {
        do {
            // One statement (its own transaction, one round trip): the unique indices decide.
            try await statement("insert") { c, log in
                _ = try await c.query("""
                    INSERT INTO sessions (\(unescaped: Self.columns)) VALUES (\(s.id), \(s.owner), \(s.roomName),
                        \(s.participantIdentity), \(s.profile), \(s.agentName), \(s.mode.rawValue), \(s.dispatchID),
                        \(s.configJSON), \(s.status.rawValue), \(s.createdAtMs), \(s.tokenExpiresAtMs), \(s.endedAtMs),
                        \(s.endReason), \(s.origin), \(s.roomSID))
                    """, logger: log)
            }
        } catch let error as PostgresStoreError where error.isUniqueViolation {
            // Indices are checked in creation order, the primary key first: when both the id and the
            // room are taken the answer is duplicateID, as SQLite's store gives.
            switch error.constraint {
            case "sessions_pkey": throw SessionStoreError.duplicateID(s.id)
            case "sessions_active_room": throw SessionStoreError.roomInUse(s.roomName)
            default: throw error
            }
        }
    }

    public func get(id: String) async throws -> SessionRecord? {
        try await statement("get") { c, log in
            try await c.query("SELECT \(unescaped: Self.columns) FROM sessions WHERE id = \(id)", logger: log)
                .collect().first.map(Self.record)
        }
    }

    public func activeSession(roomName: String) async throws -> SessionRecord? {
        try await statement("active_session") { c, log in
            try await c.query("""
                SELECT \(unescaped: Self.columns) FROM sessions WHERE room_name = \(roomName) AND status = 'active'
                """, logger: log).collect().first.map(Self.record)
        }
    }

    public func list(owner: String, includeEnded: Bool, limit: Int) async throws -> [SessionRecord] {
        try await statement("list") { c, log in
            // COLLATE "C": ties broken by byte order, as SQLite's BINARY collation does.
            try await c.query("""
                SELECT \(unescaped: Self.columns) FROM sessions
                WHERE owner = \(owner) \(unescaped: includeEnded ? "" : "AND status = 'active'")
                ORDER BY created_at_ms DESC, id COLLATE "C" LIMIT \(limit)
                """, logger: log).collect().map(Self.record)
        }
    }

    public func activeSessions() async throws -> [SessionRecord] {
        try await statement("active_sessions") { c, log in
            try await c.query("""
                SELECT \(unescaped: Self.columns) FROM sessions WHERE status = 'active' ORDER BY created_at_ms
                """, logger: log).collect().map(Self.record)
        }
    }

    public func markEnded(id: String, reason: String, atMs: Int64) async throws -> SessionRecord? {
        try await transaction("mark_ended") { c, log in
            try await c.query("""
                UPDATE sessions SET status = 'ended', ended_at_ms = \(atMs), end_reason = \(reason)
                WHERE id = \(id) AND status = 'active'
                """, logger: log)
            return try await c.query("SELECT \(unescaped: Self.columns) FROM sessions WHERE id = \(id)", logger: log)
                .collect().first.map(Self.record)
        }
    }

    public func countActive() async throws -> Int {
        try await statement("count_active") { c, log in
            let rows = try await c.query("SELECT COUNT(*) AS n FROM sessions WHERE status = 'active'", logger: log).collect()
            return try rows.first.map { try $0.makeRandomAccess()["n"].decode(Int.self) } ?? 0
        }
    }

    public func applyWebhook(_ e: WebhookEventRecord, atMs: Int64) async throws -> WebhookOutcome {
        try await transaction("apply_webhook") { c, log in
            // Lock the room's active session first: every webhook of one session runs one at a time,
            // as all SQLite transactions do, so "last event wins" reads and writes see each other.
            let session: SessionRecord? = if let room = e.roomName {
                try await c.query("""
                    SELECT \(unescaped: Self.columns) FROM sessions WHERE room_name = \(room) AND status = 'active'
                    FOR UPDATE
                    """, logger: log).collect().first.map(Self.record)
            } else {
                nil
            }
            if let id = e.id {
                try await c.query("DELETE FROM webhook_events WHERE received_at_ms < \(atMs - SQLiteSessionStore.webhookRetentionMs)",
                                  logger: log)
                let recorded = try await c.query("""
                    INSERT INTO webhook_events (id, event, room_name, session_id, received_at_ms)
                    VALUES (\(id), \(e.event), \(e.roomName), \(session?.id), \(atMs))
                    ON CONFLICT (id) DO NOTHING RETURNING id
                    """, logger: log).collect()
                // Nothing else of this transaction has changed anything yet; the prune may commit.
                if recorded.isEmpty { return .duplicate }
            }
            guard let session else { return .noSession }
            // Same name, another room (an earlier one's late event): not this session's.
            if let sid = e.roomSID, let mine = session.roomSID, sid != mine { return .noSession }
            let eventMs = e.createdAtMs > 0 ? e.createdAtMs : atMs
            switch e.action {
            case .none:
                return .recorded(sessionID: session.id)
            case .endSession:
                try await c.query("""
                    UPDATE sessions SET status = 'ended', ended_at_ms = \(eventMs), end_reason = 'room_finished'
                    WHERE id = \(session.id) AND status = 'active'
                    """, logger: log)
                try await c.query("""
                    UPDATE session_participants SET connected = FALSE, left_at_ms = COALESCE(left_at_ms, \(eventMs))
                    WHERE session_id = \(session.id) AND connected
                    """, logger: log)
                let ended = try await c.query("SELECT \(unescaped: Self.columns) FROM sessions WHERE id = \(session.id)",
                                              logger: log).collect().first.map(Self.record)
                return .applied(sessionID: session.id, ended: ended)
            case .joined(let identity, let kind, let isAgent), .left(let identity, let kind, let isAgent):
                let joined: Bool
                if case .joined = e.action { joined = true } else { joined = false }
                let last = try await c.query("""
                    SELECT last_event_at_ms FROM session_participants
                    WHERE session_id = \(session.id) AND identity = \(identity)
                    """, logger: log).collect().first
                    .map { try $0.makeRandomAccess()["last_event_at_ms"].decode(Int64.self) }
                // An event older than the last one applied for this participant arrived late: keep the newer state.
                if let last, last > eventMs { return .recorded(sessionID: session.id) }
                let joinedAt: Int64? = joined ? eventMs : nil
                let leftAt: Int64? = joined ? nil : eventMs
                try await c.query("""
                    INSERT INTO session_participants
                        (session_id, identity, kind, is_agent, connected, joined_at_ms, left_at_ms, last_event_at_ms)
                    VALUES (\(session.id), \(identity), \(kind), \(isAgent), \(joined), \(joinedAt), \(leftAt), \(eventMs))
                    ON CONFLICT (session_id, identity) DO UPDATE SET
                        kind = excluded.kind, is_agent = excluded.is_agent, connected = excluded.connected,
                        joined_at_ms = COALESCE(excluded.joined_at_ms, session_participants.joined_at_ms),
                        left_at_ms = excluded.left_at_ms, last_event_at_ms = excluded.last_event_at_ms
                    """, logger: log)
                return .applied(sessionID: session.id, ended: nil)
            }
        }
    }

    public func participants(sessionID: String) async throws -> [SessionParticipant] {
        try await statement("participants") { c, log in
            try await c.query("""
                SELECT identity, kind, is_agent, connected, joined_at_ms, left_at_ms FROM session_participants
                WHERE session_id = \(sessionID) ORDER BY COALESCE(joined_at_ms, last_event_at_ms), identity COLLATE "C"
                """, logger: log).collect().map { row in
                let r = row.makeRandomAccess()
                return SessionParticipant(identity: try r["identity"].decode(String.self),
                                          kind: try r["kind"].decode(String.self),
                                          isAgent: try r["is_agent"].decode(Bool.self),
                                          connected: try r["connected"].decode(Bool.self),
                                          joinedAtMs: try r["joined_at_ms"].decode(Int64?.self),
                                          leftAtMs: try r["left_at_ms"].decode(Int64?.self))
            }
        }
    }

    public func ping() async throws {
        try await withConnection("ping", wait: Self.pingWait) { [logger] c in
            _ = try await c.query("SELECT COUNT(*) FROM schema_migrations", logger: logger).collect()
        }
    }

    /// Stops the pool; operations afterwards fail with "the store is closed".
    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    static func record(_ row: PostgresRow) throws -> SessionRecord {
        let r = row.makeRandomAccess()
        func text(_ name: String) throws -> String {
            guard let v = try r[name].decode(String?.self) else { throw SessionStoreError.corrupt("\(name) is missing") }
            return v
        }
        guard let mode = SessionRecord.Mode(rawValue: try text("mode")),
              let status = SessionRecord.Status(rawValue: try text("status")) else {
            throw SessionStoreError.corrupt("mode or status")
        }
        return SessionRecord(id: try text("id"), owner: try text("owner"), roomName: try text("room_name"),
                             participantIdentity: try text("participant_identity"), profile: try text("profile"),
                             agentName: try text("agent_name"), mode: mode,
                             dispatchID: try r["dispatch_id"].decode(String?.self),
                             configJSON: try text("config_json"), status: status,
                             createdAtMs: try r["created_at_ms"].decode(Int64.self),
                             tokenExpiresAtMs: try r["token_expires_at_ms"].decode(Int64.self),
                             endedAtMs: try r["ended_at_ms"].decode(Int64?.self),
                             endReason: try r["end_reason"].decode(String?.self), origin: try text("origin"),
                             roomSID: try r["room_sid"].decode(String?.self))
    }
}
