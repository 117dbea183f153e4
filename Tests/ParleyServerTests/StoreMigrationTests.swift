// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
@testable import ParleyServer
import PostgresNIO
import SQLiteNIO
import Testing

@Suite("Session store migrations")
struct StoreMigrationTests {
    static let v1Session = """
        INSERT INTO sessions (id, owner, room_name, participant_identity, profile, agent_name, mode, dispatch_id,
            config_json, status, created_at_ms, token_expires_at_ms, ended_at_ms, end_reason, origin)
        VALUES ('ses_old', 'alice', 'old-room', 'alice', 'support', 'support-agent', 'voice', NULL, '{}', 'active',
            1000, 2000, NULL, NULL, 'v1')
        """

    /// What the first release wrote, in the backend's dialect: migration 1 only, one active session.
    static func writeVersion1(_ fixture: StoreFixture) async throws {
        switch fixture.settings {
        case .sqlite(let path):
            let c = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
            _ = try await c.query("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)")
            for statement in SQLiteSessionStore.migrations[0].sql { _ = try await c.query(statement) }
            _ = try await c.query("INSERT INTO schema_migrations VALUES (1, 'create sessions', 0)")
            _ = try await c.query(v1Session)
            try await c.close()
        case .postgres(let settings):
            try await PostgresTestServer.shared().withConnection(database: settings.database) { c in
                try await c.query("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
                                  logger: PostgresTestServer.logger)
                for statement in PostgresSchema.migrations[0].sql {
                    try await c.query(PostgresQuery(unsafeSQL: statement), logger: PostgresTestServer.logger)
                }
                try await c.query("INSERT INTO schema_migrations VALUES (1, 'create sessions', 0)", logger: PostgresTestServer.logger)
                try await c.query(PostgresQuery(unsafeSQL: v1Session), logger: PostgresTestServer.logger)
            }
        }
    }

    @Test("both dialects have the same numbered migrations")
    func sameMigrations() {
        #expect(SQLiteSessionStore.migrations.map(\.version) == PostgresSchema.migrations.map(\.version))
        #expect(SQLiteSessionStore.migrations.map(\.name) == PostgresSchema.migrations.map(\.name))
        #expect(SQLiteSessionStore.migrations.map(\.sql.count) == PostgresSchema.migrations.map(\.sql.count))
    }

    @Test("a version-1 store (before webhooks) upgrades in place: rows kept, room_sid empty, webhooks work",
          arguments: StoreBackend.allCases)
    func upgradeFromV1(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        try await Self.writeVersion1(fixture)

        let store = try await fixture.open()
        #expect(try await StoreFixture.schemaVersions(store) == [1, 2])
        let row = try #require(try await store.get(id: "ses_old"))
        #expect(row.roomSID == nil && row.status == .active && row.roomName == "old-room")
        // Without a stored sid, any sid in the event matches (as before).
        let joined = try await store.applyWebhook(.init(id: "EV_1", event: "participant_joined", roomName: "old-room",
                                                        roomSID: "RM_x", createdAtMs: 5000,
                                                        action: .joined(identity: "bot", kind: "AGENT", isAgent: true)),
                                                  atMs: 6000)
        #expect(joined == .applied(sessionID: "ses_old", ended: nil))
        #expect(try await store.participants(sessionID: "ses_old").map(\.identity) == ["bot"])
        // Out of order: a "left" older than the "joined" changes nothing.
        let late = try await store.applyWebhook(.init(id: "EV_0", event: "participant_left", roomName: "old-room",
                                                      createdAtMs: 4000,
                                                      action: .left(identity: "bot", kind: "AGENT", isAgent: true)),
                                                atMs: 6100)
        #expect(late == .recorded(sessionID: "ses_old"))
        #expect(try await store.participants(sessionID: "ses_old").first?.connected == true)
        let fin = try await store.applyWebhook(.init(id: "EV_2", event: "room_finished", roomName: "old-room",
                                                     createdAtMs: 7000, action: .endSession), atMs: 7100)
        guard case .applied(_, let ended?) = fin else { Issue.record("not applied: \(fin)"); return }
        #expect(ended.status == .ended && ended.endReason == "room_finished" && ended.endedAtMs == 7000)
        #expect(try await store.applyWebhook(.init(id: "EV_2", event: "room_finished", roomName: "old-room",
                                                   createdAtMs: 7000, action: .endSession), atMs: 7200) == .duplicate)
        #expect(try await store.countActive() == 0)
        try await store.close()
    }
}
