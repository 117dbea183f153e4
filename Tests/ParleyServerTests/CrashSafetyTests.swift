// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyLiveKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ParleyServer
import Synchronization
import Testing

/// Runs the real `parley serve` binary, `kill -9`s it in the middle of a burst of creates, and
/// checks the store (the SQLite file, or the PostgreSQL database): every session the server
/// acknowledged (201) is there exactly once (SQLite: the file is intact), and a restarted server
/// serves them, after reconciling away the sessions whose rooms were deleted while it was down.
@Suite("Crash safety of parley serve", .serialized)
struct CrashSafetyTests {
    static let apiKey = "crash-test-key-0123456789abcdef"

    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("parley").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("parley")
    }

    static func startServer(config: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--config", config, "--port", "\(port)", "--log-level", "warning"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func waitHealthy(port: Int) async throws {
        for _ in 0..<200 {
            if let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!),
               (r as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw PeerError("parley serve did not come up on \(port)")
    }

    static func kill9(_ p: Process) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        for _ in 0..<200 where p.isRunning { usleep(10_000) }
    }

    @Test("kill -9 during a burst of concurrent creates: no acknowledged session lost or duplicated",
          arguments: StoreBackend.allCases)
    func killDuringBurst(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixture = try await StoreFixture.make(backend, sqlitePath: dir.appendingPathComponent("sessions.sqlite").path)
        let configPath = dir.appendingPathComponent("server.yaml").path
        try """
            livekit: { url: "\(peer.url)", api_key: devkey, api_secret: secret }
            server:
              auth: { api_keys: [ { name: loadgen, key: \(Self.apiKey) } ] }
              store: \(fixture.yaml)
              profiles: { support: { agent_name: support-agent } }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)

        let port = try freePort()
        let server = try Self.startServer(config: configPath, port: port)
        defer { Self.kill9(server) }
        try await Self.waitHealthy(port: port)

        let serverPID = server.processIdentifier
        let acknowledged = Acknowledged()
        let killAfter = 40
        let burst = 600 // large enough that the kill lands mid-burst even when the server is quick
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<burst {
                group.addTask {
                    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/sessions")!)
                    request.httpMethod = "POST"
                    request.setValue(Self.apiKey, forHTTPHeaderField: "X-API-Key")
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = Data(#"{"agent": "support", "room_name": "burst-\#(i)"}"#.utf8)
                    guard let (data, response) = try? await URLSession.shared.data(for: request),
                          (response as? HTTPURLResponse)?.statusCode == 201,
                          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                          let id = json["session_id"] as? String else { return }
                    let count = acknowledged.ids.withLock { $0.append(id); return $0.count }
                    if count == killAfter { kill(serverPID, SIGKILL) }
                }
            }
            try await group.waitForAll()
        }
        Self.kill9(server)
        let acked = acknowledged.ids.withLock { $0 }
        #expect(acked.count >= killAfter && acked.count < burst, "the kill landed mid-burst (\(acked.count) acknowledged)")

        // The store after the crash: every acknowledged row exactly once (SQLite: the file intact).
        let store = try await fixture.open()
        if let sqlite = store as? SQLiteSessionStore {
            let diag = try await sqlite.diagnostics()
            #expect(diag.integrity == "ok" && diag.journalMode == "wal")
        }
        let rows = try await store.list(owner: "loadgen", includeEnded: true, limit: 1000)
        let ids = rows.map(\.id)
        #expect(Set(ids).count == ids.count, "no duplicated rows")
        #expect(Set(acked).isSubset(of: Set(ids)), "missing: \(Set(acked).subtracting(ids))")
        #expect(Set(rows.map(\.roomName)).count == rows.count)
        try await store.close()

        // While the server is down, some rooms go away behind its back.
        let gone = Array(rows.prefix(5))
        let rooms = try RoomServiceClient(url: peer.url, apiKey: "devkey", apiSecret: "secret")
        for row in gone { try await rooms.deleteRoom(row.roomName) }

        // A restarted server on the same file serves them.
        let port2 = try freePort()
        let again = try Self.startServer(config: configPath, port: port2)
        defer { Self.kill9(again) }
        try await Self.waitHealthy(port: port2)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port2)/v1/sessions?limit=500")!)
        request.setValue(Self.apiKey, forHTTPHeaderField: "X-API-Key")
        let (data, _) = try await URLSession.shared.data(for: request)
        let listed = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { $0["session_id"] as? String }) == Set(ids).subtracting(gone.map(\.id)))
        // Reconciled at start: ended with reason `reconciled`, still there (no row lost).
        var all = URLRequest(url: URL(string: "http://127.0.0.1:\(port2)/v1/sessions?limit=500&include_ended=true")!)
        all.setValue(Self.apiKey, forHTTPHeaderField: "X-API-Key")
        let (allData, _) = try await URLSession.shared.data(for: all)
        let everything = (try JSONSerialization.jsonObject(with: allData) as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
        #expect(everything.count == ids.count)
        for row in gone {
            let s = everything.first { $0["session_id"] as? String == row.id }
            #expect(s?["status"] as? String == "ended" && s?["end_reason"] as? String == "reconciled", "\(row.id)")
        }
    }
}

final class Acknowledged: Sendable {
    let ids = Mutex<[String]>([])
}
