// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import PostgresNIO

/// The session store's tables in PostgreSQL's dialect: the same numbered migrations, tables,
/// columns, checks and indices as `SQLiteSessionStore.migrations` (BIGINT for SQLite's
/// INTEGER, BOOLEAN for its 0/1 flags), recorded in the same `schema_migrations` table.
enum PostgresSchema {
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
                created_at_ms BIGINT NOT NULL,
                token_expires_at_ms BIGINT NOT NULL,
                ended_at_ms BIGINT,
                end_reason TEXT,
                origin TEXT NOT NULL
            )
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
                received_at_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhook_events_received ON webhook_events (received_at_ms)",
            """
            CREATE TABLE session_participants (
                session_id TEXT NOT NULL REFERENCES sessions (id),
                identity TEXT NOT NULL,
                kind TEXT NOT NULL,
                is_agent BOOLEAN NOT NULL,
                connected BOOLEAN NOT NULL,
                joined_at_ms BIGINT,
                left_at_ms BIGINT,
                last_event_at_ms BIGINT NOT NULL,
                PRIMARY KEY (session_id, identity)
            )
            """,
        ]),
    ]

    /// The key of the transaction-scoped advisory lock every migration step takes first, so
    /// several `parley serve` instances starting at once against one database migrate one at a
    /// time (PostgreSQL 15 §9.27.10 "Advisory Lock Functions"). ASCII "parley" as a number.
    static let migrationLockKey: Int64 = 0x70_61_72_6C_65_79

    /// Brings the database up to the newest version, one transaction per step.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        try await inTransaction(connection, logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    applied_at_ms BIGINT NOT NULL)
                """, logger: logger)
        }
        for migration in migrations {
            try await inTransaction(connection, logger: logger) { c in
                try await c.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
                let done = try await c.query("SELECT 1 FROM schema_migrations WHERE version = \(migration.version)",
                                             logger: logger).collect()
                guard done.isEmpty else { return }
                for statement in migration.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("""
                    INSERT INTO schema_migrations (version, name, applied_at_ms)
                    VALUES (\(migration.version), \(migration.name), \(SQLiteSessionStore.nowMs()))
                    """, logger: logger)
                logger.info("applied store migration", metadata: ["version": "\(migration.version)",
                                                                  "name": "\(migration.name)", "backend": "postgres"])
            }
        }
    }

    /// BEGIN … COMMIT around `body` on one connection; ROLLBACK and the original error on failure.
    /// (postgres-nio's `withTransaction` wraps errors in its own type; the store wants them as thrown.)
    static func inTransaction<T: Sendable>(_ connection: PostgresConnection, logger: Logger,
                                           _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
