// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyServer
import Testing

/// The `SessionStore` contract, run against every backend (SQLite and PostgreSQL).
@Suite("Session store")
struct StoreTests {
    static func record(_ id: String, owner: String = "alice", room: String? = nil, createdAtMs: Int64 = 1_000) -> SessionRecord {
        SessionRecord(id: id, owner: owner, roomName: room ?? "room-\(id)", participantIdentity: owner, profile: "support",
                      agentName: "support-agent", mode: .voice, dispatchID: "AD_\(id)", configJSON: #"{"llm":"x"}"#,
                      createdAtMs: createdAtMs, tokenExpiresAtMs: createdAtMs + 21_600_000)
    }

    @Test("the migrations recorded once; reopening keeps rows and does not re-migrate (SQLite: WAL, intact)",
          arguments: StoreBackend.allCases)
    func schemaAndReopen(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        if let sqlite = store as? SQLiteSessionStore {
            let diag = try await sqlite.diagnostics()
            #expect(diag.journalMode == "wal" && diag.integrity == "ok")
        }
        #expect(try await StoreFixture.schemaVersions(store) == [1, 2])
        try await store.insert(Self.record("s1"))
        try await store.close()
        let again = try await fixture.open()
        #expect(try await StoreFixture.schemaVersions(again) == [1, 2])
        #expect(try await again.get(id: "s1") == Self.record("s1"))
        try await again.close()
    }

    @Test("one active session per room, duplicate ids refused, failed inserts change nothing",
          arguments: StoreBackend.allCases)
    func constraints(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend, sqlitePath: ":memory:")
        let store = try await fixture.open()
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

    @Test("list is per owner, newest first, active only unless asked", arguments: StoreBackend.allCases)
    func listing(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend, sqlitePath: ":memory:")
        let store = try await fixture.open()
        try await store.insert(Self.record("a1", createdAtMs: 1))
        try await store.insert(Self.record("a2", createdAtMs: 2))
        try await store.insert(Self.record("b1", owner: "bob", createdAtMs: 3))
        // Equal times: ties in byte order of the id (uppercase before lowercase), on both backends.
        try await store.insert(Self.record("a3", createdAtMs: 0))
        try await store.insert(Self.record("A3", createdAtMs: 0))
        _ = try await store.markEnded(id: "a1", reason: "done", atMs: 10)
        #expect(try await store.list(owner: "alice", includeEnded: false, limit: 10).map(\.id) == ["a2", "A3", "a3"])
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 10).map(\.id) == ["a2", "a1", "A3", "a3"])
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 1).map(\.id) == ["a2"])
        #expect(try await store.countActive() == 4)
        try await store.close()
    }

    @Test("200 concurrent inserts and ends: every row once, no interleaved transactions", arguments: StoreBackend.allCases)
    func concurrency(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
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
        #expect(try await store.countActive() == 100)
        try await store.close()
    }

    @Test("racing creates of one room, and of one id: exactly one wins, the rest get the precise refusal",
          arguments: StoreBackend.allCases)
    func racingCreates(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        func race(_ make: @escaping @Sendable (Int) -> SessionRecord) async -> [Result<String, SessionStoreError>] {
            await withTaskGroup(of: Result<String, SessionStoreError>.self) { group in
                for i in 0..<24 {
                    group.addTask {
                        do {
                            let record = make(i)
                            try await store.insert(record)
                            return .success(record.id)
                        } catch let e as SessionStoreError {
                            return .failure(e)
                        } catch {
                            return .failure(.corrupt("unexpected: \(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        let room = await race { Self.record("room-race-\($0)", room: "contested") }
        #expect(room.filter { if case .success = $0 { true } else { false } }.count == 1)
        #expect(room.filter { $0 == .failure(.roomInUse("contested")) }.count == 23, "\(room)")
        let id = await race { Self.record("same-id", room: "id-race-\($0)") }
        #expect(id.filter { if case .success = $0 { true } else { false } }.count == 1)
        #expect(id.filter { $0 == .failure(.duplicateID("same-id")) }.count == 23, "\(id)")
        #expect(try await store.list(owner: "alice", includeEnded: true, limit: 100).count == 2)
        try await store.close()
    }

    @Test("one webhook delivered 16 times at once, and concurrent ends: applied once, first end wins",
          arguments: StoreBackend.allCases)
    func racingWebhooksAndEnds(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        let store = try await fixture.open()
        try await store.insert(Self.record("w1", room: "wr"))
        let event = WebhookEventRecord(id: "EV_same", event: "participant_joined", roomName: "wr", createdAtMs: 5_000,
                                       action: .joined(identity: "bot", kind: "AGENT", isAgent: true))
        let outcomes = try await withThrowingTaskGroup(of: WebhookOutcome.self) { group in
            for _ in 0..<16 { group.addTask { try await store.applyWebhook(event, atMs: 6_000) } }
            return try await group.reduce(into: [WebhookOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .applied(sessionID: "w1", ended: nil) }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .duplicate }.count == 15)
        #expect(try await store.participants(sessionID: "w1").map(\.identity) == ["bot"])

        let ends = try await withThrowingTaskGroup(of: SessionRecord?.self) { group in
            for i in 0..<16 { group.addTask { try await store.markEnded(id: "w1", reason: "r\(i)", atMs: Int64(10_000 + i)) } }
            return try await group.reduce(into: [SessionRecord?]()) { $0.append($1) }
        }
        // Every caller sees the one stored end, whichever won.
        let stored = try #require(try await store.get(id: "w1"))
        #expect(stored.status == .ended && ends.allSatisfy { $0 == stored })
        #expect(try await store.countActive() == 0)
        try await store.close()
    }

    @Test("two servers opening one store at once: migrated once, each sees the other's rows",
          arguments: StoreBackend.allCases)
    func twoInstances(backend: StoreBackend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.cleanUp() }
        async let first = fixture.open()
        async let second = fixture.open()
        let (a, b) = try await (first, second)
        #expect(try await StoreFixture.schemaVersions(a) == [1, 2])
        #expect(try await StoreFixture.schemaVersions(b) == [1, 2])
        try await a.insert(Self.record("from-a", room: "shared"))
        #expect(try await b.get(id: "from-a") == Self.record("from-a", room: "shared"))
        await #expect(throws: SessionStoreError.roomInUse("shared")) { try await b.insert(Self.record("from-b", room: "shared")) }
        _ = try await b.markEnded(id: "from-a", reason: "b", atMs: 2_000)
        #expect(try await a.get(id: "from-a")?.endReason == "b")
        try await a.close()
        try await b.close()
    }
}
