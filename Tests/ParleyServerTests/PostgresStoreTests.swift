// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Logging
@testable import ParleyServer
import PostgresNIO
import Synchronization
import Testing

/// What only the PostgreSQL store has: connection URLs, connection failures reported as such,
/// the password kept out of every error and log line, /readyz when the database goes away.
/// (The shared store contract runs in `StoreTests` and the HTTP suites against both backends.)
@Suite("PostgreSQL session store")
struct PostgresStoreTests {
    // MARK: URLs (no server needed)

    @Test("connection URLs: host, port, [IPv6], socket directories, %-escapes, defaults")
    func urls() throws {
        let full = try PostgresStoreSettings(url: "postgres://parley:p%40ss%3Aw0rd@db.internal:5433/sessions?sslmode=require&connect_timeout=3&application_name=edge")
        #expect(full.endpoint == .tcp(host: "db.internal", port: 5433))
        #expect(full.username == "parley" && full.password == "p@ss:w0rd" && full.database == "sessions")
        #expect(full.tlsMode == .require && full.connectTimeout == .seconds(3) && full.applicationName == "edge")
        #expect(full.redactedURL == "postgres://parley:<redacted>@db.internal:5433/sessions?sslmode=require")
        #expect("\(full)" == full.redactedURL && String(reflecting: full) == full.redactedURL)
        var dumped = ""
        dump(full, to: &dumped)
        #expect(!dumped.contains("w0rd"), "\(dumped)")

        let v6 = try PostgresStoreSettings(url: "postgresql://u@[::1]/d")
        #expect(v6.endpoint == .tcp(host: "::1", port: 5432) && v6.password == nil && v6.tlsMode == .prefer)
        #expect(v6.redactedURL == "postgres://u@[::1]:5432/d?sslmode=prefer")
        let defaultDB = try PostgresStoreSettings(url: "postgres://alice:x@localhost")
        #expect(defaultDB.database == "alice", "libpq: the database defaults to the user name")
        let socket = try PostgresStoreSettings(url: "postgres://u@/d?host=/var/run/postgresql")
        #expect(socket.endpoint.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let encoded = try PostgresStoreSettings(url: "postgres://u@%2Ftmp%2Fpg:6000/d")
        #expect(encoded.endpoint == .unixSocket(directory: "/tmp/pg", port: 6000))
    }

    @Test("bad URLs: each problem named, the password never echoed")
    func badURLs() {
        for (url, fragment) in [
            ("mysql://u:hunter2secret@h/d", "scheme"),
            ("postgres://:hunter2secret@h/d", "names no user"),
            ("postgres://u:hunter2secret@/d", "names no host"),
            ("postgres://u:hunter2secret@h:99999/d", "port"),
            ("postgres://u:hunter2secret@h/d?sslmode=sometimes", "sslmode"),
            ("postgres://u@h/d?password=hunter2secret", "unknown query parameter \"password\""),
            ("postgres://u:hunter2secret@h1,h2/d", "several hosts"),
            ("postgres://u:hunter2secret@h/d?connect_timeout=soon", "connect_timeout"),
            ("postgres://u@/d?host=/run/pg&sslmode=require", "unix socket"),
        ] {
            do {
                _ = try PostgresStoreSettings(url: url)
                Issue.record("\(fragment): accepted")
            } catch {
                #expect(error.problem.contains(fragment), "\(url): \(error.problem)")
                #expect(!"\(error)".contains("hunter2secret"))
            }
        }
        #expect(PostgresStoreSettings.redact("postgres://u:hunter2secret@h/d?password=hunter2secret&sslmode=x")
            == "postgres://u:<redacted>@h/d?password=<redacted>&sslmode=x")
        #expect(PostgresStoreSettings.redact("postgres://u:a@b@h/d") == "postgres://u:<redacted>@h/d")
    }

    // MARK: Against the test server

    @Test("wrong password, missing database, nothing listening: open fails at once with the server's reason, no password")
    func connectFailures() async throws {
        let server = try PostgresTestServer.shared()
        let good = try await server.makeDatabase()
        let log = CapturedLog()

        var wrong = good
        wrong.password = "not-the-password-\(UUID().uuidString)"
        let secret = try #require(wrong.password)
        await expectOpenFails(wrong, log: log, sqlState: "28P01", fragment: "password authentication failed")

        var missing = good
        missing.database = "no_such_database"
        await expectOpenFails(missing, log: log, sqlState: "3D000", fragment: "no_such_database")

        var nobody = good
        nobody.endpoint = .tcp(host: "127.0.0.1", port: try freePort())
        await expectOpenFails(nobody, log: log, sqlState: nil, fragment: "PostgreSQL connect failed")

        let store = try await PostgresSessionStore.open(good, logger: log.logger)
        try await store.insert(StoreTests.record("logged"))
        #expect(try await store.get(id: "logged") != nil)
        try await store.close()
        let lines = log.lines
        #expect(!lines.isEmpty, "trace logging captured something")
        for password in [secret, server.password] {
            #expect(!lines.contains { $0.contains(password) }, "a log line has the password")
        }
    }

    func expectOpenFails(_ settings: PostgresStoreSettings, log: CapturedLog, sqlState: String?, fragment: String) async {
        do {
            let store = try await PostgresSessionStore.open(settings, logger: log.logger)
            try? await store.close()
            Issue.record("\(fragment): opened")
        } catch let error as PostgresStoreError {
            #expect(error.operation == "connect" && error.sqlState == sqlState, "\(error)")
            #expect("\(error)".contains(fragment), "\(error)")
            if let password = settings.password { #expect(!"\(error)".contains(password)) }
        } catch {
            Issue.record("not a PostgresStoreError: \(error)")
        }
    }

    @Test("sslmode: prefer falls back to plain TCP on a server without TLS; require refuses it, saying why")
    func tlsModes() async throws {
        var settings = try await PostgresTestServer.shared().makeDatabase()
        settings.tlsMode = .prefer
        let store = try await PostgresSessionStore.open(settings)
        try await store.ping()
        try await store.close()
        settings.tlsMode = .require
        await expectOpenFails(settings, log: CapturedLog(), sqlState: nil, fragment: "does not offer TLS")
    }

    @Test("a unix-socket URL reaches the same server (?host=<socket directory>)")
    func unixSocket() async throws {
        let server = try PostgresTestServer.shared()
        let tcp = try await server.makeDatabase()
        let settings = try PostgresStoreSettings(url: "postgres://\(PostgresTestServer.user)@/\(tcp.database)?host=\(server.directory)&port=\(server.port)&sslmode=disable")
        let store = try await PostgresSessionStore.open(settings)
        try await store.insert(StoreTests.record("via-socket"))
        try await store.close()
        let viaTCP = try await PostgresSessionStore.open(tcp)
        #expect(try await viaTCP.get(id: "via-socket") == StoreTests.record("via-socket"))
        try await viaTCP.close()
    }

    @Test("/readyz reports the store failing once its database is gone, and answers while it is")
    func readinessWhenDatabaseGone() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let h = try await Harness.make(livekitURL: peer.url, backend: .postgres)
        let database = try #require(h.fixture.postgres?.database)
        try await h.run { client in
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == .ok && ready.json["store"] as? String == "ok", "\(ready.text)")
            try await PostgresTestServer.shared().withConnection(database: "postgres") { c in
                try await c.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(database) WITH (FORCE)"),
                                  logger: PostgresTestServer.logger)
            }
            let gone = try await client.call(.get, "/readyz")
            #expect(gone.status == .serviceUnavailable && gone.json["store"] as? String == "failing", "\(gone.text)")
            #expect(gone.json["livekit"] as? String == "ok")
            // Requests that need the store get the stable 503, not a hang or a crash.
            let list = try await client.call(.get, "/v1/sessions", auth: Harness.userToken("alice"))
            #expect(list.status == .serviceUnavailable && list.errorCode == "store_unavailable", "\(list.text)")
        }
    }

    @Test("parley serve with a postgres store: a wrong password is one line and exit 1; trace logs never show the password")
    func serveKeepsThePasswordOut() async throws {
        let peer = try LiveKitTestPeer()
        defer { peer.stop() }
        let fixture = try await StoreFixture.make(.postgres)
        let settings = try #require(fixture.postgres)
        let password = try #require(settings.password)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-pgserve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The password comes from the environment, as an operator would pass it.
        func config(_ passwordVariable: String) -> String {
            guard case .tcp(let host, let port) = settings.endpoint else { return "" }
            return """
                livekit: { url: "\(peer.url)", api_key: devkey, api_secret: secret }
                server:
                  auth: { api_keys: [ { name: ops, key: \(CrashSafetyTests.apiKey) } ] }
                  store: { kind: postgres, url: "postgres://\(settings.username):${\(passwordVariable)}@\(host):\(port)/\(settings.database)?sslmode=disable" }
                  profiles: { support: { agent_name: support-agent } }
                """
        }
        let configPath = dir.appendingPathComponent("server.yaml").path
        try config("PARLEY_TEST_DB_SECRET").write(toFile: configPath, atomically: true, encoding: .utf8)

        // Wrong password: exits 1 before listening, one line naming the cause.
        let wrong = "wrong-\(UUID().uuidString)"
        let failed = try runServe(config: configPath, environment: ["PARLEY_TEST_DB_SECRET": wrong], port: try freePort(),
                                  output: dir.appendingPathComponent("failed.log"))
        let failedText = try String(contentsOf: dir.appendingPathComponent("failed.log"), encoding: .utf8)
        #expect(failed.terminationStatus == 1, "\(failedText)")
        #expect(failedText.contains("password authentication failed") && failedText.contains("28P01"), "\(failedText)")
        #expect(!failedText.contains(wrong))

        // The right one: serves; everything it logs at trace level leaves the password out.
        let port = try freePort()
        let logPath = dir.appendingPathComponent("serve.log")
        let serve = try startServe(config: configPath, environment: ["PARLEY_TEST_DB_SECRET": password], port: port,
                                   output: logPath)
        defer { CrashSafetyTests.kill9(serve) }
        try await CrashSafetyTests.waitHealthy(port: port)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/sessions")!)
        request.httpMethod = "POST"
        request.setValue(CrashSafetyTests.apiKey, forHTTPHeaderField: "X-API-Key")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"agent": "support"}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 201)
        let (ready, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!)
        #expect(String(decoding: ready, as: UTF8.self).contains(#""store":"ok""#))
        CrashSafetyTests.kill9(serve)
        let logged = try String(contentsOf: logPath, encoding: .utf8)
        #expect(logged.contains("postgres://\(settings.username):<redacted>@"), "the store is named, redacted")
        #expect(!logged.contains(password))
    }

    func startServe(config: String, environment: [String: String], port: Int, output: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let p = Process()
        p.executableURL = CrashSafetyTests.binary
        p.arguments = ["serve", "--config", config, "--port", "\(port)", "--log-level", "trace"]
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func runServe(config: String, environment: [String: String], port: Int, output: URL) throws -> Process {
        let p = try startServe(config: config, environment: environment, port: port, output: output)
        for _ in 0..<3000 where p.isRunning { usleep(10_000) }
        if p.isRunning { CrashSafetyTests.kill9(p) }
        return p
    }
}

/// Every log line (message and metadata) a logger produced, for checking what was never logged.
final class CapturedLog: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "parley.test.captured") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            var text = "\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
            if let error = event.error { text += " error=\(error)" }
            log.storage.withLock { $0.append(text) }
        }
    }
}
