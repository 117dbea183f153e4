// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyServer
import Testing

@Suite("SQLite session store")
struct StoreTests {
    static func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("parley-store-\(UUID().uuidString).sqlite").path
    }

    static func remove(_ path: String) {
        for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) }
    }

    static func record(_ id: String, owner: String = "alice", room: String? = nil, createdAtMs: Int64 = 1_000) -> SessionRecord {
        SessionRecord(id: id, owner: owner, roomName: room ?? "room-\(id)", participantIdentity: owner, profile: "support",
                      agentName: "support-agent", mode: .voice, dispatchID: "AD_\(id)", configJSON: #"{"llm":"x"}"#,
                      createdAtMs: createdAtMs, tokenExpiresAtMs: createdAtMs + 21_600_000)
    }

    @Test("WAL mode, one recorded migration, reopening keeps rows and does not re-migrate")
    func schemaAndReopen() async throws {
        let path = Self.tempPath()
        defer { Self.remove(path) }
        let store = try await SQLiteSessionStore.open(path: path)
        let diag = try await store.diagnostics()
        #expect(diag.journalMode == "wal" && diag.integrity == "ok")
        #expect(try await store.schemaVersions() == [1, 2])
        try await store.insert(Self.record("s1"))
        try await store.close()
        let again = try await SQLiteSessionStore.open(path: path)
        #expect(try await again.schemaVersions() == [1, 2])
        #expect(try await again.get(id: "s1") == Self.record("s1"))
        try await again.close()
    }

    @Test("one active session per room, duplicate ids refused, failed inserts change nothing")
    func constraints() async throws {
        let store = try await SQLiteSessionStore.open(path: ":memory:")
        try await store.insert(Self.record("s1", room: "r"))
        await #expect(throws: SessionStoreError.roomInUse("r")) { try await store.insert(Self.record("s2", room: "r")) }
        await #expect(throws: SessionStoreError.duplicateID("s1")) { try await store.insert(Self.record("s1", room: "q")) }
        #expect(try await store.get(id: "s2") == nil)
        #expect(try await store.activeSessions().map(\.id) == ["s1"])
        // Ended sessions free the room name.
        let ended = try await store.markEnded(id: "s1", reason: "user", atMs: 5_000)
        #expect(ended?.status == .ended && ended?.endReason == "user" && ended?.endedAtMs == 5_000)
        try await store.insert(Self.record("s2", room: "r"))
        // Ending twice keeps the first reason and time.
        let twice = try await store.markEnded(id: "s1", reason: "other", atMs: 9_000)
        #expect(twice?.endReason == "user" && twice?.endedAtMs == 5_000)
        #expect(try await store.markEnded(id: "nope", reason: "x", atMs: 1) == nil)
        try await store.close()
    }

    @Test("list is per owner, newest first, active only unless asked")
    func listing() async throws {
        let store = try await SQLiteSessionStore.open(path: ":memory:")
        try await store.insert(Self.record("a1", createdAtMs: 1))
        try await store.insert(Self.record("a2", createdAtMs: 2))
        try await store.insert(Self.record("b1", owner: "bob", createdAtMs: 3))
        _ = try await store.markEnded(id: "a1", reason: "done", atMs: 10)
        #expect(try await store.list(owner: "alice", includeEnded: false, limit: 10).map(\.id) == ["a2"])
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 10).map(\.id) == ["a2", "a1"])
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 1).map(\.id) == ["a2"])
        try await store.close()
    }

    @Test("200 concurrent inserts and ends: every row once, no interleaved transactions")
    func concurrency() async throws {
        let path = Self.tempPath()
        defer { Self.remove(path) }
        let store = try await SQLiteSessionStore.open(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store.insert(Self.record("c\(i)", createdAtMs: Int64(i)))
                    if i % 2 == 0 { _ = try await store.markEnded(id: "c\(i)", reason: "even", atMs: 1) }
                }
            }
            try await group.waitForAll()
        }
        let all = try await store.list(owner: "alice", includeEnded: true, limit: 500)
        #expect(all.count == 200 && Set(all.map(\.id)).count == 200)
        #expect(try await store.activeSessions().count == 100)
        try await store.close()
    }
}
