// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyServer
import Testing

/// The store backends every store-level test runs against (`@Test(arguments: StoreBackend.allCases)`).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Where one test's sessions live: a temp SQLite file (or `:memory:`), or a fresh database on the
/// test PostgreSQL server. `open()` may be called again to "restart" on the same data.
struct StoreFixture: Sendable {
    let backend: StoreBackend
    let settings: SessionStoreSettings

    static func make(_ backend: StoreBackend, sqlitePath: String? = nil, maxConnections: Int = 10) async throws
        -> StoreFixture {
        switch backend {
        case .sqlite:
            let path = sqlitePath ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("parley-store-\(UUID().uuidString).sqlite").path
            return StoreFixture(backend: backend, settings: .sqlite(path: path))
        case .postgres:
            let server = try PostgresTestServer.shared()
            return StoreFixture(backend: backend,
                                settings: .postgres(try await server.makeDatabase(maxConnections: maxConnections)))
        }
    }

    func open() async throws -> any SessionStore {
        try await settings.open(logger: .init(label: "parley.test.store"))
    }

    var sqlitePath: String? {
        if case .sqlite(let path) = settings { path } else { nil }
    }

    var postgres: PostgresStoreSettings? {
        if case .postgres(let s) = settings { s } else { nil }
    }

    /// The `server.store` YAML for a `parley serve` config using this store.
    var yaml: String {
        switch settings {
        case .sqlite(let path): #"{ sqlite: "\#(path)" }"#
        case .postgres(let s):
            #"{ kind: postgres, url: "\#(PostgresTestServer.url(s))" }"#
        }
    }

    /// SQLite files go; a Postgres database stays until its cluster is removed at exit.
    func cleanUp() {
        guard let path = sqlitePath, path != ":memory:" else { return }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The applied schema versions, whichever the backend.
    static func schemaVersions(_ store: any SessionStore) async throws -> [Int] {
        switch store {
        case let s as SQLiteSessionStore: try await s.schemaVersions()
        case let s as PostgresSessionStore: try await s.schemaVersions()
        default: throw PeerError("unknown store \(type(of: store))")
        }
    }
}
