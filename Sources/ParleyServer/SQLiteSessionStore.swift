// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import SQLiteNIO

/// The default store: one SQLite file in WAL mode (readers never block the writer; a `kill -9`
/// loses no committed transaction), one connection, every operation a transaction behind an
/// async FIFO lock. The schema is versioned by `schema_migrations`.
public final class SQLiteSessionStore: SessionStore {
    private let connection: SQLiteConnection
    private let lock = AsyncSerialLock()
    public let path: String

    /// Ordered schema steps; a step runs once, in the same transaction that records it.
    static let migrations: [(version: Int, name: String, sql: [String])] = [
        (1, "create sessions", [
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY NOT NULL,
                owner TEXT NOT NULL,
                room_name TEXT NOT NULL,
                participant_identity TEXT NOT NULL,
                profile TEXT NOT NULL,
                agent_name TEXT NOT NULL,
                mode TEXT NOT NULL CHECK (mode IN ('voice', 'video')),
                dispatch_id TEXT,
                config_json TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
                created_at_ms INTEGER NOT NULL,
                token_expires_at_ms INTEGER NOT NULL,
                ended_at_ms INTEGER,
                end_reason TEXT,
                origin TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX sessions_owner_status ON sessions (owner, status, created_at_ms)",
            // A room hosts at most one active session; ended ones keep their name for history.
            "CREATE UNIQUE INDEX sessions_active_room ON sessions (room_name) WHERE status = 'active'",
        ]),
        (2, "webhook events and participants", [
            // LiveKit's room sid, so a late webhook from an earlier room of the same name is told apart.
            "ALTER TABLE sessions ADD COLUMN room_sid TEXT",
            // Every applied LiveKit webhook id, so a redelivery changes nothing (pruned after a week).
            """
            CREATE TABLE webhook_events (
                id TEXT PRIMARY KEY NOT NULL,
                event TEXT NOT NULL,
                room_name TEXT,
                session_id TEXT,
                received_at_ms INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX webhook_events_received ON webhook_events (received_at_ms)",
            """
            CREATE TABLE session_participants (
                session_id TEXT NOT NULL REFERENCES sessions (id),
                identity TEXT NOT NULL,
                kind TEXT NOT NULL,
                is_agent INTEGER NOT NULL,
                connected INTEGER NOT NULL,
                joined_at_ms INTEGER,
                left_at_ms INTEGER,
                last_event_at_ms INTEGER NOT NULL,
                PRIMARY KEY (session_id, identity)
            ) STRICT
            """,
        ]),
    ]

    /// Webhook ids are kept this long for deduplication (LiveKit retries within minutes).
    static let webhookRetentionMs: Int64 = 7 * 86_400_000

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Opens (creating if needed) and migrates the database at `path` (`:memory:` for a private one).
    public static func open(path: String, logger: Logger = Logger(label: "parley.server.store")) async throws
        -> SQLiteSessionStore {
        let storage: SQLiteConnection.Storage = path == ":memory:" ? .memory : .file(path: path)
        // Two servers opening a new file at the same moment can get SQLITE_BUSY at once, without
        // the busy timeout applying (the switch to WAL and the first schema write race for the
        // same locks): start over on a fresh connection, for as long as the busy timeout would wait.
        var attempt = 0
        while true {
            let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
            let store = SQLiteSessionStore(connection: connection, path: path)
            do {
                try await store.configure()
                try await store.migrate(logger: logger)
                return store
            } catch let error as SQLiteError where error.reason == .busy && attempt < 100 {
                try? await connection.close()
                attempt += 1
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                try? await connection.close()
                throw error
            }
        }
    }

    private func configure() async throws {
        // First: switching to WAL takes an exclusive lock, which another process opening the
        // same file at that moment holds too; with the timeout set, it waits instead of failing.
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        // NORMAL in WAL mode: a process crash (kill -9) never loses a commit; only an OS crash or
        // power cut can drop the last transactions, and never corrupts the file.
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        _ = try await connection.query("PRAGMA foreign_keys = ON")
    }

    private func migrate(logger: Logger) async throws {
        try await transaction { c in
            _ = try await c.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    applied_at_ms INTEGER NOT NULL)
                """)
        }
        for migration in Self.migrations {
            try await transaction { c in
                let done = try await c.query("SELECT 1 FROM schema_migrations WHERE version = ?",
                                             [.integer(SQLiteInt64(migration.version))])
                guard done.isEmpty else { return }
                for statement in migration.sql { _ = try await c.query(statement) }
                _ = try await c.query("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
                                      [.integer(SQLiteInt64(migration.version)), .text(migration.name), .integer(SQLiteInt64(Self.nowMs()))])
                logger.info("applied store migration", metadata: ["version": "\(migration.version)",
                                                                  "name": "\(migration.name)"])
            }
        }
    }

    /// The applied schema versions (for tests and diagnostics).
    public func schemaVersions() async throws -> [Int] {
        try await lock.withLock {
            try await self.connection.query("SELECT version FROM schema_migrations ORDER BY version").compactMap {
                $0.column("version")?.integer.map { Int($0) }
            }
        }
    }

    /// `PRAGMA journal_mode` (expected `wal`) and `PRAGMA integrity_check` (expected `ok`).
    public func diagnostics() async throws -> (journalMode: String, integrity: String) {
        try await read { c in
            let mode = try await c.query("PRAGMA journal_mode").first?.column("journal_mode")?.string ?? "?"
            let check = try await c.query("PRAGMA integrity_check").first?.column("integrity_check")?.string ?? "?"
            return (mode, check)
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on any error.
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T)
        async throws -> T {
        let c = connection
        return try await lock.withLock {
            _ = try await c.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(c)
                _ = try await c.query("COMMIT")
                return value
            } catch {
                _ = try? await c.query("ROLLBACK")
                throw error
            }
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let c = connection
        return try await lock.withLock { try await body(c) }
    }

    static let columns = """
        id, owner, room_name, participant_identity, profile, agent_name, mode, dispatch_id, config_json, status,
        created_at_ms, token_expires_at_ms, ended_at_ms, end_reason, origin, room_sid
        """

    public func insert(_ s: SessionRecord) async throws {
        try await transaction { c in
            if try await !c.query("SELECT 1 FROM sessions WHERE id = ?", [.text(s.id)]).isEmpty {
                throw SessionStoreError.duplicateID(s.id)
            }
            if try await !c.query("SELECT 1 FROM sessions WHERE room_name = ? AND status = 'active'",
                                  [.text(s.roomName)]).isEmpty {
                throw SessionStoreError.roomInUse(s.roomName)
            }
            _ = try await c.query("INSERT INTO sessions (\(Self.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
                .text(s.id), .text(s.owner), .text(s.roomName), .text(s.participantIdentity), .text(s.profile),
                .text(s.agentName), .text(s.mode.rawValue), s.dispatchID.map { .text($0) } ?? .null,
                .text(s.configJSON), .text(s.status.rawValue), .integer(SQLiteInt64(s.createdAtMs)), .integer(SQLiteInt64(s.tokenExpiresAtMs)),
                s.endedAtMs.map { .integer(SQLiteInt64($0)) } ?? .null, s.endReason.map { .text($0) } ?? .null, .text(s.origin),
                s.roomSID.map { .text($0) } ?? .null,
            ])
        }
    }

    public func get(id: String) async throws -> SessionRecord? {
        try await read { c in
            try await c.query("SELECT \(Self.columns) FROM sessions WHERE id = ?", [.text(id)]).first.map(Self.record)
        }
    }

    public func activeSession(roomName: String) async throws -> SessionRecord? {
        try await read { c in
            try await c.query("SELECT \(Self.columns) FROM sessions WHERE room_name = ? AND status = 'active'",
                              [.text(roomName)]).first.map(Self.record)
        }
    }

    public func list(owner: String, includeEnded: Bool, limit: Int) async throws -> [SessionRecord] {
        try await read { c in
            try await c.query("""
                SELECT \(Self.columns) FROM sessions WHERE owner = ? \(includeEnded ? "" : "AND status = 'active'")
                ORDER BY created_at_ms DESC, id LIMIT ?
                """, [.text(owner), .integer(SQLiteInt64(limit))]).map(Self.record)
        }
    }

    public func activeSessions() async throws -> [SessionRecord] {
        try await read { c in
            try await c.query("SELECT \(Self.columns) FROM sessions WHERE status = 'active' ORDER BY created_at_ms")
                .map(Self.record)
        }
    }

    public func markEnded(id: String, reason: String, atMs: Int64) async throws -> SessionRecord? {
        try await transaction { c in
            _ = try await c.query("""
                UPDATE sessions SET status = 'ended', ended_at_ms = ?, end_reason = ?
                WHERE id = ? AND status = 'active'
                """, [.integer(SQLiteInt64(atMs)), .text(reason), .text(id)])
            return try await c.query("SELECT \(Self.columns) FROM sessions WHERE id = ?", [.text(id)]).first
                .map(Self.record)
        }
    }

    public func countActive() async throws -> Int {
        try await read { c in
            let n = try await c.query("SELECT COUNT(*) AS n FROM sessions WHERE status = 'active'").first?.column("n")?.integer
            return n ?? 0
        }
    }

    public func applyWebhook(_ e: WebhookEventRecord, atMs: Int64) async throws -> WebhookOutcome {
        try await transaction { c in
            if let id = e.id {
                if try await !c.query("SELECT 1 FROM webhook_events WHERE id = ?", [.text(id)]).isEmpty { return .duplicate }
            }
            let session: SessionRecord? = if let room = e.roomName {
                try await c.query("SELECT \(Self.columns) FROM sessions WHERE room_name = ? AND status = 'active'",
                                  [.text(room)]).first.map(Self.record)
            } else {
                nil
            }
            if let id = e.id {
                _ = try await c.query("DELETE FROM webhook_events WHERE received_at_ms < ?",
                                      [.integer(SQLiteInt64(atMs - Self.webhookRetentionMs))])
                _ = try await c.query("""
                    INSERT INTO webhook_events (id, event, room_name, session_id, received_at_ms) VALUES (?, ?, ?, ?, ?)
                    """, [.text(id), .text(e.event), e.roomName.map { .text($0) } ?? .null,
                          session.map { .text($0.id) } ?? .null, .integer(SQLiteInt64(atMs))])
            }
            guard let session else { return .noSession }
            // Same name, another room (an earlier one's late event): not this session's.
            if let sid = e.roomSID, let mine = session.roomSID, sid != mine { return .noSession }
            let eventMs = e.createdAtMs > 0 ? e.createdAtMs : atMs
            switch e.action {
            case .none:
                return .recorded(sessionID: session.id)
            case .endSession:
                _ = try await c.query("""
                    UPDATE sessions SET status = 'ended', ended_at_ms = ?, end_reason = 'room_finished'
                    WHERE id = ? AND status = 'active'
                    """, [.integer(SQLiteInt64(eventMs)), .text(session.id)])
                _ = try await c.query("""
                    UPDATE session_participants SET connected = 0, left_at_ms = COALESCE(left_at_ms, ?)
                    WHERE session_id = ? AND connected = 1
                    """, [.integer(SQLiteInt64(eventMs)), .text(session.id)])
                let ended = try await c.query("SELECT \(Self.columns) FROM sessions WHERE id = ?", [.text(session.id)])
                    .first.map(Self.record)
                return .applied(sessionID: session.id, ended: ended)
            case .joined(let identity, let kind, let isAgent), .left(let identity, let kind, let isAgent):
                let joined: Bool
                if case .joined = e.action { joined = true } else { joined = false }
                let last = try await c.query("""
                    SELECT last_event_at_ms FROM session_participants WHERE session_id = ? AND identity = ?
                    """, [.text(session.id), .text(identity)]).first?.column("last_event_at_ms")?.integer
                // An event older than the last one applied for this participant arrived late: keep the newer state.
                if let last, Int64(last) > eventMs { return .recorded(sessionID: session.id) }
                _ = try await c.query("""
                    INSERT INTO session_participants
                        (session_id, identity, kind, is_agent, connected, joined_at_ms, left_at_ms, last_event_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (session_id, identity) DO UPDATE SET
                        kind = excluded.kind, is_agent = excluded.is_agent, connected = excluded.connected,
                        joined_at_ms = COALESCE(excluded.joined_at_ms, session_participants.joined_at_ms),
                        left_at_ms = excluded.left_at_ms, last_event_at_ms = excluded.last_event_at_ms
                    """, [.text(session.id), .text(identity), .text(kind), .integer(isAgent ? 1 : 0),
                          .integer(joined ? 1 : 0), joined ? .integer(SQLiteInt64(eventMs)) : .null,
                          joined ? .null : .integer(SQLiteInt64(eventMs)), .integer(SQLiteInt64(eventMs))])
                return .applied(sessionID: session.id, ended: nil)
            }
        }
    }

    public func participants(sessionID: String) async throws -> [SessionParticipant] {
        try await read { c in
            try await c.query("""
                SELECT identity, kind, is_agent, connected, joined_at_ms, left_at_ms FROM session_participants
                WHERE session_id = ? ORDER BY COALESCE(joined_at_ms, last_event_at_ms), identity
                """, [.text(sessionID)]).map { row in
                func optInt(_ name: String) -> Int64? {
                    row.column(name).flatMap { $0.isNull ? nil : $0.integer }.map(Int64.init)
                }
                return SessionParticipant(identity: row.column("identity")?.string ?? "",
                                          kind: row.column("kind")?.string ?? "STANDARD",
                                          isAgent: row.column("is_agent")?.integer == 1,
                                          connected: row.column("connected")?.integer == 1,
                                          joinedAtMs: optInt("joined_at_ms"), leftAtMs: optInt("left_at_ms"))
            }
        }
    }

    public func ping() async throws {
        _ = try await read { c in try await c.query("SELECT COUNT(*) FROM schema_migrations").count }
    }

    public func close() async throws {
        try await lock.withLock { try await self.connection.close() }
    }

    static func record(_ row: SQLiteRow) throws -> SessionRecord {
        func text(_ name: String) throws -> String {
            guard let v = row.column(name)?.string else { throw SessionStoreError.corrupt("\(name) is missing") }
            return v
        }
        func optionalText(_ name: String) -> String? {
            guard let v = row.column(name), !v.isNull else { return nil }
            return v.string
        }
        func int(_ name: String) throws -> Int64 {
            guard let v = row.column(name)?.integer else { throw SessionStoreError.corrupt("\(name) is missing") }
            return Int64(v)
        }
        guard let mode = SessionRecord.Mode(rawValue: try text("mode")),
              let status = SessionRecord.Status(rawValue: try text("status")) else {
            throw SessionStoreError.corrupt("mode or status")
        }
        let ended = row.column("ended_at_ms").flatMap { $0.isNull ? nil : $0.integer }.map(Int64.init)
        return SessionRecord(id: try text("id"), owner: try text("owner"), roomName: try text("room_name"),
                             participantIdentity: try text("participant_identity"), profile: try text("profile"),
                             agentName: try text("agent_name"), mode: mode, dispatchID: optionalText("dispatch_id"),
                             configJSON: try text("config_json"), status: status,
                             createdAtMs: try int("created_at_ms"), tokenExpiresAtMs: try int("token_expires_at_ms"),
                             endedAtMs: ended, endReason: optionalText("end_reason"), origin: try text("origin"),
                             roomSID: optionalText("room_sid"))
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
