// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import ParleyLiveKit
@testable import ParleyServer
import Testing

@Suite("Reconciliation with LiveKit on start", .serialized)
struct ReconcileTests {
    @Test("a room deleted behind the server's back: after a restart its session is ended (reconciled), the others stay",
          arguments: StoreBackend.allCases)
    func roomGone(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: backend)
        defer { h.cleanUpFiles() }
        let alice = Harness.userToken("alice")
        let ids: [String] = try await h.run { client in
            var ids: [String] = []
            for i in 0..<3 {
                let r = try await client.call(.post, "/v1/sessions", auth: alice,
                                              body: #"{"agent": "support", "room_name": "rec-\#(i)"}"#)
                #expect(r.status == .created, "\(r.text)")
                ids.append(try #require(r.json["session_id"] as? String))
            }
            return ids
        }
        // Behind the server's back (the store is closed: the server is "down").
        try await h.rooms.deleteRoom("rec-1")

        let restarted = try await Harness.make(livekitURL: peer.url, fixture: h.fixture)
        let report = await restarted.service.reconcile()
        #expect(report == .init(checked: 3, ended: [ids[1]], completed: true))
        let again = await restarted.service.reconcile()
        #expect(again == .init(checked: 2, ended: [], completed: true), "a second pass ends nothing")
        let gone = try #require(try await restarted.store.get(id: ids[1]))
        #expect(gone.status == .ended && gone.endReason == "reconciled" && gone.endedAtMs != nil)
        for id in [ids[0], ids[2]] { #expect(try await restarted.store.get(id: id)?.status == .active) }
        try await restarted.store.close()

        // LiveKit unreachable at start: nothing is ended on a guess.
        let dead = try await Harness.make(livekitURL: "http://127.0.0.1:\(try freePort())", fixture: h.fixture)
        let blind = await dead.service.reconcile()
        #expect(blind == .init(checked: 2, ended: [], completed: false))
        #expect(try await dead.store.countActive() == 2)
        try await dead.store.close()
    }

    @Test("parley serve reconciles at start: restart after a room vanished → the session reads ended/reconciled",
          arguments: StoreBackend.allCases)
    func serveReconcilesAtStart(backend: StoreBackend) async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixture = try await StoreFixture.make(backend, sqlitePath: dir.appendingPathComponent("s.sqlite").path)
        let configPath = dir.appendingPathComponent("server.yaml").path
        let key = CrashSafetyTests.apiKey
        try """
            livekit: { url: "\(peer.url)", api_key: devkey, api_secret: secret }
            server:
              auth: { api_keys: [ { name: ops, key: \(key) } ] }
              store: \(fixture.yaml)
              profiles: { support: { agent_name: support-agent } }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)

        func call(_ port: Int, _ method: String, _ path: String, _ body: String? = nil) async throws -> [String: Any] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.setValue(key, forHTTPHeaderField: "X-API-Key")
            if let body {
                request.httpBody = Data(body.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, _) = try await URLSession.shared.data(for: request)
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }

        let port = try freePort()
        let first = try CrashSafetyTests.startServer(config: configPath, port: port)
        defer { CrashSafetyTests.kill9(first) }
        try await CrashSafetyTests.waitHealthy(port: port)
        let kept = try #require(try await call(port, "POST", "/v1/sessions", #"{"agent": "support", "room_name": "keep"}"#)["session_id"] as? String)
        let lost = try #require(try await call(port, "POST", "/v1/sessions", #"{"agent": "support", "room_name": "lose"}"#)["session_id"] as? String)
        CrashSafetyTests.kill9(first)
        try await RoomServiceClient(url: peer.url, apiKey: "devkey", apiSecret: "secret").deleteRoom("lose")

        let port2 = try freePort()
        let second = try CrashSafetyTests.startServer(config: configPath, port: port2)
        defer { CrashSafetyTests.kill9(second) }
        try await CrashSafetyTests.waitHealthy(port: port2)
        let lostNow = try await call(port2, "GET", "/v1/sessions/\(lost)")
        #expect(lostNow["status"] as? String == "ended" && lostNow["end_reason"] as? String == "reconciled", "\(lostNow)")
        let keptNow = try await call(port2, "GET", "/v1/sessions/\(kept)")
        #expect(keptNow["status"] as? String == "active")
        // The restarted server's /metrics counted it.
        let (metrics, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port2)/metrics")!)
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(text.contains(#"parley_sessions_ended_total{reason="reconciled"} 1"#), "\(text)")
        #expect(text.contains("parley_sessions_active 1"))
    }
}
